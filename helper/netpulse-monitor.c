/* netpulse-monitor.c — the io.github.netpulse.Helper1 object: subscriptions,
 * authorization and the Update stream around a NetpulseCollector.
 *
 * Threads: everything here runs in the main context, method calls
 * included: they are authorized asynchronously (netpulse-monitor-calls.c,
 * netpulse-gate.c), so that no password prompt or slow polkitd holds a
 * thread, and the collector and the subscription tables (not thread-safe)
 * need no lock.
 *
 * The one worker, the sender thread, turns each tick's Updates into
 * D-Bus messages (the expensive part with many connections) from records
 * the main context copied out of the collector; see send_due_updates().
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-monitor"

#include "config.h"

#include "netpulse-helper-error.h"
#include "netpulse-monitor-private.h"
#include "netpulse-name-watch.h"

/* Timer jitter: an Update due within this much of the tick is sent now
 * rather than one whole tick late. */
#define TICK_SLACK_US (10 * G_TIME_SPAN_MILLISECOND)
/* Updates still on their way after this long are worth a line in the log. */
#define SEND_STALL_REPORT_US (2 * G_USEC_PER_SEC)

enum {
  IDLE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE_WITH_CODE (NetpulseMonitor, netpulse_monitor, NETPULSE_TYPE_HELPER1_SKELETON,
                               G_IMPLEMENT_INTERFACE (NETPULSE_TYPE_HELPER1,
                                                      _netpulse_monitor_calls_iface_init))

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

/* A method call whose answer waits until the Updates in the sender have
 * left (see _netpulse_monitor_after_updates()). */
typedef struct
{
  GDBusMethodInvocation  *invocation;     /* owned: the handler completes it */
  NetpulseMonitorHandler  handler;
} DeferredCall;

/* ------------------------------------------------------------------------ */
/* Idle exit                                                                 */

static gboolean
idle_timeout_cb (gpointer user_data)
{
  NetpulseMonitor *self = user_data;

  self->idle_source_id = 0;

  if (g_hash_table_size (self->subscriptions) > 0)
    return G_SOURCE_REMOVE;

  if (_netpulse_monitor_calls_pending (self))
    {
      /* Someone is being asked for a password: try again later.  Every
       * check gives up after a while (NETPULSE_GATE_INTERACTIVE_TIMEOUT_S),
       * so this cannot keep the helper alive for ever; calls polkit said
       * no to do not re-arm the countdown at all. */
      self->idle_source_id = g_timeout_add (self->idle_timeout_ms, idle_timeout_cb, self);
      return G_SOURCE_REMOVE;
    }

  g_message ("No subscribers for %u ms, exiting", self->idle_timeout_ms);
  g_signal_emit (self, signals[IDLE], 0);
  return G_SOURCE_REMOVE;
}

/* (Re)starts the idle countdown: called when the last subscription ends and
 * on every authorized call handled while there is none.  Not on calls that
 * were refused: a caller without authorization must not keep a root
 * process alive. */
void
_netpulse_monitor_rearm_idle_timeout (NetpulseMonitor *self)
{
  g_clear_handle_id (&self->idle_source_id, g_source_remove);

  if (self->idle_timeout_ms == 0 || g_hash_table_size (self->subscriptions) > 0)
    return;

  self->idle_source_id = g_timeout_add (self->idle_timeout_ms, idle_timeout_cb, self);
}

/* ------------------------------------------------------------------------ */
/* Monitoring: the collector and the Update stream                           */

/* The collector's counters (the last ones when nothing is loaded) and the
 * authorization gate's. */
void
_netpulse_monitor_publish_counters (NetpulseMonitor *self)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{st}"));

  if (self->collector != NULL)
    {
      g_clear_pointer (&self->collector_counters, g_variant_unref);
      /* (transfer full), possibly floating: take_ref covers both. */
      self->collector_counters = g_variant_take_ref (netpulse_collector_get_counters (self->collector));
    }
  if (self->collector_counters != NULL)
    {
      GVariantIter iter;
      GVariant *entry;

      g_variant_iter_init (&iter, self->collector_counters);
      while ((entry = g_variant_iter_next_value (&iter)) != NULL)
        {
          g_variant_builder_add_value (&builder, entry);
          g_variant_unref (entry);
        }
    }
  if (self->gate != NULL)
    netpulse_gate_add_counters (self->gate, &builder);
  g_variant_builder_add (&builder, "{st}", "revoked-subscriptions", self->revoked);

  netpulse_helper1_set_counters (NETPULSE_HELPER1 (self), g_variant_builder_end (&builder));
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
  _netpulse_monitor_publish_counters (self);
}

/* A fresh collector for each monitoring session: no record of a previous
 * session (whose connections may have closed unseen while nothing was
 * loaded) can leak into the next one. */
gboolean
_netpulse_monitor_start_monitoring (NetpulseMonitor  *self,
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
  _netpulse_monitor_publish_counters (self);

  netpulse_collector_stop (self->collector);
  g_clear_object (&self->collector);
  g_clear_pointer (&self->last_sample_error, g_free);
  g_message ("Monitoring stopped, kernel programs detached");
  publish_collector_state (self);
}

typedef struct
{
  char            *destination;
  char            *object_path;
  guint64          sequence;
  guint64          timestamp_ns;
  NetpulseChanges *changes;
} Update;

static void
update_free (gpointer data)
{
  Update *update = data;

  g_free (update->destination);
  g_free (update->object_path);
  netpulse_changes_unref (update->changes);
  g_free (update);
}

typedef struct
{
  NetpulseMonitor *self;
  GDBusConnection *connection;
  const char      *interface;     /* static: the interface info's name */
  GPtrArray       *updates;       /* Update */
} SendJob;

static void
send_job_free (SendJob *job)
{
  g_object_unref (job->self);
  g_object_unref (job->connection);
  g_ptr_array_unref (job->updates);
  g_free (job);
}

static void
emit_update_now (GDBusConnection *connection,
                 const char      *interface,
                 const char      *destination,
                 GVariant        *params)
{
  g_autoptr(GError) error = NULL;

  /* Unicast: the destination makes the bus deliver it to the subscriber
   * only, whatever match rules other connections have. */
  if (!g_dbus_connection_emit_signal (connection, destination, HELPER_OBJECT_PATH, interface,
                                      "Update", params, &error))
    g_warning ("Could not send an Update to %s: %s", destination, error->message);
}

static void run_deferred_calls (NetpulseMonitor *self);

static gboolean
send_job_done_cb (gpointer user_data)
{
  SendJob *job = user_data;
  NetpulseMonitor *self = job->self;

  self->sending = FALSE;
  if (self->stall_reported)
    g_message ("The Updates of a tick have left after %.1f s; ticks go on",
               (g_get_monotonic_time () - self->sending_since_us) / (double) G_USEC_PER_SEC);
  self->stall_reported = FALSE;
  run_deferred_calls (self);
  send_job_free (job);
  return G_SOURCE_REMOVE;
}

/* In the sender thread.  GDBusConnection and GVariant are thread-safe, and
 * the NetpulseChanges of a job are only touched here until it is done. */
static void
send_job_run (gpointer data,
              gpointer user_data)
{
  SendJob *job = data;

  for (guint i = 0; i < job->updates->len; i++)
    {
      Update *update = g_ptr_array_index (job->updates, i);
      g_autoptr(GVariant) params =
        g_variant_ref_sink (netpulse_changes_build_update (update->changes, update->object_path,
                                                           update->sequence,
                                                           update->timestamp_ns));

      emit_update_now (job->connection, job->interface, update->destination, params);
    }

  /* Done only once the messages have left this process: until then the
   * next tick is skipped (see send_due_updates()). */
  g_dbus_connection_flush_sync (job->connection, NULL, NULL);

  attach_idle (job->self->main_context, send_job_done_cb, job);
}

/* Samples the kernel once and hands an Update for every subscription whose
 * interval has elapsed to the sender thread.
 *
 * Backpressure: with tens of thousands of busy connections an Update is
 * megabytes.  While the Updates of the previous tick are still being
 * serialized or have not left this process (the bus reads slower than we
 * write), ticks are skipped rather than queued in memory without bound.
 * Nothing is lost: the next Update carries every change since the last one
 * that was sent, and sequence numbers stay contiguous. */
static void
send_due_updates (NetpulseMonitor *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) changes_since = NULL;   /* generation → NetpulseChanges */
  g_autoptr(GPtrArray) updates = NULL;
  GDBusConnection *connection;
  GHashTableIter iter;
  gpointer value;
  gint64 now_us;

  connection = g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self));
  if (self->collector == NULL || connection == NULL)
    return;

  if (self->sending)
    {
      g_debug ("The previous Updates are still on their way, skipping a tick");
      if (!self->stall_reported &&
          g_get_monotonic_time () - self->sending_since_us > SEND_STALL_REPORT_US)
        {
          g_message ("The Updates of a tick have not left for %d s (the bus reads slowly): "
                     "skipping ticks until they have", (int) (SEND_STALL_REPORT_US / G_USEC_PER_SEC));
          self->stall_reported = TRUE;
        }
      return;
    }

  /* The tick's time, before sampling: the timer runs from one dispatch to
   * the next, so an interval measured from after a slow sample made the
   * next tick look early (by up to the sample's duration, more than the
   * slack on a loaded machine) and skipped it: a gap of two intervals. */
  now_us = g_get_monotonic_time ();

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

  g_hash_table_iter_init (&iter, self->subscriptions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      NetpulseSubscription *subscription = value;

      if (netpulse_subscription_is_due (subscription, now_us, TICK_SLACK_US))
        {
          guint64 generation = netpulse_subscription_get_generation (subscription);
          NetpulseChanges *changes;
          Update *update;

          /* Subscriptions in step share one set of changes. */
          if (changes_since == NULL)
            changes_since = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                   (GDestroyNotify) netpulse_changes_unref);
          changes = g_hash_table_lookup (changes_since, &generation);
          if (changes == NULL)
            {
              changes = netpulse_changes_collect (self->collector, generation);
              g_hash_table_insert (changes_since, g_memdup2 (&generation, sizeof generation),
                                   changes);
            }

          update = g_new0 (Update, 1);
          update->destination = g_strdup (netpulse_subscription_get_owner (subscription));
          update->object_path = g_strdup (netpulse_subscription_get_object_path (subscription));
          update->sequence = netpulse_subscription_advance (subscription, self->collector, now_us);
          update->timestamp_ns = netpulse_collector_get_timestamp (self->collector);
          update->changes = netpulse_changes_ref (changes);
          if (updates == NULL)
            updates = g_ptr_array_new_with_free_func (update_free);
          g_ptr_array_add (updates, update);
        }
    }

  if (updates != NULL)
    {
      SendJob *job = g_new0 (SendJob, 1);

      job->self = g_object_ref (self);
      job->connection = g_object_ref (connection);
      job->interface = g_dbus_interface_skeleton_get_info (G_DBUS_INTERFACE_SKELETON (self))->name;
      job->updates = g_steal_pointer (&updates);
      self->sending = TRUE;
      self->sending_since_us = g_get_monotonic_time ();
      g_thread_pool_push (self->sender, job, NULL);
    }

  _netpulse_monitor_publish_counters (self);
}

/* The first Update of a new subscription goes out at once, from the last
 * sample: sampling again just for it would make everyone else's next rates
 * cover a sliver of time instead of a tick.  Only a collector that was just
 * started has no sample yet. */
void
_netpulse_monitor_send_first_update (NetpulseMonitor      *self,
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

  {
    g_autoptr(NetpulseChanges) changes = netpulse_changes_collect (self->collector, 0);
    g_autoptr(GVariant) params = NULL;
    GDBusConnection *connection =
      g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self));
    guint64 sequence = netpulse_subscription_advance (subscription, self->collector,
                                                      g_get_monotonic_time ());

    /* Sent from here, not the sender thread: it must follow the Subscribe
     * reply, and no Update of this subscription can be in the sender yet. */
    params = g_variant_ref_sink (netpulse_changes_build_update (changes,
                                                                netpulse_subscription_get_object_path (subscription),
                                                                sequence,
                                                                netpulse_collector_get_timestamp (self->collector)));
    if (connection != NULL)
      emit_update_now (connection,
                       g_dbus_interface_skeleton_get_info (G_DBUS_INTERFACE_SKELETON (self))->name,
                       netpulse_subscription_get_owner (subscription), params);
  }
}

static gboolean
tick_cb (gpointer user_data)
{
  send_due_updates (user_data);
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
  ClientWatch *watch;

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

  if (n == 0)
    {
      stop_monitoring (self);
      _netpulse_monitor_rearm_idle_timeout (self);
    }
  else
    {
      g_clear_handle_id (&self->idle_source_id, g_source_remove);
    }
}

/* Ends @subscription because of @reason (a NETPULSE_HELPER_ERROR): tells
 * the subscriber with the unicast `Ended` signal, then removes it as
 * Unsubscribe does. */
void
netpulse_monitor_end_subscription (NetpulseMonitor      *self,
                                   NetpulseSubscription *subscription,
                                   const GError         *reason)
{
  g_autoptr(NetpulseSubscription) ending = g_object_ref (subscription);
  g_autofree char *error_name = g_dbus_error_encode_gerror (reason);
  GDBusConnection *connection =
    g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self));
  g_autoptr(GError) error = NULL;

  g_return_if_fail (NETPULSE_IS_MONITOR (self));
  g_return_if_fail (NETPULSE_IS_SUBSCRIPTION (subscription));
  g_return_if_fail (reason != NULL);

  g_message ("Ending %s of %s: %s", netpulse_subscription_get_object_path (ending),
             netpulse_subscription_get_owner (ending), reason->message);

  if (connection != NULL &&
      !g_dbus_connection_emit_signal (connection, netpulse_subscription_get_owner (ending),
                                      HELPER_OBJECT_PATH,
                                      g_dbus_interface_skeleton_get_info (G_DBUS_INTERFACE_SKELETON (self))->name,
                                      "Ended",
                                      g_variant_new ("(oss)",
                                                     netpulse_subscription_get_object_path (ending),
                                                     error_name, reason->message),
                                      &error))
    g_warning ("Could not send Ended to %s: %s", netpulse_subscription_get_owner (ending),
               error->message);

  _netpulse_monitor_remove_subscription (self, ending);
}

/* ------------------------------------------------------------------------ */
/* Answers that wait for the sender                                          */

/* GetSnapshot's sequence and Unsubscribe's "no more Updates" must be true
 * on the client's side too: their handlers run once the Updates already
 * in the sender thread have gone out. */
void
_netpulse_monitor_after_updates (NetpulseMonitor        *self,
                                 GDBusMethodInvocation  *invocation,
                                 NetpulseMonitorHandler  handler)
{
  DeferredCall *call;

  if (!self->sending && g_queue_is_empty (&self->deferred_calls))
    {
      handler (self, invocation);
      return;
    }

  call = g_new0 (DeferredCall, 1);
  call->invocation = invocation;
  call->handler = handler;
  g_queue_push_tail (&self->deferred_calls, call);
}

static void
run_deferred_calls (NetpulseMonitor *self)
{
  DeferredCall *call;

  while (!self->sending && (call = g_queue_pop_head (&self->deferred_calls)) != NULL)
    {
      call->handler (self, call->invocation);
      g_free (call);
    }
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
    g_thread_pool_free (g_steal_pointer (&self->sender), FALSE, TRUE);
  g_clear_pointer (&self->clients, g_hash_table_unref);
  g_clear_pointer (&self->subscriptions, g_hash_table_unref);
  if (self->collector != NULL)
    netpulse_collector_stop (self->collector);
  g_clear_object (&self->collector);
  g_clear_pointer (&self->collector_counters, g_variant_unref);
  _netpulse_monitor_calls_finalize (self);
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

  object_class->finalize = netpulse_monitor_finalize;

  _netpulse_monitor_calls_class_init (klass);

  signals[IDLE] = g_signal_new ("idle",
                                G_TYPE_FROM_CLASS (klass),
                                G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL,
                                G_TYPE_NONE, 0);
}

static void
netpulse_monitor_init (NetpulseMonitor *self)
{
  static const char * const no_features[] = { NULL };
  NetpulseHelper1 *helper = NETPULSE_HELPER1 (self);

  self->main_context = g_main_context_ref_thread_default ();
  self->subscriptions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->clients = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, client_watch_free);
  self->sender = g_thread_pool_new (send_job_run, NULL, 1, FALSE, NULL);
  g_queue_init (&self->deferred_calls);
  _netpulse_monitor_calls_init (self);

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
  _netpulse_monitor_calls_watch_authority (self);
  self->idle_timeout_ms = config->idle_timeout_ms;
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
  _netpulse_monitor_rearm_idle_timeout (self);

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

  /* Withdraw the checks still waiting for polkit (and their prompts). */
  _netpulse_monitor_calls_shutdown (self);

  /* Let the Updates in hand go out, then answer the calls that waited for
   * them (their subscriptions are gone by then). */
  if (self->sender != NULL)
    g_thread_pool_free (g_steal_pointer (&self->sender), FALSE, TRUE);
  self->sending = FALSE;

  g_hash_table_remove_all (self->subscriptions);
  g_hash_table_remove_all (self->clients);
  netpulse_helper1_set_subscriptions (NETPULSE_HELPER1 (self), 0);
  stop_monitoring (self);
  run_deferred_calls (self);
}
