/* netpulse-metrics.h — the export of Netpulse's counters to Prometheus:
 * its setting (on/off, textfile directory, interval, cap on applications),
 * kept in the state directory next to the usage history, and the page
 * written every interval.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-collector.h"
#include "netpulse-metrics-text.h"
#include "netpulse-recorder.h"

G_BEGIN_DECLS

#define NETPULSE_METRICS_DEFAULT_INTERVAL_S 15
#define NETPULSE_METRICS_MAX_INTERVAL_S     3600
#define NETPULSE_METRICS_SETTINGS_NAME      "metrics.conf"

/* Where the counters come from, at one moment in the main context. */
typedef struct {
  NetpulseRecorder      *recorder;
  NetpulseCollector     *collector;   /* NULL while nothing is loaded */
  NetpulseMetricsHealth  health;
} NetpulseMetricsSources;

#define NETPULSE_TYPE_METRICS (netpulse_metrics_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseMetrics, netpulse_metrics, NETPULSE, METRICS, GObject)

NetpulseMetrics *netpulse_metrics_new          (const char                   *state_dir);
/* Reads the setting; a broken file is reported and leaves export off. */
void             netpulse_metrics_load         (NetpulseMetrics              *self);
gboolean         netpulse_metrics_is_enabled   (NetpulseMetrics              *self);
/* @textfile_dir NULL or "": the one set before (needed to turn it on);
 * @interval_s, @max_apps 0: the ones set before (15 s, 50 at first).
 * Turning it off removes netpulse.prom, so that no stale page is served. */
gboolean         netpulse_metrics_configure    (NetpulseMetrics              *self,
                                                gboolean                      enabled,
                                                const char                   *textfile_dir,
                                                guint                         interval_s,
                                                guint                         max_apps,
                                                GError                      **error);
/* The exposition now (GetMetrics, and what is written). */
char            *netpulse_metrics_build        (NetpulseMetrics              *self,
                                                const NetpulseMetricsSources *sources,
                                                GError                      **error);
/* After each sample: writes the page when the interval is up (or at once
 * with @now true); a failure shows in the state's "last-error". */
void             netpulse_metrics_tick         (NetpulseMetrics              *self,
                                                const NetpulseMetricsSources *sources,
                                                gboolean                      now);
GVariant        *netpulse_metrics_get_state    (NetpulseMetrics              *self);

G_END_DECLS
