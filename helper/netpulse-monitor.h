/* netpulse-monitor.h — the io.github.netpulse.Helper1 object: subscriptions,
 * authorization and the subscribers' streams around a NetpulseCollector.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-authority.h"
#include "netpulse-collector.h"
#include "netpulse-helper1-generated.h"
#include "netpulse-metrics.h"
#include "netpulse-recorder.h"
#include "netpulse-subscription.h"

G_BEGIN_DECLS

#define NETPULSE_MONITOR_DEFAULT_MAX_PER_CLIENT  4
#define NETPULSE_MONITOR_DEFAULT_MAX_TOTAL       64

typedef struct {
  const NetpulseCollectorConfig *collector;   /* copied */
  guint64 sandbox_capabilities;               /* kept once the collector runs (netpulse-sandbox.h) */
  guint idle_timeout_ms;                      /* 0 = never idle out */
  guint max_per_client;                       /* 0 = NETPULSE_MONITOR_DEFAULT_MAX_PER_CLIENT */
  guint max_total;                            /* 0 = NETPULSE_MONITOR_DEFAULT_MAX_TOTAL */
  NetpulseRecorder *recorder;                 /* the usage history (referenced) */
  NetpulseMetrics *metrics;                   /* Prometheus export (referenced) */
  NetpulseAuthority *configure_authority;     /* polkit for SetRecording (referenced) */
} NetpulseMonitorConfig;

#define NETPULSE_TYPE_MONITOR (netpulse_monitor_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseMonitor, netpulse_monitor, NETPULSE, MONITOR, NetpulseHelper1Skeleton)

/* Must be created on the thread whose main context will run the monitor:
 * all state is touched there only, method calls included (they are
 * authorized asynchronously, no thread waits for polkit).
 *
 * Signals:
 *   "idle" ()  no subscription and no call for idle_timeout_ms: time to exit.
 */
NetpulseMonitor *netpulse_monitor_new            (const NetpulseMonitorConfig *config,
                                                  NetpulseAuthority           *authority);

guint            netpulse_monitor_get_n_subscriptions (NetpulseMonitor        *self);

/* Ends @subscription because of @reason (a NETPULSE_HELPER_ERROR): tells the
 * subscriber (an END frame on its stream when there is room, and the
 * unicast `Ended` signal), then removes it as Unsubscribe does.  Does
 * nothing if @subscription has ended already. */
void             netpulse_monitor_end_subscription (NetpulseMonitor      *self,
                                                    NetpulseSubscription *subscription,
                                                    const GError         *reason);

/* Starts the collector at once when the recorder was left on (a restart
 * continues the series). */
void             netpulse_monitor_resume_recording (NetpulseMonitor          *self);

/* Ends every subscription and unloads the kernel programs (on exit). */
void             netpulse_monitor_shutdown       (NetpulseMonitor             *self);

G_END_DECLS
