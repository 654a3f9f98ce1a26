/* test-sender.c — a subscriber's frame reaches its stream while the main
 * context is never idle.
 *
 * GDBus dispatches method calls at G_PRIORITY_DEFAULT.  Under a flood of
 * calls (tests/helper/test-helper-auth.py, test_auth_flood) the context
 * always had a call ready, so a frame handed back at an idle priority
 * waited, and the next tick skipped the subscriber's interval.  Here a
 * source at G_PRIORITY_DEFAULT that is always ready stands for the flood:
 * the frame must arrive all the same.  Needs root (the collector loads its
 * kernel programs); under CI=true it fails instead of skipping.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <poll.h>
#include <unistd.h>

#include "netpulse-collector.h"
#include "netpulse-sender.h"
#include "netpulse-stream.h"
#include "netpulse-subscription.h"

/* Far beyond the few milliseconds a worker thread takes to build a frame;
 * only reached when the frame is starved. */
#define HANG_GUARD_US (10 * G_USEC_PER_SEC)

static gboolean
flood_cb (gpointer user_data)
{
  guint64 *calls = user_data;

  (*calls)++;
  return G_SOURCE_CONTINUE;
}

static gboolean
readable (int fd)
{
  struct pollfd pfd = { .fd = fd, .events = POLLIN };

  return poll (&pfd, 1, 0) == 1 && (pfd.revents & POLLIN) != 0;
}

static void
test_frame_under_flood (void)
{
  g_autoptr(GError) error = NULL;
  NetpulseCollectorConfig config = { 0 };
  NetpulseSubscriptionOptions options;
  g_autoptr(NetpulseCollector) collector = NULL;
  g_autoptr(NetpulseStream) stream = NULL;
  g_autoptr(NetpulseSubscription) subscription = NULL;
  g_autoptr(NetpulseSender) sender = NULL;
  guint64 calls = 0;
  guint flood_id;
  gint64 deadline;
  int peer_fd = -1;

  if (geteuid () != 0)
    {
      if (g_strcmp0 (g_getenv ("CI"), "true") == 0)
        g_error ("test-sender needs root (the collector's kernel programs)");
      g_test_skip ("needs root");
      return;
    }

  collector = netpulse_collector_new (&config);
  g_assert_true (netpulse_collector_start (collector, &error));
  g_assert_no_error (error);
  g_assert_true (netpulse_collector_sample (collector, &error));

  stream = netpulse_stream_new (&peer_fd, &error);
  g_assert_no_error (error);
  netpulse_subscription_options_init (&options);
  subscription = netpulse_subscription_new ("/io/github/netpulse/Helper1/Subscription/1",
                                            ":1.42", &options, stream);
  sender = netpulse_sender_new ("test-sender");

  flood_id = g_idle_add_full (G_PRIORITY_DEFAULT, flood_cb, &calls, NULL);
  netpulse_sender_send_first (sender, collector, subscription);

  deadline = g_get_monotonic_time () + HANG_GUARD_US;
  while (!readable (peer_fd) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);

  g_test_message ("%" G_GUINT64_FORMAT " flood dispatches before the frame", calls);
  g_assert_true (readable (peer_fd));
  /* Built and handed to the stream.  The stream itself may still hold
   * the frame's tail: a snapshot of a machine with thousands of sockets
   * (the rest of the suite's) fills the socket's buffer, and nobody
   * reads here. */
  g_assert_cmpint (netpulse_subscription_is_busy (subscription), ==, netpulse_stream_is_busy (stream));

  g_source_remove (flood_id);
  netpulse_sender_shutdown (sender);
  close (peer_fd);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sender/frame-under-flood", test_frame_under_flood);
  return g_test_run ();
}
