/* netpulsectl.c — command-line client of the Netpulse helper.
 *
 *   netpulsectl monitor [--interval MS] [--json] [--count N] [--sort KEY] [--filter TEXT]
 *   netpulsectl status [--json]
 *
 * Exit status, which scripts may rely on (also in --help):
 *   0  success
 *   1  usage error: unknown command or option, bad value
 *   2  the system bus is not available
 *   3  the helper is not installed or cannot be activated
 *   4  not authorized (polkit said no, or the password prompt was dismissed)
 *   5  the helper failed, or left the bus while we were subscribed
 * Every failure prints one line on stderr.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulsectl"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "netpulse-client.h"
#include "netpulse-protocol.h"
#include "netpulse-text.h"
#include "netpulsectl-table.h"

enum {
  EXIT_OK               = 0,
  EXIT_USAGE            = 1,
  EXIT_BUS_UNAVAILABLE  = 2,
  EXIT_HELPER_MISSING   = 3,
  EXIT_NOT_AUTHORIZED   = 4,
  EXIT_HELPER_FAILED    = 5,
};

static const char *
exit_status_help (void)
{
  return _("Exit status:\n"
           "  0  success\n"
           "  1  usage error\n"
           "  2  the system bus is not available\n"
           "  3  the Netpulse helper is not installed or cannot be started\n"
           "  4  not authorized to monitor network connections\n"
           "  5  the Netpulse helper failed or stopped");
}

/* Errors {{{1 */

static int
exit_status_for_error (const GError *error)
{
  if (error->domain != NETPULSE_CLIENT_ERROR)
    return EXIT_HELPER_FAILED;

  switch ((NetpulseClientError) error->code)
    {
    case NETPULSE_CLIENT_ERROR_BUS_UNAVAILABLE:
      return EXIT_BUS_UNAVAILABLE;
    case NETPULSE_CLIENT_ERROR_HELPER_MISSING:
      return EXIT_HELPER_MISSING;
    case NETPULSE_CLIENT_ERROR_NOT_AUTHORIZED:
      return EXIT_NOT_AUTHORIZED;
    case NETPULSE_CLIENT_ERROR_HELPER_FAILED:
    case NETPULSE_CLIENT_ERROR_HELPER_LOST:
    case NETPULSE_CLIENT_ERROR_SUBSCRIPTION_ENDED:
    default:
      return EXIT_HELPER_FAILED;
    }
}

/* One line on stderr, whatever the message holds: an error may quote a
 * name or an argument, escaped like everything else from outside. */
static void
print_error (const char *message)
{
  g_autofree char *line = g_strdup (message);
  g_autofree char *safe = NULL;

  g_strdelimit (line, "\r\n", ' ');
  g_strchomp (line);
  fprintf (stderr, "netpulsectl: %s\n", netpulse_text_safe (line, &safe));
}

static int
report_error (const GError *error)
{
  print_error (error->message);
  return exit_status_for_error (error);
}

static int
usage_error (const char *command,
             const char *message)
{
  g_autofree char *line = NULL;

  if (command != NULL)
    line = g_strdup_printf (_("%s: %s (see “netpulsectl %s --help”)"), command, message, command);
  else
    line = g_strdup_printf (_("%s (see “netpulsectl --help”)"), message);
  print_error (line);
  return EXIT_USAGE;
}

/* Option parsing {{{1 */

/* Parses @argv (the command name first) with @entries; on an error prints
 * it and returns FALSE. */
static gboolean
parse_options (const char         *command,
               const char         *summary,
               const GOptionEntry *entries,
               int                 argc,
               char              **argv,
               int                *status)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;

  context = g_option_context_new (command);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, exit_status_help ());
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      *status = usage_error (command, error->message);
      return FALSE;
    }
  /* argv[0] is the program, argv[1] the command. */
  if (argc > 2)
    {
      g_autofree char *message = g_strdup_printf (_("unexpected argument “%s”"), argv[2]);

      *status = usage_error (command, message);
      return FALSE;
    }
  return TRUE;
}

/* The polkit agent for terminals {{{1 */

/* In a terminal, with no desktop agent around, polkit has nobody to ask for
 * the password and says no.  Like systemctl, start pkttyagent for this
 * process (polkit finds it from our bus name) and wait until it has
 * registered.  Best effort: without it, authorization may still succeed
 * (rules, a desktop agent). */
static GSubprocess *
start_tty_agent (void)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) agent = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pid = NULL;
  g_autofree char *path = g_find_program_in_path ("pkttyagent");
  int fds[2];
  char c;

  if (path == NULL || !isatty (STDIN_FILENO))
    return NULL;

  if (!g_unix_open_pipe (fds, FD_CLOEXEC, &error))
    {
      g_debug ("Cannot start pkttyagent: %s", error->message);
      return NULL;
    }

  pid = g_strdup_printf ("%d", (int) getpid ());
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_INHERIT);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  agent = g_subprocess_launcher_spawn (launcher, &error, path, "--notify-fd", "3",
                                       "--fallback", "--process", pid, NULL);
  g_clear_object (&launcher);   /* closes our copy of the write end */
  if (agent == NULL)
    {
      g_debug ("Cannot start pkttyagent: %s", error->message);
      close (fds[0]);
      return NULL;
    }

  /* The agent closes the fd once registered, or exits: either way EOF. */
  while (read (fds[0], &c, 1) < 0 && errno == EINTR)
    ;
  close (fds[0]);

  return g_steal_pointer (&agent);
}

static void
stop_tty_agent (GSubprocess *agent)
{
  if (agent == NULL)
    return;
  g_subprocess_send_signal (agent, SIGTERM);
  g_subprocess_wait (agent, NULL, NULL);
}

/* monitor {{{1 */

typedef struct {
  GMainLoop          *loop;
  NetpulseClient     *client;
  NetpulsectlTable   *table;
  GHashTable         *users;        /* for the JSON mode's filter and sort */
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
  monitor_stop (monitor, report_error (error));
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

static void
on_update (NetpulseClient *client,
           guint64         sequence,
           guint64         timestamp_ns,
           GArray         *changed,
           GArray         *removed,
           gpointer        user_data)
{
  Monitor *monitor = user_data;
  g_autoptr(GArray) closed = g_array_new (FALSE, FALSE, sizeof (guint64));

  if (monitor->stopping)
    return;

  netpulsectl_table_update (monitor->table, changed);

  if (monitor->json)
    monitor_print_json (monitor, changed, timestamp_ns);
  else
    monitor_print_table (monitor, timestamp_ns);

  /* Closed connections were shown once with their final totals. */
  netpulsectl_table_remove (monitor->table, removed);
  for (guint i = 0; i < changed->len; i++)
    {
      const NetpulseRecord *record = &g_array_index (changed, NetpulseRecord, i);

      if (record->flags & NETPULSE_RECORD_CLOSED)
        g_array_append_val (closed, record->id);
    }
  netpulsectl_table_remove (monitor->table, closed);

  monitor_count (monitor);
}

static void
on_snapshot (NetpulseClient *client,
             guint64         sequence,
             GArray         *records,
             gpointer        user_data)
{
  Monitor *monitor = user_data;
  guint64 now_ns = (guint64) g_get_real_time () * 1000;

  if (monitor->stopping)
    return;

  netpulsectl_table_replace (monitor->table, records);

  /* A SNAPSHOT frame (after GetSnapshot): everything may have changed. */
  if (monitor->json)
    monitor_print_json (monitor, records, now_ns);
  else
    monitor_print_table (monitor, now_ns);

  monitor_count (monitor);
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

static int
cmd_monitor (int    argc,
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

  if (!parse_options ("monitor", _("Show the network connections of all processes, live."),
                      entries, argc, argv, &status))
    return status;

  if (interval_ms < NETPULSE_INTERVAL_MIN_MS || interval_ms > NETPULSE_INTERVAL_MAX_MS)
    return usage_error ("monitor", _("--interval must be between 100 and 10000"));
  if (count < 0)
    return usage_error ("monitor", _("--count must not be negative"));
  monitor.sort = NETPULSECTL_SORT_RATE;
  if (sort != NULL && !netpulsectl_sort_key_from_string (sort, &monitor.sort))
    {
      g_autofree char *message = g_strdup_printf (_("unknown sort key “%s”, use one of: %s"),
                                                  sort, netpulsectl_sort_key_names ());
      return usage_error ("monitor", message);
    }

  /* A closed pipe shows as a failed write, handled like the end. */
  signal (SIGPIPE, SIG_IGN);

  if (!no_ask_password)
    agent = start_tty_agent ();

  loop = g_main_loop_new (NULL, FALSE);
  client = netpulse_client_new ();
  cancellable = g_cancellable_new ();

  monitor.loop = loop;
  monitor.client = client;
  monitor.cancellable = cancellable;
  monitor.table = netpulsectl_table_new ();
  monitor.users = netpulsectl_user_cache_new ();
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
  stop_tty_agent (agent);
  netpulsectl_table_free (monitor.table);
  g_hash_table_unref (monitor.users);

  return monitor.status;
}

/* status {{{1 */

typedef struct {
  GMainLoop *loop;
  GVariant  *status;
  GError    *error;
} StatusCall;

static void
status_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  StatusCall *call = user_data;

  call->status = netpulse_client_get_status_finish (NETPULSE_CLIENT (object), result, &call->error);
  g_main_loop_quit (call->loop);
}

/* What status prints, copied out of the a{sv}: pointers into a GVariant
 * (the "&s" forms) may not outlive the lookup that made them. */
typedef struct {
  char      *version;
  char      *backend;
  char     **features;
  guint32    subscriptions;
  gboolean   authorized;
  GPtrArray *counter_names;    /* sorted, for a stable output */
  GArray    *counter_values;   /* guint64, in the same order */
} Status;

static void
status_clear (Status *status)
{
  g_free (status->version);
  g_free (status->backend);
  g_strfreev (status->features);
  g_clear_pointer (&status->counter_names, g_ptr_array_unref);
  g_clear_pointer (&status->counter_values, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Status, status_clear)

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static void
status_load (Status   *status,
             GVariant *dict)
{
  g_autoptr(GVariant) counters = g_variant_lookup_value (dict, "counters", G_VARIANT_TYPE ("a{st}"));
  g_autoptr(GHashTable) values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GVariantIter iter;
  char *name;
  guint64 value;

  if (!g_variant_lookup (dict, "version", "s", &status->version))
    status->version = g_strdup ("");
  if (!g_variant_lookup (dict, "backend", "s", &status->backend))
    status->backend = g_strdup ("none");
  if (!g_variant_lookup (dict, "kernel-features", "^as", &status->features))
    status->features = g_new0 (char *, 1);
  g_variant_lookup (dict, "subscriptions", "u", &status->subscriptions);
  g_variant_lookup (dict, "authorized", "b", &status->authorized);

  status->counter_names = g_ptr_array_new_with_free_func (g_free);
  status->counter_values = g_array_new (FALSE, FALSE, sizeof (guint64));
  if (counters == NULL)
    return;

  g_variant_iter_init (&iter, counters);
  while (g_variant_iter_next (&iter, "{st}", &name, &value))
    g_hash_table_replace (values, name, g_memdup2 (&value, sizeof value));

  {
    g_autofree gpointer *keys = g_hash_table_get_keys_as_array (values, NULL);
    guint n = g_hash_table_size (values);

    qsort (keys, n, sizeof (gpointer), compare_strings);
    for (guint i = 0; i < n; i++)
      {
        g_ptr_array_add (status->counter_names, g_strdup (keys[i]));
        g_array_append_val (status->counter_values,
                            *(guint64 *) g_hash_table_lookup (values, keys[i]));
      }
  }
}

static void
print_status_json (const Status *status)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GString) text = g_string_new (NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, status->version);
  json_builder_set_member_name (builder, "client_version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_set_member_name (builder, "backend");
  json_builder_add_string_value (builder, status->backend);
  json_builder_set_member_name (builder, "kernel_features");
  json_builder_begin_array (builder);
  for (guint i = 0; status->features[i] != NULL; i++)
    json_builder_add_string_value (builder, status->features[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "counters");
  json_builder_begin_object (builder);
  for (guint i = 0; i < status->counter_names->len; i++)
    {
      guint64 value = g_array_index (status->counter_values, guint64, i);

      json_builder_set_member_name (builder, g_ptr_array_index (status->counter_names, i));
      json_builder_add_int_value (builder, (gint64) MIN (value, (guint64) G_MAXINT64));
    }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "subscriptions");
  json_builder_add_int_value (builder, status->subscriptions);
  json_builder_set_member_name (builder, "authorized");
  json_builder_add_boolean_value (builder, status->authorized);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_to_gstring (generator, text);
  /* json-glib escapes C0 only: DEL, C1 and bidi controls too. */
  netpulse_text_harden_json (text);
  printf ("%s\n", text->str);
}

/* The helper's own words, but they reach a terminal all the same. */
static void
print_status_text (const Status *status)
{
  g_autofree char *feature_list = g_strjoinv (", ", status->features);
  g_autofree char *version = NULL, *backend = NULL, *features = NULL;

  printf (_("Helper version:   %s\n"), netpulse_text_safe (status->version, &version));
  printf (_("Client version:   %s\n"), PACKAGE_VERSION);
  printf (_("Backend:          %s\n"), netpulse_text_safe (status->backend, &backend));
  printf (_("Kernel features:  %s\n"), feature_list[0] != '\0' ? netpulse_text_safe (feature_list, &features) : "-");
  printf (_("Subscriptions:    %u\n"), status->subscriptions);
  printf (_("Authorized:       %s\n"), status->authorized ? _("yes") : _("no"));
  printf (_("Counters:\n"));
  for (guint i = 0; i < status->counter_names->len; i++)
    {
      g_autofree char *name = NULL;

      printf ("  %-18s %" G_GUINT64_FORMAT "\n",
              netpulse_text_safe (g_ptr_array_index (status->counter_names, i), &name),
              g_array_index (status->counter_values, guint64, i));
    }
}

static int
cmd_status (int    argc,
            char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL },
    { NULL }
  };
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(NetpulseClient) client = NULL;
  StatusCall call = { 0 };
  int status;

  if (!parse_options ("status",
                      _("Show the helper’s version, kernel backend and counters, and whether "
                        "you may monitor.  Needs no authorization."),
                      entries, argc, argv, &status))
    return status;

  loop = g_main_loop_new (NULL, FALSE);
  client = netpulse_client_new ();
  call.loop = loop;

  netpulse_client_get_status_async (client, NULL, status_cb, &call);
  g_main_loop_run (loop);

  if (call.status == NULL)
    {
      status = report_error (call.error);
      g_clear_error (&call.error);
      return status;
    }

  {
    g_auto(Status) loaded = { 0 };

    status_load (&loaded, call.status);
    g_variant_unref (call.status);
    if (json)
      print_status_json (&loaded);
    else
      print_status_text (&loaded);
  }

  fflush (stdout);
  return EXIT_OK;
}

/* main {{{1 */

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n\n%s\n\n%s\n",
           _("Usage:\n"
             "  netpulsectl COMMAND [OPTION…]\n"
             "  netpulsectl COMMAND --help"),
           _("Commands:\n"
             "  monitor   Show the network connections of all processes, live\n"
             "  status    Show the state of the Netpulse helper"),
           exit_status_help ());
}

int
main (int    argc,
      char **argv)
{
  const char *command;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("netpulsectl");
  /* stdout carries the table or the JSON lines; with G_MESSAGES_DEBUG set,
   * GLib would mix its debug messages into them. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (argc < 2)
    {
      print_usage (stderr);
      return EXIT_USAGE;
    }

  command = argv[1];
  if (g_str_equal (command, "--help") || g_str_equal (command, "-h") ||
      g_str_equal (command, "help"))
    {
      print_usage (stdout);
      return EXIT_OK;
    }
  if (g_str_equal (command, "--version"))
    {
      printf ("netpulsectl %s\n", PACKAGE_VERSION);
      return EXIT_OK;
    }
  if (g_str_equal (command, "monitor"))
    return cmd_monitor (argc, argv);
  if (g_str_equal (command, "status"))
    return cmd_status (argc, argv);

  {
    g_autofree char *message = g_strdup_printf (_("unknown command “%s”"), command);

    return usage_error (NULL, message);
  }
}
