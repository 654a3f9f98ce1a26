/* netpulse-monitor-subscriptions.c — the subscriptions of NetpulseMonitor
 * and their owners: adding and removing them, the owners' bus names and
 * streams, and ending a subscription on the helper's own initiative (the
 * other halves: netpulse-monitor.c, netpulse-monitor-calls.c; shared state
 * in netpulse-monitor-private.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-monitor"

#include "config.h"

#include "netpulse-frame.h"
#include "netpulse-helper-error.h"
#include "netpulse-monitor-private.h"

static void subscriptions_changed (NetpulseMonitor *self);

/* ------------------------------------------------------------------------ */
/* Subscriptions and their owners                                            */

void
_netpulse_monitor_client_watch_free (gpointer data)
{
  ClientWatch *watch = data;

  /* Ours is the only reference: no "gone" can follow. */
  g_object_unref (watch->name_watch);
  g_free (watch);
}

static void
end_subscriptions_of (NetpulseMonitor *self,
                      const char      *name)
{
  g_autoptr(GPtrArray) dropped = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->subscriptions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      if (g_str_equal (netpulse_subscription_get_owner (value), name))
        g_ptr_array_add (dropped, g_object_ref (value));
    }

  if (dropped->len > 0)
    g_message ("%s left the bus, ending its %u subscription(s)", name, dropped->len);

  for (guint i = 0; i < dropped->len; i++)
    _netpulse_monitor_remove_subscription (self, g_ptr_array_index (dropped, i));
}

static void
client_gone_cb (NetpulseNameWatch *name_watch,
                gpointer           user_data)
{
  end_subscriptions_of (user_data, netpulse_name_watch_get_name (name_watch));
}

/* The subscriber closed its end of the stream (or exited): that ends the
 * subscription as Unsubscribe would. */
static void
stream_closed_cb (NetpulseStream *stream,
                  gpointer        user_data)
{
  NetpulseMonitor *self = user_data;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->subscriptions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      if (netpulse_subscription_get_stream (value) == stream)
        {
          g_autoptr(NetpulseSubscription) subscription = g_object_ref (value);

          g_message ("%s closed its stream, ending %s",
                     netpulse_subscription_get_owner (subscription),
                     netpulse_subscription_get_object_path (subscription));
          _netpulse_monitor_remove_subscription (self, subscription);
          return;
        }
    }
}

void
_netpulse_monitor_add_subscription (NetpulseMonitor      *self,
                                    NetpulseSubscription *subscription)
{
  const char *owner = netpulse_subscription_get_owner (subscription);
  ClientWatch *watch;

  watch = g_hash_table_lookup (self->clients, owner);
  if (watch == NULL)
    {
      GDBusConnection *connection =
        g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self));

      watch = g_new0 (ClientWatch, 1);
      watch->name_watch = netpulse_name_watch_new (connection, owner);
      g_signal_connect (watch->name_watch, "gone", G_CALLBACK (client_gone_cb), self);
      g_hash_table_insert (self->clients, g_strdup (owner), watch);
    }
  watch->n_subscriptions++;

  g_signal_connect (netpulse_subscription_get_stream (subscription), "closed",
                    G_CALLBACK (stream_closed_cb), self);
  g_hash_table_insert (self->subscriptions,
                       g_strdup (netpulse_subscription_get_object_path (subscription)),
                       g_object_ref (subscription));
  subscriptions_changed (self);
}

void
_netpulse_monitor_remove_subscription (NetpulseMonitor      *self,
                                       NetpulseSubscription *subscription)
{
  const char *owner = netpulse_subscription_get_owner (subscription);
  NetpulseStream *stream = netpulse_subscription_get_stream (subscription);
  ClientWatch *watch;

  /* No frame after this: a frame still being built is dropped when it
   * finds the stream closed. */
  g_signal_handlers_disconnect_by_func (stream, stream_closed_cb, self);
  netpulse_stream_close (stream);

  watch = g_hash_table_lookup (self->clients, owner);
  if (watch != NULL && --watch->n_subscriptions == 0)
    g_hash_table_remove (self->clients, owner);

  g_hash_table_remove (self->subscriptions, netpulse_subscription_get_object_path (subscription));
  subscriptions_changed (self);
}

static void
subscriptions_changed (NetpulseMonitor *self)
{
  guint n = g_hash_table_size (self->subscriptions);

  netpulse_helper1_set_subscriptions (NETPULSE_HELPER1 (self), n);
  _netpulse_monitor_update_tick (self);

  /* The collector stays loaded (see _netpulse_monitor_start_monitoring()): the idle timeout
   * ends the helper, and with it the kernel programs. */
  if (n == 0)
    _netpulse_monitor_rearm_idle_timeout (self);
  else
    {
      g_clear_handle_id (&self->idle_source_id, g_source_remove);
    }
}

void
netpulse_monitor_end_subscription (NetpulseMonitor      *self,
                                   NetpulseSubscription *subscription,
                                   const GError         *reason)
{
  g_autoptr(NetpulseSubscription) keep = NULL;
  g_autoptr(GBytes) end = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *error_name = NULL;
  GDBusConnection *connection;
  const char *path;

  g_return_if_fail (NETPULSE_IS_MONITOR (self));
  g_return_if_fail (NETPULSE_IS_SUBSCRIPTION (subscription));
  g_return_if_fail (reason != NULL);

  path = netpulse_subscription_get_object_path (subscription);
  if (g_hash_table_lookup (self->subscriptions, path) != subscription)
    return;
  keep = g_object_ref (subscription);

  error_name = g_dbus_error_encode_gerror (reason);
  g_message ("Ending %s of %s: %s (%s)", path, netpulse_subscription_get_owner (subscription),
             reason->message, error_name);

  /* On the stream, when it has room (a stopped reader's has none: the
   * signal is what it will find when it wakes up)… */
  end = netpulse_frame_new_end (netpulse_subscription_get_sequence (subscription) + 1, reason,
                                netpulse_helper1_get_instance_id (NETPULSE_HELPER1 (self)));
  netpulse_stream_send_last (netpulse_subscription_get_stream (subscription), end);

  /* …and on the bus, unicast: a few hundred bytes, whoever reads slowly. */
  connection = g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self));
  if (connection != NULL &&
      !g_dbus_connection_emit_signal (connection, netpulse_subscription_get_owner (subscription),
                                      HELPER_OBJECT_PATH,
                                      g_dbus_interface_skeleton_get_info (G_DBUS_INTERFACE_SKELETON (self))->name,
                                      "Ended",
                                      g_variant_new ("(oss)", path, error_name, reason->message),
                                      &error))
    g_warning ("Could not send Ended to %s: %s",
               netpulse_subscription_get_owner (subscription), error->message);

  _netpulse_monitor_remove_subscription (self, subscription);
}
