/* netpulse-client-status.c — GetStatus (properties and CheckAuthorizationDetails, no
 * subscription needed) and the Counters refresh while subscribed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-client"

#include "config.h"

#include "netpulse-client-private.h"

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
  _netpulse_client_notify (self, PROP_COUNTERS);
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
void
_netpulse_client_update_counters_refresh (NetpulseClient *self)
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

/* Status {{{1 */

/* What "authorization" says: granted, challenge (polkit would ask for a
 * password) or denied. */
static void
status_return (GTask    *task,
               gboolean  authorized,
               gboolean  challenge)
{
  GVariantDict *status = g_task_get_task_data (task);

  g_variant_dict_insert (status, "authorized", "b", authorized);
  g_variant_dict_insert (status, "authorization", "s",
                         authorized ? "granted" : challenge ? "challenge" : "denied");
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_dict_end (status)),
                         (GDestroyNotify) g_variant_unref);
}

static void
status_authorized_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gboolean authorized = FALSE;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, netpulse_client_error_from_dbus (error));
      return;
    }

  g_variant_get (reply, "(b)", &authorized);
  status_return (task, authorized, FALSE);
}

static void
status_details_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gboolean authorized = FALSE, challenge = FALSE;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply == NULL && g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD))
    {
      /* An older helper: yes or no is all it tells. */
      g_dbus_connection_call (G_DBUS_CONNECTION (object), HELPER_BUS_NAME, HELPER_OBJECT_PATH,
                              HELPER_INTERFACE, "CheckAuthorization", g_variant_new ("(b)", FALSE),
                              G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1,
                              g_task_get_cancellable (task), status_authorized_cb,
                              g_object_ref (task));
      return;
    }
  if (reply == NULL)
    {
      g_task_return_error (task, netpulse_client_error_from_dbus (error));
      return;
    }

  g_variant_get (reply, "(bb)", &authorized, &challenge);
  status_return (task, authorized, challenge);
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
  status_take_property (status, properties, "InstanceId", "instance", g_variant_new_string (""));

  /* Never prompts, never fails with NotAuthorized. */
  g_dbus_connection_call (G_DBUS_CONNECTION (object), HELPER_BUS_NAME, HELPER_OBJECT_PATH,
                          HELPER_INTERFACE, "CheckAuthorizationDetails", g_variant_new ("(b)", FALSE),
                          G_VARIANT_TYPE ("(bb)"), G_DBUS_CALL_FLAGS_NONE, -1,
                          g_task_get_cancellable (task), status_details_cb,
                          g_object_ref (task));
}

static void
status_bus_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GDBusConnection) connection = _netpulse_client_bus_get_finish (task, result);

  if (connection == NULL)
    return;

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

