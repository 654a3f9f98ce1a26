/* netpulse-monitor-private.h — what netpulse-monitor.c (subscriptions, the
 * Update stream, idling) and netpulse-monitor-calls.c (method calls and
 * their authorization) share.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-gate.h"
#include "netpulse-monitor.h"
#include "netpulse-name-watch.h"
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
   * included (netpulse-monitor-calls.c); the sender thread has its own
   * copies of what it sends. */
  GMainContext            *main_context;
  NetpulseAuthority       *authority;

  NetpulseCollectorConfig  collector_config;
  char                    *collector_backend;
  char                    *collector_verifier_log;
  NetpulseCollector       *collector;       /* non-NULL while monitoring */
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

  /* Sending: turning an Update with thousands of records into a D-Bus
   * message is the most expensive step of a tick, so it happens in one
   * worker thread (FIFO: Updates keep their order). */
  GThreadPool             *sender;
  gboolean                 sending;         /* a tick's Updates are in the sender */
  gint64                   sending_since_us;
  gboolean                 stall_reported;  /* said once per stall, not per tick */
  GQueue                   deferred_calls;  /* DeferredCall, until the sender is done */

  /* Method calls (netpulse-monitor-calls.c). */
  GDBusInterfaceVTable     vtable;          /* the skeleton's, with our gate in front */
  GDBusInterfaceMethodCallFunc dispatch;    /* the skeleton's own method_call */
  NetpulseGate            *gate;            /* created with the first call */
  GHashTable              *rechecks;        /* owner → Recheck, after polkit's "changed" */
  guint64                  revoked;         /* subscriptions ended by a revocation */
};

/* netpulse-monitor.c */
typedef void (*NetpulseMonitorHandler) (NetpulseMonitor       *self,
                                        GDBusMethodInvocation *invocation);

gboolean _netpulse_monitor_start_monitoring   (NetpulseMonitor        *self,
                                               GError                **error);
void     _netpulse_monitor_add_subscription   (NetpulseMonitor        *self,
                                               NetpulseSubscription   *subscription);
void     _netpulse_monitor_remove_subscription (NetpulseMonitor       *self,
                                               NetpulseSubscription   *subscription);
void     _netpulse_monitor_send_first_update  (NetpulseMonitor        *self,
                                               NetpulseSubscription   *subscription);
void     _netpulse_monitor_after_updates      (NetpulseMonitor        *self,
                                               GDBusMethodInvocation  *invocation,
                                               NetpulseMonitorHandler  handler);
void     _netpulse_monitor_rearm_idle_timeout (NetpulseMonitor        *self);
void     _netpulse_monitor_publish_counters   (NetpulseMonitor        *self);

/* netpulse-monitor-calls.c */
void     _netpulse_monitor_calls_class_init   (NetpulseMonitorClass   *klass);
void     _netpulse_monitor_calls_iface_init   (NetpulseHelper1Iface   *iface);
void     _netpulse_monitor_calls_init         (NetpulseMonitor        *self);
void     _netpulse_monitor_calls_watch_authority (NetpulseMonitor     *self);
void     _netpulse_monitor_calls_shutdown     (NetpulseMonitor        *self);
void     _netpulse_monitor_calls_finalize     (NetpulseMonitor        *self);
gboolean _netpulse_monitor_calls_pending      (NetpulseMonitor        *self);

G_END_DECLS
