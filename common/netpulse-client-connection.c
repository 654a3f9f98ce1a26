/* netpulse-client-connection.c — NetpulseClient's bus connection, the helper proxy (for Backend),
 * the Ended signal and the watch on the helper's unique name.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "netpulse-client-private.h"

/* Connection {{{1 */

static void
on_proxy_backend_changed (NetpulseClient *self)
{
  _netpulse_client_notify (self, PROP_BACKEND);
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

void
_netpulse_client_teardown_connection (NetpulseClient *self)
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

GDBusConnection *
_netpulse_client_bus_get_finish (GTask        *task,
                                 GAsyncResult *result)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  connection = g_bus_get_finish (result, &error);
  if (connection == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_error (task, _netpulse_client_bus_unavailable_error (error));
      return NULL;
    }
  _netpulse_client_setup_connection (g_task_get_source_object (task), connection);
  return g_steal_pointer (&connection);
}

void
_netpulse_client_setup_connection (NetpulseClient  *self,
                  GDBusConnection *connection)
{
  if (self->connection == connection)
    return;

  _netpulse_client_teardown_connection (self);

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
    _netpulse_client_fail (self,
          g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_BUS_UNAVAILABLE,
                       _("Lost the connection to the system bus: %s"),
                       error != NULL ? error->message : _("closed")),
          FALSE);

  /* The next subscription gets a new connection. */
  if (self->state != NETPULSE_CLIENT_STATE_CONNECTING)
    _netpulse_client_teardown_connection (self);
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
  _netpulse_client_fail (self, _netpulse_client_ended_error (name, message), FALSE);
}

void
_netpulse_client_on_helper_vanished (NetpulseNameWatch *owner_watch,
                    gpointer           user_data)
{
  NetpulseClient *self = user_data;

  if (self->state != NETPULSE_CLIENT_STATE_SUBSCRIBED)
    return;

  _netpulse_client_fail (self,
        g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_LOST,
                     _("The Netpulse helper left the system bus")),
        FALSE);
}

