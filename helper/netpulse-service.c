/* netpulse-service.c — the io.github.netpulse.Helper1 D-Bus service: bus
 * connection, name ownership, signals and the exit policy around a
 * NetpulseMonitor.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-service"

#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "netpulse-authority.h"
#include "netpulse-helper-error.h"
#include "netpulse-monitor.h"
#include "netpulse-sandbox.h"
#include "netpulse-service.h"

/* The bus answers RequestName at once; if it has not after this long,
 * something is badly wrong and a D-Bus activation attempt has timed out
 * anyway. */
#define NAME_ACQUIRE_TIMEOUT_MS 10000

typedef struct
{
  GMainLoop *loop;
  int        status;
  gboolean   name_acquired;
  guint      acquire_timeout_id;
} ServiceState;

static void
quit (ServiceState *state,
      int           status)
{
  state->status = status;
  g_main_loop_quit (state->loop);
}

static void
name_acquired_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  ServiceState *state = user_data;

  g_message ("Acquired the name %s", name);
  state->name_acquired = TRUE;
  g_clear_handle_id (&state->acquire_timeout_id, g_source_remove);
}

static void
name_lost_cb (GDBusConnection *connection,
              const char      *name,
              gpointer         user_data)
{
  ServiceState *state = user_data;

  if (connection == NULL || g_dbus_connection_is_closed (connection))
    {
      g_message ("Lost the connection to the system bus, exiting");
      quit (state, state->name_acquired ? 0 : 1);
    }
  else if (state->name_acquired)
    {
      g_message ("Another helper took over the name %s, exiting", name);
      quit (state, 0);
    }
  else
    {
      g_warning ("Could not acquire the name %s (not root, missing bus policy, "
                 "or another helper running without allowing replacement)", name);
      quit (state, 1);
    }
}

static gboolean
acquire_timeout_cb (gpointer user_data)
{
  ServiceState *state = user_data;

  state->acquire_timeout_id = 0;
  g_warning ("The bus did not give us the name " HELPER_BUS_NAME " in time, exiting");
  quit (state, 1);
  return G_SOURCE_REMOVE;
}

static gboolean
signal_cb (int          fd,
           GIOCondition condition,
           gpointer     user_data)
{
  ServiceState *state = user_data;
  struct signalfd_siginfo info;

  if (read (fd, &info, sizeof info) != sizeof info)
    return G_SOURCE_CONTINUE;
  g_message ("Terminated, exiting");
  quit (state, 0);
  return G_SOURCE_CONTINUE;
}

static void
monitor_idle_cb (NetpulseMonitor *monitor,
                 gpointer         user_data)
{
  quit (user_data, 0);
}
typedef struct {
  gboolean done;
} Flush;

static void
flush_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Flush *flush = user_data;

  g_dbus_connection_flush_finish (G_DBUS_CONNECTION (object), result, NULL);
  flush->done = TRUE;
  g_rc_box_release (flush);
}

static gboolean
set_flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Lets the replies still queued go out before we exit, but never waits
 * more than a moment for the bus to read them (no flush_sync: a bus that
 * does not read must not keep a root process around).  The flush may
 * outlive this function: its state is reference-counted. */
static void
flush_briefly (GDBusConnection *bus)
{
  Flush *flush = g_rc_box_new0 (Flush);
  gboolean timed_out = FALSE;
  guint timeout_id = g_timeout_add_seconds (2, set_flag_cb, &timed_out);

  g_dbus_connection_flush (bus, NULL, flush_done_cb, g_rc_box_acquire (flush));
  while (!flush->done && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout_id);
  g_rc_box_release (flush);
}

int
netpulse_service_main (const NetpulseServiceConfig *config)
{
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(NetpulseAuthority) authority = NULL;
  g_autoptr(NetpulseMonitor) monitor = NULL;
  g_autoptr(NetpulseAuthority) configure_authority = NULL;
  g_autoptr(NetpulseRecorder) recorder = NULL;
  g_autoptr(NetpulseMetrics) metrics = NULL;
  g_autoptr(GError) error = NULL;
  NetpulseMonitorConfig monitor_config = { 0 };
  GBusNameOwnerFlags flags;
  ServiceState state = { 0 };
  guint owner_id;
  guint quit_id;

  g_return_val_if_fail (config != NULL, 1);

  /* Our error names on the wire, before any call can fail. */
  (void) NETPULSE_HELPER_ERROR;

  loop = g_main_loop_new (NULL, FALSE);
  state.loop = loop;

  /* Before the bus connection starts GLib's threads. */
  netpulse_sandbox_prepare_threads (config->sandbox_capabilities);

  bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  if (bus == NULL)
    {
      g_printerr ("netpulse-helper: cannot connect to the system bus: %s\n", error->message);
      return 1;
    }
  /* The default would raise SIGTERM when the bus goes away; the
   * name-lost callback ends the main loop instead, so that the kernel
   * programs are detached in order. */
  g_dbus_connection_set_exit_on_close (bus, FALSE);

  monitor_config.collector = &config->collector;
  monitor_config.sandbox_capabilities = config->sandbox_capabilities;
  monitor_config.idle_timeout_ms = config->idle_timeout_ms;
  monitor_config.max_per_client = config->max_subscriptions_per_client;
  monitor_config.max_total = config->max_subscriptions;

  authority = netpulse_authority_new (POLKIT_ACTION_ID);
  configure_authority = netpulse_authority_new (POLKIT_CONFIGURE_ACTION_ID);
  /* Opened as root before the sandbox; the directory stays writable for
   * root afterwards (the sandbox keeps uid 0, and seccomp refuses no file
   * call SQLite makes). */
  recorder = netpulse_recorder_new (config->state_dir, config->history_bucket_ms);
  netpulse_recorder_set_system_root (recorder, config->system_root);
  netpulse_recorder_load (recorder);
  monitor_config.recorder = recorder;
  /* Prometheus export: its setting lives next to the history. */
  metrics = netpulse_metrics_new (config->state_dir);
  netpulse_metrics_load (metrics);
  monitor_config.metrics = metrics;
  monitor_config.configure_authority = configure_authority;
  monitor = netpulse_monitor_new (&monitor_config, authority);
  g_signal_connect (monitor, "idle", G_CALLBACK (monitor_idle_cb), &state);

  /* Export before owning the name: calls that activated us are queued by
   * the bus until we own it, and must find the object there. */
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (monitor), bus,
                                         HELPER_OBJECT_PATH, &error))
    {
      g_printerr ("netpulse-helper: cannot export %s: %s\n", HELPER_OBJECT_PATH, error->message);
      return 1;
    }

  flags = G_BUS_NAME_OWNER_FLAGS_ALLOW_REPLACEMENT | G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE;
  if (config->replace)
    flags |= G_BUS_NAME_OWNER_FLAGS_REPLACE;
  owner_id = g_bus_own_name_on_connection (bus, HELPER_BUS_NAME, flags,
                                           name_acquired_cb, name_lost_cb,
                                           &state, NULL);
  state.acquire_timeout_id = g_timeout_add (NAME_ACQUIRE_TIMEOUT_MS, acquire_timeout_cb, &state);

  /* Not g_unix_signal_add(): see netpulse-all-threads.h. */
  quit_id = g_unix_fd_add (config->quit_fd, G_IO_IN, signal_cb, &state);

  netpulse_monitor_resume_recording (monitor);

  g_message ("netpulse-helper %s starting (idle timeout %u ms)", PACKAGE_VERSION, config->idle_timeout_ms);
  g_main_loop_run (loop);

  g_source_remove (quit_id);
  g_clear_handle_id (&state.acquire_timeout_id, g_source_remove);

  /* Detach the kernel programs first: nothing may outlive us. */
  netpulse_monitor_shutdown (monitor);

  g_bus_unown_name (owner_id);
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (monitor));
  if (!g_dbus_connection_is_closed (bus))
    flush_briefly (bus);

  return state.status;
}
