/* netpulse-monitor.c — the io.github.netpulse.Helper1 object: subscriptions,
 * the subscribers' streams and idling around a NetpulseCollector; the
 * method calls and their authorization are in netpulse-monitor-calls.c.
 *
 * Threads: everything here runs in the main context, method calls
 * included: they are authorized asynchronously (netpulse-monitor-calls.c,
 * netpulse-gate.c), so that no password prompt or slow polkitd holds a
 * thread, and the collector and the subscription tables (not thread-safe)
 * need no lock.
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
#include "netpulse-instance-id.h"
#include "netpulse-monitor-private.h"
#include "netpulse-sandbox.h"

/* Sampling with nobody subscribed (the collector stays loaded): often
 * enough that the kernel's ring of closed connections does not fill up. */
#define IDLE_SAMPLE_INTERVAL_MS 1000


enum {
  IDLE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE_WITH_CODE (NetpulseMonitor, netpulse_monitor, NETPULSE_TYPE_HELPER1_SKELETON,
                               G_IMPLEMENT_INTERFACE (NETPULSE_TYPE_HELPER1,
                                                      _netpulse_monitor_calls_iface_init))


/* ------------------------------------------------------------------------ */
/* Idle exit                                                                 */

static gboolean
idle_timeout_cb (gpointer user_data)
{
  NetpulseMonitor *self = user_data;

  self->idle_source_id = 0;

  if (g_hash_table_size (self->subscriptions) > 0)
    return G_SOURCE_REMOVE;

  /* A recording helper stays: the history is counted in this process.
   * SetRecording (off) re-arms the countdown. */
  if (netpulse_recorder_is_enabled (self->recorder))
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
 * on every authorized call handled while there is none. */
void
_netpulse_monitor_rearm_idle_timeout (NetpulseMonitor *self)
{
  g_clear_handle_id (&self->idle_source_id, g_source_remove);

  if (self->idle_timeout_ms == 0 || g_hash_table_size (self->subscriptions) > 0 ||
      netpulse_recorder_is_enabled (self->recorder))
    return;

  self->idle_source_id = g_timeout_add (self->idle_timeout_ms, idle_timeout_cb, self);
}

/* ------------------------------------------------------------------------ */
/* Monitoring: the collector and the subscribers' streams                    */

/* The Counters property: the collector's (the last ones are kept when it
 * is gone) and the authorization gate's. */
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
  else
    netpulse_gate_add_zero_counters (&builder);   /* the same keys before the first call */
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

/* Loads the collector at the first Subscribe, then drops privileges
 * (netpulse-sandbox.c): it cannot be loaded a second time, so it stays
 * loaded — sampling on with nobody subscribed, so that closes are drained
 * — until the helper exits after its idle timeout, which detaches
 * everything. */
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
  netpulse_recorder_collector_started (self->recorder, self->collector);
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

  netpulse_recorder_flush (self->recorder);

  /* Keep the last counters readable after the session. */
  _netpulse_monitor_publish_counters (self);

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
  gint64 now_us;

  if (self->collector == NULL)
    return;

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
  self->last_sample_us = (guint64) (g_get_monotonic_time () - now_us);

  netpulse_recorder_tick (self->recorder, self->collector, (guint64) (g_get_real_time () / 1000));
  _netpulse_monitor_metrics_tick (self);

  subscriptions = subscriptions_array (self);
  too_slow = netpulse_sender_send_due (self->sender, self->collector, subscriptions, now_us);

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

  _netpulse_monitor_publish_counters (self);
}

/* The first frame of a new subscription goes out at once, from the last
 * sample: sampling again just for it would make everyone else's next rates
 * cover a sliver of time instead of a tick.  Only a collector that was just
 * started has no sample yet. */
void
_netpulse_monitor_send_first_frame (NetpulseMonitor      *self,
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

/* One timer at the shortest interval any subscription asked for; the
 * collector's rates follow it and the largest smoothing window. */
void
_netpulse_monitor_update_tick (NetpulseMonitor *self)
{
  guint interval_ms = 0;
  guint max_window_ms = NETPULSE_WINDOW_DEFAULT_MS;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->subscriptions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      guint sub_interval = netpulse_subscription_get_interval_ms (value);

      if (interval_ms == 0 || sub_interval < interval_ms)
        interval_ms = sub_interval;
      max_window_ms = MAX (max_window_ms, netpulse_subscription_get_window_ms (value));
    }
  if (interval_ms == 0 && self->collector != NULL)
    interval_ms = IDLE_SAMPLE_INTERVAL_MS;
  /* At least two samples per history bucket (a test's may be short). */
  if (interval_ms > 0 && netpulse_recorder_is_enabled (self->recorder))
    interval_ms = MIN (interval_ms, MAX (netpulse_recorder_get_bucket_ms (self->recorder) / 2,
                                         NETPULSE_INTERVAL_MIN_MS));
  if (self->collector != NULL)
    netpulse_collector_set_rate_rules (self->collector, interval_ms, max_window_ms);

  if (interval_ms == self->tick_interval_ms && (interval_ms == 0) == (self->tick_source_id == 0))
    return;

  g_clear_handle_id (&self->tick_source_id, g_source_remove);
  self->tick_interval_ms = interval_ms;
  if (interval_ms > 0)
    self->tick_source_id = g_timeout_add (interval_ms, tick_cb, self);
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
  g_clear_pointer (&self->collector_counters, g_variant_unref);
  _netpulse_monitor_calls_finalize (self);
  g_clear_object (&self->authority);
  g_clear_object (&self->configure_authority);
  g_clear_object (&self->recorder);
  g_clear_object (&self->metrics);
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
  g_autofree char *instance_id = netpulse_instance_id_new ();

  self->main_context = g_main_context_ref_thread_default ();
  self->subscriptions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->clients = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, _netpulse_monitor_client_watch_free);
  self->sender = netpulse_sender_new (instance_id);
  _netpulse_monitor_calls_init (self);

  netpulse_helper1_set_version (helper, PACKAGE_VERSION);
  netpulse_helper1_set_instance_id (helper, instance_id);
  netpulse_helper1_set_backend (helper, "none");
  netpulse_helper1_set_kernel_features (helper, no_features);
  _netpulse_monitor_publish_counters (self);
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
  self->recorder = config->recorder != NULL ? g_object_ref (config->recorder)
                                            : netpulse_recorder_new (NULL, 0);
  self->metrics = config->metrics != NULL ? g_object_ref (config->metrics) : netpulse_metrics_new (NULL);
  self->configure_authority = config->configure_authority != NULL
                                ? g_object_ref (config->configure_authority)
                                : g_object_ref (authority);
  _netpulse_monitor_calls_watch_authority (self);
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
