/* np-history-bench.c — the usage history's database under load, with the
 * helper's own code (helper/netpulse-history-db.c):
 *
 *   1. one day of minute buckets for N applications × 2 protocols (each
 *      bucket one transaction, as the recorder writes it): CPU per bucket,
 *      database size after the day (growth per day at minute resolution);
 *   2. 30 days of hourly buckets for the same applications, then the
 *      QueryUsage of those 30 days at hourly resolution grouped by app,
 *      every page, each serialized as its D-Bus reply: its wall-clock and
 *      CPU time (medians of 5) and row count.
 *
 * Usage: np-history-bench [N_APPS (default 100)] [DIR (default a new temporary one)]
 * Prints one JSON object.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "netpulse-history-db.h"

static char *after_kind, *after_id;

static const guint64 keep[NETPULSE_HISTORY_N_LEVELS] = { 0, 0, 0 };

static double
cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static GPtrArray *
bucket_entries (guint n_apps,
                guint64 seed)
{
  GPtrArray *entries = g_ptr_array_new_with_free_func (netpulse_history_entry_free);

  for (guint app = 0; app < n_apps; app++)
    for (guint p = 0; p < 2; p++)
      {
        NetpulseHistoryEntry *entry = g_new0 (NetpulseHistoryEntry, 1);

        entry->app_kind = (guint8) (app % 5);
        entry->app_id = g_strdup_printf ("org.example.Application%03u", app);
        entry->proto = p ? 17 : 6;
        entry->rx_bytes = (seed * 7919 + app * 104729) % 50000000;
        entry->tx_bytes = (seed * 104729 + app * 7919) % 5000000;
        entry->connections = (guint32) ((seed + app) % 40);
        g_ptr_array_add (entries, entry);
      }
  return entries;
}

/* The 30 days hourly by application, paged as a client must (72 000 rows
 * are more than one answer): each page continues after the last row of
 * the one before (keyset; before that existed, "offset").  Each page is
 * serialized as the D-Bus reply would be, so that its cost is counted. */
static guint
query_all_pages (NetpulseHistoryDb *db,
                 guint64            base)
{
  NetpulseHistoryQuery query = { base, base + 30 * 86400000ull, NETPULSE_HISTORY_HOUR,
                                 NETPULSE_HISTORY_GROUP_APP, NULL, 0, 0 };
  g_autoptr(GError) error = NULL;
  gboolean truncated = FALSE;
  guint n_rows = 0;

  do
    {
      g_autoptr(GVariant) rows = netpulse_history_db_query (db, &query, &truncated, &error);
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GVariant) last = NULL;
      gsize n;

      g_assert_no_error (error);
      n = g_variant_n_children (rows);
      reply = g_variant_ref_sink (g_variant_new ("(@a(ttssyttu)b)", g_variant_ref (rows), truncated));
      g_assert (g_variant_get_data (reply) != NULL);
      n_rows += (guint) n;
      if (n == 0)
        break;
      last = g_variant_get_child_value (rows, n - 1);
      g_clear_pointer (&after_kind, g_free);
      g_clear_pointer (&after_id, g_free);
      g_variant_get (last, "(ttssyttu)", &query.after_start_ms, NULL, &after_kind, &after_id,
                     &query.after_proto, NULL, NULL, NULL, NULL);
      query.after_start_ms /= 1000000;
      query.after_app_kind = after_kind;
      query.after_app_id = after_id;
    }
  while (truncated);
  g_clear_pointer (&after_kind, g_free);
  g_clear_pointer (&after_id, g_free);
  return n_rows;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

int
main (int    argc,
      char **argv)
{
  guint n_apps = argc > 1 ? (guint) atoi (argv[1]) : 100;
  g_autofree char *dir = argc > 2 ? g_strdup (argv[2]) : g_dir_make_tmp ("np-history-bench-XXXXXX", NULL);
  g_autofree char *day_path = g_build_filename (dir, "day.db", NULL);
  g_autofree char *month_path = g_build_filename (dir, "month.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetpulseHistoryDb) day = NULL;
  g_autoptr(NetpulseHistoryDb) month = NULL;
  guint64 minute_ms = 60000, base = (guint64) 1764547200000;   /* 2025-12-01, a day boundary */
  double cpu0, cpu_day, times[5], cpu_times[5];
  guint64 day_size, month_size;
  guint n_rows = 0;

  /* 1. A day of minutes. */
  day = netpulse_history_db_open (day_path, minute_ms, NULL, &error);
  g_assert_no_error (error);
  cpu0 = cpu_seconds ();
  for (guint m = 0; m < 1440; m++)
    {
      g_autoptr(GPtrArray) entries = bucket_entries (n_apps, m);

      if (!netpulse_history_db_add_bucket (day, base + m * minute_ms, entries, keep, &error))
        g_error ("%s", error->message);
    }
  cpu_day = cpu_seconds () - cpu0;
  day_size = netpulse_history_db_get_size (day);

  /* 2. 30 days of hours (one fine bucket per hour fills the hourly level
   * exactly as 60 would). */
  month = netpulse_history_db_open (month_path, minute_ms, NULL, &error);
  g_assert_no_error (error);
  for (guint h = 0; h < 30 * 24; h++)
    {
      g_autoptr(GPtrArray) entries = bucket_entries (n_apps, h);

      if (!netpulse_history_db_add_bucket (month, base + h * 3600000, entries, keep, &error))
        g_error ("%s", error->message);
    }
  month_size = netpulse_history_db_get_size (month);
  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      double c0 = cpu_seconds ();

      n_rows = query_all_pages (month, base);
      times[i] = (g_get_monotonic_time () - t0) / 1000.0;
      cpu_times[i] = (cpu_seconds () - c0) * 1000.0;
    }
  qsort (times, G_N_ELEMENTS (times), sizeof times[0], compare_doubles);
  qsort (cpu_times, G_N_ELEMENTS (cpu_times), sizeof cpu_times[0], compare_doubles);

  printf ("{\"apps\":%u,\"minute_buckets\":1440,\"entries_per_bucket\":%u,"
          "\"cpu_ms_per_bucket\":%.3f,\"db_bytes_after_one_day_of_minutes\":%" G_GUINT64_FORMAT ","
          "\"db_bytes_30_days_hourly\":%" G_GUINT64_FORMAT ",\"query_30d_hourly_rows\":%u,"
          "\"query_30d_hourly_ms_median\":%.1f,\"query_30d_hourly_ms_min\":%.1f,"
          "\"query_30d_hourly_cpu_ms_median\":%.1f}\n",
          n_apps, n_apps * 2, cpu_day * 1000.0 / 1440, day_size, month_size, n_rows,
          times[G_N_ELEMENTS (times) / 2], times[0], cpu_times[G_N_ELEMENTS (cpu_times) / 2]);

  g_clear_object (&day);
  g_clear_object (&month);
  if (argc <= 2)
    {
      const char *suffixes[] = { "", "-wal", "-shm" };

      for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
        {
          g_autofree char *a = g_strconcat (day_path, suffixes[i], NULL);
          g_autofree char *b = g_strconcat (month_path, suffixes[i], NULL);

          g_unlink (a);
          g_unlink (b);
        }
      g_rmdir (dir);
    }
  return 0;
}
