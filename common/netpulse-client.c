/* netpulse-client.c — the client side of io.github.netpulse.Helper1.
 *
 * How a subscription works here:
 *
 *  - Subscribe is sent to the well-known name, so that it activates the
 *    helper if needed and reaches whichever process owns the name now (a
 *    GDBusProxy would send it to the unique name it last saw, which breaks
 *    when the helper just exited on idle).  The reply's sender is the unique
 *    name of the helper that holds our subscription: the Ended signal is
 *    only accepted from it and for our own path (any local process may send
 *    us a signal), and that unique name is what we watch to notice the
 *    helper leaving.  Unsubscribe goes to that unique name and never
 *    auto-starts a fresh helper.
 *
 *  - The records come through the file descriptor of Subscribe's reply, a
 *    stream of frames (netpulse-frame.h) read asynchronously.  The stream
 *    is reliable: sequence numbers must follow each other, the first frame
 *    must be a SNAPSHOT, and anything else is a broken helper.  A reader
 *    that falls behind only fills its own socket; the helper skips
 *    intervals for it and, past a documented limit, ends the subscription.
 *
 *  - How a subscription ends, as the helper tells it: an END frame or the
 *    Ended signal (with the reason), or only the end of the stream.  At the
 *    end of the stream we make one round trip to the helper before
 *    deciding: the Ended signal it sent before closing arrives first.
 *
 *  - A "session" is one subscription attempt and what follows it.  Every
 *    asynchronous callback carries the session number it belongs to and does
 *    nothing if the session has ended meanwhile.
 *
 * The generated proxy is used for the helper's properties (Backend) only:
 * it keeps them cached and up to date from PropertiesChanged.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-client"

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include <gio/gunixfdlist.h>
#include <gio/gunixinputstream.h>

#include "netpulse-client.h"
#include "netpulse-frame.h"
#include "netpulse-helper1-generated.h"
#include "netpulse-name-watch.h"

#define HELPER_INTERFACE   NETPULSE_HELPER_INTERFACE
#define ENDED_TYPE         G_VARIANT_TYPE ("(oss)")

/* Calls that may wait for a polkit password prompt. */
#define NO_TIMEOUT G_MAXINT

typedef struct _SubscribeAttempt SubscribeAttempt;

struct _NetpulseClient
{
  GObject              parent_instance;

  GDBusConnection     *connection;
  gulong               closed_handler;
  guint                ended_subscription;
  NetpulseHelper1     *proxy;
  GCancellable        *proxy_cancellable;

  NetpulseClientState  state;
  GError              *error;

  guint                session;
  SubscribeAttempt    *attempt;          /* while CONNECTING */
  GCancellable        *session_cancellable;
  char                *helper_owner;     /* unique name holding our subscription */
  char                *subscription;     /* its object path */
  NetpulseNameWatch   *owner_watch;
  NetpulseFrameReader *reader;           /* the subscription's stream */
  guint64              sequence;         /* of the last frame applied */
  GPtrArray           *cancelled_tasks;  /* subscribe tasks to complete, see stop() */

  GVariant            *counters;         /* a{st}: the helper's Counters, NULL until read */
  guint                counters_source;  /* refreshes them while subscribed */
  GCancellable        *counters_cancellable;
};

G_DEFINE_FINAL_TYPE (NetpulseClient, netpulse_client, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (NetpulseClientState, netpulse_client_state,
  G_DEFINE_ENUM_VALUE (NETPULSE_CLIENT_STATE_DISCONNECTED, "disconnected"),
  G_DEFINE_ENUM_VALUE (NETPULSE_CLIENT_STATE_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (NETPULSE_CLIENT_STATE_SUBSCRIBED, "subscribed"),
  G_DEFINE_ENUM_VALUE (NETPULSE_CLIENT_STATE_FAILED, "failed"))

G_DEFINE_QUARK (netpulse-client-error-quark, netpulse_client_error)

enum {
  PROP_0,
  PROP_STATE,
  PROP_BACKEND,
  PROP_COUNTERS,
  N_PROPS
};

enum {
  SIGNAL_UPDATE,
  SIGNAL_SNAPSHOT,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

static void update_counters_refresh (NetpulseClient *self);

/* A Subscribe call in flight.  It lives until the helper answers, even if
 * the caller gave up earlier (cancelled, unsubscribed): a subscription the
 * helper granted after that must still be ended. */
struct _SubscribeAttempt
{
  NetpulseClient  *self;              /* weak: NULL once the client is gone */
  GDBusConnection *connection;
  GTask           *task;              /* NULL once completed */
  GCancellable    *cancellable;       /* the caller's */
  gulong           cancelled_handler;
  guint            interval_ms;
  guint            session;
};

/* Error mapping {{{1 */

static gboolean
is_remote_error (const char *remote,
                 const char *name)
{
  return remote != NULL && g_str_equal (remote, name);
}

GError *
netpulse_client_error_from_dbus (const GError *error)
{
  g_autofree char *remote = NULL;
  g_autoptr(GError) stripped = NULL;

  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == NETPULSE_CLIENT_ERROR ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  remote = g_dbus_error_get_remote_error (error);
  stripped = g_error_copy (error);
  g_dbus_error_strip_remote_error (stripped);

  if (is_remote_error (remote, "org.freedesktop.DBus.Error.ServiceUnknown") ||
      is_remote_error (remote, "org.freedesktop.DBus.Error.NameHasNoOwner") ||
      (remote != NULL && g_str_has_prefix (remote, "org.freedesktop.DBus.Error.Spawn.")))
    return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_MISSING,
                        _("The Netpulse helper is not installed or cannot be started: %s"),
                        stripped->message);

  /* The bus daemon itself refused to pass the call on: the helper's bus
   * policy (system.d) is not installed, so the helper is not usable. */
  if (is_remote_error (remote, "org.freedesktop.DBus.Error.AccessDenied") &&
      strstr (stripped->message, "Rejected send message") != NULL)
    return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_MISSING,
                        _("The system bus refused to reach the Netpulse helper; is its bus policy "
                          "(dbus-1/system.d/io.github.netpulse.Helper1.conf) installed? %s"),
                        stripped->message);

  if (is_remote_error (remote, "io.github.netpulse.Error.NotAuthorized") ||
      is_remote_error (remote, "org.freedesktop.DBus.Error.AccessDenied"))
    return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_NOT_AUTHORIZED,
                        _("Not authorized to monitor network connections: %s"),
                        stripped->message);

  /* The connection to the bus itself is gone (bus restarted, socket closed). */
  if (remote == NULL &&
      (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED) ||
       g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED) ||
       g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) ||
       g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)))
    return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_BUS_UNAVAILABLE,
                        _("Lost the connection to the system bus: %s"),
                        stripped->message);

  return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_FAILED,
                      _("The Netpulse helper failed: %s"), stripped->message);
}

static GError *
bus_unavailable_error (const GError *error)
{
  return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_BUS_UNAVAILABLE,
                      _("Cannot connect to the system bus: %s"), error->message);
}

/* Records {{{1 */

static GArray *
records_from_variant (GVariant *array)
{
  gsize n = g_variant_n_children (array);
  GArray *records = g_array_sized_new (FALSE, TRUE, sizeof (NetpulseRecord), n);

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (array, i);
      NetpulseRecord record;

      /* The array's type was checked, so every child parses. */
      if (netpulse_record_from_variant (&record, child, NULL))
        g_array_append_val (records, record);
    }

  return records;
}

static GArray *
ids_from_variant (GVariant *array)
{
  gsize n = 0;
  const guint64 *ids = g_variant_get_fixed_array (array, &n, sizeof (guint64));
  GArray *removed = g_array_sized_new (FALSE, FALSE, sizeof (guint64), n);

  g_array_append_vals (removed, ids, n);
  return removed;
}

/* State {{{1 */

static void
set_state (NetpulseClient      *self,
           NetpulseClientState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  update_counters_refresh (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
}

/* Counters {{{1 */

/* How often the helper's Counters are read while subscribed: often enough
 * for a banner to appear soon after flows stop being tracked. */
#define COUNTERS_REFRESH_SECONDS 2

static void
counters_get_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(NetpulseClient) self = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Reading the helper's counters: %s", error->message);
      return;
    }

  g_variant_get (reply, "(v)", &value);
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE ("a{st}")))
    return;
  if (self->counters != NULL && g_variant_equal (self->counters, value))
    return;
  g_clear_pointer (&self->counters, g_variant_unref);
  self->counters = g_steal_pointer (&value);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_COUNTERS]);
}

static void
refresh_counters (NetpulseClient *self)
{
  if (self->connection == NULL || self->helper_owner == NULL)
    return;
  g_dbus_connection_call (self->connection, self->helper_owner, HELPER_OBJECT_PATH,
                          "org.freedesktop.DBus.Properties", "Get",
                          g_variant_new ("(ss)", HELPER_INTERFACE, "Counters"),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1,
                          self->counters_cancellable, counters_get_cb, g_object_ref (self));
}

static gboolean
on_counters_timeout (gpointer user_data)
{
  refresh_counters (user_data);
  return G_SOURCE_CONTINUE;
}

/* Reads the counters at once and then every COUNTERS_REFRESH_SECONDS while
 * subscribed; stops (the last values stay) otherwise. */
static void
update_counters_refresh (NetpulseClient *self)
{
  gboolean subscribed = self->state == NETPULSE_CLIENT_STATE_SUBSCRIBED;

  if (subscribed && self->counters_source == 0)
    {
      self->counters_cancellable = g_cancellable_new ();
      self->counters_source = g_timeout_add_seconds (COUNTERS_REFRESH_SECONDS, on_counters_timeout, self);
      g_source_set_name_by_id (self->counters_source, "[netpulse] refresh counters");
      refresh_counters (self);
    }
  else if (!subscribed && self->counters_source != 0)
    {
      g_clear_handle_id (&self->counters_source, g_source_remove);
      g_cancellable_cancel (self->counters_cancellable);
      g_clear_object (&self->counters_cancellable);
    }
}

GVariant *
netpulse_client_get_counters (NetpulseClient *self)
{
  g_return_val_if_fail (NETPULSE_IS_CLIENT (self), NULL);
  return self->counters;
}

static guint64
lookup_counter (GVariant   *counters,
                const char *name)
{
  guint64 value = 0;

  if (counters != NULL)
    g_variant_lookup (counters, name, "t", &value);
  return value;
}

gboolean
netpulse_counters_get_overflow (GVariant *counters,
                                guint64  *flows_not_tracked,
                                guint64  *peers_aggregated)
{
  guint64 flows = lookup_counter (counters, "flow-overflow");
  guint64 peers = lookup_counter (counters, "peers-aggregated");

  if (flows_not_tracked != NULL)
    *flows_not_tracked = flows;
  if (peers_aggregated != NULL)
    *peers_aggregated = peers;
  return flows > 0 || peers > 0;
}

static void
send_unsubscribe (GDBusConnection     *connection,
                  const char          *helper_owner,
                  const char          *subscription,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  g_dbus_connection_call (connection, helper_owner, HELPER_OBJECT_PATH, HELPER_INTERFACE,
                          "Unsubscribe", g_variant_new ("(o)", subscription),
                          G_VARIANT_TYPE_UNIT, G_DBUS_CALL_FLAGS_NO_AUTO_START,
                          -1, NULL, callback, user_data);
}

static void
unsubscribe_ignored_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply == NULL)
    g_debug ("Unsubscribe failed: %s", error->message);
}

/* Unsubscribe's callback and the stream to close once it has run.  The
 * stream stays open until the helper has answered: closing it is an
 * unsubscription too, and the helper must not see that one first and
 * answer the call with NoSuchSubscription. */
typedef struct {
  GAsyncReadyCallback  callback;
  gpointer             user_data;
  NetpulseFrameReader *reader;
} UnsubscribeCall;

static void
unsubscribe_call_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  UnsubscribeCall *call = user_data;

  call->callback (object, result, call->user_data);
  g_clear_object (&call->reader);   /* closes the stream */
  g_free (call);
}

static GTask *attempt_take_task (SubscribeAttempt *attempt);

/* Ends the current session: whatever is in flight for it is ignored from now
 * on.  With @tell_helper, tells the helper (if it still holds a subscription
 * of ours), and calls @callback, if any, with the result of Unsubscribe.
 * Returns whether it told the helper. */
static gboolean
end_session (NetpulseClient      *self,
             gboolean             tell_helper,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  gboolean told = FALSE;

  self->session++;

  if (self->attempt != NULL)
    {
      /* The attempt stays alive until the helper answers, and then ends
       * what it granted.  Its caller hears G_IO_ERROR_CANCELLED from
       * stop(), once the client is in its new state. */
      SubscribeAttempt *attempt = g_steal_pointer (&self->attempt);
      GTask *task = attempt_take_task (attempt);

      if (task != NULL)
        g_ptr_array_add (self->cancelled_tasks, task);
    }

  if (self->session_cancellable != NULL)
    {
      g_cancellable_cancel (self->session_cancellable);
      g_clear_object (&self->session_cancellable);
    }

  if (self->owner_watch != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->owner_watch, self);
      g_clear_object (&self->owner_watch);
    }

  if (self->reader != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->reader, self);
      netpulse_frame_reader_stop (self->reader);
    }

  if (tell_helper && self->connection != NULL &&
      self->helper_owner != NULL && self->subscription != NULL)
    {
      UnsubscribeCall *call = g_new0 (UnsubscribeCall, 1);

      call->callback = callback != NULL ? callback : unsubscribe_ignored_cb;
      call->user_data = user_data;
      call->reader = g_steal_pointer (&self->reader);
      send_unsubscribe (self->connection, self->helper_owner, self->subscription,
                        unsubscribe_call_cb, call);
      told = TRUE;
    }

  g_clear_object (&self->reader);
  g_clear_pointer (&self->helper_owner, g_free);
  g_clear_pointer (&self->subscription, g_free);
  self->sequence = 0;

  return told;
}

/* Ends the session and moves to @state (taking @error, for FAILED). */
static gboolean
stop (NetpulseClient      *self,
      NetpulseClientState  state,
      GError              *error,
      gboolean             tell_helper,
      GAsyncReadyCallback  callback,
      gpointer             user_data)
{
  g_autoptr(GPtrArray) cancelled = NULL;
  gboolean told;

  g_assert ((state == NETPULSE_CLIENT_STATE_FAILED) == (error != NULL));

  /* Handlers of notify::state and the callbacks below may drop the client. */
  g_object_ref (self);

  if (error != NULL)
    g_debug ("Subscription failed: %s", error->message);

  told = end_session (self, tell_helper, callback, user_data);
  g_clear_error (&self->error);
  self->error = error;

  /* Completed last: their callbacks may well subscribe again. */
  cancelled = g_steal_pointer (&self->cancelled_tasks);
  self->cancelled_tasks = g_ptr_array_new_with_free_func (g_object_unref);

  set_state (self, state);

  for (guint i = 0; i < cancelled->len; i++)
    g_task_return_new_error (g_ptr_array_index (cancelled, i), G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             _("The subscription was cancelled"));

  g_object_unref (self);
  return told;
}

/* Takes @error (in NETPULSE_CLIENT_ERROR). */
static void
fail (NetpulseClient *self,
      GError         *error,
      gboolean        tell_helper)
{
  stop (self, NETPULSE_CLIENT_STATE_FAILED, error, tell_helper, NULL, NULL);
}

/* Connection {{{1 */

static void
on_proxy_backend_changed (NetpulseClient *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_BACKEND]);
}

static void
proxy_new_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(NetpulseClient) self = user_data;
  g_autoptr(NetpulseHelper1) proxy = NULL;
  g_autoptr(GError) error = NULL;

  proxy = netpulse_helper1_proxy_new_finish (result, &error);
  if (proxy == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Cannot create the helper proxy: %s", error->message);
      return;
    }

  g_clear_object (&self->proxy_cancellable);
  self->proxy = g_steal_pointer (&proxy);
  /* The cache is refilled when the helper appears, and updated from
   * PropertiesChanged; either may change Backend. */
  g_signal_connect_object (self->proxy, "notify::backend",
                           G_CALLBACK (on_proxy_backend_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->proxy, "notify::g-name-owner",
                           G_CALLBACK (on_proxy_backend_changed), self, G_CONNECT_SWAPPED);
  on_proxy_backend_changed (self);
}

static void
on_ended_signal (GDBusConnection *connection,
                 const char      *sender_name,
                 const char      *object_path,
                 const char      *interface_name,
                 const char      *signal_name,
                 GVariant        *parameters,
                 gpointer         user_data);

static void
on_connection_closed (GDBusConnection *connection,
                      gboolean         remote_peer_vanished,
                      GError          *error,
                      gpointer         user_data);

static void
teardown_connection (NetpulseClient *self)
{
  if (self->proxy_cancellable != NULL)
    {
      g_cancellable_cancel (self->proxy_cancellable);
      g_clear_object (&self->proxy_cancellable);
    }
  if (self->proxy != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->proxy, self);
      g_clear_object (&self->proxy);
    }
  if (self->connection != NULL)
    {
      if (self->ended_subscription != 0)
        g_dbus_connection_signal_unsubscribe (self->connection, self->ended_subscription);
      self->ended_subscription = 0;
      g_clear_signal_handler (&self->closed_handler, self->connection);
      g_clear_object (&self->connection);
    }
}

static void
setup_connection (NetpulseClient  *self,
                  GDBusConnection *connection)
{
  if (self->connection == connection)
    return;

  teardown_connection (self);

  self->connection = g_object_ref (connection);
  self->closed_handler = g_signal_connect (connection, "closed",
                                           G_CALLBACK (on_connection_closed), self);
  /* Ended is unicast: the bus hands it to us whatever our match rules say,
   * and GDBus then dispatches it to local subscriptions.  No object path:
   * the subscription path in the first argument is what identifies ours. */
  self->ended_subscription =
    g_dbus_connection_signal_subscribe (connection, HELPER_BUS_NAME, HELPER_INTERFACE,
                                        "Ended", NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                        on_ended_signal, self, NULL);

  self->proxy_cancellable = g_cancellable_new ();
  netpulse_helper1_proxy_new (connection,
                              G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS |
                              G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START_AT_CONSTRUCTION,
                              HELPER_BUS_NAME, HELPER_OBJECT_PATH,
                              self->proxy_cancellable, proxy_new_cb, g_object_ref (self));
}

static void
on_connection_closed (GDBusConnection *connection,
                      gboolean         remote_peer_vanished,
                      GError          *error,
                      gpointer         user_data)
{
  NetpulseClient *self = user_data;

  g_debug ("The system bus connection was closed");

  /* A Subscribe in flight fails by itself (its reply is an error). */
  if (self->state == NETPULSE_CLIENT_STATE_SUBSCRIBED)
    fail (self,
          g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_BUS_UNAVAILABLE,
                       _("Lost the connection to the system bus: %s"),
                       error != NULL ? error->message : _("closed")),
          FALSE);

  /* The next subscription gets a new connection. */
  if (self->state != NETPULSE_CLIENT_STATE_CONNECTING)
    teardown_connection (self);
}

/* The stream {{{1 */

/* The reason of an END frame or Ended signal, in our terms. */
static GError *
ended_error (const char *error_name,
             const char *message)
{
  if (g_strcmp0 (error_name, "io.github.netpulse.Error.NotAuthorized") == 0)
    return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_NOT_AUTHORIZED,
                        _("No longer authorized to monitor network connections: %s"), message);
  if (g_strcmp0 (error_name, "io.github.netpulse.Error.TooSlow") == 0)
    return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_SUBSCRIPTION_ENDED,
                        _("The Netpulse helper ended the subscription because this program "
                          "did not keep up with it: %s"), message);
  return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_SUBSCRIPTION_ENDED,
                      _("The Netpulse helper ended the subscription: %s"), message);
}

static GError *
broken_stream_error (const char *message)
{
  return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_FAILED,
                      _("The Netpulse helper's stream is broken: %s"), message);
}

static void
on_frame (NetpulseFrameReader *reader,
          GVariant            *frame,
          gpointer             user_data)
{
  NetpulseClient *self = user_data;
  g_autoptr(GVariant) changed_v = NULL;
  g_autoptr(GVariant) removed_v = NULL;
  g_autoptr(GVariant) extra = NULL;
  g_autoptr(GArray) changed = NULL;
  g_autoptr(GArray) removed = NULL;
  guint64 sequence, timestamp;
  guint32 flags;

  if (self->state != NETPULSE_CLIENT_STATE_SUBSCRIBED)
    return;

  g_variant_get (frame, "(ttu@a" NETPULSE_RECORD_SIGNATURE "@at@a{sv})",
                 &sequence, &timestamp, &flags, &changed_v, &removed_v, &extra);

  if (flags & NETPULSE_FRAME_END)
    {
      const char *name = "", *message = "";

      g_variant_lookup (extra, "error", "&s", &name);
      g_variant_lookup (extra, "message", "&s", &message);
      g_debug ("END frame: %s: %s", name, message);
      fail (self, ended_error (name, message), FALSE);
      return;
    }

  if (sequence != self->sequence + 1)
    {
      g_autofree char *got = g_strdup_printf ("%" G_GUINT64_FORMAT, sequence);
      g_autofree char *last = g_strdup_printf ("%" G_GUINT64_FORMAT, self->sequence);
      /* Translators: frame numbers of the helper's stream. */
      g_autofree char *text = g_strdup_printf (_("frame %s after frame %s"), got, last);

      fail (self, broken_stream_error (text), TRUE);
      return;
    }
  if (sequence == 1 && !(flags & NETPULSE_FRAME_SNAPSHOT))
    {
      fail (self, broken_stream_error (_("the first frame is not a snapshot")), TRUE);
      return;
    }

  changed = records_from_variant (changed_v);
  removed = ids_from_variant (removed_v);
  self->sequence = sequence;

  /* The first frame has always been an "update" with sequence 1 that
   * carries every connection; later snapshots (asked for with GetSnapshot)
   * replace the table. */
  if ((flags & NETPULSE_FRAME_SNAPSHOT) && sequence > 1)
    g_signal_emit (self, signals[SIGNAL_SNAPSHOT], 0, sequence, changed);
  else
    g_signal_emit (self, signals[SIGNAL_UPDATE], 0, sequence, timestamp, changed, removed);
}

typedef struct {
  NetpulseClient *self;
  guint           session;
  GError         *error;     /* the stream's, NULL at a clean end */
} StreamEnd;

static void
stream_end_ping_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  StreamEnd *end = user_data;
  NetpulseClient *self = end->self;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);

  /* The Ended signal, if any, came before this reply and has ended the
   * session with its reason. */
  if (self->session == end->session && self->state == NETPULSE_CLIENT_STATE_SUBSCRIBED)
    {
      if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_LOST,
                                 _("The Netpulse helper left the system bus")), FALSE);
      else if (end->error != NULL)
        fail (self, broken_stream_error (end->error->message), TRUE);
      else
        fail (self, g_error_new_literal (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_SUBSCRIPTION_ENDED,
                                         _("The Netpulse helper ended the subscription")), TRUE);
    }

  g_clear_error (&end->error);
  g_object_unref (end->self);
  g_free (end);
}

static void
on_stream_end (NetpulseFrameReader *reader,
               GError              *error,
               gpointer             user_data)
{
  NetpulseClient *self = user_data;
  StreamEnd *end;

  if (self->state != NETPULSE_CLIENT_STATE_SUBSCRIBED)
    return;

  g_debug ("End of the stream%s%s", error ? ": " : "", error ? error->message : "");

  end = g_new0 (StreamEnd, 1);
  end->self = g_object_ref (self);
  end->session = self->session;
  end->error = error != NULL ? g_error_copy (error) : NULL;
  g_dbus_connection_call (self->connection, self->helper_owner, "/",
                          "org.freedesktop.DBus.Peer", "Ping", NULL, G_VARIANT_TYPE_UNIT,
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, stream_end_ping_cb, end);
}

static void
on_ended_signal (GDBusConnection *connection,
                 const char      *sender_name,
                 const char      *object_path,
                 const char      *interface_name,
                 const char      *signal_name,
                 GVariant        *parameters,
                 gpointer         user_data)
{
  NetpulseClient *self = user_data;
  const char *path, *name, *message;

  if (self->state != NETPULSE_CLIENT_STATE_SUBSCRIBED ||
      !g_variant_is_of_type (parameters, ENDED_TYPE))
    return;

  g_variant_get (parameters, "(&o&s&s)", &path, &name, &message);

  /* Any local process can send us a signal: only our helper counts. */
  if (g_strcmp0 (sender_name, self->helper_owner) != 0 ||
      g_strcmp0 (path, self->subscription) != 0)
    return;

  g_debug ("Ended: %s: %s", name, message);
  fail (self, ended_error (name, message), FALSE);
}

static void
on_helper_vanished (NetpulseNameWatch *owner_watch,
                    gpointer           user_data)
{
  NetpulseClient *self = user_data;

  if (self->state != NETPULSE_CLIENT_STATE_SUBSCRIBED)
    return;

  fail (self,
        g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_LOST,
                     _("The Netpulse helper left the system bus")),
        FALSE);
}

/* Subscribe {{{1 */

static void
attempt_free (SubscribeAttempt *attempt)
{
  if (attempt->self != NULL)
    {
      if (attempt->self->attempt == attempt)
        attempt->self->attempt = NULL;
      g_object_remove_weak_pointer (G_OBJECT (attempt->self), (gpointer *) &attempt->self);
    }
  if (attempt->cancelled_handler != 0)
    g_cancellable_disconnect (attempt->cancellable, attempt->cancelled_handler);
  g_clear_object (&attempt->cancellable);
  g_clear_object (&attempt->task);
  g_clear_object (&attempt->connection);
  g_free (attempt);
}

/* The attempt is over for the caller: returns the task to complete, and
 * makes sure the caller's cancellable no longer refers to the attempt. */
static GTask *
attempt_take_task (SubscribeAttempt *attempt)
{
  if (attempt->cancelled_handler != 0)
    {
      g_cancellable_disconnect (attempt->cancellable, attempt->cancelled_handler);
      attempt->cancelled_handler = 0;
    }
  return g_steal_pointer (&attempt->task);
}

static gboolean
attempt_is_current (SubscribeAttempt *attempt)
{
  return attempt->self != NULL &&
         attempt->self->attempt == attempt &&
         attempt->self->session == attempt->session;
}

static gboolean
cancel_attempt_idle (gpointer user_data)
{
  NetpulseClient *self = user_data;

  /* stop() completes the attempt's task with G_IO_ERROR_CANCELLED. */
  if (self->state == NETPULSE_CLIENT_STATE_CONNECTING && self->attempt != NULL &&
      self->attempt->cancellable != NULL && g_cancellable_is_cancelled (self->attempt->cancellable))
    stop (self, NETPULSE_CLIENT_STATE_DISCONNECTED, NULL, FALSE, NULL, NULL);
  return G_SOURCE_REMOVE;
}

static void
on_attempt_cancelled (GCancellable *cancellable,
                      gpointer      user_data)
{
  SubscribeAttempt *attempt = user_data;

  /* May run in another thread, and runs while the cancellable is being
   * cancelled (so it must not disconnect the handler): do the work from an
   * idle in the client's own context. */
  if (attempt->task != NULL)
    {
      g_autoptr(GSource) source = g_idle_source_new ();

      g_source_set_callback (source, cancel_attempt_idle,
                             g_object_ref (g_task_get_source_object (attempt->task)),
                             g_object_unref);
      g_source_set_static_name (source, "[netpulse] cancel subscription");
      g_source_attach (source, g_task_get_context (attempt->task));
    }
}

static void
subscribe_reply_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  SubscribeAttempt *attempt = user_data;
  g_autoptr(GDBusMessage) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;
  int fd = -1;
  NetpulseClient *self;

  reply = g_dbus_connection_send_message_with_reply_finish (G_DBUS_CONNECTION (object),
                                                            result, &error);
  if (reply != NULL && g_dbus_message_to_gerror (reply, &error))
    g_clear_object (&reply);
  if (reply != NULL)
    {
      GVariant *body = g_dbus_message_get_body (reply);

      GUnixFDList *fds = g_dbus_message_get_unix_fd_list (reply);
      gint32 handle = -1;

      /* On a message bus every message has a sender; Ended is only
       * accepted from this one. */
      if (g_dbus_message_get_sender (reply) == NULL)
        {
          g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("Subscribe was answered by an unknown sender"));
          g_clear_object (&reply);
        }
      else if (body != NULL && g_variant_is_of_type (body, G_VARIANT_TYPE ("(oh)")))
        {
          g_variant_get (body, "(oh)", &path, &handle);
          /* Our own copy of the descriptor (NULL error: the check below). */
          if (fds != NULL && handle >= 0 && handle < g_unix_fd_list_get_length (fds))
            fd = g_unix_fd_list_get (fds, handle, NULL);
          if (fd < 0)
            {
              g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                   _("Subscribe returned no stream"));
            }
        }
      else
        {
          g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("Subscribe returned %s instead of a subscription and a stream"),
                       body != NULL ? g_variant_get_type_string (body) : "()");
          g_clear_object (&reply);
        }
    }

  if (!attempt_is_current (attempt))
    {
      /* Given up on (unsubscribed, cancelled, client gone): end what the
       * helper granted us anyway. */
      if (path != NULL)
        send_unsubscribe (attempt->connection, g_dbus_message_get_sender (reply), path,
                          unsubscribe_ignored_cb, NULL);
      if (fd >= 0)
        close (fd);
      attempt_free (attempt);
      return;
    }

  self = attempt->self;
  task = attempt_take_task (attempt);
  self->attempt = NULL;

  if (path != NULL && fd < 0)
    {
      /* Granted, but no stream to read: end it on the helper's side. */
      send_unsubscribe (attempt->connection, g_dbus_message_get_sender (reply), path,
                        unsubscribe_ignored_cb, NULL);
      g_clear_pointer (&path, g_free);
    }

  if (path == NULL)
    {
      GError *mapped = netpulse_client_error_from_dbus (error);

      fail (self, g_error_copy (mapped), FALSE);
      g_task_return_error (task, mapped);
      attempt_free (attempt);
      return;
    }

  self->helper_owner = g_strdup (g_dbus_message_get_sender (reply));
  self->subscription = g_strdup (path);
  self->sequence = 0;
  /* Watching the unique name: if it is already gone, the watch says so at
   * once; a slow bus is not taken for a helper that crashed. */
  self->owner_watch = netpulse_name_watch_new (self->connection, self->helper_owner);
  g_signal_connect (self->owner_watch, "gone", G_CALLBACK (on_helper_vanished), self);
  g_debug ("Subscribed as %s at %s", path, self->helper_owner);
  attempt_free (attempt);

  {
    g_autoptr(GInputStream) stream = g_unix_input_stream_new (fd, TRUE);

    self->reader = netpulse_frame_reader_new (stream);
    g_signal_connect (self->reader, "frame", G_CALLBACK (on_frame), self);
    g_signal_connect (self->reader, "end", G_CALLBACK (on_stream_end), self);
  }

  set_state (self, NETPULSE_CLIENT_STATE_SUBSCRIBED);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_BACKEND]);
  g_task_return_boolean (task, TRUE);

  /* After the caller heard of the subscription: frames may be waiting. */
  if (self->reader != NULL && self->state == NETPULSE_CLIENT_STATE_SUBSCRIBED)
    netpulse_frame_reader_start (self->reader);
}

static void
send_subscribe (SubscribeAttempt *attempt)
{
  g_autoptr(GDBusMessage) message = NULL;
  GVariantBuilder options;

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "interval-ms", g_variant_new_uint32 (attempt->interval_ms));

  message = g_dbus_message_new_method_call (HELPER_BUS_NAME, HELPER_OBJECT_PATH,
                                            HELPER_INTERFACE, "Subscribe");
  g_dbus_message_set_body (message, g_variant_new ("(a{sv})", &options));

  /* No cancellable: the reply must be seen even if the caller gave up (see
   * subscribe_reply_cb()).  No timeout: polkit may be asking for a password. */
  g_dbus_connection_send_message_with_reply (attempt->connection, message,
                                             G_DBUS_SEND_MESSAGE_FLAGS_NONE, NO_TIMEOUT,
                                             NULL, NULL, subscribe_reply_cb, attempt);
}

static void
subscribe_bus_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  SubscribeAttempt *attempt = user_data;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  NetpulseClient *self;

  connection = g_bus_get_finish (result, &error);

  if (!attempt_is_current (attempt))
    {
      attempt_free (attempt);
      return;
    }

  self = attempt->self;

  if (connection == NULL)
    {
      task = attempt_take_task (attempt);
      self->attempt = NULL;
      fail (self, bus_unavailable_error (error), FALSE);
      g_task_return_error (task, bus_unavailable_error (error));
      attempt_free (attempt);
      return;
    }

  setup_connection (self, connection);
  attempt->connection = g_object_ref (connection);
  send_subscribe (attempt);
}

void
netpulse_client_subscribe_async (NetpulseClient      *self,
                                 guint                interval_ms,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SubscribeAttempt *attempt;

  g_return_if_fail (NETPULSE_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, netpulse_client_subscribe_async);

  if (self->state == NETPULSE_CLIENT_STATE_CONNECTING)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("A subscription is already being made"));
      return;
    }

  /* Subscribing again replaces the current subscription. */
  end_session (self, TRUE, NULL, NULL);
  g_clear_error (&self->error);

  attempt = g_new0 (SubscribeAttempt, 1);
  attempt->self = self;
  g_object_add_weak_pointer (G_OBJECT (self), (gpointer *) &attempt->self);
  attempt->task = g_steal_pointer (&task);
  attempt->interval_ms = interval_ms;
  attempt->session = self->session;
  self->attempt = attempt;
  self->session_cancellable = g_cancellable_new ();

  set_state (self, NETPULSE_CLIENT_STATE_CONNECTING);

  if (cancellable != NULL)
    {
      attempt->cancellable = g_object_ref (cancellable);
      attempt->cancelled_handler = g_cancellable_connect (cancellable,
                                                          G_CALLBACK (on_attempt_cancelled),
                                                          attempt, NULL);
    }

  g_bus_get (G_BUS_TYPE_SYSTEM, NULL, subscribe_bus_cb, attempt);
}

gboolean
netpulse_client_subscribe_finish (NetpulseClient  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  g_return_val_if_fail (NETPULSE_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Unsubscribe {{{1 */

void
netpulse_client_unsubscribe (NetpulseClient *self)
{
  g_return_if_fail (NETPULSE_IS_CLIENT (self));

  stop (self, NETPULSE_CLIENT_STATE_DISCONNECTED, NULL, TRUE, NULL, NULL);
}

static void
unsubscribe_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply == NULL)
    g_task_return_error (task, netpulse_client_error_from_dbus (error));
  else
    g_task_return_boolean (task, TRUE);
}

void
netpulse_client_unsubscribe_async (NetpulseClient      *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (NETPULSE_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, netpulse_client_unsubscribe_async);

  if (!stop (self, NETPULSE_CLIENT_STATE_DISCONNECTED, NULL, TRUE, unsubscribe_cb, task))
    g_task_return_boolean (task, TRUE);
  else
    g_steal_pointer (&task);   /* unsubscribe_cb() owns it now */
}

gboolean
netpulse_client_unsubscribe_finish (NetpulseClient  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (NETPULSE_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Status {{{1 */

static void
status_authorized_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  GVariantDict *status = g_task_get_task_data (task);
  gboolean authorized = FALSE;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, netpulse_client_error_from_dbus (error));
      return;
    }

  g_variant_get (reply, "(b)", &authorized);
  g_variant_dict_insert (status, "authorized", "b", authorized);
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_dict_end (status)),
                         (GDestroyNotify) g_variant_unref);
}

/* Copies property @name of @properties into @status as @key, or @fallback
 * when the helper did not give it with the right type. */
static void
status_take_property (GVariantDict *status,
                      GVariant     *properties,
                      const char   *name,
                      const char   *key,
                      GVariant     *fallback)
{
  g_autoptr(GVariant) owned_fallback = g_variant_ref_sink (fallback);
  g_autoptr(GVariant) value = g_variant_lookup_value (properties, name, NULL);

  if (value == NULL || !g_variant_is_of_type (value, g_variant_get_type (owned_fallback)))
    g_variant_dict_insert_value (status, key, owned_fallback);
  else
    g_variant_dict_insert_value (status, key, value);
}

static void
status_properties_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) properties = NULL;
  g_autoptr(GError) error = NULL;
  GVariantDict *status;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, netpulse_client_error_from_dbus (error));
      return;
    }

  properties = g_variant_get_child_value (reply, 0);
  status = g_variant_dict_new (NULL);
  g_task_set_task_data (task, status, (GDestroyNotify) g_variant_dict_unref);

  status_take_property (status, properties, "Version", "version", g_variant_new_string (""));
  status_take_property (status, properties, "Backend", "backend", g_variant_new_string ("none"));
  status_take_property (status, properties, "KernelFeatures", "kernel-features",
                        g_variant_new_strv (NULL, 0));
  status_take_property (status, properties, "Counters", "counters",
                        g_variant_new_array (G_VARIANT_TYPE ("{st}"), NULL, 0));
  status_take_property (status, properties, "Subscriptions", "subscriptions",
                        g_variant_new_uint32 (0));

  /* Never prompts, never fails with NotAuthorized. */
  g_dbus_connection_call (G_DBUS_CONNECTION (object), HELPER_BUS_NAME, HELPER_OBJECT_PATH,
                          HELPER_INTERFACE, "CheckAuthorization", g_variant_new ("(b)", FALSE),
                          G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1,
                          g_task_get_cancellable (task), status_authorized_cb,
                          g_object_ref (task));
}

static void
status_bus_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  NetpulseClient *self = g_task_get_source_object (task);

  connection = g_bus_get_finish (result, &error);
  if (connection == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_error (task, bus_unavailable_error (error));
      return;
    }

  setup_connection (self, connection);

  /* Reading properties needs no authorization; this also starts the helper
   * if it is not running. */
  g_dbus_connection_call (connection, HELPER_BUS_NAME, HELPER_OBJECT_PATH,
                          "org.freedesktop.DBus.Properties", "GetAll",
                          g_variant_new ("(s)", HELPER_INTERFACE),
                          G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1,
                          g_task_get_cancellable (task), status_properties_cb,
                          g_object_ref (task));
}

void
netpulse_client_get_status_async (NetpulseClient      *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (NETPULSE_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, netpulse_client_get_status_async);
  g_bus_get (G_BUS_TYPE_SYSTEM, cancellable, status_bus_cb, task);
}

GVariant *
netpulse_client_get_status_finish (NetpulseClient  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (NETPULSE_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Accessors {{{1 */

NetpulseClientState
netpulse_client_get_state (NetpulseClient *self)
{
  g_return_val_if_fail (NETPULSE_IS_CLIENT (self), NETPULSE_CLIENT_STATE_DISCONNECTED);

  return self->state;
}

const GError *
netpulse_client_get_error (NetpulseClient *self)
{
  g_return_val_if_fail (NETPULSE_IS_CLIENT (self), NULL);

  return self->state == NETPULSE_CLIENT_STATE_FAILED ? self->error : NULL;
}

const char *
netpulse_client_get_backend (NetpulseClient *self)
{
  const char *backend = NULL;

  g_return_val_if_fail (NETPULSE_IS_CLIENT (self), "none");

  if (self->proxy != NULL)
    backend = netpulse_helper1_get_backend (self->proxy);
  return backend != NULL && backend[0] != '\0' ? backend : "none";
}

const char *
netpulse_client_get_subscription (NetpulseClient *self)
{
  g_return_val_if_fail (NETPULSE_IS_CLIENT (self), NULL);

  return self->state == NETPULSE_CLIENT_STATE_SUBSCRIBED ? self->subscription : NULL;
}

/* GObject {{{1 */

static void
netpulse_client_dispose (GObject *object)
{
  NetpulseClient *self = NETPULSE_CLIENT (object);

  stop (self, NETPULSE_CLIENT_STATE_DISCONNECTED, NULL, TRUE, NULL, NULL);
  teardown_connection (self);

  G_OBJECT_CLASS (netpulse_client_parent_class)->dispose (object);
}

static void
netpulse_client_finalize (GObject *object)
{
  NetpulseClient *self = NETPULSE_CLIENT (object);

  g_clear_error (&self->error);
  g_clear_pointer (&self->cancelled_tasks, g_ptr_array_unref);
  g_clear_pointer (&self->counters, g_variant_unref);

  G_OBJECT_CLASS (netpulse_client_parent_class)->finalize (object);
}

static void
netpulse_client_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  NetpulseClient *self = NETPULSE_CLIENT (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_BACKEND:
      g_value_set_string (value, netpulse_client_get_backend (self));
      break;

    case PROP_COUNTERS:
      g_value_set_variant (value, self->counters);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netpulse_client_class_init (NetpulseClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = netpulse_client_dispose;
  object_class->finalize = netpulse_client_finalize;
  object_class->get_property = netpulse_client_get_property;

  props[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       NETPULSE_TYPE_CLIENT_STATE, NETPULSE_CLIENT_STATE_DISCONNECTED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  props[PROP_BACKEND] =
    g_param_spec_string ("backend", NULL, NULL, "none",
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /* a{st}, the helper's Counters property, read every 2 s while subscribed;
   * NULL until first read. */
  props[PROP_COUNTERS] =
    g_param_spec_variant ("counters", NULL, NULL, G_VARIANT_TYPE ("a{st}"), NULL,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, props);

  /* The arrays belong to the emission: handlers g_array_ref() to keep one. */
  signals[SIGNAL_UPDATE] =
    g_signal_new ("update", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 4,
                  G_TYPE_UINT64, G_TYPE_UINT64,
                  G_TYPE_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);

  signals[SIGNAL_SNAPSHOT] =
    g_signal_new ("snapshot", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2,
                  G_TYPE_UINT64,
                  G_TYPE_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
netpulse_client_init (NetpulseClient *self)
{
  self->state = NETPULSE_CLIENT_STATE_DISCONNECTED;
  self->cancelled_tasks = g_ptr_array_new_with_free_func (g_object_unref);
}

NetpulseClient *
netpulse_client_new (void)
{
  return g_object_new (NETPULSE_TYPE_CLIENT, NULL);
}
