/* np-metrics-bench.c — the cost of one Prometheus export with the helper's
 * own code (helper/netpulse-metrics-text.c, netpulse-history-db-totals.c,
 * netpulse-metrics-textfile.c), as it runs in the helper's main context
 * every interval (15 s by default):
 *
 *   a history of D days × N applications × 2 protocols (one daily bucket
 *   each: what the grand totals sum), then, median of 20 runs each: the
 *   sum of every daily row (what each export cost before the settled days
 *   were kept), the export as the helper makes it (netpulse_metrics_build():
 *   the first one of a day sums the settled days, the next ones only the
 *   last two days) with the default cap (50) and with no cap to speak of
 *   (10 000), and the atomic write of the page.
 *
 * Usage: np-metrics-bench [N_APPS (default 1000)] [DAYS (default 730)]
 * Prints one JSON object.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "netpulse-history-db-totals.h"
#include "netpulse-metrics-textfile.h"
#include "netpulse-metrics.h"

#define RUNS 20

static const guint64 keep[NETPULSE_HISTORY_N_LEVELS] = { 0, 0, 0 };

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *values)
{
  qsort (values, RUNS, sizeof (double), compare_doubles);
  return values[RUNS / 2];
}

/* The sum of every daily row, as each export made it before the days
 * that no longer change were kept (for comparison). */
static double
sum_all_once (NetpulseHistoryDb *db)
{
  g_autoptr(NetpulseMetricsText) text = netpulse_metrics_text_new (NETPULSE_METRICS_DEFAULT_MAX_APPS);
  gint64 start = g_get_monotonic_time ();

  if (!netpulse_history_db_foreach_total (db, 0, G_MAXUINT64, netpulse_metrics_text_add_total, text, NULL))
    g_error ("totals failed");
  return (g_get_monotonic_time () - start) / 1000.0;
}

typedef struct {
  double first_ms;     /* the days summed (once a day) */
  double export_ms;    /* median of the next ones */
  double write_ms;
  gsize  page_bytes;
} Figures;

/* Exports as the helper makes them (netpulse_metrics_build()), then
 * written (netpulse_metrics_textfile_write()). */
static Figures
measure (NetpulseRecorder *recorder,
         const char       *dir,
         guint             max_apps)
{
  g_autoptr(NetpulseMetrics) metrics = netpulse_metrics_new (dir);
  NetpulseMetricsSources sources = { recorder, NULL, { .backend = "fentry", .version = PACKAGE_VERSION } };
  double times[RUNS], writes[RUNS];
  Figures figures = { 0 };

  if (!netpulse_metrics_configure (metrics, FALSE, dir, 15, max_apps, NULL))
    g_error ("configure failed");
  for (guint i = 0; i <= RUNS; i++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autofree char *page = netpulse_metrics_build (metrics, &sources, NULL);
      double ms = (g_get_monotonic_time () - start) / 1000.0;

      if (page == NULL)
        g_error ("build failed");
      if (i == 0)
        {
          figures.first_ms = ms;
          continue;
        }
      times[i - 1] = ms;
      figures.page_bytes = strlen (page);
      start = g_get_monotonic_time ();
      if (!netpulse_metrics_textfile_write (dir, page, NULL))
        g_error ("write failed");
      writes[i - 1] = (g_get_monotonic_time () - start) / 1000.0;
    }
  figures.export_ms = median (times);
  figures.write_ms = median (writes);
  return figures;
}

int
main (int    argc,
      char **argv)
{
  guint n_apps = argc > 1 ? (guint) atoi (argv[1]) : 1000;
  guint days = argc > 2 ? (guint) atoi (argv[2]) : 730;
  g_autofree char *dir = g_dir_make_tmp ("np-metrics-bench-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "history.db", NULL);
  g_autoptr(NetpulseRecorder) recorder = netpulse_recorder_new (dir, 60000);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (netpulse_history_entry_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) no_options = g_variant_ref_sink (g_variant_new ("a{sv}", NULL));
  guint64 now_ms = (guint64) (g_get_real_time () / 1000);
  double all[RUNS];
  NetpulseHistoryDb *db;
  Figures capped, uncapped;

  if (!netpulse_recorder_configure (recorder, TRUE, no_options, &error))
    g_error ("%s", error->message);
  db = netpulse_recorder_get_db (recorder);
  for (guint app = 0; app < n_apps; app++)
    for (guint p = 0; p < 2; p++)
      {
        NetpulseHistoryEntry *entry = g_new0 (NetpulseHistoryEntry, 1);

        entry->app_kind = (guint8) (app % 5);
        entry->app_id = g_strdup_printf ("org.example.Application%04u", app);
        entry->proto = p ? 17 : 6;
        entry->rx_bytes = 1000 + app * 7919;
        entry->tx_bytes = 100 + app * 104729 % 5000;
        entry->connections = 1 + app % 40;
        g_ptr_array_add (entries, entry);
      }
  /* One fine bucket a day, up to today: one daily row per application
   * and protocol. */
  for (guint day = 0; day < days; day++)
    if (!netpulse_history_db_add_bucket (db, now_ms - (guint64) day * 86400000, entries, keep, &error))
      g_error ("%s", error->message);

  for (guint i = 0; i < RUNS; i++)
    all[i] = sum_all_once (db);
  capped = measure (recorder, dir, NETPULSE_METRICS_DEFAULT_MAX_APPS);
  uncapped = measure (recorder, dir, NETPULSE_METRICS_MAX_MAX_APPS);
  printf ("{\"apps\":%u,\"days\":%u,\"daily_rows\":%u,\"sum_all_days_ms\":%.2f,"
          "\"cap50\":{\"first_ms\":%.2f,\"export_ms\":%.2f,\"write_ms\":%.2f,\"page_bytes\":%zu},"
          "\"cap10000\":{\"first_ms\":%.2f,\"export_ms\":%.2f,\"write_ms\":%.2f,\"page_bytes\":%zu}}\n",
          n_apps, days, n_apps * 2 * days, median (all),
          capped.first_ms, capped.export_ms, capped.write_ms, capped.page_bytes,
          uncapped.first_ms, uncapped.export_ms, uncapped.write_ms, uncapped.page_bytes);

  g_clear_object (&recorder);
  {
    static const char * const names[] = { "history.db", "history.db-wal", "history.db-shm", "netpulse.prom",
                                          "metrics.conf" };

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autofree char *file = g_build_filename (dir, names[i], NULL);

        g_unlink (file);
      }
  }
  g_rmdir (dir);
  return 0;
}
