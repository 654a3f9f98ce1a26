/* netpulsectl-monitor.c — “netpulsectl monitor”: subscribes and prints the table
 * (or JSON lines) at every update until interrupted or --count is reached.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulsectl"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "netpulse-client.h"
#include "netpulse-text.h"
#include "netpulse-units.h"
#include "netpulsectl-table.h"

#include "netpulsectl-private.h"

/* monitor {{{1 */

typedef struct {
  GMainLoop          *loop;
  NetpulseClient     *client;
  NetpulsectlTable   *table;
  NetpulseUserNames  *users;        /* for the JSON mode's filter and sort */
  GCancellable       *cancellable;
  int                 status;
  gboolean            stopping;

  /* options */
  gboolean            json;
  guint               count;        /* 0 = forever */
  NetpulsectlSortKey  sort;
  const char         *filter;
  gboolean            is_tty;

  guint               updates;
  guint64             warned_flows;  /* what the last JSON warning line said */
  guint64             warned_peers;
} Monitor;

static void
monitor_unsubscribed_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  Monitor *monitor = user_data;
  g_autoptr(GError) error = NULL;

  if (!netpulse_client_unsubscribe_finish (NETPULSE_CLIENT (object), result, &error))
    g_debug ("Unsubscribe: %s", error->message);
  g_main_loop_quit (monitor->loop);
}

/* Ends the program with @status: unsubscribes first, when subscribed. */
static void
monitor_stop (Monitor *monitor,
              int      status)
{
  if (monitor->stopping)
    return;
  monitor->stopping = TRUE;
  monitor->status = status;

  g_cancellable_cancel (monitor->cancellable);
  if (netpulse_client_get_state (monitor->client) == NETPULSE_CLIENT_STATE_SUBSCRIBED)
    netpulse_client_unsubscribe_async (monitor->client, NULL, monitor_unsubscribed_cb, monitor);
  else
    {
      netpulse_client_unsubscribe (monitor->client);
      g_main_loop_quit (monitor->loop);
    }
}

static void
monitor_fail (Monitor      *monitor,
              const GError *error)
{
  if (monitor->stopping)
    return;
  monitor_stop (monitor, netpulsectl_report_error (error));
}

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

static guint
terminal_rows (void)
{
  struct winsize size;

  if (ioctl (STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row > 4)
    return size.ws_row;
  return 0;
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

static void
monitor_print_table (Monitor *monitor,
                     guint64  timestamp_ns)
{
  g_autofree char *warning = overflow_warning (monitor);
  g_autoptr(GString) out = g_string_new (NULL);
  guint max_rows = 0;

  if (monitor->is_tty)
    {
      guint rows = terminal_rows ();

      /* Like top: redraw in place, and fit the screen (summary, titles,
       * the "more" line). */
      g_string_append (out, "\033[H\033[2J");
      if (rows > 0)
        max_rows = rows - (warning != NULL ? 4 : 3);
    }

  append_summary (monitor, timestamp_ns, out);
  if (warning != NULL)
    /* Translators: the header line of netpulsectl monitor when the helper
     * could not track everything; %s says what */
    g_string_append_printf (out, _("Warning: %s\n"), warning);
  netpulsectl_table_format (monitor->table, monitor->filter, monitor->sort, max_rows, out);
  if (!monitor->is_tty)
    g_string_append_c (out, '\n');

  if (!monitor_write (monitor, out->str, out->len))
    monitor_stop (monitor, EXIT_OK);
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

static void
monitor_print_json (Monitor      *monitor,
                    const GArray *records,
                    guint64       timestamp_ns)
{
  g_autoptr(GPtrArray) rows = netpulsectl_sort_records (records, monitor->filter, monitor->sort,
                                                        monitor->users);
  g_autoptr(GString) out = g_string_new (NULL);

  append_json_warning (monitor, out);
  for (guint i = 0; i < rows->len; i++)
    {
      netpulse_record_append_json (g_ptr_array_index (rows, i), timestamp_ns, out);
      g_string_append_c (out, '\n');
    }

  if (!monitor_write (monitor, out->str, out->len))
    monitor_stop (monitor, EXIT_OK);
}

static void
monitor_count (Monitor *monitor)
{
  monitor->updates++;
  if (monitor->count > 0 && monitor->updates >= monitor->count)
    monitor_stop (monitor, EXIT_OK);
}

/* Prints the table after a frame (or, in JSON, the frame's @records). */
static void
monitor_show (Monitor *monitor,
              GArray  *records,
              guint64  timestamp_ns)
{
  if (monitor->json)
    monitor_print_json (monitor, records, timestamp_ns);
  else
    monitor_print_table (monitor, timestamp_ns);

  /* Closed connections were shown once with their final totals. */
  netpulse_record_table_remove_closed (netpulsectl_table_get_records (monitor->table));

  monitor_count (monitor);
}

static void
on_update (NetpulseClient *client,
           guint64         sequence,
           guint64         timestamp_ns,
           GArray         *changed,
           GArray         *removed,
           gpointer        user_data)
{
  Monitor *monitor = user_data;

  if (monitor->stopping)
    return;

  netpulse_record_table_apply_update (netpulsectl_table_get_records (monitor->table),
                                      (const NetpulseRecord *) (gpointer) changed->data, changed->len,
                                      (const guint64 *) (gpointer) removed->data, removed->len, NULL);
  monitor_show (monitor, changed, timestamp_ns);
}

static void
on_snapshot (NetpulseClient *client,
             guint64         sequence,
             guint64         timestamp_ns,
             GArray         *records,
             gpointer        user_data)
{
  Monitor *monitor = user_data;

  if (monitor->stopping)
    return;

  netpulse_record_table_apply_snapshot (netpulsectl_table_get_records (monitor->table),
                                        (const NetpulseRecord *) (gpointer) records->data,
                                        records->len, NULL);
  /* The first frame, or one after GetSnapshot: the whole table. */
  monitor_show (monitor, records, timestamp_ns);
}

static void
on_state_changed (NetpulseClient *client,
                  GParamSpec     *pspec,
                  gpointer        user_data)
{
  Monitor *monitor = user_data;

  if (netpulse_client_get_state (client) == NETPULSE_CLIENT_STATE_FAILED)
    monitor_fail (monitor, netpulse_client_get_error (client));
}

static void
monitor_subscribed_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  Monitor *monitor = user_data;
  g_autoptr(GError) error = NULL;

  if (!netpulse_client_subscribe_finish (NETPULSE_CLIENT (object), result, &error))
    {
      /* Cancelled: we are stopping (a signal). */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        monitor_fail (monitor, error);
      return;
    }
  g_debug ("Subscribed at %s", netpulse_client_get_subscription (NETPULSE_CLIENT (object)));
}

static gboolean
on_unix_signal (gpointer user_data)
{
  Monitor *monitor = user_data;

  monitor_stop (monitor, EXIT_OK);
  return G_SOURCE_CONTINUE;
}

int
netpulsectl_cmd_monitor (int    argc,
             char **argv)
{
  int interval_ms = NETPULSE_INTERVAL_DEFAULT_MS;
  int count = 0;
  gboolean json = FALSE;
  gboolean no_ask_password = FALSE;
  g_autofree char *sort = NULL;
  g_autofree char *filter = NULL;
  g_autofree char *sort_help = g_strdup_printf (_("Sort rows by KEY: %s (default: rate)"),
                                                netpulsectl_sort_key_names ());
  const GOptionEntry entries[] = {
    { "interval", 'i', 0, G_OPTION_ARG_INT, &interval_ms,
      N_("Update every MS milliseconds (100 … 10000, default 1000)"), N_("MS") },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json,
      N_("Print one JSON object per changed connection and update"), NULL },
    { "count", 'n', 0, G_OPTION_ARG_INT, &count,
      N_("Exit after N updates"), N_("N") },
    { "sort", 's', 0, G_OPTION_ARG_STRING, &sort, sort_help, N_("KEY") },
    { "filter", 'f', 0, G_OPTION_ARG_STRING, &filter,
      N_("Only connections whose command, user, protocol, address or port contains TEXT"),
      N_("TEXT") },
    { "no-ask-password", 0, 0, G_OPTION_ARG_NONE, &no_ask_password,
      N_("Do not ask for a password in this terminal"), NULL },
    { NULL }
  };
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(NetpulseClient) client = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  g_autoptr(GSubprocess) agent = NULL;
  Monitor monitor = { 0 };
  guint sigint, sigterm;
  int status;

  if (!netpulsectl_parse_options ("monitor", _("Show the network connections of all processes, live."),
                      entries, argc, argv, &status))
    return status;

  if (interval_ms < NETPULSE_INTERVAL_MIN_MS || interval_ms > NETPULSE_INTERVAL_MAX_MS)
    return netpulsectl_usage_error ("monitor", _("--interval must be between 100 and 10000"));
  if (count < 0)
    return netpulsectl_usage_error ("monitor", _("--count must not be negative"));
  monitor.sort = NETPULSECTL_SORT_RATE;
  if (sort != NULL && !netpulsectl_sort_key_from_string (sort, &monitor.sort))
    {
      g_autofree char *message = g_strdup_printf (_("unknown sort key “%s”, use one of: %s"),
                                                  sort, netpulsectl_sort_key_names ());
      return netpulsectl_usage_error ("monitor", message);
    }

  /* A closed pipe shows as a failed write, handled like the end. */
  signal (SIGPIPE, SIG_IGN);

  if (!no_ask_password)
    agent = netpulsectl_start_tty_agent ();

  loop = g_main_loop_new (NULL, FALSE);
  client = netpulse_client_new ();
  cancellable = g_cancellable_new ();

  monitor.loop = loop;
  monitor.client = client;
  monitor.cancellable = cancellable;
  monitor.table = netpulsectl_table_new ();
  monitor.users = netpulse_user_names_new ();
  monitor.json = json;
  monitor.count = count;
  monitor.filter = filter;
  monitor.is_tty = isatty (STDOUT_FILENO);

  g_signal_connect (client, "update", G_CALLBACK (on_update), &monitor);
  g_signal_connect (client, "snapshot", G_CALLBACK (on_snapshot), &monitor);
  g_signal_connect (client, "notify::state", G_CALLBACK (on_state_changed), &monitor);
  sigint = g_unix_signal_add (SIGINT, on_unix_signal, &monitor);
  sigterm = g_unix_signal_add (SIGTERM, on_unix_signal, &monitor);

  netpulse_client_subscribe_async (client, interval_ms, cancellable,
                                   monitor_subscribed_cb, &monitor);
  g_main_loop_run (loop);

  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_signal_handlers_disconnect_by_data (client, &monitor);
  netpulsectl_stop_tty_agent (agent);
  netpulsectl_table_free (monitor.table);
  g_object_unref (monitor.users);

  return monitor.status;
}
