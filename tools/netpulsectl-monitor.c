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
#include <unistd.h>

#include "netpulse-client.h"
#include "netpulse-text.h"
#include "netpulse-units.h"
#include "netpulsectl-apps.h"
#include "netpulsectl-table.h"
#include "netpulsectl-terminal.h"

#include "netpulsectl-monitor-private.h"
#include "netpulsectl-private.h"

/* monitor {{{1 */


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

void
netpulsectl_monitor_stop (Monitor *monitor,
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
refusal_status_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Monitor *monitor = user_data;
  g_autoptr(GVariant) status = netpulse_client_get_status_finish (NETPULSE_CLIENT (object), result, NULL);
  g_autoptr(GError) refusal = g_steal_pointer (&monitor->refusal);
  const char *authorization = NULL;

  if (status != NULL)
    g_variant_lookup (status, "authorization", "&s", &authorization);

  /* polkit would still ask: the password it asked for was not taken. */
  if (g_strcmp0 (authorization, "challenge") == 0)
    {
      netpulsectl_print_error (_("Not authorized to monitor network connections: the password "
                                 "was not accepted, or the prompt was dismissed"));
      netpulsectl_monitor_stop (monitor, EXIT_NOT_AUTHORIZED);
    }
  else
    netpulsectl_monitor_stop (monitor, netpulsectl_report_error (refusal));
}

static void
monitor_fail (Monitor      *monitor,
              const GError *error)
{
  if (monitor->stopping || monitor->refusal != NULL)
    return;

  /* After a prompt, the helper's "not allowed" would blame the rules for
   * a mistyped password: ask polkit, without a prompt, what it says now. */
  if (monitor->asked && monitor->updates == 0 &&
      g_error_matches (error, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_NOT_AUTHORIZED))
    {
      monitor->refusal = g_error_copy (error);
      netpulse_client_get_status_async (monitor->client, NULL, refusal_status_cb, monitor);
      return;
    }
  /* Off the alternate screen first, or the message would vanish with it. */
  netpulsectl_terminal_leave (monitor->terminal);
  netpulsectl_monitor_stop (monitor, netpulsectl_report_error (error));
}

static void
monitor_count (Monitor *monitor)
{
  monitor->updates++;
  if (monitor->count > 0 && monitor->updates >= monitor->count)
    netpulsectl_monitor_stop (monitor, EXIT_OK);
}

/* Removes the closed connections from the table; their applications keep
 * their totals. */
static void
monitor_forget_closed (Monitor *monitor)
{
  NetpulseRecordTable *records = netpulsectl_table_get_records (monitor->table);
  g_autoptr(GPtrArray) entries = netpulse_record_table_get_entries (records);

  for (guint i = 0; i < entries->len; i++)
    {
      const NetpulseRecordEntry *entry = g_ptr_array_index (entries, i);
      const NetpulseRecord *record = &entry->keyed.record;

      if (entry->closed && netpulsectl_record_matches (record, monitor->filter, monitor->users))
        netpulsectl_apps_add_closed (monitor->apps, record);
    }
  netpulse_record_table_remove_closed (records);
}

/* Prints the table after a frame (or, in JSON, the frame's @records). */
static void
monitor_show (Monitor *monitor,
              GArray  *records,
              guint64  timestamp_ns)
{
  if (monitor->json)
    netpulsectl_monitor_print_json (monitor, records, timestamp_ns);
  else
    netpulsectl_monitor_print_table (monitor, timestamp_ns);

  /* Closed connections were shown once with their final totals. */
  monitor_forget_closed (monitor);
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

static void
on_terminal_quit (gpointer user_data)
{
  netpulsectl_monitor_stop (user_data, EXIT_OK);
}

static void
on_terminal_resize (gpointer user_data)
{
  Monitor *monitor = user_data;

  if (monitor->screen && !monitor->stopping && monitor->shown_ns != 0)
    netpulsectl_monitor_print_table (monitor, monitor->shown_ns);
}

static gboolean
on_unix_signal (gpointer user_data)
{
  Monitor *monitor = user_data;

  netpulsectl_monitor_stop (monitor, EXIT_OK);
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
  g_autofree char *by = NULL;
  g_autofree char *sort_help = g_strdup_printf (_("Sort rows by KEY: %s (default: rate)"),
                                                netpulsectl_sort_key_names ());
  const GOptionEntry entries[] = {
    { "interval", 'i', 0, G_OPTION_ARG_INT, &interval_ms,
      N_("Update every MS milliseconds (100 … 10000, default 1000)"), N_("MS") },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json,
      N_("Print one JSON object per changed connection and update (with --by app: per "
         "application and update)"), NULL },
    { "count", 'n', 0, G_OPTION_ARG_INT, &count,
      N_("Exit after N updates"), N_("N") },
    { "sort", 's', 0, G_OPTION_ARG_STRING, &sort, sort_help, N_("KEY") },
    { "filter", 'f', 0, G_OPTION_ARG_STRING, &filter,
      N_("Only connections whose command, user, protocol, address or port contains TEXT"),
      N_("TEXT") },
    { "by", 'b', 0, G_OPTION_ARG_STRING, &by,
      N_("One row per connection (the default) or per application: connection, app"),
      N_("WHAT") },
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

  if (!netpulsectl_parse_options ("monitor",
                                  _("Show the network connections of all processes, live.\n\n"
                                    "In a terminal the table fills the screen below a fixed header "
                                    "and fits its width (the least needed columns give way first); "
                                    "press q to quit.  With --count, or not in a terminal, it prints one "
                                    "table per update, fitting the terminal or $COLUMNS when set.\n\n"
                                    "With --by app: one row per application (its processes, "
                                    "connections, smoothed rates and totals since monitoring began), "
                                    "the busiest first; with --json, one line per application and "
                                    "update: {\"type\":\"app\", \"ts_ns\", \"app_id\", "
                                    "\"app_kind\", \"processes\", \"connections\", \"tx_bytes\", "
                                    "\"rx_bytes\", \"tx_rate\", \"rx_rate\"}."),
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

  if (by != NULL && !g_str_equal (by, "app") && !g_str_equal (by, "connection"))
    return netpulsectl_usage_error ("monitor", _("--by must be “connection” or “app”"));
  monitor.by_app = g_strcmp0 (by, "app") == 0;

  /* A closed pipe shows as a failed write, handled like the end. */
  signal (SIGPIPE, SIG_IGN);

  if (!no_ask_password)
    agent = netpulsectl_start_tty_agent ();
  monitor.asked = agent != NULL;

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
  monitor.apps = netpulsectl_apps_new ();
  monitor.terminal = netpulsectl_terminal_new (on_terminal_resize, on_terminal_quit, &monitor);
  /* With --count, what was printed stays: lines, as wide as the terminal. */
  monitor.screen = netpulsectl_terminal_is_tty (monitor.terminal) && !json && count == 0;

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
  netpulsectl_terminal_free (monitor.terminal);
  netpulsectl_stop_tty_agent (agent);
  netpulsectl_apps_free (monitor.apps);
  g_clear_error (&monitor.refusal);
  netpulsectl_table_free (monitor.table);
  g_object_unref (monitor.users);

  return monitor.status;
}
