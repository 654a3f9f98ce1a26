/* test-client.c — NetpulseClient against a fake helper on a private bus.
 *
 * The bus is a real dbus-daemon (GTestDBus) that the client reaches as its
 * "system bus" through DBUS_SYSTEM_BUS_ADDRESS.  The fake helper lives in
 * this process on a connection of its own, owns io.github.netpulse.Helper1
 * and exports the generated skeleton, so every message really crosses the
 * bus: unicast signals, errors, name owner changes, and the subscription's
 * stream, a real socketpair whose one end goes through the bus as a file
 * descriptor.  The fake writes frames (good and hostile) on the other end.
 *
 * Without dbus-daemon the test is skipped (77), or fails under CI=true.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>

#include "netpulse-client.h"
#include "netpulse-frame.h"
#include "netpulse-helper1-generated.h"
#include "test-bus.h"

#define SUBSCRIPTION_PATH HELPER_OBJECT_PATH "/Subscription1"
#define HELPER_INTERFACE  NETPULSE_HELPER_INTERFACE

/* The fake helper {{{1 */

typedef struct {
  GDBusConnection       *connection;
  NetpulseHelper1       *skeleton;
  char                  *client;            /* unique name of the subscriber */
  int                    stream_fd;         /* our end of the last stream; -1: none */
  guint                  subscribe_calls;
  guint32                interval_ms;       /* of the last Subscribe */
  const char            *subscribe_error;   /* D-Bus error name to answer with */
  gboolean               hold_subscribe;
  GDBusMethodInvocation *held_subscribe;
  gboolean               hold_snapshot;
  guint                  snapshot_calls;
  GPtrArray             *unsubscribed;      /* paths */
  gboolean               authorized;
} FakeHelper;

static GVariant *
records_variant (const NetpulseRecord *records,
                 guint                 n)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, NETPULSE_RECORDS_TYPE);
  for (guint i = 0; i < n; i++)
    g_variant_builder_add_value (&builder, netpulse_record_to_variant (&records[i]));
  return g_variant_builder_end (&builder);
}

static NetpulseRecord
make_record (guint64     id,
             const char *comm,
             guint64     rx_bytes)
{
  NetpulseRecord r = { 0 };

  r.id = id;
  r.pid = 1000 + id;
  g_strlcpy (r.comm, comm, sizeof r.comm);
  r.proto = 6;
  r.family = 4;
  g_strlcpy (r.laddr, "127.0.0.1", sizeof r.laddr);
  r.lport = 40000 + id;
  g_strlcpy (r.raddr, "127.0.0.1", sizeof r.raddr);
  r.rport = 80;
  r.state = 1;
  r.rx_bytes = rx_bytes;
  r.rx_rate = 12.5;
  return r;
}

/* A fresh stream: our end in fake->stream_fd, the other in the reply. */
static void
fake_complete_subscribe (FakeHelper            *fake,
                         GDBusMethodInvocation *invocation)
{
  g_autoptr(GUnixFDList) fds = NULL;
  int pair[2];

  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair));
  if (fake->stream_fd >= 0)
    close (fake->stream_fd);
  fake->stream_fd = pair[0];
  fds = g_unix_fd_list_new_from_array (&pair[1], 1);
  netpulse_helper1_complete_subscribe (fake->skeleton, invocation, fds, SUBSCRIPTION_PATH,
                                       g_variant_new_handle (0));
}

static gboolean
on_handle_subscribe (NetpulseHelper1       *skeleton,
                     GDBusMethodInvocation *invocation,
                     GUnixFDList           *fd_list,
                     GVariant              *options,
                     FakeHelper            *fake)
{
  fake->subscribe_calls++;
  g_free (fake->client);
  fake->client = g_strdup (g_dbus_method_invocation_get_sender (invocation));
  fake->interval_ms = 0;
  g_variant_lookup (options, "interval-ms", "u", &fake->interval_ms);

  if (fake->subscribe_error != NULL)
    g_dbus_method_invocation_return_dbus_error (invocation, fake->subscribe_error,
                                                "the fake helper says no");
  else if (fake->hold_subscribe)
    fake->held_subscribe = invocation;
  else
    fake_complete_subscribe (fake, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_handle_unsubscribe (NetpulseHelper1       *skeleton,
                       GDBusMethodInvocation *invocation,
                       const char            *path,
                       FakeHelper            *fake)
{
  g_ptr_array_add (fake->unsubscribed, g_strdup (path));
  netpulse_helper1_complete_unsubscribe (skeleton, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_handle_get_snapshot (NetpulseHelper1       *skeleton,
                        GDBusMethodInvocation *invocation,
                        const char            *path,
                        FakeHelper            *fake)
{
  /* The client never needs one: its stream has no gaps. */
  fake->snapshot_calls++;
  netpulse_helper1_complete_get_snapshot (skeleton, invocation, 1);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_handle_check_authorization (NetpulseHelper1       *skeleton,
                               GDBusMethodInvocation *invocation,
                               gboolean               interactive,
                               FakeHelper            *fake)
{
  /* netpulse_client_get_status_async() must never make polkit prompt. */
  g_assert_false (interactive);
  netpulse_helper1_complete_check_authorization (skeleton, invocation, fake->authorized);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static FakeHelper *fake_helper_new_queued (gboolean queue);

static FakeHelper *
fake_helper_new (void)
{
  return fake_helper_new_queued (FALSE);
}

/* With @queue, waits in the bus's queue for the name while another fake
 * owns it, and takes it over when that one leaves. */
static FakeHelper *
fake_helper_new_queued (gboolean queue)
{
  FakeHelper *fake = g_new0 (FakeHelper, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  const char *features[] = { "btf", "tp_btf", NULL };
  GVariantBuilder counters;

  fake->connection = test_bus_connect (g_getenv ("DBUS_SYSTEM_BUS_ADDRESS"));
  fake->unsubscribed = g_ptr_array_new_with_free_func (g_free);
  fake->authorized = TRUE;
  fake->stream_fd = -1;

  fake->skeleton = netpulse_helper1_skeleton_new ();
  g_signal_connect (fake->skeleton, "handle-subscribe", G_CALLBACK (on_handle_subscribe), fake);
  g_signal_connect (fake->skeleton, "handle-unsubscribe", G_CALLBACK (on_handle_unsubscribe), fake);
  g_signal_connect (fake->skeleton, "handle-get-snapshot", G_CALLBACK (on_handle_get_snapshot), fake);
  g_signal_connect (fake->skeleton, "handle-check-authorization",
                    G_CALLBACK (on_handle_check_authorization), fake);

  netpulse_helper1_set_version (fake->skeleton, "9.8.7");
  netpulse_helper1_set_backend (fake->skeleton, "tracepoint");
  netpulse_helper1_set_kernel_features (fake->skeleton, features);
  g_variant_builder_init (&counters, G_VARIANT_TYPE ("a{st}"));
  g_variant_builder_add (&counters, "{st}", "flows", (guint64) 3);
  g_variant_builder_add (&counters, "{st}", "ticks", (guint64) 42);
  netpulse_helper1_set_counters (fake->skeleton, g_variant_builder_end (&counters));
  netpulse_helper1_set_subscriptions (fake->skeleton, 2);
  netpulse_helper1_set_instance_id (fake->skeleton, "00112233445566778899aabbccddeeff");

  g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (fake->skeleton),
                                    fake->connection, HELPER_OBJECT_PATH, &error);
  g_assert_no_error (error);

  reply = g_dbus_connection_call_sync (fake->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "RequestName",
                                       g_variant_new ("(su)", HELPER_BUS_NAME, queue ? 0 : 4 /* DO_NOT_QUEUE */),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                       NULL, &error);
  g_assert_no_error (error);
  {
    guint32 result = 0;

    g_variant_get (reply, "(u)", &result);
    g_assert_cmpuint (result, ==, queue ? 2 /* IN_QUEUE */ : 1 /* PRIMARY_OWNER */);
  }

  return fake;
}

/* Leaves the bus, as a crashing helper would. */
static void
fake_helper_disconnect (FakeHelper *fake)
{
  if (fake->connection == NULL)
    return;
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (fake->skeleton));
  g_dbus_connection_close_sync (fake->connection, NULL, NULL);
  g_clear_object (&fake->connection);
}

static void
fake_helper_free (FakeHelper *fake)
{
  if (fake == NULL)
    return;
  fake_helper_disconnect (fake);
  g_clear_object (&fake->held_subscribe);
  g_clear_object (&fake->skeleton);
  g_ptr_array_unref (fake->unsubscribed);
  if (fake->stream_fd >= 0)
    close (fake->stream_fd);
  g_free (fake->client);
  g_free (fake);
}

/* Writes @size bytes on the fake's end of the stream (blocking: frames
 * here are small).  A stream the client closed is fine: nothing arrives. */
static void
fake_write (FakeHelper *fake,
            const void *data,
            gsize       size)
{
  const guint8 *p = data;

  g_assert_cmpint (fake->stream_fd, >=, 0);
  while (size > 0)
    {
      gssize n = send (fake->stream_fd, p, size, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return;
      p += n;
      size -= n;
    }
}

static void
fake_frame (FakeHelper           *fake,
            guint64               sequence,
            guint32               flags,
            const NetpulseRecord *changed,
            guint                 n_changed,
            const guint64        *removed,
            guint                 n_removed,
            GVariant             *extra)
{
  GVariant *removed_v = g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, removed, n_removed,
                                                   sizeof (guint64));
  g_autoptr(GBytes) frame = NULL;

  if (extra == NULL)
    extra = g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0);
  frame = netpulse_frame_encode (g_variant_new ("(ttu@a" NETPULSE_RECORD_SIGNATURE "@at@a{sv})",
                                                sequence, sequence * 1000, flags,
                                                records_variant (changed, n_changed), removed_v,
                                                extra));
  fake_write (fake, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
}

/* A frame as the helper sends them: the first is a SNAPSHOT. */
static void
fake_emit (FakeHelper           *fake,
           guint64               sequence,
           const NetpulseRecord *changed,
           guint                 n_changed,
           const guint64        *removed,
           guint                 n_removed)
{
  fake_frame (fake, sequence, sequence == 1 ? NETPULSE_FRAME_SNAPSHOT : 0,
              changed, n_changed, removed, n_removed, NULL);
}

static void
fake_end_frame (FakeHelper *fake,
                guint64     sequence,
                const char *error_name,
                const char *message)
{
  g_auto(GVariantDict) extra = G_VARIANT_DICT_INIT (NULL);

  g_variant_dict_insert (&extra, "error", "s", error_name);
  g_variant_dict_insert (&extra, "message", "s", message);
  fake_frame (fake, sequence, NETPULSE_FRAME_END, NULL, 0, NULL, 0, g_variant_dict_end (&extra));
}

static void
emit_ended_from (GDBusConnection *connection,
                 const char      *destination,
                 const char      *path,
                 const char      *error_name)
{
  g_autoptr(GError) error = NULL;

  g_dbus_connection_emit_signal (connection, destination, HELPER_OBJECT_PATH, HELPER_INTERFACE,
                                 "Ended", g_variant_new ("(oss)", path, error_name, "the reason"),
                                 &error);
  g_assert_no_error (error);
}

/* What the client emitted {{{1 */

typedef struct {
  FakeHelper     *fake;
  NetpulseClient *client;
  GPtrArray      *events;      /* "snapshot 1: 7 8", "update 2: +1 +2 -3" */
  GArray         *last_changed;
  GAsyncResult   *result;
  guint           state_changes;
} Fixture;

static void
on_update (NetpulseClient *client,
           guint64         sequence,
           guint64         timestamp,
           GArray         *changed,
           GArray         *removed,
           Fixture        *fixture)
{
  GString *event = g_string_new (NULL);

  g_assert_cmpuint (timestamp, ==, sequence * 1000);
  g_string_append_printf (event, "update %" G_GUINT64_FORMAT ":", sequence);
  for (guint i = 0; i < changed->len; i++)
    g_string_append_printf (event, " +%" G_GUINT64_FORMAT,
                            g_array_index (changed, NetpulseRecord, i).id);
  for (guint i = 0; i < removed->len; i++)
    g_string_append_printf (event, " -%" G_GUINT64_FORMAT, g_array_index (removed, guint64, i));
  g_ptr_array_add (fixture->events, g_string_free (event, FALSE));

  g_clear_pointer (&fixture->last_changed, g_array_unref);
  fixture->last_changed = g_array_ref (changed);
}

static void
on_snapshot (NetpulseClient *client,
             guint64         sequence,
             guint64         timestamp,
             GArray         *records,
             Fixture        *fixture)
{
  GString *event = g_string_new (NULL);

  /* The frame's own time, the first frame's too. */
  g_assert_cmpuint (timestamp, ==, sequence * 1000);
  g_string_append_printf (event, "snapshot %" G_GUINT64_FORMAT ":", sequence);
  for (guint i = 0; i < records->len; i++)
    g_string_append_printf (event, " %" G_GUINT64_FORMAT,
                            g_array_index (records, NetpulseRecord, i).id);
  g_ptr_array_add (fixture->events, g_string_free (event, FALSE));
}

static void
on_state (NetpulseClient *client,
          GParamSpec     *pspec,
          Fixture        *fixture)
{
  fixture->state_changes++;
}

static char *
events_string (Fixture *fixture)
{
  GString *all = g_string_new (NULL);

  for (guint i = 0; i < fixture->events->len; i++)
    g_string_append_printf (all, "%s%s", i > 0 ? "; " : "",
                            (char *) g_ptr_array_index (fixture->events, i));
  return g_string_free (all, FALSE);
}

static void
store_result (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Fixture *fixture = user_data;

  g_assert_null (fixture->result);
  fixture->result = g_object_ref (result);
}

static gboolean
wake_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* How long ITERATE_UNTIL waits before failing the test: a condition that
 * never comes true must fail with its own text, not hang until meson's
 * timeout kills the whole binary. */
#define ITERATE_DEADLINE_SECONDS 20

#define ITERATE_UNTIL(cond) \
  G_STMT_START { \
    gint64 deadline_ = g_get_monotonic_time () + ITERATE_DEADLINE_SECONDS * G_USEC_PER_SEC; \
    guint wake_ = g_timeout_add (100, wake_cb, NULL); \
    while (!(cond)) \
      { \
        if (g_get_monotonic_time () > deadline_) \
          g_error ("Timed out after %d s waiting for %s", ITERATE_DEADLINE_SECONDS, #cond); \
        g_main_context_iteration (NULL, TRUE); \
      } \
    g_source_remove (wake_); \
  } G_STMT_END

/* Round trips through the bus until everything sent so far has arrived and
 * been dispatched: a ping from the client's connection to the fake's comes
 * back after all the fake sent before it. */
static void
settle (Fixture *fixture)
{
  g_autoptr(GDBusConnection) system_bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, NULL);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GVariant) reply = NULL;

      if (fixture->fake != NULL && fixture->fake->connection != NULL)
        reply = g_dbus_connection_call_sync (system_bus,
                                             g_dbus_connection_get_unique_name (fixture->fake->connection),
                                             "/", "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
                                             G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  with_fake)
{
  if (with_fake != NULL)
    fixture->fake = fake_helper_new ();
  fixture->client = netpulse_client_new ();
  fixture->events = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (fixture->client, "update", G_CALLBACK (on_update), fixture);
  g_signal_connect (fixture->client, "snapshot", G_CALLBACK (on_snapshot), fixture);
  g_signal_connect (fixture->client, "notify::state", G_CALLBACK (on_state), fixture);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  with_fake)
{
  NetpulseClient *client = fixture->client;

  g_object_add_weak_pointer (G_OBJECT (client), (gpointer *) &client);
  g_signal_handlers_disconnect_by_data (fixture->client, fixture);
  g_clear_object (&fixture->client);
  g_clear_object (&fixture->result);   /* a GTask holds its source object */
  /* Whatever the client still waits for completes, then it is gone. */
  settle (fixture);
  ITERATE_UNTIL (client == NULL);

  g_clear_pointer (&fixture->last_changed, g_array_unref);
  g_ptr_array_unref (fixture->events);
  fake_helper_free (fixture->fake);
}

static void
subscribe (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  netpulse_client_subscribe_async (fixture->client, 500, NULL, store_result, fixture);
  g_assert_cmpint (netpulse_client_get_state (fixture->client), ==, NETPULSE_CLIENT_STATE_CONNECTING);
  ITERATE_UNTIL (fixture->result != NULL);
  g_assert_true (netpulse_client_subscribe_finish (fixture->client, fixture->result, &error));
  g_assert_no_error (error);
  g_clear_object (&fixture->result);
  g_assert_cmpint (netpulse_client_get_state (fixture->client), ==, NETPULSE_CLIENT_STATE_SUBSCRIBED);
  g_assert_cmpstr (netpulse_client_get_subscription (fixture->client), ==, SUBSCRIPTION_PATH);
}

/* Tests {{{1 */

static void
test_error_mapping (void)
{
  struct {
    const char *name;
    int         code;
  } cases[] = {
    { "org.freedesktop.DBus.Error.ServiceUnknown", NETPULSE_CLIENT_ERROR_HELPER_MISSING },
    { "org.freedesktop.DBus.Error.NameHasNoOwner", NETPULSE_CLIENT_ERROR_HELPER_MISSING },
    { "org.freedesktop.DBus.Error.Spawn.ChildExited", NETPULSE_CLIENT_ERROR_HELPER_MISSING },
    { "org.freedesktop.DBus.Error.Spawn.ExecFailed", NETPULSE_CLIENT_ERROR_HELPER_MISSING },
    { "org.freedesktop.DBus.Error.Spawn.ServiceNotFound", NETPULSE_CLIENT_ERROR_HELPER_MISSING },
    { "io.github.netpulse.Error.NotAuthorized", NETPULSE_CLIENT_ERROR_NOT_AUTHORIZED },
    { "org.freedesktop.DBus.Error.AccessDenied", NETPULSE_CLIENT_ERROR_NOT_AUTHORIZED },
    { "io.github.netpulse.Error.BackendFailed", NETPULSE_CLIENT_ERROR_HELPER_FAILED },
    { "io.github.netpulse.Error.InvalidOption", NETPULSE_CLIENT_ERROR_HELPER_FAILED },
    { "io.github.netpulse.Error.TooManySubscriptions", NETPULSE_CLIENT_ERROR_HELPER_FAILED },
    { "org.freedesktop.DBus.Error.NoReply", NETPULSE_CLIENT_ERROR_HELPER_FAILED },
    { "org.freedesktop.DBus.Error.Failed", NETPULSE_CLIENT_ERROR_HELPER_FAILED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) remote = g_dbus_error_new_for_dbus_error (cases[i].name, "the reason");
      g_autoptr(GError) mapped = netpulse_client_error_from_dbus (remote);

      g_test_message ("%s → %s", cases[i].name, mapped->message);
      g_assert_error (mapped, NETPULSE_CLIENT_ERROR, cases[i].code);
      /* The remote message, without the "GDBus.Error:name:" prefix. */
      g_assert_nonnull (strstr (mapped->message, "the reason"));
      g_assert_null (strstr (mapped->message, "GDBus.Error"));
    }

  {
    g_autoptr(GError) closed = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, "gone");
    g_autoptr(GError) mapped = netpulse_client_error_from_dbus (closed);

    g_assert_error (mapped, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_BUS_UNAVAILABLE);
  }
  {
    g_autoptr(GError) timeout = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "slow");
    g_autoptr(GError) mapped = netpulse_client_error_from_dbus (timeout);

    g_assert_error (mapped, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_FAILED);
  }
  {
    g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "stop");
    g_autoptr(GError) mapped = netpulse_client_error_from_dbus (cancelled);

    g_assert_error (mapped, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  }
  {
    g_autoptr(GError) ours = g_error_new_literal (NETPULSE_CLIENT_ERROR,
                                                  NETPULSE_CLIENT_ERROR_HELPER_LOST, "lost");
    g_autoptr(GError) mapped = netpulse_client_error_from_dbus (ours);

    g_assert_error (mapped, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_LOST);
    g_assert_cmpstr (mapped->message, ==, "lost");
  }
}

static void
test_initial_state (Fixture       *fixture,
                    gconstpointer  data)
{
  g_assert_cmpint (netpulse_client_get_state (fixture->client), ==, NETPULSE_CLIENT_STATE_DISCONNECTED);
  g_assert_null (netpulse_client_get_error (fixture->client));
  g_assert_null (netpulse_client_get_subscription (fixture->client));
  g_assert_cmpstr (netpulse_client_get_backend (fixture->client), ==, "none");

  /* Unsubscribing when not subscribed is harmless. */
  netpulse_client_unsubscribe (fixture->client);
  g_assert_cmpint (netpulse_client_get_state (fixture->client), ==, NETPULSE_CLIENT_STATE_DISCONNECTED);
}

static void
test_helper_missing (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const GError *state_error;

  netpulse_client_subscribe_async (fixture->client, 1000, NULL, store_result, fixture);
  ITERATE_UNTIL (fixture->result != NULL);
  g_assert_false (netpulse_client_subscribe_finish (fixture->client, fixture->result, &error));
  g_assert_error (error, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_MISSING);

  g_assert_cmpint (netpulse_client_get_state (fixture->client), ==, NETPULSE_CLIENT_STATE_FAILED);
  state_error = netpulse_client_get_error (fixture->client);
  g_assert_error ((GError *) state_error, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_MISSING);
  g_assert_cmpstr (state_error->message, ==, error->message);
  g_assert_cmpuint (fixture->state_changes, ==, 2);   /* connecting, failed */

  /* Status fails the same way. */
  g_clear_object (&fixture->result);
  g_clear_error (&error);
  netpulse_client_get_status_async (fixture->client, NULL, store_result, fixture);
  ITERATE_UNTIL (fixture->result != NULL);
  g_assert_null (netpulse_client_get_status_finish (fixture->client, fixture->result, &error));
  g_assert_error (error, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_MISSING);
}

static void
test_updates (Fixture       *fixture,
              gconstpointer  data)
{
  NetpulseRecord first[] = { make_record (1, "curl", 100), make_record (2, "sshd", 200) };
  NetpulseRecord second[] = { make_record (1, "curl", 5000) };
  guint64 removed[] = { 2 };
  g_autofree char *events = NULL;

  subscribe (fixture);
  g_assert_cmpuint (fixture->fake->subscribe_calls, ==, 1);
  g_assert_cmpuint (fixture->fake->interval_ms, ==, 500);

  fake_emit (fixture->fake, 1, first, 2, NULL, 0);
  fake_emit (fixture->fake, 2, second, 1, removed, 1);
  ITERATE_UNTIL (fixture->events->len == 2);

  events = events_string (fixture);
  g_assert_cmpstr (events, ==, "snapshot 1: 1 2; update 2: +1 -2");

  /* The records arrive parsed. */
  g_assert_cmpuint (fixture->last_changed->len, ==, 1);
  g_assert_cmpstr (g_array_index (fixture->last_changed, NetpulseRecord, 0).comm, ==, "curl");
  g_assert_cmpuint (g_array_index (fixture->last_changed, NetpulseRecord, 0).rx_bytes, ==, 5000);
  g_assert_cmpuint (g_array_index (fixture->last_changed, NetpulseRecord, 0).lport, ==, 40001);
  g_assert_cmpstr (g_array_index (fixture->last_changed, NetpulseRecord, 0).raddr, ==, "127.0.0.1");
  g_assert_cmpuint (fixture->fake->snapshot_calls, ==, 0);

  /* The helper's Backend, from the property cache. */
  ITERATE_UNTIL (g_str_equal (netpulse_client_get_backend (fixture->client), "tracepoint"));
}

/* Waits until the client has failed; returns its error. */
static const GError *
wait_failed (Fixture *fixture)
{
  ITERATE_UNTIL (netpulse_client_get_state (fixture->client) == NETPULSE_CLIENT_STATE_FAILED);
  g_assert_null (netpulse_client_get_subscription (fixture->client));
  g_test_message ("failed: %s", netpulse_client_get_error (fixture->client)->message);
  return netpulse_client_get_error (fixture->client);
}

static void
test_snapshot_frame (Fixture       *fixture,
                     gconstpointer  data)
{
  /* The first frame is a snapshot, and so is a later SNAPSHOT (asked for
   * with GetSnapshot): each replaces the table. */
  NetpulseRecord one[] = { make_record (1, "a", 1) };
  NetpulseRecord snap[] = { make_record (7, "x", 7), make_record (8, "y", 8) };
  g_autofree char *events = NULL;

  subscribe (fixture);
  fake_emit (fixture->fake, 1, one, 1, NULL, 0);
  fake_frame (fixture->fake, 2, NETPULSE_FRAME_SNAPSHOT, snap, 2, NULL, 0, NULL);
  fake_emit (fixture->fake, 3, one, 1, NULL, 0);
  ITERATE_UNTIL (fixture->events->len == 3);
  events = events_string (fixture);
  g_assert_cmpstr (events, ==, "snapshot 1: 1; snapshot 2: 7 8; update 3: +1");
  g_assert_cmpuint (fixture->fake->snapshot_calls, ==, 0);
}

static void
test_gap (Fixture       *fixture,
          gconstpointer  data)
{
  /* The stream is reliable: a gap is a broken helper, not something to
   * paper over. */
  NetpulseRecord one[] = { make_record (1, "a", 1) };
  const GError *error;

  subscribe (fixture);
  fake_emit (fixture->fake, 1, one, 1, NULL, 0);
  fake_emit (fixture->fake, 3, one, 1, NULL, 0);
  error = wait_failed (fixture);
  g_assert_error ((GError *) error, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_FAILED);
  g_assert_nonnull (strstr (error->message, "frame 3 after frame 1"));
  g_assert_cmpuint (fixture->events->len, ==, 1);
  /* The helper is told. */
  ITERATE_UNTIL (fixture->fake->unsubscribed->len == 1);
}

static void
test_first_update_missing (Fixture       *fixture,
                           gconstpointer  data)
{
  /* The very first frame must be 1, and a SNAPSHOT. */
  NetpulseRecord one[] = { make_record (1, "a", 1) };

  subscribe (fixture);
  fake_frame (fixture->fake, 1, 0, one, 1, NULL, 0, NULL);
  g_assert_error ((GError *) wait_failed (fixture), NETPULSE_CLIENT_ERROR,
                  NETPULSE_CLIENT_ERROR_HELPER_FAILED);
  g_assert_cmpuint (fixture->events->len, ==, 0);

  subscribe (fixture);
  fake_emit (fixture->fake, 3, one, 1, NULL, 0);
  g_assert_error ((GError *) wait_failed (fixture), NETPULSE_CLIENT_ERROR,
                  NETPULSE_CLIENT_ERROR_HELPER_FAILED);
  g_assert_cmpuint (fixture->events->len, ==, 0);
}

static void
test_foreign_ended_ignored (Fixture       *fixture,
                            gconstpointer  data)
{
  NetpulseRecord real[] = { make_record (1, "good", 1) };
  g_autoptr(GDBusConnection) other = test_bus_connect (g_getenv ("DBUS_SYSTEM_BUS_ADDRESS"));
  g_autofree char *events = NULL;

  subscribe (fixture);

  /* Another process says our subscription ended, and the helper says one
   * that is not ours did: neither counts. */
  emit_ended_from (other, fixture->fake->client, SUBSCRIPTION_PATH,
                   "io.github.netpulse.Error.TooSlow");
  g_dbus_connection_flush_sync (other, NULL, NULL);
  emit_ended_from (fixture->fake->connection, fixture->fake->client,
                   HELPER_OBJECT_PATH "/Subscription99", "io.github.netpulse.Error.TooSlow");
  settle (fixture);
  g_assert_cmpint (netpulse_client_get_state (fixture->client), ==, NETPULSE_CLIENT_STATE_SUBSCRIBED);

  fake_emit (fixture->fake, 1, real, 1, NULL, 0);
  ITERATE_UNTIL (fixture->events->len == 1);
  events = events_string (fixture);
  g_assert_cmpstr (events, ==, "snapshot 1: 1");
}

static void
test_ended (Fixture       *fixture,
            gconstpointer  data)
{
  /* The three ways the helper ends a subscription: an END frame, the Ended
   * signal, and just closing the stream. */
  NetpulseRecord one[] = { make_record (1, "a", 1) };
  const GError *error;

  subscribe (fixture);
  fake_emit (fixture->fake, 1, one, 1, NULL, 0);
  fake_end_frame (fixture->fake, 2, "io.github.netpulse.Error.TooSlow", "did not read");
  error = wait_failed (fixture);
  g_assert_error ((GError *) error, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_SUBSCRIPTION_ENDED);
  g_assert_nonnull (strstr (error->message, "did not read"));
  g_assert_nonnull (strstr (error->message, "keep up"));
  g_assert_cmpuint (fixture->events->len, ==, 1);

  subscribe (fixture);
  emit_ended_from (fixture->fake->connection, fixture->fake->client, SUBSCRIPTION_PATH,
                   "io.github.netpulse.Error.NotAuthorized");
  error = wait_failed (fixture);
  g_assert_error ((GError *) error, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_NOT_AUTHORIZED);
  g_assert_nonnull (strstr (error->message, "the reason"));

  /* Ended, then the stream closes torn mid-frame: the signal's reason wins. */
  subscribe (fixture);
  emit_ended_from (fixture->fake->connection, fixture->fake->client, SUBSCRIPTION_PATH,
                   "io.github.netpulse.Error.TooSlow");
  fake_write (fixture->fake, "NPU1", 4);
  close (g_steal_fd (&fixture->fake->stream_fd));
  error = wait_failed (fixture);
  g_assert_error ((GError *) error, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_SUBSCRIPTION_ENDED);
  g_assert_nonnull (strstr (error->message, "keep up"));

  /* Only the end of the stream, between frames. */
  subscribe (fixture);
  fake_emit (fixture->fake, 1, one, 1, NULL, 0);
  close (g_steal_fd (&fixture->fake->stream_fd));
  error = wait_failed (fixture);
  g_assert_error ((GError *) error, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_SUBSCRIPTION_ENDED);
}

typedef struct {
  const char *name;
  guint32     magic;
  guint32     length;
  const char *payload;        /* GVariant text of any type; NULL: raw bytes */
  const char *raw;
  const char *expected;       /* in the error message */
} HostileFrame;

static void
test_hostile_stream (Fixture       *fixture,
                     gconstpointer  data)
{
  /* Frames no helper would write: each is refused with an error, the
   * client stays usable, nothing crashes (run under ASan too). */
  const HostileFrame cases[] = {
    { "bad-magic", 0x31555051, 4, NULL, "abcd", "bad magic" },
    { "too-long", NETPULSE_FRAME_MAGIC, NETPULSE_FRAME_MAX_LENGTH + 1, NULL, "", "longer than" },
    { "max-length", NETPULSE_FRAME_MAGIC, G_MAXUINT32, NULL, "", "longer than" },
    { "wrong-type", NETPULSE_FRAME_MAGIC, 0, "('/x', uint64 1)", NULL, "malformed" },
    { "records-as-string", NETPULSE_FRAME_MAGIC, 0,
      "(uint64 1, uint64 2, uint32 1, 'not records', [uint64 1], @a{sv} {})", NULL, "malformed" },
    { "garbage", NETPULSE_FRAME_MAGIC, 16, NULL, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "malformed" },
    { "empty", NETPULSE_FRAME_MAGIC, 0, NULL, "", "malformed" },
    { "truncated", NETPULSE_FRAME_MAGIC, 1000, NULL, "only a little", "middle of a frame" },
    { "short-header", 0, 0, NULL, NULL, "middle of a frame" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const HostileFrame *c = &cases[i];
      const GError *error;

      g_test_message ("case %s", c->name);
      subscribe (fixture);
      if (g_str_equal (c->name, "short-header"))
        fake_write (fixture->fake, "NPU", 3);
      else if (c->payload != NULL)
        {
          g_autoptr(GVariant) v = g_variant_ref_sink (g_variant_parse (NULL, c->payload, NULL, NULL, NULL));
          guint32 header[2] = { c->magic, (guint32) g_variant_get_size (v) };
          g_autofree guint8 *body = g_malloc (g_variant_get_size (v));

          g_assert_nonnull (v);
          g_variant_store (v, body);
          fake_write (fixture->fake, header, sizeof header);
          fake_write (fixture->fake, body, g_variant_get_size (v));
        }
      else
        {
          guint32 header[2] = { c->magic, c->length };

          fake_write (fixture->fake, header, sizeof header);
          fake_write (fixture->fake, c->raw, strlen (c->raw));
        }
      /* Truncated cases end here; the others are refused without it. */
      close (g_steal_fd (&fixture->fake->stream_fd));

      error = wait_failed (fixture);
      g_assert_error ((GError *) error, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_FAILED);
      g_assert_nonnull (strstr (error->message, c->expected));
      g_assert_cmpuint (fixture->events->len, ==, 0);
    }
}

static void
test_helper_lost (Fixture       *fixture,
                  gconstpointer  data)
{
  NetpulseRecord one[] = { make_record (1, "a", 1) };
  const GError *error;

  subscribe (fixture);
  fake_emit (fixture->fake, 1, one, 1, NULL, 0);
  ITERATE_UNTIL (fixture->events->len == 1);

  fake_helper_disconnect (fixture->fake);
  ITERATE_UNTIL (netpulse_client_get_state (fixture->client) == NETPULSE_CLIENT_STATE_FAILED);
  error = netpulse_client_get_error (fixture->client);
  g_assert_error ((GError *) error, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_LOST);
  g_assert_null (netpulse_client_get_subscription (fixture->client));

  /* A new helper: subscribing again works. */
  fake_helper_free (fixture->fake);
  fixture->fake = fake_helper_new ();
  subscribe (fixture);
  g_assert_null (netpulse_client_get_error (fixture->client));
  fake_emit (fixture->fake, 1, one, 1, NULL, 0);
  ITERATE_UNTIL (fixture->events->len == 2);
  g_assert_cmpstr (g_ptr_array_index (fixture->events, 1), ==, "snapshot 1: 1");
}

/* The helper leaves the bus with Subscribe unanswered (it was exiting
 * after its idle timeout as the call came): the client sends it once more,
 * to the helper the bus has now, and is subscribed.  A second helper that
 * leaves as well is reported. */
static void
test_helper_left_during_subscribe (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  FakeHelper *next = fake_helper_new_queued (TRUE);

  fixture->fake->hold_subscribe = TRUE;
  netpulse_client_subscribe_async (fixture->client, 1000, NULL, store_result, fixture);
  ITERATE_UNTIL (fixture->fake->held_subscribe != NULL);
  fake_helper_disconnect (fixture->fake);

  ITERATE_UNTIL (fixture->result != NULL);
  g_assert_true (netpulse_client_subscribe_finish (fixture->client, fixture->result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (next->subscribe_calls, ==, 1);
  g_assert_cmpint (netpulse_client_get_state (fixture->client), ==, NETPULSE_CLIENT_STATE_SUBSCRIBED);
  g_clear_object (&fixture->result);
  fake_helper_free (fixture->fake);
  fixture->fake = next;

  /* Once only: a helper that leaves again on the call sent again is lost. */
  netpulse_client_unsubscribe (fixture->client);
  next = fake_helper_new_queued (TRUE);
  fixture->fake->hold_subscribe = TRUE;
  next->hold_subscribe = TRUE;
  netpulse_client_subscribe_async (fixture->client, 1000, NULL, store_result, fixture);
  ITERATE_UNTIL (fixture->fake->held_subscribe != NULL);
  fake_helper_disconnect (fixture->fake);
  ITERATE_UNTIL (next->held_subscribe != NULL);
  fake_helper_disconnect (next);
  ITERATE_UNTIL (fixture->result != NULL);
  g_assert_false (netpulse_client_subscribe_finish (fixture->client, fixture->result, &error));
  g_assert_nonnull (error);
  g_assert_cmpint (netpulse_client_get_state (fixture->client), ==, NETPULSE_CLIENT_STATE_FAILED);
  fake_helper_free (next);
}

static void
test_refused (Fixture       *fixture,
              gconstpointer  data)
{
  struct {
    const char *name;
    int         code;
  } cases[] = {
    { "io.github.netpulse.Error.NotAuthorized", NETPULSE_CLIENT_ERROR_NOT_AUTHORIZED },
    { "org.freedesktop.DBus.Error.AccessDenied", NETPULSE_CLIENT_ERROR_NOT_AUTHORIZED },
    { "io.github.netpulse.Error.BackendFailed", NETPULSE_CLIENT_ERROR_HELPER_FAILED },
    { "io.github.netpulse.Error.TooManySubscriptions", NETPULSE_CLIENT_ERROR_HELPER_FAILED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      fixture->fake->subscribe_error = cases[i].name;
      netpulse_client_subscribe_async (fixture->client, 1000, NULL, store_result, fixture);
      ITERATE_UNTIL (fixture->result != NULL);
      g_assert_false (netpulse_client_subscribe_finish (fixture->client, fixture->result, &error));
      g_clear_object (&fixture->result);

      g_test_message ("%s → %s", cases[i].name, error->message);
      g_assert_error (error, NETPULSE_CLIENT_ERROR, cases[i].code);
      g_assert_nonnull (strstr (error->message, "the fake helper says no"));
      g_assert_cmpint (netpulse_client_get_state (fixture->client), ==, NETPULSE_CLIENT_STATE_FAILED);
      g_assert_error ((GError *) netpulse_client_get_error (fixture->client),
                      NETPULSE_CLIENT_ERROR, cases[i].code);
    }
}

static void
test_unsubscribe (Fixture       *fixture,
                  gconstpointer  data)
{
  NetpulseRecord one[] = { make_record (1, "a", 1) };
  g_autoptr(GError) error = NULL;

  subscribe (fixture);
  netpulse_client_unsubscribe_async (fixture->client, NULL, store_result, fixture);
  /* At once: no more updates are taken. */
  g_assert_cmpint (netpulse_client_get_state (fixture->client), ==, NETPULSE_CLIENT_STATE_DISCONNECTED);
  g_assert_null (netpulse_client_get_subscription (fixture->client));
  ITERATE_UNTIL (fixture->result != NULL);
  g_assert_true (netpulse_client_unsubscribe_finish (fixture->client, fixture->result, &error));
  g_assert_no_error (error);
  g_clear_object (&fixture->result);

  /* The helper heard it before we were told, and then the stream closed
   * (not before: the helper would take that for an unsubscription). */
  g_assert_cmpuint (fixture->fake->unsubscribed->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->fake->unsubscribed, 0), ==, SUBSCRIPTION_PATH);
  {
    char byte;

    settle (fixture);
    g_assert_cmpint (recv (fixture->fake->stream_fd, &byte, 1, MSG_DONTWAIT), ==, 0);
  }

  fake_emit (fixture->fake, 1, one, 1, NULL, 0);
  settle (fixture);
  g_assert_cmpuint (fixture->events->len, ==, 0);

  /* Subscribing again replaces; a second subscribe while subscribed ends
   * the first subscription. */
  subscribe (fixture);
  subscribe (fixture);
  settle (fixture);
  g_assert_cmpuint (fixture->fake->subscribe_calls, ==, 3);
  g_assert_cmpuint (fixture->fake->unsubscribed->len, ==, 2);

  /* The synchronous form. */
  netpulse_client_unsubscribe (fixture->client);
  ITERATE_UNTIL (fixture->fake->unsubscribed->len == 3);
}

static void
test_cancel_while_connecting (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  /* Subscribe waits (as it would for a password prompt). */
  fixture->fake->hold_subscribe = TRUE;
  netpulse_client_subscribe_async (fixture->client, 1000, cancellable, store_result, fixture);
  ITERATE_UNTIL (fixture->fake->held_subscribe != NULL);
  g_assert_cmpint (netpulse_client_get_state (fixture->client), ==, NETPULSE_CLIENT_STATE_CONNECTING);

  /* A second Subscribe meanwhile is refused. */
  {
    g_autoptr(GError) pending = NULL;
    Fixture other = { 0 };

    netpulse_client_subscribe_async (fixture->client, 1000, NULL, store_result, &other);
    ITERATE_UNTIL (other.result != NULL);
    g_assert_false (netpulse_client_subscribe_finish (fixture->client, other.result, &pending));
    g_assert_error (pending, G_IO_ERROR, G_IO_ERROR_PENDING);
    g_clear_object (&other.result);
  }

  /* Cancelling completes at once... */
  g_cancellable_cancel (cancellable);
  ITERATE_UNTIL (fixture->result != NULL);
  g_assert_false (netpulse_client_subscribe_finish (fixture->client, fixture->result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (netpulse_client_get_state (fixture->client), ==, NETPULSE_CLIENT_STATE_DISCONNECTED);
  g_clear_object (&fixture->result);

  /* ...and what the helper grants afterwards is handed back. */
  fake_complete_subscribe (fixture->fake, g_steal_pointer (&fixture->fake->held_subscribe));
  ITERATE_UNTIL (fixture->fake->unsubscribed->len == 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->fake->unsubscribed, 0), ==, SUBSCRIPTION_PATH);
  g_assert_cmpint (netpulse_client_get_state (fixture->client), ==, NETPULSE_CLIENT_STATE_DISCONNECTED);
}

static void
test_unsubscribe_while_connecting (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->fake->hold_subscribe = TRUE;
  netpulse_client_subscribe_async (fixture->client, 1000, NULL, store_result, fixture);
  ITERATE_UNTIL (fixture->fake->held_subscribe != NULL);

  netpulse_client_unsubscribe (fixture->client);
  g_assert_cmpint (netpulse_client_get_state (fixture->client), ==, NETPULSE_CLIENT_STATE_DISCONNECTED);
  ITERATE_UNTIL (fixture->result != NULL);
  g_assert_false (netpulse_client_subscribe_finish (fixture->client, fixture->result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  fake_complete_subscribe (fixture->fake, g_steal_pointer (&fixture->fake->held_subscribe));
  ITERATE_UNTIL (fixture->fake->unsubscribed->len == 1);
}

static void
test_status (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GVariant) counters = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree const char **features = NULL;
  const char *version = NULL, *backend = NULL, *instance = NULL, *authorization = NULL;
  guint32 subscriptions = 0;
  guint64 flows = 0;
  gboolean authorized = FALSE;

  netpulse_client_get_status_async (fixture->client, NULL, store_result, fixture);
  ITERATE_UNTIL (fixture->result != NULL);
  status = netpulse_client_get_status_finish (fixture->client, fixture->result, &error);
  g_assert_no_error (error);
  g_clear_object (&fixture->result);

  g_assert_true (g_variant_lookup (status, "version", "&s", &version));
  g_assert_cmpstr (version, ==, "9.8.7");
  g_assert_true (g_variant_lookup (status, "backend", "&s", &backend));
  g_assert_cmpstr (backend, ==, "tracepoint");
  g_assert_true (g_variant_lookup (status, "kernel-features", "^a&s", &features));
  g_assert_cmpuint (g_strv_length ((char **) features), ==, 2);
  g_assert_cmpstr (features[1], ==, "tp_btf");
  g_assert_true (g_variant_lookup (status, "subscriptions", "u", &subscriptions));
  g_assert_cmpuint (subscriptions, ==, 2);
  g_assert_true (g_variant_lookup (status, "instance", "&s", &instance));
  g_assert_cmpstr (instance, ==, "00112233445566778899aabbccddeeff");
  counters = g_variant_lookup_value (status, "counters", G_VARIANT_TYPE ("a{st}"));
  g_assert_nonnull (counters);
  g_assert_true (g_variant_lookup (counters, "flows", "t", &flows));
  g_assert_cmpuint (flows, ==, 3);
  g_assert_true (g_variant_lookup (status, "authorized", "b", &authorized));
  g_assert_true (authorized);
  g_assert_true (g_variant_lookup (status, "authorization", "&s", &authorization));
  g_assert_cmpstr (authorization, ==, "granted");

  /* Not authorized is an answer, not an error. */
  fixture->fake->authorized = FALSE;
  g_clear_pointer (&status, g_variant_unref);
  netpulse_client_get_status_async (fixture->client, NULL, store_result, fixture);
  ITERATE_UNTIL (fixture->result != NULL);
  status = netpulse_client_get_status_finish (fixture->client, fixture->result, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_lookup (status, "authorized", "b", &authorized));
  g_assert_false (authorized);
  /* The fake is an older helper (no CheckAuthorizationDetails): yes or no
   * is all it tells. */
  g_assert_true (g_variant_lookup (status, "authorization", "&s", &authorization));
  g_assert_cmpstr (authorization, ==, "denied");

  /* Status is no subscription. */
  g_assert_cmpuint (fixture->fake->subscribe_calls, ==, 0);
  g_assert_cmpint (netpulse_client_get_state (fixture->client), ==, NETPULSE_CLIENT_STATE_DISCONNECTED);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

static void
set_fake_counters (FakeHelper *fake,
                   guint64     flow_overflow,
                   guint64     peers_aggregated)
{
  GVariantBuilder counters;

  g_variant_builder_init (&counters, G_VARIANT_TYPE ("a{st}"));
  g_variant_builder_add (&counters, "{st}", "flows", (guint64) 3);
  g_variant_builder_add (&counters, "{st}", "flow-overflow", flow_overflow);
  g_variant_builder_add (&counters, "{st}", "peers-aggregated", peers_aggregated);
  netpulse_helper1_set_counters (fake->skeleton, g_variant_builder_end (&counters));
}

static void
test_counters (Fixture       *fixture,
               gconstpointer  data)
{
  guint notified = 0;
  guint64 flows = 0, peers = 0;
  gint64 start;

  g_signal_connect (fixture->client, "notify::counters", G_CALLBACK (count_notify), &notified);
  g_assert_null (netpulse_client_get_counters (fixture->client));
  g_assert_false (netpulse_counters_get_overflow (NULL, &flows, &peers));

  /* Read at once when subscribed. */
  subscribe (fixture);
  ITERATE_UNTIL (netpulse_client_get_counters (fixture->client) != NULL);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_true (g_variant_lookup (netpulse_client_get_counters (fixture->client), "flows", "t", &flows));
  g_assert_cmpuint (flows, ==, 3);
  g_assert_false (netpulse_counters_get_overflow (netpulse_client_get_counters (fixture->client), NULL, NULL));

  /* Then every 2 s: the overflow shows within a refresh or two (a generous
   * margin for loaded machines). */
  set_fake_counters (fixture->fake, 7, 5000);
  start = g_get_monotonic_time ();
  ITERATE_UNTIL (notified == 2);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
  g_assert_true (netpulse_counters_get_overflow (netpulse_client_get_counters (fixture->client), &flows, &peers));
  g_assert_cmpuint (flows, ==, 7);
  g_assert_cmpuint (peers, ==, 5000);

  /* Not while unsubscribed; the last values stay. */
  netpulse_client_unsubscribe (fixture->client);
  set_fake_counters (fixture->fake, 8, 6000);
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < 3 * G_USEC_PER_SEC)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  settle (fixture);
  g_assert_cmpuint (notified, ==, 2);
  g_assert_true (netpulse_counters_get_overflow (netpulse_client_get_counters (fixture->client), &flows, NULL));
  g_assert_cmpuint (flows, ==, 7);
}

static void
test_dispose_while_subscribed (Fixture       *fixture,
                               gconstpointer  data)
{
  subscribe (fixture);
  /* Dropping the client ends the subscription. */
  g_signal_handlers_disconnect_by_data (fixture->client, fixture);
  g_clear_object (&fixture->client);
  ITERATE_UNTIL (fixture->fake->unsubscribed->len == 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->fake->unsubscribed, 0), ==, SUBSCRIPTION_PATH);
  fixture->client = netpulse_client_new ();
}

/* main {{{1 */

#define ADD_BUS_TEST(path, func, with_fake) \
  g_test_add (path, Fixture, with_fake ? "fake" : NULL, fixture_setup, func, fixture_teardown)

int
main (int    argc,
      char **argv)
{
  g_autoptr(GTestDBus) bus = NULL;
  g_autoptr(GDBusConnection) system_bus = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client/error-mapping", test_error_mapping);

  test_bus_require_dbus_daemon ();

  /* Our private bus is the client's "system bus". */
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", g_test_dbus_get_bus_address (bus), TRUE);
  system_bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  g_assert_no_error (error);
  /* The shared connection must survive the bus going down at the end. */
  g_dbus_connection_set_exit_on_close (system_bus, FALSE);

  ADD_BUS_TEST ("/client/initial-state", test_initial_state, FALSE);
  ADD_BUS_TEST ("/client/helper-missing", test_helper_missing, FALSE);
  ADD_BUS_TEST ("/client/updates", test_updates, TRUE);
  ADD_BUS_TEST ("/client/snapshot-frame", test_snapshot_frame, TRUE);
  ADD_BUS_TEST ("/client/gap", test_gap, TRUE);
  ADD_BUS_TEST ("/client/first-update-missing", test_first_update_missing, TRUE);
  ADD_BUS_TEST ("/client/foreign-ended-ignored", test_foreign_ended_ignored, TRUE);
  ADD_BUS_TEST ("/client/ended", test_ended, TRUE);
  ADD_BUS_TEST ("/client/hostile-stream", test_hostile_stream, TRUE);
  ADD_BUS_TEST ("/client/helper-lost", test_helper_lost, TRUE);
  ADD_BUS_TEST ("/client/helper-left-during-subscribe", test_helper_left_during_subscribe, TRUE);
  ADD_BUS_TEST ("/client/refused", test_refused, TRUE);
  ADD_BUS_TEST ("/client/unsubscribe", test_unsubscribe, TRUE);
  ADD_BUS_TEST ("/client/cancel-while-connecting", test_cancel_while_connecting, TRUE);
  ADD_BUS_TEST ("/client/unsubscribe-while-connecting", test_unsubscribe_while_connecting, TRUE);
  ADD_BUS_TEST ("/client/status", test_status, TRUE);
  ADD_BUS_TEST ("/client/counters", test_counters, TRUE);
  ADD_BUS_TEST ("/client/dispose-while-subscribed", test_dispose_while_subscribed, TRUE);

  status = g_test_run ();

  g_dbus_connection_close_sync (system_bus, NULL, NULL);
  g_clear_object (&system_bus);
  g_test_dbus_down (bus);
  return status;
}
