/* netpulse-helper-source.c
 *
 * Start-up: a status call first learns, without a prompt, whether we are
 * already authorized; if not, the window says "Authorization required"
 * while Subscribe waits for the polkit agent's password dialog.
 *
 * When the helper goes away under a running subscription (a crash, a
 * restart, an ended subscription) the source does not fail: it says
 * RECONNECTING — the window keeps the last table — and subscribes again
 * after 1, 2, 4 … 30 s, or at once when the helper's name reappears on the
 * bus.  Only an answer that needs the person (refused, not installed)
 * ends that in FAILED.
 *
 * A refusal after a prompt is told apart (the helper's NotAuthorized is
 * one D-Bus error for all of them): dismissed, nothing that could ask, a
 * password not accepted (polkit would still ask, as netpulsectl finds
 * out), or an explicit no.
 *
 * The instance is the helper run's InstanceId from its frames: a new
 * helper process has a new one, a new subscription to the same process
 * keeps it (and the helper keeps its connection ids).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-helper-source"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "netpulse-client.h"
#include "netpulse-helper-source.h"
#include "netpulse-protocol.h"

struct _NetpulseHelperSource
{
  NetpulseSource  parent_instance;

  NetpulseClient *client;
  GCancellable   *cancellable;

  guint           name_watch_id;
  guint           retry_id;
  guint           retry_delay_s;  /* the next wait; 0 while not reconnecting */
  gboolean        asked;          /* polkit was to ask for a password (status: challenge) */
  GError         *refusal;        /* Subscribe's NotAuthorized, while polkit is asked again */
  gboolean        refusal_rechecked;
};

/* The backoff of automatic reconnection, in seconds. */
#define RETRY_FIRST_S 1
#define RETRY_MAX_S   30

static void connect_client (NetpulseHelperSource *self);

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

/* Errors a later attempt may not meet again: the helper is away (crashed,
 * restarting, not activatable for a moment) rather than refusing us. */
static gboolean
is_transient (const GError *error)
{
  return error->domain == NETPULSE_SOURCE_ERROR &&
         (error->code == NETPULSE_SOURCE_ERROR_HELPER_LOST ||
          error->code == NETPULSE_SOURCE_ERROR_HELPER_MISSING ||
          error->code == NETPULSE_SOURCE_ERROR_BUS_UNAVAILABLE ||
          error->code == NETPULSE_SOURCE_ERROR_HELPER_FAILED);
}

static gboolean
on_retry (gpointer user_data)
{
  NetpulseHelperSource *self = user_data;

  self->retry_id = 0;
  g_debug ("reconnecting to the helper");
  connect_client (self);
  return G_SOURCE_REMOVE;
}

/* The next attempt, after the current delay; the delay doubles up to
 * RETRY_MAX_S.  The state stays RECONNECTING, with @error as the reason. */
static void
schedule_retry (NetpulseHelperSource *self,
                const GError         *error)
{
  guint delay = MAX (self->retry_delay_s, RETRY_FIRST_S);

  g_clear_handle_id (&self->retry_id, g_source_remove);
  self->retry_id = g_timeout_add_seconds (delay, on_retry, self);
  self->retry_delay_s = MIN (delay * 2, RETRY_MAX_S);
  g_debug ("helper away (%s): next attempt in %u s", error != NULL ? error->message : "?", delay);
  netpulse_source_set_state (NETPULSE_SOURCE (self), NETPULSE_SOURCE_STATE_RECONNECTING, error);
}

static gboolean
is_reconnecting (NetpulseHelperSource *self)
{
  return self->retry_delay_s > 0;
}

static void
fail (NetpulseHelperSource *self,
      const GError         *error)
{
  g_autoptr(GError) translated = translate_error (error);

  if (is_reconnecting (self) && is_transient (translated))
    {
      schedule_retry (self, translated);
      return;
    }
  self->retry_delay_s = 0;
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

static void disconnect_client (NetpulseHelperSource *self);

static void
on_client_state (NetpulseHelperSource *self,
                 GParamSpec           *pspec,
                 NetpulseClient       *client)
{
  const GError *error = netpulse_client_get_error (client);
  g_autoptr(GError) translated = NULL;

  if (netpulse_client_get_state (client) != NETPULSE_CLIENT_STATE_FAILED ||
      netpulse_source_get_state (NETPULSE_SOURCE (self)) != NETPULSE_SOURCE_STATE_RUNNING ||
      error == NULL)
    return;

  translated = translate_error (error);
  if (!is_transient (translated))
    {
      fail (self, error);
      return;
    }
  /* Lost under a running subscription: the table stays, we come back. */
  disconnect_client (self);
  self->retry_delay_s = RETRY_FIRST_S;
  schedule_retry (self, translated);
}

/* The helper's own wording of a refusal (helper/netpulse-authority.c):
 * its error name is the same for all of them. */
#define HELPER_SAYS_DISMISSED "request was dismissed"
#define HELPER_SAYS_NO_AGENT  "no authentication agent"

static void
fail_with (NetpulseHelperSource *self,
           NetpulseSourceError   code,
           const GError         *error)
{
  g_autoptr(GError) refusal = g_error_new_literal (NETPULSE_SOURCE_ERROR, code, error->message);

  self->retry_delay_s = 0;
  netpulse_source_set_state (NETPULSE_SOURCE (self), NETPULSE_SOURCE_STATE_FAILED, refusal);
}

static void
refusal_status_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(NetpulseHelperSource) self = user_data;
  g_autoptr(GError) refusal = g_steal_pointer (&self->refusal);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) status = NULL;
  const char *authorization = NULL;

  status = netpulse_client_get_status_finish (NETPULSE_CLIENT (object), result, &error);
  if (refusal == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* An idle helper may exit right after the refused Subscribe, under our
   * question: once more, which starts it again. */
  if (status == NULL && !self->refusal_rechecked)
    {
      g_debug ("asking polkit again after a refusal failed (%s): once more", error->message);
      self->refusal_rechecked = TRUE;
      self->refusal = g_steal_pointer (&refusal);
      netpulse_client_get_status_async (self->client, self->cancellable, refusal_status_cb, g_object_ref (self));
      return;
    }
  if (status != NULL)
    g_variant_lookup (status, "authorization", "&s", &authorization);

  /* polkit would still ask: what it asked for was not given. */
  if (g_strcmp0 (authorization, "challenge") != 0)
    fail_with (self, NETPULSE_SOURCE_ERROR_NOT_AUTHORIZED, refusal);
  else if (strstr (refusal->message, HELPER_SAYS_NO_AGENT) != NULL)
    fail_with (self, NETPULSE_SOURCE_ERROR_AUTH_NO_AGENT, refusal);
  else
    fail_with (self, NETPULSE_SOURCE_ERROR_AUTH_FAILED, refusal);
}

/* Subscribe said NotAuthorized: which refusal it was. */
static void
classify_refusal (NetpulseHelperSource *self,
                  const GError         *error)
{
  if (strstr (error->message, HELPER_SAYS_DISMISSED) != NULL)
    {
      fail_with (self, NETPULSE_SOURCE_ERROR_AUTH_CANCELLED, error);
      return;
    }
  if (!self->asked)
    {
      fail_with (self, NETPULSE_SOURCE_ERROR_NOT_AUTHORIZED, error);
      return;
    }
  /* Asked without a prompt, what polkit says now. */
  g_clear_error (&self->refusal);
  self->refusal = g_error_copy (error);
  self->refusal_rechecked = FALSE;
  netpulse_client_get_status_async (self->client, self->cancellable, refusal_status_cb, g_object_ref (self));
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
      if (g_error_matches (error, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_NOT_AUTHORIZED))
        classify_refusal (self, error);
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, error);
      return;
    }
  self->retry_delay_s = 0;
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
  const char *authorization = NULL;

  status = netpulse_client_get_status_finish (NETPULSE_CLIENT (object), result, &error);
  if (status == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, error);
      return;
    }

  /* A prompt is coming: that page, even while reconnecting (it needs the person). */
  g_variant_lookup (status, "authorization", "&s", &authorization);
  self->asked = g_strcmp0 (authorization, "challenge") == 0;
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

/* The run of the helper that sends the frames (its InstanceId, known from
 * the first frame on, before that frame is emitted): the feed keeps rows,
 * totals and history only within one run. */
static void
on_client_instance (NetpulseHelperSource *self)
{
  netpulse_source_set_instance (NETPULSE_SOURCE (self), netpulse_client_get_instance_id (self->client));
}

/* A fresh client each time: retry after denial, reconnect after a crash. */
static void
connect_client (NetpulseHelperSource *self)
{
  disconnect_client (self);
  self->client = netpulse_client_new ();
  self->cancellable = g_cancellable_new ();
  g_signal_connect_object (self->client, "update", G_CALLBACK (on_update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "snapshot", G_CALLBACK (on_snapshot), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::state", G_CALLBACK (on_client_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::counters", G_CALLBACK (on_client_counters), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::instance-id", G_CALLBACK (on_client_instance), self, G_CONNECT_SWAPPED);
  netpulse_client_get_status_async (self->client, self->cancellable, status_cb, g_object_ref (self));
}

/* The helper's name on the bus: its return ends the wait of a
 * reconnection. */
static void
on_name_appeared (GDBusConnection *connection,
                  const char      *name,
                  const char      *name_owner,
                  gpointer         user_data)
{
  NetpulseHelperSource *self = user_data;

  if (is_reconnecting (self) && self->retry_id != 0)
    {
      g_clear_handle_id (&self->retry_id, g_source_remove);
      connect_client (self);
    }
}

static void
watch_name (NetpulseHelperSource *self)
{
  if (self->name_watch_id != 0)
    return;
  self->name_watch_id = g_bus_watch_name (G_BUS_TYPE_SYSTEM, NETPULSE_HELPER_BUS_NAME,
                                          G_BUS_NAME_WATCHER_FLAGS_NONE,
                                          on_name_appeared, NULL, self, NULL);
}

static void
netpulse_helper_source_start (NetpulseSource *source)
{
  NetpulseHelperSource *self = NETPULSE_HELPER_SOURCE (source);

  /* Retry and Reconnect clicked: now, and a refusal is final again. */
  g_clear_handle_id (&self->retry_id, g_source_remove);
  self->retry_delay_s = 0;
  watch_name (self);
  connect_client (self);
  netpulse_source_set_state (source, NETPULSE_SOURCE_STATE_CONNECTING, NULL);
}

static void
netpulse_helper_source_stop (NetpulseSource *source)
{
  NetpulseHelperSource *self = NETPULSE_HELPER_SOURCE (source);

  g_clear_handle_id (&self->retry_id, g_source_remove);
  self->retry_delay_s = 0;
  disconnect_client (self);
  netpulse_source_set_state (source, NETPULSE_SOURCE_STATE_IDLE, NULL);
}

static void
set_options_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(NetpulseHelperSource) self = user_data;
  g_autoptr(GError) error = NULL;

  if (netpulse_client_set_options_finish (NETPULSE_CLIENT (object), result, &error) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_debug ("SetOptions failed (%s): subscribing anew", error->message);
  connect_client (self);
}

static void
netpulse_helper_source_set_interval (NetpulseSource *source,
                                     guint           interval_ms)
{
  NetpulseHelperSource *self = NETPULSE_HELPER_SOURCE (source);

  /* A display setting: the live subscription changes pace (SetOptions),
   * without polkit, keeping ids, totals and history.  Only a helper
   * without SetOptions gets a new subscription. */
  if (netpulse_source_get_state (source) == NETPULSE_SOURCE_STATE_RUNNING)
    netpulse_client_set_options_async (self->client, interval_ms, 0, self->cancellable,
                                       set_options_cb, g_object_ref (self));
}

static void
netpulse_helper_source_dispose (GObject *object)
{
  NetpulseHelperSource *self = NETPULSE_HELPER_SOURCE (object);

  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_clear_handle_id (&self->name_watch_id, g_bus_unwatch_name);
  disconnect_client (self);
  g_clear_error (&self->refusal);
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
