/* netpulse-format.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-format"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "netpulse-format.h"
#include "netpulse-record.h"

const char *
netpulse_format_protocol (guint8  proto,
                          guint8  family,
                          guint32 flags)
{
  NetpulseRecord r = { .proto = proto, .flags = flags };
  const char *name = netpulse_record_proto_name (&r);
  g_autofree char *upper = g_ascii_strup (name, -1);
  gboolean says_family = g_str_has_suffix (name, "6") || strchr (name, '/') != NULL
                       || (flags & NETPULSE_RECORD_PACKET);
  g_autofree char *shown = family == 6 && !says_family ? g_strconcat (upper, "6", NULL) : NULL;

  /* A few dozen distinct names at most: kept for the process's lifetime. */
  return g_intern_string (shown != NULL ? shown : upper);
}

const char *
netpulse_format_state (guint8 proto,
                       guint8 state)
{
  static const char * const names[] = {
    [0]  = "",
    [1]  = N_("Established"),
    [2]  = N_("SYN sent"),
    [3]  = N_("SYN received"),
    [4]  = N_("FIN wait 1"),
    [5]  = N_("FIN wait 2"),
    [6]  = N_("Time wait"),
    [7]  = N_("Closed"),
    [8]  = N_("Close wait"),
    [9]  = N_("Last ACK"),
    [10] = N_("Listening"),
    [11] = N_("Closing"),
    [12] = N_("SYN received"),
  };

  if (proto != 6)
    return "";
  if (state >= G_N_ELEMENTS (names))
    return _("Unknown");
  return state == 0 ? "" : _(names[state]);
}

char *
netpulse_format_time (guint64 ns)
{
  g_autoptr(GDateTime) time = NULL;

  if (ns == 0)
    return g_strdup ("");
  time = g_date_time_new_from_unix_local ((gint64) (ns / 1000000000));
  if (time == NULL)
    return g_strdup ("");
  return g_date_time_format (time, "%X");
}
