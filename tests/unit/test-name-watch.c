/* test-name-watch.c — NetpulseNameWatch on a real dbus-daemon (GTestDBus).
 *
 * A watched connection that closes is reported gone, once; one that closed
 * before the watch began too; a bus that fails to answer NameHasOwner (as
 * a 25 s timeout on a busy bus would) is not taken for the name leaving;
 * dropping a watch before the bus answered is safe.
 *
 * Without dbus-daemon the test is skipped (77), or fails under CI=true.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <locale.h>

#include "netpulse-name-watch.h"
#include "test-bus.h"

#define WAIT_MS 5000

static GTestDBus *test_bus;

typedef struct {
  GDBusConnection *watcher;    /* the side that watches */
  GDBusConnection *watched;    /* the side that leaves */
  guint            gone_count;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->watcher = test_bus_connect (g_test_dbus_get_bus_address (test_bus));
  fixture->watched = test_bus_connect (g_test_dbus_get_bus_address (test_bus));
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  if (!g_dbus_connection_is_closed (fixture->watched))
    g_dbus_connection_close_sync (fixture->watched, NULL, NULL);
  g_dbus_connection_close_sync (fixture->watcher, NULL, NULL);
  g_clear_object (&fixture->watched);
  g_clear_object (&fixture->watcher);
}

static void
on_gone (NetpulseNameWatch *watch,
         gpointer           user_data)
{
  Fixture *fixture = user_data;

  fixture->gone_count++;
}

static gboolean
set_flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context for @ms, or until *@until is non-zero. */
static void
spin (guint        ms,
      const guint *until)
{
  gboolean elapsed = FALSE;
  guint id = g_timeout_add (ms, set_flag_cb, &elapsed);

  while (!elapsed && (until == NULL || *until == 0))
    g_main_context_iteration (NULL, TRUE);
  if (!elapsed)
    g_source_remove (id);
}

static void
round_trip_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, NULL);

  *(gboolean *) user_data = TRUE;
}

/* Waits until everything the bus sent @connection before now has been
 * dispatched: the bus answers a connection's calls in order, and GDBus runs
 * their callbacks in order, so the watch's NameHasOwner answer (asked for
 * earlier) has been handled once this call's answer is. */
static void
round_trip (GDBusConnection *connection)
{
  gboolean done = FALSE;

  g_dbus_connection_call (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "GetId", NULL, G_VARIANT_TYPE ("(s)"),
                          G_DBUS_CALL_FLAGS_NONE, WAIT_MS, NULL, round_trip_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_gone_on_close (Fixture       *fixture,
                    gconstpointer  data)
{
  const char *name = g_dbus_connection_get_unique_name (fixture->watched);
  g_autoptr(NetpulseNameWatch) watch = netpulse_name_watch_new (fixture->watcher, name);

  g_signal_connect (watch, "gone", G_CALLBACK (on_gone), fixture);
  g_assert_cmpstr (netpulse_name_watch_get_name (watch), ==, name);

  /* Present: the NameHasOwner answer must not say gone. */
  round_trip (fixture->watcher);
  g_assert_cmpuint (fixture->gone_count, ==, 0);
  g_assert_false (netpulse_name_watch_is_gone (watch));

  g_dbus_connection_close_sync (fixture->watched, NULL, NULL);
  spin (WAIT_MS, &fixture->gone_count);
  g_assert_cmpuint (fixture->gone_count, ==, 1);
  g_assert_true (netpulse_name_watch_is_gone (watch));

  /* Once only. */
  spin (200, NULL);
  g_assert_cmpuint (fixture->gone_count, ==, 1);
}

static void
test_gone_before_watch (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *name = g_strdup (g_dbus_connection_get_unique_name (fixture->watched));
  g_autoptr(NetpulseNameWatch) watch = NULL;
  g_autoptr(GVariant) reply = NULL;
  gboolean present = TRUE;

  g_dbus_connection_close_sync (fixture->watched, NULL, NULL);
  /* Wait until the bus itself has noticed. */
  for (guint i = 0; i < WAIT_MS / 20 && present; i++)
    {
      reply = g_dbus_connection_call_sync (fixture->watcher, "org.freedesktop.DBus",
                                           "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                           "NameHasOwner", g_variant_new ("(s)", name),
                                           G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE,
                                           -1, NULL, NULL);
      g_assert_nonnull (reply);
      g_variant_get (reply, "(b)", &present);
      g_clear_pointer (&reply, g_variant_unref);
      if (present)
        g_usleep (20 * 1000);
    }
  g_assert_false (present);

  watch = netpulse_name_watch_new (fixture->watcher, name);
  g_signal_connect (watch, "gone", G_CALLBACK (on_gone), fixture);
  spin (WAIT_MS, &fixture->gone_count);
  g_assert_cmpuint (fixture->gone_count, ==, 1);
}

/* Turns the bus's answer to NameHasOwner into an error, as if it had not
 * come in time.  Runs in GDBus's worker thread. */
static GDBusMessage *
fail_name_has_owner (GDBusConnection *connection,
                     GDBusMessage    *message,
                     gboolean         incoming,
                     gpointer         user_data)
{
  GDBusMessage *error_reply;

  if (!incoming ||
      g_dbus_message_get_message_type (message) != G_DBUS_MESSAGE_TYPE_METHOD_RETURN ||
      g_strcmp0 (g_dbus_message_get_sender (message), "org.freedesktop.DBus") != 0 ||
      g_strcmp0 (g_dbus_message_get_signature (message), "b") != 0)
    return message;

  error_reply = g_dbus_message_new ();
  g_dbus_message_set_message_type (error_reply, G_DBUS_MESSAGE_TYPE_ERROR);
  g_dbus_message_set_reply_serial (error_reply, g_dbus_message_get_reply_serial (message));
  g_dbus_message_set_sender (error_reply, "org.freedesktop.DBus");
  g_dbus_message_set_destination (error_reply, g_dbus_message_get_destination (message));
  g_dbus_message_set_error_name (error_reply, "org.freedesktop.DBus.Error.Timeout");
  g_dbus_message_set_body (error_reply, g_variant_new ("(s)", "Timed out (simulated by the test)"));
  g_object_unref (message);
  return error_reply;
}

static void
test_no_answer_is_not_gone (Fixture       *fixture,
                            gconstpointer  data)
{
  const char *name = g_dbus_connection_get_unique_name (fixture->watched);
  g_autoptr(NetpulseNameWatch) watch = NULL;
  guint filter_id = g_dbus_connection_add_filter (fixture->watcher, fail_name_has_owner, NULL, NULL);

  g_test_expect_message ("netpulse-name-watch", G_LOG_LEVEL_WARNING, "*Could not check whether*");
  watch = netpulse_name_watch_new (fixture->watcher, name);
  g_signal_connect (watch, "gone", G_CALLBACK (on_gone), fixture);
  /* Not a fixed wait: once the bus answered a later call, the (failed)
   * answer to the watch's question has been handled. */
  round_trip (fixture->watcher);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (fixture->gone_count, ==, 0);
  g_dbus_connection_remove_filter (fixture->watcher, filter_id);

  /* It still notices when the name really goes. */
  g_dbus_connection_close_sync (fixture->watched, NULL, NULL);
  spin (WAIT_MS, &fixture->gone_count);
  g_assert_cmpuint (fixture->gone_count, ==, 1);
}

static void
test_dropped_before_answer (Fixture       *fixture,
                            gconstpointer  data)
{
  const char *name = g_dbus_connection_get_unique_name (fixture->watched);
  NetpulseNameWatch *watch = netpulse_name_watch_new (fixture->watcher, name);

  g_signal_connect (watch, "gone", G_CALLBACK (on_gone), fixture);
  g_object_unref (watch);
  g_dbus_connection_close_sync (fixture->watched, NULL, NULL);
  /* The answer and the signal arrive for a watch that no longer exists. */
  spin (500, NULL);
  g_assert_cmpuint (fixture->gone_count, ==, 0);
}

#define ADD_TEST(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int    argc,
      char **argv)
{
  int status;

  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);
  test_bus_require_dbus_daemon ();

  test_bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (test_bus);

  ADD_TEST ("/name-watch/gone-on-close", test_gone_on_close);
  ADD_TEST ("/name-watch/gone-before-watch", test_gone_before_watch);
  ADD_TEST ("/name-watch/no-answer-is-not-gone", test_no_answer_is_not_gone);
  ADD_TEST ("/name-watch/dropped-before-answer", test_dropped_before_answer);

  status = g_test_run ();

  g_test_dbus_down (test_bus);
  g_clear_object (&test_bus);
  return status;
}
