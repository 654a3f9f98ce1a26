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

 * The object is written in several files by job: see netpulse-client-private.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "netpulse-client-private.h"
#include "netpulse-helper-error.h"

G_DEFINE_FINAL_TYPE (NetpulseClient, netpulse_client, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (NetpulseClientState, netpulse_client_state,
  G_DEFINE_ENUM_VALUE (NETPULSE_CLIENT_STATE_DISCONNECTED, "disconnected"),
  G_DEFINE_ENUM_VALUE (NETPULSE_CLIENT_STATE_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (NETPULSE_CLIENT_STATE_SUBSCRIBED, "subscribed"),
  G_DEFINE_ENUM_VALUE (NETPULSE_CLIENT_STATE_FAILED, "failed"))


enum {
  SIGNAL_UPDATE,
  SIGNAL_SNAPSHOT,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

void
_netpulse_client_notify (NetpulseClient *self,
                         guint           prop_id)
{
  g_object_notify_by_pspec (G_OBJECT (self), props[prop_id]);
}

/* State {{{1 */

void
_netpulse_client_set_state (NetpulseClient      *self,
           NetpulseClientState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  _netpulse_client_update_counters_refresh (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
}

/* Sessions {{{1 */

void
_netpulse_client_send_unsubscribe (GDBusConnection     *connection,
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

void
_netpulse_client_unsubscribe_ignored_cb (GObject      *object,
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

/* Ends the current session: whatever is in flight for it is ignored from now
 * on.  With @tell_helper, tells the helper (if it still holds a subscription
 * of ours), and calls @callback, if any, with the result of Unsubscribe.
 * Returns whether it told the helper. */
gboolean
_netpulse_client_end_session (NetpulseClient      *self,
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
      GTask *task = _netpulse_client_attempt_take_task (attempt);

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

      call->callback = callback != NULL ? callback : _netpulse_client_unsubscribe_ignored_cb;
      call->user_data = user_data;
      call->reader = g_steal_pointer (&self->reader);
      _netpulse_client_send_unsubscribe (self->connection, self->helper_owner, self->subscription,
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
gboolean
_netpulse_client_stop (NetpulseClient      *self,
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

  told = _netpulse_client_end_session (self, tell_helper, callback, user_data);
  g_clear_error (&self->error);
  self->error = error;

  /* Completed last: their callbacks may well subscribe again. */
  cancelled = g_steal_pointer (&self->cancelled_tasks);
  self->cancelled_tasks = g_ptr_array_new_with_free_func (g_object_unref);

  _netpulse_client_set_state (self, state);

  for (guint i = 0; i < cancelled->len; i++)
    g_task_return_new_error (g_ptr_array_index (cancelled, i), G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             _("The subscription was cancelled"));

  g_object_unref (self);
  return told;
}

/* Takes @error (in NETPULSE_CLIENT_ERROR). */
void
_netpulse_client_fail (NetpulseClient *self,
      GError         *error,
      gboolean        tell_helper)
{
  _netpulse_client_stop (self, NETPULSE_CLIENT_STATE_FAILED, error, tell_helper, NULL, NULL);
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
netpulse_client_get_instance_id (NetpulseClient *self)
{
  g_return_val_if_fail (NETPULSE_IS_CLIENT (self), NULL);

  return self->instance_id;
}

void
_netpulse_client_set_instance_id (NetpulseClient *self,
                                  GVariant       *extra)
{
  const char *instance_id = NULL;

  if (!g_variant_lookup (extra, "instance", "&s", &instance_id) ||
      g_strcmp0 (instance_id, self->instance_id) == 0)
    return;

  g_free (self->instance_id);
  self->instance_id = g_strdup (instance_id);
  _netpulse_client_notify (self, PROP_INSTANCE_ID);
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

  _netpulse_client_stop (self, NETPULSE_CLIENT_STATE_DISCONNECTED, NULL, TRUE, NULL, NULL);
  _netpulse_client_teardown_connection (self);

  G_OBJECT_CLASS (netpulse_client_parent_class)->dispose (object);
}

static void
netpulse_client_finalize (GObject *object)
{
  NetpulseClient *self = NETPULSE_CLIENT (object);

  g_clear_error (&self->error);
  g_clear_pointer (&self->cancelled_tasks, g_ptr_array_unref);
  g_clear_pointer (&self->counters, g_variant_unref);
  g_clear_pointer (&self->instance_id, g_free);

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

    case PROP_INSTANCE_ID:
      g_value_set_string (value, self->instance_id);
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

  /* Errors in replies are mapped onto domains when they arrive: the
   * helper's must be known by then (see netpulse-client-error.c). */
  (void) NETPULSE_HELPER_ERROR;

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

  /* The helper run that sent the last frame (kept when the subscription
   * ends): another one means every record id held is stale. */
  props[PROP_INSTANCE_ID] =
    g_param_spec_string ("instance-id", NULL, NULL, NULL,
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
                  G_TYPE_NONE, 3,
                  G_TYPE_UINT64, G_TYPE_UINT64,
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
