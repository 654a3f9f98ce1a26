/* netpulse-helper-source.c
 *
 * Start-up: a status call first learns, without a prompt, whether we are
 * already authorized; if not, the window says "Authorization required"
 * while Subscribe waits for the polkit agent's password dialog.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-helper-source"

#include "config.h"

#include <glib/gi18n.h>

#include "netpulse-client.h"
#include "netpulse-helper-source.h"

struct _NetpulseHelperSource
{
  NetpulseSource  parent_instance;

  NetpulseClient *client;
  GCancellable   *cancellable;
};

G_DEFINE_FINAL_TYPE (NetpulseHelperSource, netpulse_helper_source, NETPULSE_TYPE_SOURCE)

/* The client's errors, in the app's terms (the message is kept). */
static GError *
translate_error (const GError *error)
{
  NetpulseSourceError code = NETPULSE_SOURCE_ERROR_HELPER_FAILED;

  if (error->domain == NETPULSE_CLIENT_ERROR)
    {
      switch ((NetpulseClientError) error->code)
        {
        case NETPULSE_CLIENT_ERROR_BUS_UNAVAILABLE: code = NETPULSE_SOURCE_ERROR_BUS_UNAVAILABLE; break;
        case NETPULSE_CLIENT_ERROR_HELPER_MISSING:  code = NETPULSE_SOURCE_ERROR_HELPER_MISSING; break;
        case NETPULSE_CLIENT_ERROR_NOT_AUTHORIZED:  code = NETPULSE_SOURCE_ERROR_NOT_AUTHORIZED; break;
        case NETPULSE_CLIENT_ERROR_HELPER_LOST:     code = NETPULSE_SOURCE_ERROR_HELPER_LOST; break;
        /* Ended by the helper (a reader too slow for it): the same page,
         * with the helper's reason, and a Reconnect button. */
        case NETPULSE_CLIENT_ERROR_SUBSCRIPTION_ENDED: code = NETPULSE_SOURCE_ERROR_HELPER_LOST; break;
        case NETPULSE_CLIENT_ERROR_HELPER_FAILED:
        default:                                    code = NETPULSE_SOURCE_ERROR_HELPER_FAILED; break;
        }
    }
  return g_error_new_literal (NETPULSE_SOURCE_ERROR, code, error->message);
}

static void
fail (NetpulseHelperSource *self,
      const GError         *error)
{
  g_autoptr(GError) translated = translate_error (error);

  netpulse_source_set_state (NETPULSE_SOURCE (self), NETPULSE_SOURCE_STATE_FAILED, translated);
}

static void
on_update (NetpulseHelperSource *self,
           guint64               sequence,
           guint64               timestamp_ns,
           GArray               *changed,
           GArray               *removed,
           NetpulseClient       *client)
{
  netpulse_source_emit_update (NETPULSE_SOURCE (self), timestamp_ns, changed, removed);
}

/* The first frame of a subscription, too: whatever the table still holds
 * from before (a reconnect) is gone. */
static void
on_snapshot (NetpulseHelperSource *self,
             guint64               sequence,
             guint64               timestamp_ns,
             GArray               *records,
             NetpulseClient       *client)
{
  netpulse_source_emit_snapshot (NETPULSE_SOURCE (self), timestamp_ns, records);
}

/* The helper's counters, for the window's overflow banner. */
static void
on_client_counters (NetpulseHelperSource *self,
                    GParamSpec           *pspec,
                    NetpulseClient       *client)
{
  netpulse_source_set_counters (NETPULSE_SOURCE (self), netpulse_client_get_counters (client));
}

static void
on_client_state (NetpulseHelperSource *self,
                 GParamSpec           *pspec,
                 NetpulseClient       *client)
{
  const GError *error = netpulse_client_get_error (client);

  if (netpulse_client_get_state (client) == NETPULSE_CLIENT_STATE_FAILED &&
      netpulse_source_get_state (NETPULSE_SOURCE (self)) == NETPULSE_SOURCE_STATE_RUNNING &&
      error != NULL)
    fail (self, error);
}

static void
subscribe_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(NetpulseHelperSource) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!netpulse_client_subscribe_finish (NETPULSE_CLIENT (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, error);
      return;
    }
  netpulse_source_set_state (NETPULSE_SOURCE (self), NETPULSE_SOURCE_STATE_RUNNING, NULL);
}

static void
subscribe (NetpulseHelperSource *self)
{
  netpulse_client_subscribe_async (self->client,
                                   netpulse_source_get_interval (NETPULSE_SOURCE (self)),
                                   self->cancellable, subscribe_cb, g_object_ref (self));
}

static void
status_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(NetpulseHelperSource) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) status = NULL;
  gboolean authorized = FALSE;

  status = netpulse_client_get_status_finish (NETPULSE_CLIENT (object), result, &error);
  if (status == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, error);
      return;
    }

  if (!g_variant_lookup (status, "authorized", "b", &authorized) || !authorized)
    netpulse_source_set_state (NETPULSE_SOURCE (self), NETPULSE_SOURCE_STATE_AUTHORIZING, NULL);
  subscribe (self);
}

static void
disconnect_client (NetpulseHelperSource *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      if (netpulse_client_get_state (self->client) == NETPULSE_CLIENT_STATE_SUBSCRIBED)
        netpulse_client_unsubscribe (self->client);
    }
  g_clear_object (&self->client);
}

static void
netpulse_helper_source_start (NetpulseSource *source)
{
  NetpulseHelperSource *self = NETPULSE_HELPER_SOURCE (source);

  /* A fresh client each time: retry after denial, reconnect after a crash. */
  disconnect_client (self);
  self->client = netpulse_client_new ();
  self->cancellable = g_cancellable_new ();
  g_signal_connect_object (self->client, "update", G_CALLBACK (on_update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "snapshot", G_CALLBACK (on_snapshot), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::state", G_CALLBACK (on_client_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::counters", G_CALLBACK (on_client_counters), self, G_CONNECT_SWAPPED);

  netpulse_source_set_state (source, NETPULSE_SOURCE_STATE_CONNECTING, NULL);
  netpulse_client_get_status_async (self->client, self->cancellable, status_cb, g_object_ref (self));
}

static void
netpulse_helper_source_stop (NetpulseSource *source)
{
  disconnect_client (NETPULSE_HELPER_SOURCE (source));
  netpulse_source_set_state (source, NETPULSE_SOURCE_STATE_IDLE, NULL);
}

static void
netpulse_helper_source_set_interval (NetpulseSource *source,
                                     guint           interval_ms)
{
  NetpulseSourceState state = netpulse_source_get_state (source);

  /* The interval is fixed per subscription: subscribe anew. */
  if (state == NETPULSE_SOURCE_STATE_RUNNING)
    netpulse_helper_source_start (source);
}

static void
netpulse_helper_source_dispose (GObject *object)
{
  disconnect_client (NETPULSE_HELPER_SOURCE (object));
  G_OBJECT_CLASS (netpulse_helper_source_parent_class)->dispose (object);
}

static void
netpulse_helper_source_class_init (NetpulseHelperSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NetpulseSourceClass *source_class = NETPULSE_SOURCE_CLASS (klass);

  object_class->dispose = netpulse_helper_source_dispose;
  source_class->start = netpulse_helper_source_start;
  source_class->stop = netpulse_helper_source_stop;
  source_class->set_interval = netpulse_helper_source_set_interval;
}

static void
netpulse_helper_source_init (NetpulseHelperSource *self)
{
}

NetpulseSource *
netpulse_helper_source_new (guint interval_ms)
{
  NetpulseSource *self = g_object_new (NETPULSE_TYPE_HELPER_SOURCE, NULL);

  netpulse_source_set_interval (self, interval_ms);
  return self;
}
