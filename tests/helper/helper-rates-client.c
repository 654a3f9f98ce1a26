/* helper-rates-client.c — a NetpulseClient (the library the app and
 * netpulsectl use) for the rates, SetOptions and instance id tests:
 *
 *   helper-rates-client watch INTERVAL_MS COUNT NETNS [AT_FRAME NEW_INTERVAL_MS]
 *       Subscribes and prints one JSON line per update (COUNT of them):
 *       sequence, sample time, arrival time, the helper run's instance id
 *       and the records of network namespace NETNS (0: all).  With AT_FRAME,
 *       after that update it changes the live subscription to NEW_INTERVAL_MS
 *       (netpulse_client_set_options_async()), then tries two values out of
 *       bounds, printing one JSON line per answer.  Exits 1 on any
 *       "snapshot" after the first frame (ids and totals must go on) or a state other than
 *       SUBSCRIBED before the end.
 *   helper-rates-client instance
 *       Subscribes, waits for the first frame, unsubscribes, subscribes
 *       again with the same client and waits again; prints the instance
 *       id seen each time.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netpulse-client.h"
#include "netpulse-protocol.h"

typedef struct
{
  NetpulseClient *client;
  GMainLoop      *loop;
  guint           interval_ms;
  guint           count;
  guint           netns;
  guint           at_frame;
  guint           new_interval_ms;
  guint           updates;
  guint           pending_calls;
  guint           answered;       /* SetOptions answers so far */
  gboolean        failed;
} Watch;

static void
print_record (GString              *line,
              const NetpulseRecord *r)
{
  g_string_append_printf (line,
                          "{\"id\":%" G_GUINT64_FORMAT ",\"pid\":%u,\"lport\":%u,\"rport\":%u,"
                          "\"tx_bytes\":%" G_GUINT64_FORMAT ",\"rx_bytes\":%" G_GUINT64_FORMAT ","
                          "\"tx_rate\":%.3f,\"rx_rate\":%.3f,\"tx_rate_avg\":%.3f,\"rx_rate_avg\":%.3f,"
                          "\"flags\":%u}",
                          r->id, r->pid, r->lport, r->rport, r->tx_bytes, r->rx_bytes,
                          r->tx_rate, r->rx_rate, r->tx_rate_avg, r->rx_rate_avg, r->flags);
}

static void
print_json (const char *line)
{
  fputs (line, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

static void
print_set_result (const char   *what,
                  const GError *error)
{
  g_autofree char *line = NULL;
  g_autofree char *message = NULL;

  if (error == NULL)
    {
      line = g_strdup_printf ("{\"set\":\"%s\",\"ok\":true}", what);
      print_json (line);
      return;
    }

  /* Quotes and backslashes out of the message: it only has to be JSON. */
  message = g_strdelimit (g_strdup (error->message), "\"\\\n", '\'');
  line = g_strdup_printf ("{\"set\":\"%s\",\"ok\":false,\"helper_failed\":%s,\"message\":\"%s\"}",
                          what,
                          g_error_matches (error, NETPULSE_CLIENT_ERROR,
                                           NETPULSE_CLIENT_ERROR_HELPER_FAILED) ? "true" : "false",
                          message);
  print_json (line);
}

static void
maybe_quit (Watch *watch)
{
  if (watch->updates >= watch->count && watch->pending_calls == 0)
    g_main_loop_quit (watch->loop);
}

/* What change_options() asks, in order: calls on one connection are
 * answered in the order they were made. */
static const char *const set_labels[] = { "interval", "interval-too-short", "window-too-long" };

static void
set_done_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  Watch *watch = user_data;
  g_autoptr(GError) error = NULL;

  netpulse_client_set_options_finish (NETPULSE_CLIENT (object), result, &error);
  print_set_result (set_labels[MIN (watch->answered, G_N_ELEMENTS (set_labels) - 1)], error);
  watch->answered++;
  watch->pending_calls--;
  maybe_quit (watch);
}

static void
change_options (Watch *watch)
{
  watch->pending_calls += 3;
  netpulse_client_set_options_async (watch->client, watch->new_interval_ms, 0, NULL,
                                     set_done_cb, watch);
  netpulse_client_set_options_async (watch->client, NETPULSE_INTERVAL_MIN_MS - 1, 0, NULL,
                                     set_done_cb, watch);
  netpulse_client_set_options_async (watch->client, 0, NETPULSE_WINDOW_MAX_MS + 1, NULL,
                                     set_done_cb, watch);
}

/* One line per frame: the first (a snapshot) and every update after it. */
static void
print_frame (Watch          *watch,
             guint64         sequence,
             guint64         timestamp_ns,
             GArray         *records)
{
  g_autoptr(GString) line = g_string_new (NULL);
  gboolean first = TRUE;

  if (watch->updates >= watch->count)
    return;
  watch->updates++;

  g_string_append_printf (line, "{\"sequence\":%" G_GUINT64_FORMAT ",\"ts_ns\":%" G_GUINT64_FORMAT
                          ",\"mono_us\":%" G_GINT64_FORMAT ",\"instance\":\"%s\",\"subscription\":\"%s\","
                          "\"records\":[",
                          sequence, timestamp_ns, g_get_monotonic_time (),
                          netpulse_client_get_instance_id (watch->client),
                          netpulse_client_get_subscription (watch->client));
  for (guint i = 0; i < records->len; i++)
    {
      const NetpulseRecord *r = &g_array_index (records, NetpulseRecord, i);

      if (watch->netns != 0 && r->netns != watch->netns)
        continue;
      if (!first)
        g_string_append_c (line, ',');
      print_record (line, r);
      first = FALSE;
    }
  g_string_append (line, "]}");
  print_json (line->str);

  if (watch->at_frame != 0 && watch->updates == watch->at_frame)
    change_options (watch);
  maybe_quit (watch);
}

static void
on_update (NetpulseClient *client,
           guint64         sequence,
           guint64         timestamp_ns,
           GArray         *changed,
           GArray         *removed,
           gpointer        user_data)
{
  print_frame (user_data, sequence, timestamp_ns, changed);
}

/* The first frame is the whole table; any later snapshot would mean the
 * subscription started again (ids and totals must go on). */
static void
on_snapshot (NetpulseClient *client,
             guint64         sequence,
             guint64         timestamp_ns,
             GArray         *records,
             gpointer        user_data)
{
  Watch *watch = user_data;

  if (sequence == 1)
    {
      print_frame (watch, sequence, timestamp_ns, records);
      return;
    }
  g_printerr ("unexpected SNAPSHOT %" G_GUINT64_FORMAT "\n", sequence);
  watch->failed = TRUE;
  g_main_loop_quit (watch->loop);
}

static void
on_state (NetpulseClient *client,
          GParamSpec     *pspec,
          gpointer        user_data)
{
  Watch *watch = user_data;
  const GError *error = netpulse_client_get_error (client);

  if (netpulse_client_get_state (client) == NETPULSE_CLIENT_STATE_FAILED)
    {
      g_printerr ("subscription failed: %s\n", error ? error->message : "?");
      watch->failed = TRUE;
      g_main_loop_quit (watch->loop);
    }
}

static void
subscribed_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Watch *watch = user_data;
  g_autoptr(GError) error = NULL;

  if (!netpulse_client_subscribe_finish (NETPULSE_CLIENT (object), result, &error))
    {
      g_printerr ("Subscribe failed: %s\n", error->message);
      watch->failed = TRUE;
      g_main_loop_quit (watch->loop);
    }
}

static int
run_watch (Watch *watch)
{
  g_signal_connect (watch->client, "update", G_CALLBACK (on_update), watch);
  g_signal_connect (watch->client, "snapshot", G_CALLBACK (on_snapshot), watch);
  g_signal_connect (watch->client, "notify::state", G_CALLBACK (on_state), watch);
  netpulse_client_subscribe_async (watch->client, watch->interval_ms, NULL, subscribed_cb, watch);
  g_main_loop_run (watch->loop);
  netpulse_client_unsubscribe (watch->client);
  return watch->failed ? 1 : 0;
}

/* instance: the same run across two subscriptions. */
static int
run_instance (Watch *watch)
{
  for (guint i = 0; i < 2 && !watch->failed; i++)
    {
      g_autofree char *line = NULL;

      watch->updates = 0;
      watch->count = 1;
      run_watch (watch);
      g_signal_handlers_disconnect_by_data (watch->client, watch);
      line = g_strdup_printf ("{\"round\":%u,\"instance_id\":\"%s\"}", i,
                              netpulse_client_get_instance_id (watch->client));
      print_json (line);
    }
  return watch->failed ? 1 : 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(NetpulseClient) client = netpulse_client_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Watch watch = { .client = client, .loop = loop, .interval_ms = 1000 };

  if (argc >= 5 && g_str_equal (argv[1], "watch"))
    {
      watch.interval_ms = (guint) g_ascii_strtoull (argv[2], NULL, 10);
      watch.count = (guint) g_ascii_strtoull (argv[3], NULL, 10);
      watch.netns = (guint) g_ascii_strtoull (argv[4], NULL, 10);
      if (argc >= 7)
        {
          watch.at_frame = (guint) g_ascii_strtoull (argv[5], NULL, 10);
          watch.new_interval_ms = (guint) g_ascii_strtoull (argv[6], NULL, 10);
        }
      return run_watch (&watch);
    }
  if (argc == 2 && g_str_equal (argv[1], "instance"))
    return run_instance (&watch);

  g_printerr ("usage: %s watch INTERVAL_MS COUNT NETNS [AT_FRAME NEW_INTERVAL_MS] | instance\n", argv[0]);
  return 2;
}
