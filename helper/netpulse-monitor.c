/* netpulse-monitor.c — the io.github.netpulse.Helper1 object: subscriptions,
 * authorization and the subscribers' streams around a NetpulseCollector.
 *
 * Threads: the skeleton runs with
 * G_DBUS_INTERFACE_SKELETON_FLAGS_HANDLE_METHOD_INVOCATIONS_IN_THREAD, so
 * that a polkit password prompt (which can stay up for minutes) blocks a
 * worker thread and never the main loop.  g_authorize_method and the
 * handle_* vfuncs therefore run in worker threads.  They touch nothing but
 * the thread-safe NetpulseAuthority and hand the call over to the main
 * context (call_in_main()), where all the state lives: the collector is not
 * thread-safe, and neither are the subscription tables.
 *
 * Bulk data does not go over the bus: each subscriber reads frames from a
 * socket of its own that Subscribe hands out (NetpulseStream), built by a
 * NetpulseSender in a worker thread and written without ever blocking, so
 * a subscriber that stops reading only hurts itself; see send_due_frames().
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-monitor"

#include "config.h"

#include "netpulse-helper-error.h"
#include "netpulse-monitor.h"
#include "netpulse-name-watch.h"
#include "netpulse-sandbox.h"
#include "netpulse-sender.h"
#include "netpulse-subscription.h"

/* Sampling with nobody subscribed (the collector stays loaded): often
 * enough that the kernel's ring of closed connections does not fill up. */
#define IDLE_SAMPLE_INTERVAL_MS 1000


typedef struct
{
  NetpulseNameWatch *name_watch;
  guint              n_subscriptions;
} ClientWatch;

struct _NetpulseMonitor
{
  NetpulseHelper1Skeleton  parent_instance;

  /* Immutable after construction, read from any thread. */
  GMainContext            *main_context;
  NetpulseAuthority       *authority;

  /* Main context only. */
  NetpulseCollectorConfig  collector_config;
  guint64                  sandbox_capabilities;
  char                    *collector_backend;
  char                    *collector_verifier_log;
  NetpulseCollector       *collector;       /* non-NULL while monitoring */
  GHashTable              *subscriptions;   /* object path → NetpulseSubscription */
  GHashTable              *clients;         /* unique name → ClientWatch */
  guint64                  last_subscription_id;
  guint                    idle_timeout_ms;
  guint                    max_per_client;
  guint                    max_total;
  guint                    idle_source_id;
  guint                    tick_source_id;
  guint                    tick_interval_ms;
  char                    *last_sample_error;

  NetpulseSender          *sender;

  /* Atomic: method calls being authorized or handled.  The helper does not
   * idle out while one is pending (a password prompt may be up). */
  gint                     calls_in_flight;
};

enum {
  IDLE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void netpulse_monitor_helper1_iface_init (NetpulseHelper1Iface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NetpulseMonitor, netpulse_monitor, NETPULSE_TYPE_HELPER1_SKELETON,
                               G_IMPLEMENT_INTERFACE (NETPULSE_TYPE_HELPER1,
                                                      netpulse_monitor_helper1_iface_init))

static void subscriptions_changed (NetpulseMonitor *self);

/* Runs @func in @context's thread.  Not g_main_context_invoke(): when
 * nobody iterates @context (the main loop has ended) that runs @func at
 * once in the calling thread, racing with the main thread's shutdown. */
static void
attach_idle (GMainContext *context,
             GSourceFunc   func,
             gpointer      data)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, context);
}

/* A method call handed from a worker thread to the main context. */
typedef void (*MainContextHandler) (NetpulseMonitor       *self,
                                    GDBusMethodInvocation *invocation);

typedef struct
{
  NetpulseMonitor       *self;
  GDBusMethodInvocation *invocation;     /* owned: the handler completes it */
  MainContextHandler     handler;        /* NULL: bookkeeping only */
} MainContextCall;

/* ------------------------------------------------------------------------ */
/* Idle exit                                                                 */

static gboolean
idle_timeout_cb (gpointer user_data)
{
  NetpulseMonitor *self = user_data;

  self->idle_source_id = 0;

  if (g_hash_table_size (self->subscriptions) > 0)
    return G_SOURCE_REMOVE;

  if (g_atomic_int_get (&self->calls_in_flight) > 0)
    {
      /* Someone is being asked for a password, or a call is on its way to
       * the main context: try again later. */
      self->idle_source_id = g_timeout_add (self->idle_timeout_ms, idle_timeout_cb, self);
      return G_SOURCE_REMOVE;
    }

  g_message ("No subscribers for %u ms, exiting", self->idle_timeout_ms);
  g_signal_emit (self, signals[IDLE], 0);
  return G_SOURCE_REMOVE;
}

/* (Re)starts the idle countdown: called when the last subscription ends and
 * on every call handled while there is none. */
static void
rearm_idle_timeout (NetpulseMonitor *self)
{
  g_clear_handle_id (&self->idle_source_id, g_source_remove);

  if (self->idle_timeout_ms == 0 || g_hash_table_size (self->subscriptions) > 0)
    return;

  self->idle_source_id = g_timeout_add (self->idle_timeout_ms, idle_timeout_cb, self);
}

/* ------------------------------------------------------------------------ */
/* Monitoring: the collector and the subscribers' streams                    */

static void
publish_counters (NetpulseMonitor *self)
{
  /* (transfer full), possibly floating: take_ref covers both. */
  g_autoptr(GVariant) counters = g_variant_take_ref (netpulse_collector_get_counters (self->collector));

  netpulse_helper1_set_counters (NETPULSE_HELPER1 (self), counters);
}

static void
publish_collector_state (NetpulseMonitor *self)
{
  NetpulseHelper1 *helper = NETPULSE_HELPER1 (self);

  if (self->collector == NULL)
    {
      netpulse_helper1_set_backend (helper, "none");
      return;
    }

  netpulse_helper1_set_backend (helper, netpulse_collector_get_backend (self->collector));
  netpulse_helper1_set_kernel_features (helper,
                                        (const char * const *) netpulse_collector_get_features (self->collector));
  publish_counters (self);
}

/* Loads the collector at the first Subscribe, then drops privileges
 * (netpulse-sandbox.c): it cannot be loaded a second time, so it stays
 * loaded — sampling on with nobody subscribed, so that closes are drained
 * — until the helper exits after its idle timeout, which detaches
 * everything. */
static gboolean
start_monitoring (NetpulseMonitor  *self,
                  GError          **error)
{
  g_autoptr(NetpulseCollector) collector = NULL;
  g_autoptr(GError) local_error = NULL;

  if (self->collector != NULL)
    return TRUE;

  collector = netpulse_collector_new (&self->collector_config);
  if (!netpulse_collector_start (collector, &local_error))
    {
      g_warning ("Could not start monitoring: %s", local_error->message);
      g_set_error (error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_BACKEND_FAILED,
                   "Could not load the kernel programs: %s", local_error->message);
      return FALSE;
    }

  /* No data is served by a helper that could not give up its privileges. */
  if (!netpulse_sandbox_enter (self->sandbox_capabilities, &local_error))
    {
      g_warning ("Could not drop privileges: %s", local_error->message);
      netpulse_collector_stop (collector);
      g_set_error (error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_BACKEND_FAILED,
                   "Could not drop privileges after loading the kernel programs: %s",
                   local_error->message);
      return FALSE;
    }

  self->collector = g_steal_pointer (&collector);
  g_message ("Monitoring started, backend in use: %s",
             netpulse_collector_get_backend (self->collector));
  publish_collector_state (self);
  return TRUE;
}

static void
stop_monitoring (NetpulseMonitor *self)
{
  if (self->collector == NULL)
    return;

  /* Keep the last counters readable after the session. */
  publish_counters (self);

  netpulse_collector_stop (self->collector);
  g_clear_object (&self->collector);
  g_clear_pointer (&self->last_sample_error, g_free);
  g_message ("Monitoring stopped, kernel programs detached");
  publish_collector_state (self);
}

static GPtrArray *
subscriptions_array (NetpulseMonitor *self)
{
  GPtrArray *array = g_ptr_array_new_full (g_hash_table_size (self->subscriptions), g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->subscriptions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (array, g_object_ref (value));
  return array;
}

/* Samples the kernel once and has a frame built for every subscription
 * whose interval has elapsed (see NetpulseSender for the coalescing of
 * slow readers); ends those that broke the slow-reader rule. */
static void
send_due_frames (NetpulseMonitor *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) subscriptions = NULL;
  g_autoptr(GPtrArray) too_slow = NULL;

  if (self->collector == NULL)
    return;

  if (!netpulse_collector_sample (self->collector, &error))
    {
      /* Once per distinct failure, not once per tick. */
      if (g_strcmp0 (error->message, self->last_sample_error) != 0)
        {
          g_warning ("Could not read the kernel maps: %s", error->message);
          g_free (self->last_sample_error);
          self->last_sample_error = g_strdup (error->message);
        }
      return;
    }
  g_clear_pointer (&self->last_sample_error, g_free);

  subscriptions = subscriptions_array (self);
  too_slow = netpulse_sender_send_due (self->sender, self->collector, subscriptions,
                                       g_get_monotonic_time ());

  for (guint i = 0; i < too_slow->len; i++)
    {
      NetpulseSubscription *subscription = g_ptr_array_index (too_slow, i);
      g_autoptr(GError) reason =
        g_error_new (NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_TOO_SLOW,
                     "The subscriber did not read its stream for %u intervals and %d s",
                     NETPULSE_SENDER_MAX_SKIPPED,
                     (int) (NETPULSE_SENDER_MAX_SKIPPED_US / G_USEC_PER_SEC));

      netpulse_monitor_end_subscription (self, subscription, reason);
    }

  publish_counters (self);
}

/* The first frame of a new subscription goes out at once, from the last
 * sample: sampling again just for it would make everyone else's next rates
 * cover a sliver of time instead of a tick.  Only a collector that was just
 * started has no sample yet. */
static void
send_first_frame (NetpulseMonitor      *self,
                  NetpulseSubscription *subscription)
{
  g_autoptr(GError) error = NULL;

  if (netpulse_collector_get_generation (self->collector) == 0 &&
      !netpulse_collector_sample (self->collector, &error))
    {
      /* The next tick will try again, and the subscription is still due. */
      g_warning ("Could not read the kernel maps: %s", error->message);
      return;
    }

  netpulse_sender_send_first (self->sender, self->collector, subscription);
}

static gboolean
tick_cb (gpointer user_data)
{
  send_due_frames (user_data);
  return G_SOURCE_CONTINUE;
}

/* One timer at the shortest interval any subscription asked for. */
static void
update_tick (NetpulseMonitor *self)
{
  guint interval_ms = 0;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->subscriptions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      guint sub_interval = netpulse_subscription_get_interval_ms (value);

      if (interval_ms == 0 || sub_interval < interval_ms)
        interval_ms = sub_interval;
    }
  if (interval_ms == 0 && self->collector != NULL)
    interval_ms = IDLE_SAMPLE_INTERVAL_MS;

  if (interval_ms == self->tick_interval_ms && (interval_ms == 0) == (self->tick_source_id == 0))
    return;

  g_clear_handle_id (&self->tick_source_id, g_source_remove);
  self->tick_interval_ms = interval_ms;
  if (interval_ms > 0)
    self->tick_source_id = g_timeout_add (interval_ms, tick_cb, self);
}

/* ------------------------------------------------------------------------ */
/* Subscriptions and their owners                                            */

static void
client_watch_free (gpointer data)
{
  ClientWatch *watch = data;

  /* Ours is the only reference: no "gone" can follow. */
  g_object_unref (watch->name_watch);
  g_free (watch);
}

static void remove_subscription (NetpulseMonitor      *self,
                                 NetpulseSubscription *subscription);

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
    remove_subscription (self, g_ptr_array_index (dropped, i));
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
          remove_subscription (self, subscription);
          return;
        }
    }
}

static void
add_subscription (NetpulseMonitor      *self,
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

static void
remove_subscription (NetpulseMonitor      *self,
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
  update_tick (self);

  /* The collector stays loaded (see start_monitoring()): the idle timeout
   * ends the helper, and with it the kernel programs. */
  if (n == 0)
    rearm_idle_timeout (self);
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
  end = netpulse_frame_new_end (netpulse_subscription_get_sequence (subscription) + 1, reason);
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

  remove_subscription (self, subscription);
}

/* The caller's own subscription at @path, or NULL with NoSuchSubscription:
 * nobody may look at or end someone else's stream. */
static NetpulseSubscription *
lookup_subscription (NetpulseMonitor        *self,
                     GDBusMethodInvocation  *invocation,
                     const char             *path,
                     GError                **error)
{
  NetpulseSubscription *subscription = g_hash_table_lookup (self->subscriptions, path);

  if (subscription == NULL ||
      g_strcmp0 (netpulse_subscription_get_owner (subscription),
                 g_dbus_method_invocation_get_sender (invocation)) != 0)
    {
      g_set_error (error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_NO_SUCH_SUBSCRIPTION,
                   "%s is not a subscription of this client", path);
      return NULL;
    }

  return subscription;
}

/* ------------------------------------------------------------------------ */
/* Method calls, main-context half                                           */

static void
subscribe_in_main (NetpulseMonitor       *self,
                   GDBusMethodInvocation *invocation)
{
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  g_autoptr(NetpulseSubscription) subscription = NULL;
  g_autoptr(NetpulseStream) stream = NULL;
  g_autoptr(GUnixFDList) fd_list = NULL;
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  ClientWatch *watch;
  guint interval_ms;
  int peer_fd = -1;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(@a{sv})", &options);

  if (!netpulse_subscription_parse_options (options, &interval_ms, &error))
    goto failed;

  watch = g_hash_table_lookup (self->clients, sender);
  if (watch != NULL && watch->n_subscriptions >= self->max_per_client)
    {
      g_set_error (&error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_TOO_MANY_SUBSCRIPTIONS,
                   "This client already has %u subscriptions, the most allowed",
                   self->max_per_client);
      goto failed;
    }

  if (g_hash_table_size (self->subscriptions) >= self->max_total)
    {
      g_set_error (&error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_TOO_MANY_SUBSCRIPTIONS,
                   "The helper already serves %u subscriptions, the most allowed",
                   self->max_total);
      goto failed;
    }

  if (!(g_dbus_connection_get_capabilities (g_dbus_method_invocation_get_connection (invocation)) &
        G_DBUS_CAPABILITY_FLAGS_UNIX_FD_PASSING))
    {
      g_set_error_literal (&error, G_DBUS_ERROR, G_DBUS_ERROR_NOT_SUPPORTED,
                           "The helper's bus connection cannot pass file descriptors");
      goto failed;
    }

  stream = netpulse_stream_new (&peer_fd, &error);
  if (stream == NULL)
    goto failed;
  fd_list = g_unix_fd_list_new_from_array (&peer_fd, 1);   /* takes the fd */

  if (!start_monitoring (self, &error))
    goto failed;

  path = g_strdup_printf ("%s/Subscription%" G_GUINT64_FORMAT,
                          HELPER_OBJECT_PATH, ++self->last_subscription_id);
  subscription = netpulse_subscription_new (path, sender, interval_ms, stream);
  add_subscription (self, subscription);

  g_message ("%s subscribed (%s, every %u ms)", sender, path, interval_ms);

  /* The stream is the client's own channel: the first frame may well be
   * there before the reply. */
  netpulse_helper1_complete_subscribe (NETPULSE_HELPER1 (self), invocation, fd_list, path,
                                       g_variant_new_handle (0));
  send_first_frame (self, subscription);
  return;

failed:
  g_debug ("Subscribe from %s refused: %s", sender, error->message);
  g_dbus_method_invocation_return_gerror (invocation, error);
}

static void
unsubscribe_in_main (NetpulseMonitor       *self,
                     GDBusMethodInvocation *invocation)
{
  g_autoptr(NetpulseSubscription) subscription = NULL;
  g_autoptr(GError) error = NULL;
  NetpulseSubscription *found;
  const char *path;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(&o)", &path);

  found = lookup_subscription (self, invocation, path, &error);
  if (found == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }

  /* Keep it alive while it leaves the table. */
  subscription = g_object_ref (found);
  g_message ("%s unsubscribed (%s)", netpulse_subscription_get_owner (subscription), path);
  remove_subscription (self, subscription);
  netpulse_helper1_complete_unsubscribe (NETPULSE_HELPER1 (self), invocation);
}

static void
get_snapshot_in_main (NetpulseMonitor       *self,
                      GDBusMethodInvocation *invocation)
{
  NetpulseSubscription *subscription;
  g_autoptr(GError) error = NULL;
  const char *path;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(&o)", &path);

  subscription = lookup_subscription (self, invocation, path, &error);
  if (subscription == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }

  /* A live subscription implies a running collector. */
  g_assert (self->collector != NULL);

  netpulse_helper1_complete_get_snapshot (NETPULSE_HELPER1 (self), invocation,
                                          netpulse_subscription_request_snapshot (subscription));
}

/* ------------------------------------------------------------------------ */
/* Method calls, worker-thread half                                          */

static void
finish_call (MainContextCall *call)
{
  NetpulseMonitor *self = call->self;

  if (call->handler != NULL)
    call->handler (self, call->invocation);

  g_atomic_int_add (&self->calls_in_flight, -1);
  rearm_idle_timeout (self);

  g_object_unref (self);
  g_free (call);
}

static gboolean
call_in_main_cb (gpointer user_data)
{
  finish_call (user_data);
  return G_SOURCE_REMOVE;
}

/* Worker thread → main context.  Ends the call's time "in flight" (counted
 * from g_authorize_method) once the handler has run. */
static void
call_in_main (NetpulseMonitor       *self,
              GDBusMethodInvocation *invocation,
              MainContextHandler     handler)
{
  MainContextCall *call = g_new0 (MainContextCall, 1);

  call->self = g_object_ref (self);
  call->invocation = invocation;
  call->handler = handler;
  attach_idle (self->main_context, call_in_main_cb, call);
}

static gboolean
netpulse_monitor_handle_subscribe (NetpulseHelper1       *helper,
                                   GDBusMethodInvocation *invocation,
                                   GUnixFDList           *fd_list,
                                   GVariant              *options)
{
  call_in_main (NETPULSE_MONITOR (helper), invocation, subscribe_in_main);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
netpulse_monitor_handle_unsubscribe (NetpulseHelper1       *helper,
                                     GDBusMethodInvocation *invocation,
                                     const char            *subscription)
{
  call_in_main (NETPULSE_MONITOR (helper), invocation, unsubscribe_in_main);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
netpulse_monitor_handle_get_snapshot (NetpulseHelper1       *helper,
                                      GDBusMethodInvocation *invocation,
                                      const char            *subscription)
{
  call_in_main (NETPULSE_MONITOR (helper), invocation, get_snapshot_in_main);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
netpulse_monitor_handle_check_authorization (NetpulseHelper1       *helper,
                                             GDBusMethodInvocation *invocation,
                                             gboolean               interactive)
{
  NetpulseMonitor *self = NETPULSE_MONITOR (helper);
  gboolean authorized;

  /* Already in a worker thread: the check may block on a prompt. */
  authorized = netpulse_authority_check_sync (self->authority,
                                              g_dbus_method_invocation_get_sender (invocation),
                                              interactive, NULL, NULL);
  netpulse_helper1_complete_check_authorization (helper, invocation, authorized);

  /* Nothing to do in the main context but to count the call as activity. */
  call_in_main (self, NULL, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
method_needs_authorization (const char *method)
{
  /* CheckAuthorization asks polkit itself and answers a boolean;
   * Unsubscribe only ever ends the caller's own subscriptions and must not
   * bring up a password prompt. */
  return g_strcmp0 (method, "Subscribe") == 0 ||
         g_strcmp0 (method, "GetSnapshot") == 0;
}

/* The one place where access is decided.  Runs in a worker thread, for
 * every method call of the interface (property reads do not come here). */
static gboolean
netpulse_monitor_authorize_method (GDBusInterfaceSkeleton *skeleton,
                                   GDBusMethodInvocation  *invocation)
{
  NetpulseMonitor *self = NETPULSE_MONITOR (skeleton);
  const char *method = g_dbus_method_invocation_get_method_name (invocation);
  g_autoptr(GError) error = NULL;

  g_atomic_int_inc (&self->calls_in_flight);

  if (!method_needs_authorization (method))
    return TRUE;

  if (netpulse_authority_check_sync (self->authority,
                                     g_dbus_method_invocation_get_sender (invocation),
                                     TRUE, NULL, &error))
    return TRUE;

  /* Returning FALSE leaves the reply to us. */
  g_dbus_method_invocation_return_gerror (invocation, error);
  g_atomic_int_add (&self->calls_in_flight, -1);
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                   */

static void
netpulse_monitor_finalize (GObject *object)
{
  NetpulseMonitor *self = NETPULSE_MONITOR (object);

  g_clear_handle_id (&self->idle_source_id, g_source_remove);
  g_clear_handle_id (&self->tick_source_id, g_source_remove);
  if (self->sender != NULL)
    netpulse_sender_shutdown (self->sender);
  g_clear_object (&self->sender);
  g_clear_pointer (&self->clients, g_hash_table_unref);
  g_clear_pointer (&self->subscriptions, g_hash_table_unref);
  if (self->collector != NULL)
    netpulse_collector_stop (self->collector);
  g_clear_object (&self->collector);
  g_clear_object (&self->authority);
  g_clear_pointer (&self->main_context, g_main_context_unref);
  g_clear_pointer (&self->collector_backend, g_free);
  g_clear_pointer (&self->collector_verifier_log, g_free);
  g_clear_pointer (&self->last_sample_error, g_free);

  G_OBJECT_CLASS (netpulse_monitor_parent_class)->finalize (object);
}

static void
netpulse_monitor_class_init (NetpulseMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GDBusInterfaceSkeletonClass *skeleton_class = G_DBUS_INTERFACE_SKELETON_CLASS (klass);

  object_class->finalize = netpulse_monitor_finalize;

  skeleton_class->g_authorize_method = netpulse_monitor_authorize_method;

  signals[IDLE] = g_signal_new ("idle",
                                G_TYPE_FROM_CLASS (klass),
                                G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL,
                                G_TYPE_NONE, 0);
}

static void
netpulse_monitor_helper1_iface_init (NetpulseHelper1Iface *iface)
{
  iface->handle_subscribe = netpulse_monitor_handle_subscribe;
  iface->handle_unsubscribe = netpulse_monitor_handle_unsubscribe;
  iface->handle_get_snapshot = netpulse_monitor_handle_get_snapshot;
  iface->handle_check_authorization = netpulse_monitor_handle_check_authorization;
}

static void
netpulse_monitor_init (NetpulseMonitor *self)
{
  static const char * const no_features[] = { NULL };
  NetpulseHelper1 *helper = NETPULSE_HELPER1 (self);

  self->main_context = g_main_context_ref_thread_default ();
  self->subscriptions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->clients = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, client_watch_free);
  self->sender = netpulse_sender_new ();

  g_dbus_interface_skeleton_set_flags (G_DBUS_INTERFACE_SKELETON (self),
                                       G_DBUS_INTERFACE_SKELETON_FLAGS_HANDLE_METHOD_INVOCATIONS_IN_THREAD);

  netpulse_helper1_set_version (helper, PACKAGE_VERSION);
  netpulse_helper1_set_backend (helper, "none");
  netpulse_helper1_set_kernel_features (helper, no_features);
  netpulse_helper1_set_counters (helper, g_variant_new_array (G_VARIANT_TYPE ("{st}"), NULL, 0));
  netpulse_helper1_set_subscriptions (helper, 0);
}

NetpulseMonitor *
netpulse_monitor_new (const NetpulseMonitorConfig *config,
                      NetpulseAuthority           *authority)
{
  NetpulseMonitor *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->collector != NULL, NULL);
  g_return_val_if_fail (NETPULSE_IS_AUTHORITY (authority), NULL);

  self = g_object_new (NETPULSE_TYPE_MONITOR, NULL);
  self->authority = g_object_ref (authority);
  self->idle_timeout_ms = config->idle_timeout_ms;
  self->sandbox_capabilities = config->sandbox_capabilities;
  self->max_per_client = config->max_per_client ? config->max_per_client
                                                : NETPULSE_MONITOR_DEFAULT_MAX_PER_CLIENT;
  self->max_total = config->max_total ? config->max_total : NETPULSE_MONITOR_DEFAULT_MAX_TOTAL;

  /* Own copies of the strings: the collector of each session gets them. */
  self->collector_config = *config->collector;
  self->collector_backend = g_strdup (config->collector->backend);
  self->collector_verifier_log = g_strdup (config->collector->verifier_log);
  self->collector_config.backend = self->collector_backend;
  self->collector_config.verifier_log = self->collector_verifier_log;

  /* Started without a subscriber (activated by a property read, or by a
   * caller that then went away): idle out all the same. */
  rearm_idle_timeout (self);

  return self;
}

guint
netpulse_monitor_get_n_subscriptions (NetpulseMonitor *self)
{
  g_return_val_if_fail (NETPULSE_IS_MONITOR (self), 0);

  return g_hash_table_size (self->subscriptions);
}

void
netpulse_monitor_shutdown (NetpulseMonitor *self)
{
  g_return_if_fail (NETPULSE_IS_MONITOR (self));

  g_clear_handle_id (&self->idle_source_id, g_source_remove);
  g_clear_handle_id (&self->tick_source_id, g_source_remove);
  self->tick_interval_ms = 0;

  self->idle_timeout_ms = 0;

  /* Frames still being built are dropped (their streams close now). */
  netpulse_sender_shutdown (self->sender);

  {
    g_autoptr(GPtrArray) subscriptions = subscriptions_array (self);

    for (guint i = 0; i < subscriptions->len; i++)
      netpulse_stream_close (netpulse_subscription_get_stream (g_ptr_array_index (subscriptions, i)));
  }
  g_hash_table_remove_all (self->subscriptions);
  g_hash_table_remove_all (self->clients);
  netpulse_helper1_set_subscriptions (NETPULSE_HELPER1 (self), 0);
  stop_monitoring (self);
}
