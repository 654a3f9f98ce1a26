/* netpulse-client-subscribe.c — Subscribe attempts (which outlive a caller who gave up),
 * SetOptions and Unsubscribe.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-client"

#include "config.h"

#include <unistd.h>

#include <glib/gi18n-lib.h>

#include <gio/gunixfdlist.h>
#include <gio/gunixinputstream.h>

#include "netpulse-client-private.h"

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
GTask *
_netpulse_client_attempt_take_task (SubscribeAttempt *attempt)
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
    _netpulse_client_stop (self, NETPULSE_CLIENT_STATE_DISCONNECTED, NULL, FALSE, NULL, NULL);
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

static void send_subscribe (SubscribeAttempt *attempt);

/* The helper left the bus with our call unanswered: it was exiting after
 * its idle timeout when the call came (a Try Again right after a refusal,
 * which does not keep it up).  The bus starts a new one for the call sent
 * again; once, so that a helper that crashes on Subscribe is reported. */
static gboolean
resend_after_no_reply (SubscribeAttempt *attempt,
                       const GError     *error)
{
  if (attempt->resent || !g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
      !attempt_is_current (attempt))
    return FALSE;
  g_debug ("The helper left without answering Subscribe (%s): sending it again", error->message);
  attempt->resent = TRUE;
  send_subscribe (attempt);
  return TRUE;
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
  if (reply == NULL && resend_after_no_reply (attempt, error))
    return;
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
        _netpulse_client_send_unsubscribe (attempt->connection, g_dbus_message_get_sender (reply), path,
                          _netpulse_client_unsubscribe_ignored_cb, NULL);
      if (fd >= 0)
        close (fd);
      attempt_free (attempt);
      return;
    }

  self = attempt->self;
  task = _netpulse_client_attempt_take_task (attempt);
  self->attempt = NULL;

  if (path != NULL && fd < 0)
    {
      /* Granted, but no stream to read: end it on the helper's side. */
      _netpulse_client_send_unsubscribe (attempt->connection, g_dbus_message_get_sender (reply), path,
                        _netpulse_client_unsubscribe_ignored_cb, NULL);
      g_clear_pointer (&path, g_free);
    }

  if (path == NULL)
    {
      GError *mapped = netpulse_client_error_from_dbus (error);

      _netpulse_client_fail (self, g_error_copy (mapped), FALSE);
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
  g_signal_connect (self->owner_watch, "gone", G_CALLBACK (_netpulse_client_on_helper_vanished), self);
  g_debug ("Subscribed as %s at %s", path, self->helper_owner);
  attempt_free (attempt);

  {
    g_autoptr(GInputStream) stream = g_unix_input_stream_new (fd, TRUE);

    self->reader = netpulse_frame_reader_new (stream);
    g_signal_connect (self->reader, "frame", G_CALLBACK (_netpulse_client_on_frame), self);
    g_signal_connect (self->reader, "end", G_CALLBACK (_netpulse_client_on_stream_end), self);
  }

  _netpulse_client_set_state (self, NETPULSE_CLIENT_STATE_SUBSCRIBED);
  _netpulse_client_notify (self, PROP_BACKEND);
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
      task = _netpulse_client_attempt_take_task (attempt);
      self->attempt = NULL;
      _netpulse_client_fail (self, _netpulse_client_bus_unavailable_error (error), FALSE);
      g_task_return_error (task, _netpulse_client_bus_unavailable_error (error));
      attempt_free (attempt);
      return;
    }

  _netpulse_client_setup_connection (self, connection);
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
  _netpulse_client_end_session (self, TRUE, NULL, NULL);
  g_clear_error (&self->error);

  attempt = g_new0 (SubscribeAttempt, 1);
  attempt->self = self;
  g_object_add_weak_pointer (G_OBJECT (self), (gpointer *) &attempt->self);
  attempt->task = g_steal_pointer (&task);
  attempt->interval_ms = interval_ms;
  attempt->session = self->session;
  self->attempt = attempt;
  self->session_cancellable = g_cancellable_new ();

  _netpulse_client_set_state (self, NETPULSE_CLIENT_STATE_CONNECTING);

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

  _netpulse_client_stop (self, NETPULSE_CLIENT_STATE_DISCONNECTED, NULL, TRUE, NULL, NULL);
}

/* A call of ours answered: the task's result. */
static void
call_done_cb (GObject      *object,
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

  if (!_netpulse_client_stop (self, NETPULSE_CLIENT_STATE_DISCONNECTED, NULL, TRUE, call_done_cb, task))
    g_task_return_boolean (task, TRUE);
  else
    g_steal_pointer (&task);   /* call_done_cb() owns it now */
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


/* SetOptions {{{1 */

void
netpulse_client_set_options_async (NetpulseClient      *self,
                                   guint                interval_ms,
                                   guint                window_ms,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_auto(GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (NETPULSE_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, netpulse_client_set_options_async);

  if (self->state != NETPULSE_CLIENT_STATE_SUBSCRIBED)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               _("Not subscribed to the helper"));
      return;
    }

  /* The helper checks the bounds (InvalidOption); 0 leaves a value. */
  if (interval_ms != 0)
    g_variant_dict_insert (&options, "interval-ms", "u", interval_ms);
  if (window_ms != 0)
    g_variant_dict_insert (&options, "window-ms", "u", window_ms);

  /* To the helper run that holds the subscription, never another. */
  g_dbus_connection_call (self->connection, self->helper_owner, HELPER_OBJECT_PATH, HELPER_INTERFACE,
                          "SetOptions",
                          g_variant_new ("(o@a{sv})", self->subscription, g_variant_dict_end (&options)),
                          G_VARIANT_TYPE_UNIT, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
                          cancellable, call_done_cb, g_steal_pointer (&task));
}

gboolean
netpulse_client_set_options_finish (NetpulseClient  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (NETPULSE_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
