/* netpulse-metrics.c — the export of Netpulse's counters to Prometheus.
 *
 * The application counters must never go back, not even across a restart
 * of the helper (Prometheus would read a drop as a reset and count the
 * whole total again in increase()).  So they are not the collector's
 * counts, which start from zero in every run, but the usage history's:
 * what the database holds (netpulse-history-db-totals.c) plus what the
 * recorder has counted and not written yet (its bucket in progress, and
 * those waiting for a full disk).  Both are read between two ticks in the
 * main context, where a closed bucket moves from the one to the other in
 * one step: nothing is counted twice or missed.  Hence export needs
 * recording on (SetMetricsExport says so); were recording turned off
 * later, the counters stay where they are (netpulse_recording_enabled 0).
 *
 * The setting is a key file next to the history database, written with
 * g_file_set_contents_full() (temporary file, fsync, rename).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-metrics"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "netpulse-history-db-totals.h"
#include "netpulse-metrics-textfile.h"
#include "netpulse-metrics.h"

#define GROUP "export"

struct _NetpulseMetrics
{
  GObject  parent_instance;

  char    *state_dir;
  gboolean enabled;
  char    *textfile_dir;
  guint    interval_s;
  guint    max_apps;

  /* The sum of the days that no longer change (see add_history()). */
  GHashTable        *settled;          /* "kind/proto/app_id" → Settled */
  NetpulseHistoryDb *settled_db;
  guint64            settled_until_ms;

  gint64   next_write_us;    /* monotonic; 0: at the next tick */
  guint64  writes;
  gint64   last_write_ms;    /* wall clock, for GetMetricsExport */
  char    *last_error;
};

G_DEFINE_FINAL_TYPE (NetpulseMetrics, netpulse_metrics, G_TYPE_OBJECT)

typedef struct {
  guint8   app_kind;
  guint8   proto;
  char    *app_id;
  guint64  rx_bytes;
  guint64  tx_bytes;
  guint64  connections;
} Settled;

static void
settled_free (gpointer data)
{
  Settled *settled = data;

  g_free (settled->app_id);
  g_free (settled);
}

static void
set_error (NetpulseMetrics *self,
           const char      *message)
{
  if (g_strcmp0 (message, self->last_error) == 0)
    return;
  if (message != NULL)
    g_warning ("Metrics export: %s", message);
  else if (self->last_error != NULL)
    g_message ("Metrics export: %s/" NETPULSE_METRICS_TEXTFILE_NAME " written again", self->textfile_dir);
  g_free (self->last_error);
  self->last_error = g_strdup (message);
}

static char *
settings_path (NetpulseMetrics *self)
{
  return g_build_filename (self->state_dir, NETPULSE_METRICS_SETTINGS_NAME, NULL);
}

void
netpulse_metrics_load (NetpulseMetrics *self)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *path = settings_path (self);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  gint64 interval_s, max_apps;
  gboolean enabled;

  g_return_if_fail (NETPULSE_IS_METRICS (self));

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("Cannot read %s, metrics export stays off: %s", path, error->message);
      return;
    }
  enabled = g_key_file_get_boolean (file, GROUP, "enabled", NULL);
  dir = g_key_file_get_string (file, GROUP, "textfile-dir", NULL);
  interval_s = g_key_file_get_int64 (file, GROUP, "interval-s", NULL);
  max_apps = g_key_file_get_int64 (file, GROUP, "max-apps", NULL);
  if (interval_s < 1 || interval_s > NETPULSE_METRICS_MAX_INTERVAL_S ||
      max_apps < 1 || max_apps > NETPULSE_METRICS_MAX_MAX_APPS || (enabled && dir == NULL))
    {
      g_warning ("%s is not a metrics setting, metrics export stays off", path);
      return;
    }
  self->enabled = enabled;
  g_free (self->textfile_dir);
  self->textfile_dir = g_steal_pointer (&dir);
  self->interval_s = (guint) interval_s;
  self->max_apps = (guint) max_apps;
}

static gboolean
save (NetpulseMetrics  *self,
      gboolean          enabled,
      const char       *dir,
      guint             interval_s,
      guint             max_apps,
      GError          **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *path = settings_path (self);
  g_autofree char *data = NULL;
  gsize len;

  if (g_mkdir_with_parents (self->state_dir, 0700) != 0)
    {
      int saved = errno;

      return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                          "Cannot create %s: %s", self->state_dir, g_strerror (saved)), FALSE;
    }
  g_key_file_set_boolean (file, GROUP, "enabled", enabled);
  if (dir != NULL)
    g_key_file_set_string (file, GROUP, "textfile-dir", dir);
  g_key_file_set_int64 (file, GROUP, "interval-s", interval_s);
  g_key_file_set_int64 (file, GROUP, "max-apps", max_apps);
  data = g_key_file_to_data (file, &len, NULL);
  return g_file_set_contents_full (path, data, (gssize) len,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   0600, error);
}

gboolean
netpulse_metrics_configure (NetpulseMetrics  *self,
                            gboolean          enabled,
                            const char       *textfile_dir,
                            guint             interval_s,
                            guint             max_apps,
                            GError          **error)
{
  const char *dir = textfile_dir != NULL && *textfile_dir != '\0' ? textfile_dir : self->textfile_dir;

  g_return_val_if_fail (NETPULSE_IS_METRICS (self), FALSE);

  interval_s = interval_s ? interval_s : self->interval_s;
  max_apps = max_apps ? max_apps : self->max_apps;
  if (interval_s > NETPULSE_METRICS_MAX_INTERVAL_S)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "The interval must be 1 to %u seconds", NETPULSE_METRICS_MAX_INTERVAL_S), FALSE;
  if (max_apps > NETPULSE_METRICS_MAX_MAX_APPS)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "At most %u applications can have series of their own", NETPULSE_METRICS_MAX_MAX_APPS), FALSE;
  if (enabled && dir == NULL)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "Say where node_exporter reads text files (its --collector.textfile.directory)"), FALSE;
  if (enabled && !netpulse_metrics_textfile_check_dir (dir, error))
    return FALSE;
  if (!save (self, enabled, dir, interval_s, max_apps, error))
    return FALSE;

  /* No stale page once export is off (or has moved elsewhere). */
  if (self->enabled && self->textfile_dir != NULL && (!enabled || g_strcmp0 (dir, self->textfile_dir) != 0))
    {
      g_autofree char *old = g_build_filename (self->textfile_dir, NETPULSE_METRICS_TEXTFILE_NAME, NULL);

      if (g_unlink (old) != 0 && errno != ENOENT)
        g_warning ("Cannot remove %s: %s", old, g_strerror (errno));
    }
  if (dir != self->textfile_dir)
    {
      g_free (self->textfile_dir);
      self->textfile_dir = g_strdup (dir);
    }
  self->enabled = enabled;
  self->interval_s = interval_s;
  self->max_apps = max_apps;
  self->next_write_us = 0;
  set_error (self, NULL);
  g_message ("Metrics export %s (%s, every %u s, at most %u applications)", enabled ? "on" : "off",
             dir != NULL ? dir : "no directory", interval_s, max_apps);
  return TRUE;
}

gboolean
netpulse_metrics_is_enabled (NetpulseMetrics *self)
{
  g_return_val_if_fail (NETPULSE_IS_METRICS (self), FALSE);
  return self->enabled;
}

static void
keep_settled (guint8      app_kind,
              const char *app_id,
              guint8      proto,
              guint64     rx_bytes,
              guint64     tx_bytes,
              guint64     connections,
              gpointer    user_data)
{
  g_autofree char *key = g_strdup_printf ("%u/%u/%s", app_kind, proto, app_id);
  Settled *settled = g_hash_table_lookup (user_data, key);

  if (settled == NULL)
    {
      settled = g_new0 (Settled, 1);
      *settled = (Settled) { app_kind, proto, g_strdup (app_id), 0, 0, 0 };
      g_hash_table_insert (user_data, g_steal_pointer (&key), settled);
    }
  settled->rx_bytes += rx_bytes;
  settled->tx_bytes += tx_bytes;
  settled->connections += connections;
}

/* The database's totals.  Summing every daily row at each export costs
 * half a second for a year of 1000 applications (bench/RESULTS.md), in
 * the main context: the days before yesterday are summed once, at the
 * first export, then each day that joins them is added to that sum.  They
 * no longer change: a bucket waits for the disk at most
 * NETPULSE_RECORDER_MAX_UNWRITTEN buckets, one day's worth, so a late
 * write lands in yesterday's day at the earliest.  The retention's purge of
 * the oldest days is not subtracted while the helper runs (the counters
 * never go back then); a new helper's sum no longer has them (README). */
static gboolean
add_history (NetpulseMetrics      *self,
             NetpulseHistoryDb    *db,
             NetpulseMetricsText  *text,
             GError              **error)
{
  guint64 day_ms = netpulse_history_db_level_ms (db, NETPULSE_HISTORY_DAY);
  guint64 now_ms = (guint64) (g_get_real_time () / 1000);
  guint64 today_ms = now_ms - now_ms % day_ms;
  guint64 horizon_ms = today_ms >= 2 * day_ms ? today_ms - 2 * day_ms : 0;

  GHashTableIter iter;
  gpointer value;

  /* From scratch for another database, or a clock set back. */
  if (db != self->settled_db || horizon_ms < self->settled_until_ms)
    {
      g_hash_table_remove_all (self->settled);
      g_set_object (&self->settled_db, db);
      self->settled_until_ms = 0;
    }
  if (horizon_ms > self->settled_until_ms)
    {
      if (!netpulse_history_db_foreach_total (db, self->settled_until_ms, horizon_ms, keep_settled,
                                              self->settled, error))
        {
          /* Part of the range may be in: start again next time. */
          g_clear_object (&self->settled_db);
          return FALSE;
        }
      self->settled_until_ms = horizon_ms;
    }
  g_hash_table_iter_init (&iter, self->settled);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Settled *s = value;

      netpulse_metrics_text_add_usage (text, s->app_kind, s->app_id, s->proto,
                                       s->rx_bytes, s->tx_bytes, s->connections);
    }
  return netpulse_history_db_foreach_total (db, horizon_ms, G_MAXUINT64, netpulse_metrics_text_add_total,
                                            text, error);
}

static void
add_unwritten (gpointer key,
               gpointer value,
               gpointer user_data)
{
  NetpulseHistoryEntry *entry = value;

  netpulse_metrics_text_add_usage (user_data, entry->app_kind, entry->app_id, entry->proto,
                                   entry->rx_bytes, entry->tx_bytes, entry->connections);
}

static void
add_open (const NetpulseRecord *record,
          gpointer              user_data)
{
  netpulse_metrics_text_add_open (user_data, record->app_kind, record->app_id);
}

char *
netpulse_metrics_build (NetpulseMetrics              *self,
                        const NetpulseMetricsSources *sources,
                        GError                      **error)
{
  g_autoptr(NetpulseMetricsText) text = NULL;
  NetpulseHistoryDb *db;

  g_return_val_if_fail (NETPULSE_IS_METRICS (self), NULL);

  text = netpulse_metrics_text_new (self->max_apps);
  db = netpulse_recorder_get_db (sources->recorder);
  if (db != NULL && !add_history (self, db, text, error))
    return NULL;
  netpulse_recorder_foreach_unwritten (sources->recorder, add_unwritten, text);
  if (sources->collector != NULL)
    netpulse_collector_foreach_open (sources->collector, NETPULSE_WINDOW_DEFAULT_MS, add_open, text);
  return netpulse_metrics_text_build (text, &sources->health);
}

void
netpulse_metrics_tick (NetpulseMetrics              *self,
                       const NetpulseMetricsSources *sources,
                       gboolean                      now)
{
  gint64 now_us = g_get_monotonic_time ();
  gint64 interval_us = (gint64) self->interval_s * G_USEC_PER_SEC;
  g_autoptr(GError) error = NULL;
  g_autofree char *page = NULL;

  g_return_if_fail (NETPULSE_IS_METRICS (self));

  if (!self->enabled || (!now && self->next_write_us != 0 && now_us < self->next_write_us))
    return;
  /* Every interval from the last write; after a stall, from now. */
  self->next_write_us = self->next_write_us != 0 && now_us - self->next_write_us < interval_us
                          ? self->next_write_us + interval_us : now_us + interval_us;

  page = netpulse_metrics_build (self, sources, &error);
  if (page == NULL || !netpulse_metrics_textfile_write (self->textfile_dir, page, &error))
    {
      set_error (self, error->message);
      return;
    }
  self->writes++;
  self->last_write_ms = g_get_real_time () / 1000;
  set_error (self, NULL);
}

GVariant *
netpulse_metrics_get_state (NetpulseMetrics *self)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autofree char *file = self->textfile_dir != NULL
                            ? g_build_filename (self->textfile_dir, NETPULSE_METRICS_TEXTFILE_NAME, NULL)
                            : g_strdup ("");

  g_return_val_if_fail (NETPULSE_IS_METRICS (self), NULL);

  g_variant_builder_add (&builder, "{sv}", "enabled", g_variant_new_boolean (self->enabled));
  g_variant_builder_add (&builder, "{sv}", "textfile-dir",
                         g_variant_new_string (self->textfile_dir != NULL ? self->textfile_dir : ""));
  g_variant_builder_add (&builder, "{sv}", "file", g_variant_new_string (file));
  g_variant_builder_add (&builder, "{sv}", "interval-s", g_variant_new_uint32 (self->interval_s));
  g_variant_builder_add (&builder, "{sv}", "max-apps", g_variant_new_uint32 (self->max_apps));
  g_variant_builder_add (&builder, "{sv}", "writes", g_variant_new_uint64 (self->writes));
  g_variant_builder_add (&builder, "{sv}", "last-write-ms", g_variant_new_uint64 ((guint64) self->last_write_ms));
  g_variant_builder_add (&builder, "{sv}", "last-error",
                         g_variant_new_string (self->last_error != NULL ? self->last_error : ""));
  return g_variant_builder_end (&builder);
}

static void
netpulse_metrics_finalize (GObject *object)
{
  NetpulseMetrics *self = NETPULSE_METRICS (object);

  g_clear_pointer (&self->settled, g_hash_table_unref);
  g_clear_object (&self->settled_db);
  g_free (self->state_dir);
  g_free (self->textfile_dir);
  g_free (self->last_error);
  G_OBJECT_CLASS (netpulse_metrics_parent_class)->finalize (object);
}

static void
netpulse_metrics_class_init (NetpulseMetricsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = netpulse_metrics_finalize;
}

static void
netpulse_metrics_init (NetpulseMetrics *self)
{
  self->settled = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, settled_free);
  self->interval_s = NETPULSE_METRICS_DEFAULT_INTERVAL_S;
  self->max_apps = NETPULSE_METRICS_DEFAULT_MAX_APPS;
}

NetpulseMetrics *
netpulse_metrics_new (const char *state_dir)
{
  NetpulseMetrics *self = g_object_new (NETPULSE_TYPE_METRICS, NULL);

  self->state_dir = g_strdup (state_dir ? state_dir : NETPULSE_RECORDER_DEFAULT_STATE_DIR);
  return self;
}
