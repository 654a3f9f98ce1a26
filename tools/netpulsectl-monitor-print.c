/* netpulsectl-monitor-print.c — what “netpulsectl monitor” prints at each
 * update: on a terminal a screen with a fixed header, otherwise lines, or
 * JSON lines.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulsectl"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "netpulse-text.h"
#include "netpulse-units.h"

#include "netpulsectl-monitor-private.h"
#include "netpulsectl-private.h"

/* Writes @text to stdout at once; FALSE when stdout is gone (a closed pipe:
 * `netpulsectl monitor --json | head`). */
static gboolean
monitor_write (Monitor    *monitor,
               const char *text,
               gsize       len)
{
  if (len > 0 && fwrite (text, 1, len, stdout) != len)
    return FALSE;
  return fflush (stdout) == 0;
}

static void
append_summary (Monitor *monitor,
                guint64  timestamp_ns,
                GString *out)
{
  g_autoptr(GPtrArray) rows = netpulsectl_table_rows (monitor->table, monitor->filter,
                                                      NETPULSECTL_SORT_ID);
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *clock = NULL;
  g_autofree char *rx = NULL;
  g_autofree char *tx = NULL;
  g_autofree char *safe_backend = NULL;
  const char *backend = netpulse_client_get_backend (monitor->client);
  double rx_rate = 0, tx_rate = 0;

  for (guint i = 0; i < rows->len; i++)
    {
      const NetpulseRecord *record = g_ptr_array_index (rows, i);

      rx_rate += record->rx_rate;
      tx_rate += record->tx_rate;
    }

  time = g_date_time_new_from_unix_local (timestamp_ns / G_GUINT64_CONSTANT (1000000000));
  clock = time != NULL ? g_date_time_format (time, "%H:%M:%S") : g_strdup ("?");
  rx = netpulse_format_rate (rx_rate, FALSE);
  tx = netpulse_format_rate (tx_rate, FALSE);

  g_string_append_printf (out,
                          ngettext ("%s  %u connection  backend %s  RX %s  TX %s\n",
                                    "%s  %u connections  backend %s  RX %s  TX %s\n",
                                    rows->len),
                          clock, rows->len, netpulse_text_safe (backend, &safe_backend),
                          rx, tx);
}

/* The helper's counters say that the table does not show everything: one
 * line that says what is missing and what to do, or nothing.  Numbers
 * only: nothing in it comes from another user. */
static char *
overflow_warning (Monitor *monitor)
{
  guint64 flows, peers;
  g_autoptr(GString) text = NULL;
  g_autofree char *flows_text = NULL;
  g_autofree char *peers_text = NULL;

  if (!netpulse_counters_get_overflow (netpulse_client_get_counters (monitor->client), &flows, &peers))
    return NULL;

  text = g_string_new (NULL);
  flows_text = g_strdup_printf ("%" G_GUINT64_FORMAT, flows);
  peers_text = g_strdup_printf ("%" G_GUINT64_FORMAT, peers);
  if (flows > 0)
    /* Translators: %s is a number */
    g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE,
                                               "%s connection was not tracked: the helper’s flow table "
                                               "was full (a larger --max-flows makes room).",
                                               "%s connections were not tracked: the helper’s flow table "
                                               "was full (a larger --max-flows makes room).",
                                               MIN (flows, G_MAXULONG)),
                            flows_text);
  if (peers > 0 && text->len > 0)
    g_string_append_c (text, ' ');
  if (peers > 0)
    /* Translators: %s is a number */
    g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE,
                                               "%s datagram to peers beyond a socket’s or user’s cap "
                                               "was counted in “(N other peers)” rows (a larger --max-peers-per-socket "
                                               "or --max-peers-per-uid tracks more one by one).",
                                               "%s datagrams to peers beyond a socket’s or user’s cap "
                                               "were counted in “(N other peers)” rows (a larger --max-peers-per-socket "
                                               "or --max-peers-per-uid tracks more one by one).",
                                               MIN (peers, G_MAXULONG)),
                            peers_text);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* The connection table, or with --by app the application table. */
static void
append_rows (Monitor *monitor,
             guint    max_rows,
             guint    width,
             GString *out)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) apps = NULL;

  if (!monitor->by_app)
    {
      netpulsectl_table_format_fit (monitor->table, monitor->filter, monitor->sort, max_rows,
                                    width, out);
      return;
    }
  records = netpulsectl_table_rows (monitor->table, monitor->filter, NETPULSECTL_SORT_ID);
  apps = netpulsectl_apps_collect (monitor->apps, records);
  netpulsectl_apps_format (apps, max_rows, width, out);
}

void
netpulsectl_monitor_print_table (Monitor *monitor,
                     guint64  timestamp_ns)
{
  g_autofree char *warning = overflow_warning (monitor);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GString) out = NULL;
  gboolean screen = monitor->screen;
  guint width = netpulsectl_terminal_get_columns (monitor->terminal);
  guint rows = netpulsectl_terminal_get_rows (monitor->terminal);
  guint max_rows = 0;

  monitor->shown_ns = timestamp_ns;
  if (screen && rows > 0)
    {
      /* Like top: the screen is ours, rows below a fixed header (summary,
       * warning, titles) and the "more" line. */
      guint around = warning != NULL ? 4 : 3;

      max_rows = rows > around ? rows - around : 1;
    }

  append_summary (monitor, timestamp_ns, text);
  if (warning != NULL)
    /* Translators: the header line of netpulsectl monitor when the helper
     * could not track everything; %s says what */
    g_string_append_printf (text, _("Warning: %s\n"), warning);
  append_rows (monitor, max_rows, width, text);

  if (screen)
    {
      /* Only now: a password prompt before the first table had the
       * terminal as it was. */
      netpulsectl_terminal_enter (monitor->terminal);
      out = g_string_new (NULL);
      netpulsectl_terminal_append_frame (text->str, width, rows, out);
    }
  else
    {
      g_string_append_c (text, '\n');
      out = g_steal_pointer (&text);
    }

  if (!monitor_write (monitor, out->str, out->len))
    netpulsectl_monitor_stop (monitor, EXIT_OK);
}

/* In --json mode the warning is a line of its own, {"type":"warning", …},
 * printed when the counters change; record lines have no "type". */
static void
append_json_warning (Monitor *monitor,
                     GString *out)
{
  g_autofree char *warning = overflow_warning (monitor);
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *line = NULL;
  guint64 flows, peers;

  netpulse_counters_get_overflow (netpulse_client_get_counters (monitor->client), &flows, &peers);
  if (warning == NULL || (flows == monitor->warned_flows && peers == monitor->warned_peers))
    return;
  monitor->warned_flows = flows;
  monitor->warned_peers = peers;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "warning");
  json_builder_set_member_name (builder, "flow_overflow");
  json_builder_add_int_value (builder, (gint64) MIN (flows, (guint64) G_MAXINT64));
  json_builder_set_member_name (builder, "peers_aggregated");
  json_builder_add_int_value (builder, (gint64) MIN (peers, (guint64) G_MAXINT64));
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, warning);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  generator = json_generator_new ();
  json_generator_set_root (generator, root);
  line = json_generator_to_data (generator, NULL);
  g_string_append (out, line);
  g_string_append_c (out, '\n');
}

void
netpulsectl_monitor_print_json (Monitor      *monitor,
                    const GArray *records,
                    guint64       timestamp_ns)
{
  g_autoptr(GPtrArray) rows = netpulsectl_sort_records (records, monitor->filter, monitor->sort,
                                                        monitor->users);
  g_autoptr(GString) out = g_string_new (NULL);

  append_json_warning (monitor, out);
  if (monitor->by_app)
    {
      /* Every application at every update, not only the changed ones. */
      g_autoptr(GPtrArray) live = netpulsectl_table_rows (monitor->table, monitor->filter,
                                                          NETPULSECTL_SORT_ID);
      g_autoptr(GPtrArray) apps = netpulsectl_apps_collect (monitor->apps, live);

      g_ptr_array_set_size (rows, 0);
      for (guint i = 0; i < apps->len; i++)
        {
          netpulsectl_app_append_json (g_ptr_array_index (apps, i), timestamp_ns, out);
          g_string_append_c (out, '\n');
        }
    }
  for (guint i = 0; i < rows->len; i++)
    {
      netpulse_record_append_json (g_ptr_array_index (rows, i), timestamp_ns, out);
      g_string_append_c (out, '\n');
    }

  if (!monitor_write (monitor, out->str, out->len))
    netpulsectl_monitor_stop (monitor, EXIT_OK);
}
