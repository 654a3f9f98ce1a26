/* netpulse-monitor-private.h — what netpulse-monitor.c (subscriptions, the
 * subscribers' streams, idling) and netpulse-monitor-calls.c (method calls and
 * their authorization) share.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-gate.h"
#include "netpulse-monitor.h"
#include "netpulse-name-watch.h"
#include "netpulse-sender.h"
#include "netpulse-subscription.h"

G_BEGIN_DECLS

typedef struct
{
  NetpulseNameWatch *name_watch;
  guint              n_subscriptions;
} ClientWatch;

struct _NetpulseMonitor
{
  NetpulseHelper1Skeleton  parent_instance;

  /* Everything is touched in the main context only, method calls
   * included (netpulse-monitor-calls.c); the sender's worker thread has
   * its own copies of what it serialises. */
  GMainContext            *main_context;
  NetpulseAuthority       *authority;

  NetpulseCollectorConfig  collector_config;
  guint64                  sandbox_capabilities;  /* kept once attached (netpulse-sandbox.c) */
  char                    *collector_backend;
  char                    *collector_verifier_log;
  NetpulseCollector       *collector;       /* loaded at the first Subscribe, kept until exit */
  GVariant                *collector_counters;  /* the last ones, kept between sessions */
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

  /* Builds frames in a worker thread and writes them to the subscribers'
   * streams without blocking (netpulse-sender.c). */
  NetpulseSender          *sender;

  /* The usage history (netpulse-recorder.c): while it records, the
   * collector stays loaded and the helper does not idle out. */
  NetpulseRecorder        *recorder;
  NetpulseAuthority       *configure_authority;
  NetpulseGate            *configure_gate;  /* SetRecording: io.github.netpulse.configure */

  /* Prometheus export (netpulse-monitor-metrics.c), written after the
   * recorder's tick; how long the last sample took, for its health. */
  NetpulseMetrics         *metrics;
  guint64                  last_sample_us;

  /* Method calls (netpulse-monitor-calls.c). */
  GDBusInterfaceVTable     vtable;          /* the skeleton's, with our gate in front */
  GDBusInterfaceMethodCallFunc dispatch;    /* the skeleton's own method_call */
  NetpulseGate            *gate;            /* created with the first call */
  GHashTable              *rechecks;        /* owner → Recheck, after polkit's "changed" */
  guint64                  revoked;         /* subscriptions ended by a revocation */
};

/* netpulse-monitor.c */
gboolean _netpulse_monitor_start_monitoring   (NetpulseMonitor        *self,
                                               GError                **error);
void     _netpulse_monitor_add_subscription   (NetpulseMonitor        *self,
                                               NetpulseSubscription   *subscription);
void     _netpulse_monitor_remove_subscription (NetpulseMonitor       *self,
                                               NetpulseSubscription   *subscription);
void     _netpulse_monitor_send_first_frame   (NetpulseMonitor        *self,
                                               NetpulseSubscription   *subscription);
void     _netpulse_monitor_rearm_idle_timeout (NetpulseMonitor        *self);
void     _netpulse_monitor_update_tick        (NetpulseMonitor        *self);
gboolean _netpulse_monitor_set_recording      (NetpulseMonitor        *self,
                                               gboolean                enabled,
                                               GVariant               *options,
                                               GError                **error);

/* netpulse-monitor-subscriptions.c */
void     _netpulse_monitor_client_watch_free  (gpointer                data);
void     _netpulse_monitor_publish_counters   (NetpulseMonitor        *self);

/* netpulse-monitor-history.c */
void     _netpulse_monitor_history_iface_init (NetpulseHelper1Iface   *iface);
gboolean _netpulse_monitor_return_setting_error (GDBusMethodInvocation *invocation,
                                                 const GError          *error);

/* netpulse-monitor-metrics.c */
void     _netpulse_monitor_metrics_iface_init (NetpulseHelper1Iface   *iface);
void     _netpulse_monitor_metrics_tick       (NetpulseMonitor        *self);

/* netpulse-monitor-calls.c */
void     _netpulse_monitor_calls_class_init   (NetpulseMonitorClass   *klass);
void     _netpulse_monitor_calls_iface_init   (NetpulseHelper1Iface   *iface);
void     _netpulse_monitor_calls_init         (NetpulseMonitor        *self);
void     _netpulse_monitor_calls_watch_authority (NetpulseMonitor     *self);
void     _netpulse_monitor_calls_shutdown     (NetpulseMonitor        *self);
void     _netpulse_monitor_calls_finalize     (NetpulseMonitor        *self);
gboolean _netpulse_monitor_calls_pending      (NetpulseMonitor        *self);

G_END_DECLS
