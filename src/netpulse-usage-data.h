/* netpulse-usage-data.h — the Usage view's arithmetic, without widgets:
 * which range and buckets a preset means, and the helper's QueryUsage
 * rows summed per application and bucket, the top applications kept and
 * the rest folded into "Other".
 *
 * Buckets are the helper's: the finest level is "bucket-ms" long
 * (GetRecording; one minute but in tests), an hour bucket 60 of them, a
 * day bucket 1440, each aligned to a multiple of its length since the
 * Unix epoch (so day buckets are UTC days).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  NETPULSE_USAGE_LAST_HOUR,
  NETPULSE_USAGE_TODAY,
  NETPULSE_USAGE_LAST_7_DAYS,
  NETPULSE_USAGE_LAST_30_DAYS,
  NETPULSE_USAGE_THIS_MONTH,
  NETPULSE_USAGE_CUSTOM,
} NetpulseUsagePreset;

typedef enum {
  NETPULSE_USAGE_MINUTE,   /* the finest buckets */
  NETPULSE_USAGE_HOUR,
  NETPULSE_USAGE_DAY,
} NetpulseUsageGranularity;

/* At most this many buckets in a chart: a custom range of two years in
 * days is 730. */
#define NETPULSE_USAGE_MAX_BUCKETS 800

/* The series a chart shows: the largest applications, then "Other". */
#define NETPULSE_USAGE_TOP_N 5

typedef struct {
  guint64                  since_ns;    /* what is asked for */
  guint64                  until_ns;    /* exclusive */
  NetpulseUsageGranularity granularity;
  guint64                  bucket_ns;   /* one bucket's length at that granularity */
  guint64                  first_ns;    /* since_ns aligned down to a bucket */
  guint                    n_buckets;   /* from first_ns to until_ns */
} NetpulseUsageRange;

/* The range of @preset at @now (local time: "today" and "this month"
 * start at local midnight), or [@custom_since_ns, @custom_until_ns) for
 * NETPULSE_USAGE_CUSTOM, with the finest buckets @fine_ms long.  FALSE,
 * with @error set, for an empty or reversed custom range. */
gboolean    netpulse_usage_range_init         (NetpulseUsageRange       *range,
                                               NetpulseUsagePreset       preset,
                                               GDateTime                *now,
                                               guint64                   custom_since_ns,
                                               guint64                   custom_until_ns,
                                               guint64                   fine_ms,
                                               GError                  **error);
/* The granularity that gives a readable number of bars over @span_ns:
 * the finest up to 360 buckets (six hours), hours up to 192 (eight days),
 * else days. */
NetpulseUsageGranularity
            netpulse_usage_pick_granularity   (guint64                   span_ns,
                                               guint64                   fine_ms);
guint64     netpulse_usage_bucket_ns          (NetpulseUsageGranularity  granularity,
                                               guint64                   fine_ms);
/* "minute", "hour", "day": QueryUsage's names. */
const char *netpulse_usage_granularity_name   (NetpulseUsageGranularity  granularity);
/* The bucket @start_ns falls in, or -1 outside the range. */
int         netpulse_usage_range_bucket_index (const NetpulseUsageRange *range,
                                               guint64                   start_ns);

/* What the custom range's entries take: "2026-12-02 07:15",
 * "2026-12-02T07:15:30", a date alone (its midnight), in @zone unless the
 * text gives its own ("…Z", "…+01:00").  FALSE for anything else or a
 * time before 1970; whole seconds. */
gboolean    netpulse_usage_parse_time         (const char               *text,
                                               GTimeZone                *zone,
                                               guint64                  *ns);

/* One application over the range. */
typedef struct {
  char    *app_kind;      /* "desktop", "service", … as the helper names it */
  char    *app_id;        /* "" when the owner was never known */
  guint64  rx_bytes;
  guint64  tx_bytes;
  guint64  connections;
  guint64 *rx;            /* per bucket: n_buckets values */
  guint64 *tx;
} NetpulseUsageApp;

typedef struct {
  NetpulseUsageRange  range;
  GPtrArray          *apps;    /* NetpulseUsageApp, largest total first */
  GVariant           *rows;    /* a(ttssyttu) as the helper sent them */
  guint64             rx_bytes;
  guint64             tx_bytes;
} NetpulseUsageData;

/* The rows of every page of QueryUsage (a(ttssyttu), group "app") summed
 * per application and bucket. */
NetpulseUsageData *netpulse_usage_data_new    (const NetpulseUsageRange *range,
                                               GVariant                 *rows);
void               netpulse_usage_data_free   (NetpulseUsageData        *data);
/* The application (kind, id), or -1. */
int                netpulse_usage_data_find   (NetpulseUsageData        *data,
                                               const char               *app_kind,
                                               const char               *app_id);

/* One stack of a chart: an application, or "Other" (app NULL). */
typedef struct {
  const NetpulseUsageApp *app;    /* NULL for "Other" */
  guint64                *rx;     /* n_buckets values */
  guint64                *tx;
  guint64                 rx_bytes;
  guint64                 tx_bytes;
} NetpulseUsageSeries;

/* The series of a chart of @data: the @top_n largest applications, then
 * one "Other" with the sum of the rest (only when there is a rest), or
 * only application @only (an index of @data->apps) when it is >= 0. */
GPtrArray         *netpulse_usage_data_fold   (NetpulseUsageData        *data,
                                               guint                     top_n,
                                               int                       only);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetpulseUsageData, netpulse_usage_data_free)

G_END_DECLS
