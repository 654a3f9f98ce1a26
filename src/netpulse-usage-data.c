/* netpulse-usage-data.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-usage"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <string.h>

#include "netpulse-usage-data.h"

#define NS_PER_MS G_GUINT64_CONSTANT (1000000)
#define NS_PER_S  G_GUINT64_CONSTANT (1000000000)

guint64
netpulse_usage_bucket_ns (NetpulseUsageGranularity granularity,
                          guint64                  fine_ms)
{
  static const guint64 fine_per_bucket[] = { 1, 60, 60 * 24 };

  g_return_val_if_fail (granularity <= NETPULSE_USAGE_DAY, 0);
  return MAX (fine_ms, 1) * NS_PER_MS * fine_per_bucket[granularity];
}

const char *
netpulse_usage_granularity_name (NetpulseUsageGranularity granularity)
{
  switch (granularity)
    {
    case NETPULSE_USAGE_MINUTE: return "minute";
    case NETPULSE_USAGE_HOUR:   return "hour";
    case NETPULSE_USAGE_DAY:
    default:                    return "day";
    }
}

NetpulseUsageGranularity
netpulse_usage_pick_granularity (guint64 span_ns,
                                 guint64 fine_ms)
{
  if (span_ns <= 360 * netpulse_usage_bucket_ns (NETPULSE_USAGE_MINUTE, fine_ms))
    return NETPULSE_USAGE_MINUTE;
  if (span_ns <= 192 * netpulse_usage_bucket_ns (NETPULSE_USAGE_HOUR, fine_ms))
    return NETPULSE_USAGE_HOUR;
  return NETPULSE_USAGE_DAY;
}

static guint64
to_ns (GDateTime *time)
{
  gint64 s = g_date_time_to_unix (time);

  return s > 0 ? (guint64) s * NS_PER_S + (guint64) g_date_time_get_microsecond (time) * 1000 : 0;
}

/* Local midnight of @now's day (@day_of_month 0), or of the first of its
 * month. */
static guint64
local_start (GDateTime *now,
             gboolean   of_month)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (now);
  g_autoptr(GDateTime) start = g_date_time_new_local (g_date_time_get_year (local),
                                                      g_date_time_get_month (local),
                                                      of_month ? 1 : g_date_time_get_day_of_month (local),
                                                      0, 0, 0);

  return to_ns (start);
}

gboolean
netpulse_usage_range_init (NetpulseUsageRange  *range,
                           NetpulseUsagePreset  preset,
                           GDateTime           *now,
                           guint64              custom_since_ns,
                           guint64              custom_until_ns,
                           guint64              fine_ms,
                           GError             **error)
{
  guint64 now_ns = to_ns (now);
  guint64 span;

  g_return_val_if_fail (range != NULL && now != NULL, FALSE);

  range->until_ns = now_ns;
  switch (preset)
    {
    case NETPULSE_USAGE_LAST_HOUR:
      range->since_ns = now_ns - MIN (now_ns, 3600 * NS_PER_S);
      break;
    case NETPULSE_USAGE_TODAY:
      range->since_ns = local_start (now, FALSE);
      break;
    case NETPULSE_USAGE_LAST_7_DAYS:
      range->since_ns = now_ns - MIN (now_ns, 7 * 86400 * NS_PER_S);
      break;
    case NETPULSE_USAGE_LAST_30_DAYS:
      range->since_ns = now_ns - MIN (now_ns, 30 * 86400 * NS_PER_S);
      break;
    case NETPULSE_USAGE_THIS_MONTH:
      range->since_ns = local_start (now, TRUE);
      break;
    case NETPULSE_USAGE_CUSTOM:
    default:
      range->since_ns = custom_since_ns;
      range->until_ns = custom_until_ns;
      break;
    }
  if (range->until_ns <= range->since_ns)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The end of the range must be after its start."));
      return FALSE;
    }

  span = range->until_ns - range->since_ns;
  range->granularity = netpulse_usage_pick_granularity (span, fine_ms);
  /* A custom range may be longer than two years of days: coarser yet
   * would be no bucket of the helper's, so the range is cut instead. */
  range->bucket_ns = netpulse_usage_bucket_ns (range->granularity, fine_ms);
  range->first_ns = range->since_ns - range->since_ns % range->bucket_ns;
  range->n_buckets = (guint) MIN ((range->until_ns - range->first_ns + range->bucket_ns - 1) / range->bucket_ns,
                                  (guint64) NETPULSE_USAGE_MAX_BUCKETS);
  if ((range->until_ns - range->first_ns) > range->n_buckets * range->bucket_ns)
    {
      /* The last bucket is the one that holds the end's last instant. */
      guint64 last = range->until_ns - 1;

      range->first_ns = last - last % range->bucket_ns - (range->n_buckets - 1) * range->bucket_ns;
      range->since_ns = range->first_ns;
    }
  return TRUE;
}

int
netpulse_usage_range_bucket_index (const NetpulseUsageRange *range,
                                   guint64                   start_ns)
{
  guint64 index;

  if (start_ns < range->first_ns)
    return -1;
  index = (start_ns - range->first_ns) / range->bucket_ns;
  return index < range->n_buckets ? (int) index : -1;
}

static void
usage_app_free (gpointer data)
{
  NetpulseUsageApp *app = data;

  g_free (app->app_kind);
  g_free (app->app_id);
  g_free (app->rx);
  g_free (app->tx);
  g_free (app);
}

/* Largest total first; equal totals by kind and id, so that the order
 * (and the colours) do not change between refreshes. */
static int
compare_apps (gconstpointer a,
              gconstpointer b)
{
  const NetpulseUsageApp *x = *(NetpulseUsageApp * const *) a;
  const NetpulseUsageApp *y = *(NetpulseUsageApp * const *) b;
  guint64 tx = x->rx_bytes + x->tx_bytes, ty = y->rx_bytes + y->tx_bytes;
  int c;

  if (tx != ty)
    return tx > ty ? -1 : 1;
  c = g_strcmp0 (x->app_kind, y->app_kind);
  return c != 0 ? c : g_strcmp0 (x->app_id, y->app_id);
}

static NetpulseUsageApp *
lookup_app (NetpulseUsageData *data,
            GHashTable        *by_key,
            const char        *kind,
            const char        *id)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", kind, id);
  NetpulseUsageApp *app = g_hash_table_lookup (by_key, key);

  if (app == NULL)
    {
      app = g_new0 (NetpulseUsageApp, 1);
      app->app_kind = g_strdup (kind);
      app->app_id = g_strdup (id);
      app->rx = g_new0 (guint64, MAX (data->range.n_buckets, 1));
      app->tx = g_new0 (guint64, MAX (data->range.n_buckets, 1));
      g_ptr_array_add (data->apps, app);
      g_hash_table_insert (by_key, g_steal_pointer (&key), app);
    }
  return app;
}

NetpulseUsageData *
netpulse_usage_data_new (const NetpulseUsageRange *range,
                         GVariant                 *rows)
{
  NetpulseUsageData *data = g_new0 (NetpulseUsageData, 1);
  g_autoptr(GHashTable) by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GVariantIter iter;
  guint64 start, end, rx, tx;
  const char *kind, *id;
  guint8 proto;
  guint32 connections;

  g_return_val_if_fail (rows != NULL && g_variant_is_of_type (rows, G_VARIANT_TYPE ("a(ttssyttu)")), data);

  data->range = *range;
  data->apps = g_ptr_array_new_with_free_func (usage_app_free);
  data->rows = g_variant_ref_sink (rows);
  g_variant_iter_init (&iter, rows);
  while (g_variant_iter_next (&iter, "(tt&s&syttu)", &start, &end, &kind, &id, &proto, &rx, &tx, &connections))
    {
      NetpulseUsageApp *app = lookup_app (data, by_key, kind, id);
      int index = netpulse_usage_range_bucket_index (range, start);

      /* What the helper gave is counted in the totals whatever its
       * bucket; one outside the chart (it cannot be, but for a helper
       * with other bucket lengths) goes into the nearest bar. */
      if (index < 0)
        index = start < range->first_ns ? 0 : (int) range->n_buckets - 1;
      if (range->n_buckets > 0)
        {
          app->rx[index] += rx;
          app->tx[index] += tx;
        }
      app->rx_bytes += rx;
      app->tx_bytes += tx;
      app->connections += connections;
      data->rx_bytes += rx;
      data->tx_bytes += tx;
    }
  g_ptr_array_sort (data->apps, compare_apps);
  return data;
}

void
netpulse_usage_data_free (NetpulseUsageData *data)
{
  if (data == NULL)
    return;
  g_ptr_array_unref (data->apps);
  g_variant_unref (data->rows);
  g_free (data);
}

int
netpulse_usage_data_find (NetpulseUsageData *data,
                          const char        *app_kind,
                          const char        *app_id)
{
  for (guint i = 0; i < data->apps->len; i++)
    {
      const NetpulseUsageApp *app = g_ptr_array_index (data->apps, i);

      if (g_str_equal (app->app_kind, app_kind) && g_str_equal (app->app_id, app_id))
        return (int) i;
    }
  return -1;
}

static void
series_free (gpointer data)
{
  NetpulseUsageSeries *series = data;

  g_free (series->rx);
  g_free (series->tx);
  g_free (series);
}

static NetpulseUsageSeries *
series_new (guint n_buckets)
{
  NetpulseUsageSeries *series = g_new0 (NetpulseUsageSeries, 1);

  series->rx = g_new0 (guint64, MAX (n_buckets, 1));
  series->tx = g_new0 (guint64, MAX (n_buckets, 1));
  return series;
}

static void
series_add (NetpulseUsageSeries    *series,
            const NetpulseUsageApp *app,
            guint                   n_buckets)
{
  for (guint b = 0; b < n_buckets; b++)
    {
      series->rx[b] += app->rx[b];
      series->tx[b] += app->tx[b];
    }
  series->rx_bytes += app->rx_bytes;
  series->tx_bytes += app->tx_bytes;
}

GPtrArray *
netpulse_usage_data_fold (NetpulseUsageData *data,
                          guint              top_n,
                          int                only)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (series_free);
  guint n = data->range.n_buckets;
  NetpulseUsageSeries *other = NULL;

  for (guint i = 0; i < data->apps->len; i++)
    {
      const NetpulseUsageApp *app = g_ptr_array_index (data->apps, i);
      NetpulseUsageSeries *series;

      if (only >= 0 && (int) i != only)
        continue;
      if (only < 0 && i >= top_n)
        {
          if (other == NULL)
            other = series_new (n);
          series_add (other, app, n);
          continue;
        }
      series = series_new (n);
      series->app = app;
      series_add (series, app, n);
      g_ptr_array_add (out, series);
    }
  if (other != NULL)
    g_ptr_array_add (out, other);
  return out;
}

/* GLib's ISO 8601 wants seconds: "…T07:15" (before any zone) gets ":00". */
static const char *
with_seconds (char **text)
{
  char *t = strchr (*text, 'T');
  size_t end = t != NULL ? strspn (t + 1, "0123456789:.") : 0;
  guint colons = 0;
  char *with = NULL;

  for (size_t i = 0; t != NULL && i < end; i++)
    colons += t[1 + i] == ':';
  if (colons == 1)
    {
      with = g_strdup_printf ("%.*s:00%s", (int) (t + 1 + end - *text), *text, t + 1 + end);
      g_free (*text);
      *text = with;
    }
  return *text;
}

gboolean
netpulse_usage_parse_time (const char *text,
                           GTimeZone  *zone,
                           guint64    *ns)
{
  g_autofree char *copy = g_strstrip (g_strdup (text != NULL ? text : ""));
  g_autofree char *full = NULL;
  g_autoptr(GDateTime) time = NULL;
  char *space = strchr (copy, ' ');

  g_return_val_if_fail (zone != NULL && ns != NULL, FALSE);

  if (space != NULL)
    *space = 'T';
  /* A date alone is its midnight. */
  full = strchr (copy, 'T') == NULL ? g_strconcat (copy, "T00:00", NULL) : g_strdup (copy);
  time = g_date_time_new_from_iso8601 (with_seconds (&full), zone);
  if (time == NULL || g_date_time_to_unix (time) < 0)
    return FALSE;
  *ns = (guint64) g_date_time_to_unix (time) * NS_PER_S;
  return TRUE;
}
