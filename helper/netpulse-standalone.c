/* netpulse-standalone.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-standalone"

#include "config.h"

#include <glib-unix.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "netpulse-instance-id.h"
#include "netpulse-protocol.h"
#include "netpulse-sandbox.h"

#include "netpulse-standalone.h"
#include "netpulse-text.h"

#define EXIT_NOT_PERMITTED 77

typedef struct {
  const NetpulseStandaloneConfig *config;
  NetpulseCollector              *collector;
  GMainLoop                      *loop;
  GString                        *out;
  char                           *instance_id;
  guint64                         timestamp;
  guint64                         generation;
  int                             status;
} Standalone;

static void
append_table_row (const NetpulseRecord *r,
                  GString              *out)
{
  g_autofree char *local = netpulse_format_endpoint (r->laddr, r->lport);
  g_autofree char *remote = netpulse_format_endpoint (r->raddr, r->rport);
  g_autofree char *comm = NULL;

  /* The name is the process's own choice, not yet made UTF-8 here: it
   * reaches a terminal escaped, like netpulsectl's table. */
  g_string_append_printf (out, "%-7u %-15s %-4s %-28s %-28s %-12s %8u %10.0f %10.0f %12" G_GUINT64_FORMAT " %12" G_GUINT64_FORMAT "%s\n",
                          r->pid, netpulse_text_safe (r->comm, &comm), netpulse_record_proto_name (r), local, remote,
                          r->proto == 6 ? netpulse_tcp_state_name (r->state) : "-",
                          r->rtt_us, r->rx_rate, r->tx_rate, r->rx_bytes, r->tx_bytes,
                          (r->flags & NETPULSE_RECORD_CLOSED) ? " closed" : "");
}

static void
append_record (const NetpulseRecord *record,
               gpointer              user_data)
{
  Standalone *standalone = user_data;

  if (standalone->config->json)
    {
      netpulse_record_append_json (record, standalone->timestamp, standalone->out);
      /* The run's id as a last member (hex digits: nothing to escape). */
      g_string_truncate (standalone->out, standalone->out->len - 1);
      g_string_append_printf (standalone->out, ",\"instance\":\"%s\"}\n", standalone->instance_id);
    }
  else
    append_table_row (record, standalone->out);
}

/* Closed records are kept a while for D-Bus subscribers; print each once. */
static void
append_closed_record (const NetpulseRecord *record,
                      gpointer              user_data)
{
  if (record->flags & NETPULSE_RECORD_CLOSED)
    append_record (record, user_data);
}

static void
print_tick (Standalone *standalone)
{
  standalone->timestamp = netpulse_collector_get_timestamp (standalone->collector);
  g_string_truncate (standalone->out, 0);

  if (!standalone->config->json)
    g_string_append_printf (standalone->out, "%-7s %-15s %-4s %-28s %-28s %-12s %8s %10s %10s %12s %12s\n",
                            "PID", "COMM", "PROT", "LOCAL", "REMOTE", "STATE", "RTT(us)",
                            "RX B/s", "TX B/s", "RX", "TX");

  netpulse_collector_foreach_open (standalone->collector, NETPULSE_WINDOW_DEFAULT_MS,
                                   append_record, standalone);
  netpulse_collector_foreach_changed (standalone->collector, standalone->generation,
                                      NETPULSE_WINDOW_DEFAULT_MS, append_closed_record, standalone);
  standalone->generation = netpulse_collector_get_generation (standalone->collector);

  if (!standalone->config->json)
    g_string_append_c (standalone->out, '\n');
  fwrite (standalone->out->str, 1, standalone->out->len, stdout);
  fflush (stdout);
}

static gboolean
sample_and_print (Standalone *standalone)
{
  g_autoptr(GError) error = NULL;

  if (!netpulse_collector_sample (standalone->collector, &error))
    {
      g_printerr ("netpulse-helper: %s\n", error->message);
      standalone->status = 1;
      g_main_loop_quit (standalone->loop);
      return G_SOURCE_REMOVE;
    }
  print_tick (standalone);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_tick (gpointer user_data)
{
  return sample_and_print (user_data);
}

static gboolean
on_quit (gpointer user_data)
{
  Standalone *standalone = user_data;

  g_main_loop_quit (standalone->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_quit_signal (int          fd,
                GIOCondition condition,
                gpointer     user_data)
{
  Standalone *standalone = user_data;
  struct signalfd_siginfo info;

  if (read (fd, &info, sizeof info) != sizeof info)
    return G_SOURCE_CONTINUE;

  g_main_loop_quit (standalone->loop);
  return G_SOURCE_CONTINUE;
}

/* Counters go to stderr at exit, as one JSON object, so that stdout stays
 * one record per line. */
static void
print_counters (NetpulseCollector *collector)
{
  g_autoptr(GVariant) counters = netpulse_collector_get_counters (collector);
  g_autoptr(GString) line = g_string_new ("netpulse-helper: counters {");
  GVariantIter iter;
  const char *name;
  guint64 value;
  gboolean first = TRUE;

  g_variant_iter_init (&iter, counters);
  while (g_variant_iter_next (&iter, "{&st}", &name, &value))
    {
      g_string_append_printf (line, "%s\"%s\":%" G_GUINT64_FORMAT, first ? "" : ",", name, value);
      first = FALSE;
    }
  g_string_append (line, "}\n");
  fputs (line->str, stderr);
}

int
netpulse_standalone_main (const NetpulseStandaloneConfig *config)
{
  g_autoptr(NetpulseCollector) collector = netpulse_collector_new (&config->collector);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *instance_id = netpulse_instance_id_new ();
  Standalone standalone = { config, collector, loop, out, instance_id, 0, 0, 0 };
  guint tick_id, duration_id = 0, quit_id;

  if (!netpulse_collector_start (collector, &error))
    {
      g_printerr ("netpulse-helper: %s\n", error->message);
      return g_error_matches (error, NETPULSE_COLLECTOR_ERROR, NETPULSE_COLLECTOR_ERROR_NOT_PERMITTED)
             ? EXIT_NOT_PERMITTED : 1;
    }

  /* Attached, and the walk of existing sockets is done: from here on the
   * helper only reads maps and /proc. */
  if (!netpulse_sandbox_enter (config->sandbox_capabilities, &error))
    {
      g_printerr ("netpulse-helper: %s\n", error->message);
      netpulse_collector_stop (collector);
      return 1;
    }

  g_printerr ("netpulse-helper: backend %s ready\n", netpulse_collector_get_backend (collector));

  netpulse_collector_set_rate_rules (collector, config->interval_ms, NETPULSE_WINDOW_DEFAULT_MS);
  tick_id = g_timeout_add (config->interval_ms, on_tick, &standalone);
  if (config->duration_s > 0)
    duration_id = g_timeout_add_seconds (config->duration_s, on_quit, &standalone);
  /* Not g_unix_signal_add(): see netpulse-all-threads.h. */
  quit_id = g_unix_fd_add (config->quit_fd, G_IO_IN, on_quit_signal, &standalone);

  g_main_loop_run (loop);

  g_source_remove (tick_id);
  g_clear_handle_id (&duration_id, g_source_remove);
  g_source_remove (quit_id);

  /* A last sample, so that whatever happened since the previous tick
   * (a connection that closed just now) is not lost. */
  if (standalone.status == 0)
    sample_and_print (&standalone);

  print_counters (collector);
  netpulse_collector_stop (collector);
  return standalone.status;
}
