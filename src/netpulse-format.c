/* netpulse-format.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-format"

#include "config.h"

#include <glib/gi18n.h>

#include "netpulse-format.h"

const char *
netpulse_format_protocol (guint8 proto,
                          guint8 family)
{
  switch (proto)
    {
    case 6:  return family == 6 ? "TCP6" : "TCP";
    case 17: return family == 6 ? "UDP6" : "UDP";
    default: return "?";
    }
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
