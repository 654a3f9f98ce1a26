/* netpulse-metrics-text.h — Netpulse's counters in the Prometheus text
 * exposition format (version 0.0.4), for node_exporter's textfile
 * collector and `netpulsectl metrics`.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define NETPULSE_METRICS_DEFAULT_MAX_APPS 50
#define NETPULSE_METRICS_MAX_MAX_APPS     10000
/* The application that stands for all those past the cap. */
#define NETPULSE_METRICS_OTHER_APP        "other"

typedef struct _NetpulseMetricsText NetpulseMetricsText;

/* What the helper says about itself (every field may be 0 or NULL). */
typedef struct {
  const char *backend;        /* "none" while nothing is loaded */
  const char *version;
  GVariant   *counters;       /* a{st}: the Counters property */
  guint64     last_tick_us;   /* how long the last sample took */
  gboolean    recording;
} NetpulseMetricsHealth;

NetpulseMetricsText *netpulse_metrics_text_new        (guint                        max_apps);
void                 netpulse_metrics_text_free       (NetpulseMetricsText         *self);
/* Adds to an application's totals (called for each part: the database's
 * totals, the buckets not written yet). */
void                 netpulse_metrics_text_add_usage  (NetpulseMetricsText         *self,
                                                       guint8                       app_kind,
                                                       const char                  *app_id,
                                                       guint8                       proto,
                                                       guint64                      rx_bytes,
                                                       guint64                      tx_bytes,
                                                       guint64                      connections);
/* The same with @self last: a NetpulseHistoryTotalFunc
 * (netpulse_history_db_foreach_total()). */
void                 netpulse_metrics_text_add_total  (guint8                       app_kind,
                                                       const char                  *app_id,
                                                       guint8                       proto,
                                                       guint64                      rx_bytes,
                                                       guint64                      tx_bytes,
                                                       guint64                      connections,
                                                       gpointer                     self);
/* One connection of the application open now. */
void                 netpulse_metrics_text_add_open   (NetpulseMetricsText         *self,
                                                       guint8                       app_kind,
                                                       const char                  *app_id);
/* The exposition: the @max_apps applications that moved the most bytes,
 * the rest summed into app_id="other" (app_kind="other"). */
char                *netpulse_metrics_text_build      (NetpulseMetricsText         *self,
                                                       const NetpulseMetricsHealth *health);

/* "VALUE" of a label, escaped for the exposition ('\\', '"', '\n') after
 * netpulse_text_dup_safe() (a control or bidi character, or a byte that is
 * not UTF-8, shows as an ASCII escape: the page stays valid UTF-8 and safe
 * to print). */
void                 netpulse_metrics_append_label    (GString                     *out,
                                                       const char                  *name,
                                                       const char                  *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetpulseMetricsText, netpulse_metrics_text_free)

G_END_DECLS
