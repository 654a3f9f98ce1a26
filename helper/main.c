/* main.c — netpulse-helper: the D-Bus service (default) or, with
 * --standalone, the collector printing records on stdout.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-helper"

#include "config.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <locale.h>
#include <unistd.h>

#include "netpulse-all-threads.h"
#include "netpulse-protocol.h"
#include "netpulse-recorder.h"
#include "netpulse-sandbox.h"
#include "netpulse-service.h"
#include "netpulse-standalone.h"

#define EXIT_USAGE 2
#define MAX_RING_KIB (1024 * 1024)   /* 1 GiB */

typedef struct {
  gboolean standalone;
  gboolean json;
  gboolean replace;
  gboolean verbose;
  gboolean version;
  int      interval_ms;
  int      duration_s;
  int      max_flows;
  int      max_peers_per_socket;
  int      max_peers_per_uid;
  int      closed_ring_kib;
  int      udp_idle_ms;
  int      idle_timeout_ms;
  char    *backend;
  char    *verifier_log;
  char    *state_dir;
  char    *system_root;
  gint64   history_bucket_ms;
} Options;

static void
options_clear (Options *options)
{
  g_clear_pointer (&options->backend, g_free);
  g_clear_pointer (&options->verifier_log, g_free);
  g_clear_pointer (&options->state_dir, g_free);
  g_clear_pointer (&options->system_root, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

static long
page_size_kib (void)
{
  return MAX (sysconf (_SC_PAGESIZE) / 1024, 1);
}

/* The kernel wants a ring buffer's size to be a power of two and a
 * multiple of the page size. */
static gboolean
valid_ring_size (int kib)
{
  return kib >= page_size_kib () && kib <= MAX_RING_KIB && (kib & (kib - 1)) == 0;
}

static gboolean
parse_options (Options   *options,
               int       *argc,
               char    ***argv,
               GError   **error)
{
  const GOptionEntry entries[] = {
    { "standalone", 0, 0, G_OPTION_ARG_NONE, &options->standalone,
      "Run the collector without D-Bus and print records on stdout", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &options->json,
      "With --standalone: one JSON object per connection per tick", NULL },
    { "interval", 0, 0, G_OPTION_ARG_INT, &options->interval_ms,
      "With --standalone: milliseconds between ticks (" G_STRINGIFY (NETPULSE_INTERVAL_MIN_MS) "–"
      G_STRINGIFY (NETPULSE_INTERVAL_MAX_MS) ", default " G_STRINGIFY (NETPULSE_INTERVAL_DEFAULT_MS) ")", "MS" },
    { "duration", 0, 0, G_OPTION_ARG_INT, &options->duration_s,
      "With --standalone: stop after this many seconds (default: run until interrupted)", "S" },
    { "max-flows", 0, 0, G_OPTION_ARG_INT, &options->max_flows,
      "Size of the kernel flow table (default 65536)", "N" },
    { "max-peers-per-socket", 0, 0, G_OPTION_ARG_INT, &options->max_peers_per_socket,
      "Per-peer entries one unconnected UDP socket may hold; its further peers are counted "
      "together in one record (default 1024)", "N" },
    { "max-peers-per-uid", 0, 0, G_OPTION_ARG_INT, &options->max_peers_per_uid,
      "Per-peer UDP entries one user may hold (default: an eighth of --max-flows)", "N" },
    { "closed-ring-size", 0, 0, G_OPTION_ARG_INT, &options->closed_ring_kib,
      "Size of the ring buffer that carries closed TCP connections out of the kernel, "
      "in KiB: a power of two, at least one page (default 8192)", "KIB" },
    { "udp-idle", 0, 0, G_OPTION_ARG_INT, &options->udp_idle_ms,
      "Report a UDP flow closed after this many idle milliseconds (default 5000)", "MS" },
    { "backend", 0, 0, G_OPTION_ARG_STRING, &options->backend,
      "Use only this set of hooks: fentry, kprobe or tracepoint (default: the best that loads)", "NAME" },
    { "verifier-log", 0, 0, G_OPTION_ARG_FILENAME, &options->verifier_log,
      "Where to write the log of programs the kernel rejected", "PATH" },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &options->idle_timeout_ms,
      "D-Bus service: exit after this many milliseconds without subscribers (default 30000)", "MS" },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &options->state_dir,
      "D-Bus service: where the usage history is kept (default $STATE_DIRECTORY, "
      "else " NETPULSE_RECORDER_DEFAULT_STATE_DIR ")", "DIR" },
    { "history-bucket-ms", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &options->history_bucket_ms,
      "For tests: length of the finest history bucket (default 60000)", "MS" },
    { "system-root", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &options->system_root,
      "For tests: the root under which /run/systemd/system and /etc/systemd/system are "
      "(recording at boot; default /)", "DIR" },
    { "replace", 0, 0, G_OPTION_ARG_NONE, &options->replace,
      "D-Bus service: replace a running helper", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &options->verbose,
      "Print debug messages", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &options->version,
      "Print the version and exit", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);

  g_option_context_set_summary (context,
    "The privileged Netpulse helper.  Without options it serves " HELPER_BUS_NAME
    " on the system bus (normally started by D-Bus activation).");
  g_option_context_add_main_entries (context, entries, NULL);

  options->interval_ms = NETPULSE_INTERVAL_DEFAULT_MS;
  options->idle_timeout_ms = 30000;

  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;

  if (options->interval_ms < NETPULSE_INTERVAL_MIN_MS || options->interval_ms > NETPULSE_INTERVAL_MAX_MS)
    return g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--interval must be between %d and %d ms", NETPULSE_INTERVAL_MIN_MS, NETPULSE_INTERVAL_MAX_MS), FALSE;
  if (options->duration_s < 0 || options->max_flows < 0 || options->udp_idle_ms < 0 || options->idle_timeout_ms < 0)
    return g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--duration, --max-flows, --udp-idle and --idle-timeout cannot be negative"), FALSE;
  if (options->max_peers_per_socket < 0 || options->max_peers_per_uid < 0)
    return g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--max-peers-per-socket and --max-peers-per-uid cannot be negative"), FALSE;
  if (options->history_bucket_ms < 0 || (options->history_bucket_ms > 0 && options->history_bucket_ms < 200))
    return g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--history-bucket-ms must be at least 200"), FALSE;
  if (options->max_flows != 0 && options->max_flows < 16)
    return g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--max-flows must be at least 16"), FALSE;
  if (options->closed_ring_kib != 0 && !valid_ring_size (options->closed_ring_kib))
    return g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--closed-ring-size must be a power of two from %ld to %d KiB",
                        page_size_kib (), MAX_RING_KIB), FALSE;
  return TRUE;
}

static NetpulseCollectorConfig
collector_config (const Options *options)
{
  NetpulseCollectorConfig config = {
    .max_flows = options->max_flows,
    .max_peers_per_socket = options->max_peers_per_socket,
    .max_peers_per_uid = options->max_peers_per_uid,
    .closed_ring_bytes = (guint) options->closed_ring_kib * 1024,
    .udp_idle_ms = options->udp_idle_ms,
    .backend = options->backend,
    .verifier_log = options->verifier_log,
  };
  return config;
}

int
main (int   argc,
      char *argv[])
{
  g_auto(Options) options = { 0 };
  g_autoptr(GError) error = NULL;
  int quit_fd;

  /* Before any thread exists, so that all of them inherit the mask: see
   * netpulse-all-threads.h. */
  quit_fd = netpulse_all_threads_block_quit_signals ();
  if (quit_fd < 0)
    {
      g_printerr ("netpulse-helper: signalfd: %s\n", g_strerror (errno));
      return 1;
    }

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* All log messages go to stderr.  GLib's default writer sends debug and
   * info messages to stdout, but stdout is the record stream in --standalone
   * mode, and in service mode it is whatever the bus gave us: dbus-daemon
   * without a journal hands down its own stdout, which may be a pipe that
   * nobody reads.  Once its buffer was full, a --verbose helper blocked in
   * a debug message and stopped answering. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (!parse_options (&options, &argc, &argv, &error))
    {
      g_printerr ("netpulse-helper: %s\n", error->message);
      return EXIT_USAGE;
    }

  if (options.version)
    {
      g_print ("netpulse-helper %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (options.verbose)
    g_log_set_debug_enabled (TRUE);

  if (options.standalone)
    {
      NetpulseStandaloneConfig config = {
        .collector = collector_config (&options),
        .interval_ms = options.interval_ms,
        .duration_s = options.duration_s,
        .json = options.json,
        .sandbox_capabilities = netpulse_sandbox_capabilities_to_keep (),
        .quit_fd = quit_fd,
      };
      return netpulse_standalone_main (&config);
    }
  else
    {
      NetpulseServiceConfig config = { 0 };

      /* Where systemd runs, only its unit gives the helper its sandbox
       * before it starts (the activation file's comment says why the bus
       * may still take the Exec= line). */
      if (!netpulse_sandbox_check_activation (&error))
        {
          g_printerr ("netpulse-helper: %s\n", error->message);
          return 1;
        }

      config.collector = collector_config (&options);
      config.idle_timeout_ms = options.idle_timeout_ms;
      config.replace = options.replace;
      /* systemd's StateDirectory= tells where it made the directory. */
      config.state_dir = options.state_dir != NULL ? options.state_dir : g_getenv ("STATE_DIRECTORY");
      config.history_bucket_ms = (guint64) options.history_bucket_ms;
      config.system_root = options.system_root;
      config.sandbox_capabilities = netpulse_sandbox_capabilities_to_keep ();
      config.quit_fd = quit_fd;
      return netpulse_service_main (&config);
    }
}
