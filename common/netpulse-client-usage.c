/* netpulse-client-usage.c — the usage history: GetRecording, SetRecording
 * QueryUsage and QueryHosts (documented in data/io.github.netpulse.Helper1.xml), for
 * netpulsectl and the app's Usage view.  Needs no subscription.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-client"

#include "config.h"

#include "netpulse-client-private.h"

typedef struct {
  char         *method;
  GVariant     *parameters;    /* sunk */
  GVariantType *reply_type;
  gboolean      interactive;
} UsageCall;

static void
usage_call_free (gpointer data)
{
  UsageCall *call = data;

  g_free (call->method);
  g_variant_unref (call->parameters);
  g_variant_type_free (call->reply_type);
  g_free (call);
}

static void
usage_reply_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply == NULL)
    g_task_return_error (task, netpulse_client_error_from_dbus (error));
  else
    g_task_return_pointer (task, reply, (GDestroyNotify) g_variant_unref);
}

static void
usage_bus_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GDBusConnection) connection = _netpulse_client_bus_get_finish (task, result);
  UsageCall *call = g_task_get_task_data (task);

  if (connection == NULL)
    return;
  /* No timeout: a SetRecording may wait for a password. */
  g_dbus_connection_call (connection, HELPER_BUS_NAME, HELPER_OBJECT_PATH, HELPER_INTERFACE,
                          call->method, call->parameters, call->reply_type,
                          call->interactive ? G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION
                                            : G_DBUS_CALL_FLAGS_NONE,
                          G_MAXINT, g_task_get_cancellable (task), usage_reply_cb,
                          g_object_ref (task));
}

static void
usage_call_async (NetpulseClient      *self,
                  const char          *method,
                  GVariant            *parameters,
                  const char          *reply_type,
                  gboolean             interactive,
                  gpointer             source_tag,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  UsageCall *call = g_new0 (UsageCall, 1);

  call->method = g_strdup (method);
  call->parameters = g_variant_ref_sink (parameters);
  call->reply_type = g_variant_type_new (reply_type);
  call->interactive = interactive;
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, call, usage_call_free);
  g_bus_get (G_BUS_TYPE_SYSTEM, cancellable, usage_bus_cb, task);
}

static GVariant *
usage_call_finish (NetpulseClient  *self,
                   GAsyncResult    *result,
                   gpointer         source_tag,
                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
netpulse_client_get_recording_async (NetpulseClient      *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (NETPULSE_IS_CLIENT (self));
  usage_call_async (self, "GetRecording", g_variant_new ("()"), "(a{sv})", TRUE,
                    netpulse_client_get_recording_async, cancellable, callback, user_data);
}

GVariant *
netpulse_client_get_recording_finish (NetpulseClient  *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  g_autoptr(GVariant) reply = usage_call_finish (self, result, netpulse_client_get_recording_async, error);

  return reply != NULL ? g_variant_get_child_value (reply, 0) : NULL;
}

/* @dict, or an empty a{sv} for NULL (floating, as @dict may be: the
 * message takes either). */
static GVariant *
or_empty (GVariant *dict)
{
  return dict != NULL ? dict : g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0);
}

void
netpulse_client_set_recording_async (NetpulseClient      *self,
                                     gboolean             enabled,
                                     GVariant            *options,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (NETPULSE_IS_CLIENT (self));
  usage_call_async (self, "SetRecording",
                    g_variant_new ("(b@a{sv})", enabled, or_empty (options)),
                    "()", TRUE, netpulse_client_set_recording_async, cancellable, callback, user_data);
}

gboolean
netpulse_client_set_recording_finish (NetpulseClient  *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  g_autoptr(GVariant) reply = usage_call_finish (self, result, netpulse_client_set_recording_async, error);

  return reply != NULL;
}

void
netpulse_client_query_usage_async (NetpulseClient      *self,
                                   guint64              since_ns,
                                   guint64              until_ns,
                                   const char          *granularity,
                                   const char          *group,
                                   GVariant            *filter,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (NETPULSE_IS_CLIENT (self));
  usage_call_async (self, "QueryUsage",
                    g_variant_new ("(ttss@a{sv})", since_ns, until_ns, granularity, group,
                                   or_empty (filter)),
                    "(a(ttssyttu)b)", TRUE, netpulse_client_query_usage_async,
                    cancellable, callback, user_data);
}

/* The rows and the truncated flag of a QueryUsage or QueryHosts reply
 * (its type was checked by usage_call_finish()). */
static GVariant *
rows_finish (NetpulseClient  *self,
             GAsyncResult    *result,
             gpointer         source_tag,
             gboolean        *truncated,
             GError         **error)
{
  g_autoptr(GVariant) reply = usage_call_finish (self, result, source_tag, error);
  gboolean more;

  if (reply == NULL)
    return NULL;
  g_variant_get_child (reply, 1, "b", &more);
  if (truncated != NULL)
    *truncated = more;
  return g_variant_get_child_value (reply, 0);
}

GVariant *
netpulse_client_query_usage_finish (NetpulseClient  *self,
                                    GAsyncResult    *result,
                                    gboolean        *truncated,
                                    GError         **error)
{
  return rows_finish (self, result, netpulse_client_query_usage_async, truncated, error);
}

void
netpulse_client_query_hosts_async (NetpulseClient      *self,
                                   guint64              since_ns,
                                   guint64              until_ns,
                                   GVariant            *filter,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (NETPULSE_IS_CLIENT (self));
  usage_call_async (self, "QueryHosts",
                    g_variant_new ("(tt@a{sv})", since_ns, until_ns, or_empty (filter)),
                    "(a(ttssysqttu)b)", TRUE, netpulse_client_query_hosts_async,
                    cancellable, callback, user_data);
}

GVariant *
netpulse_client_query_hosts_finish (NetpulseClient  *self,
                                    GAsyncResult    *result,
                                    gboolean        *truncated,
                                    GError         **error)
{
  return rows_finish (self, result, netpulse_client_query_hosts_async, truncated, error);
}
