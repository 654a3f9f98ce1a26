/* netpulse-recorder.c — the usage history's counting side.
 *
 * Every sample, the records changed since the last one give each flow's
 * delta (cumulative bytes now minus what we saw before); a flow new to us
 * adds its whole count and one connection, a CLOSED record (the final one,
 * sent once) adds its last delta and forgets the flow.  Flows that were
 * there before recording began start from their count at that moment, so
 * nothing from before is counted.  Deltas go to the bucket of the sample's
 * wall-clock time, summed per (application kind, application id, protocol).
 * When a sample falls into a new bucket the previous one is written in one
 * transaction (netpulse-history-db.c); a SIGKILL loses at most that open
 * bucket.
 *
 * Disk full or any write error: the bucket stays in memory (up to
 * NETPULSE_RECORDER_MAX_UNWRITTEN of them), the error shows in
 * GetRecording's "last-error" with "paused" true, and every bucket close
 * tries again; live monitoring never waits for any of this.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-history"

#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "netpulse-boot-unit.h"
#include "netpulse-protocol.h"
#include "netpulse-recorder-private.h"

typedef struct {
  guint64 tx_bytes;
  guint64 rx_bytes;
  guint64 mark;          /* the sweep that last found it open */
  guint64 closed_ms;     /* when its CLOSED record came; 0 while open */
} SeenFlow;

/* A closed record stays visible in the collector for a while
 * (closed_retain_ms, 11 s by default) and may be reported again in that
 * time: it is remembered longer, so that it is never counted twice. */
#define CLOSED_MEMORY_MS 60000

struct _Bucket {
  guint64     start_ms;
  GHashTable *entries;   /* "kind/proto/app_id" → NetpulseHistoryEntry */
  GHashTable *hosts;     /* "kind/proto/app_id/raddr/rport" → NetpulseHistoryHost */
};


G_DEFINE_FINAL_TYPE (NetpulseRecorder, netpulse_recorder, G_TYPE_OBJECT)

const char * const netpulse_recorder_retention_keys[NETPULSE_HISTORY_N_LEVELS] = {
  "retention-fine-s", "retention-hour-s", "retention-day-s",
};
/* 48 hours of minutes, 90 days of hours, two years of days. */
const guint64 netpulse_recorder_default_retention_s[NETPULSE_HISTORY_N_LEVELS] = {
  48 * 3600, 90 * 86400, 730 * 86400,
};

static Bucket *
bucket_new (guint64 start_ms)
{
  Bucket *bucket = g_new0 (Bucket, 1);

  bucket->start_ms = start_ms;
  bucket->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, netpulse_history_entry_free);
  bucket->hosts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, netpulse_history_host_free);
  return bucket;
}

static void
bucket_free (gpointer data)
{
  Bucket *bucket = data;

  g_hash_table_unref (bucket->entries);
  g_hash_table_unref (bucket->hosts);
  g_free (bucket);
}

static void
bucket_add (Bucket               *bucket,
            const NetpulseRecord *record,
            guint64               tx,
            guint64               rx,
            guint                 connections)
{
  g_autofree char *key = g_strdup_printf ("%u/%u/%s", record->app_kind, record->proto, record->app_id);
  NetpulseHistoryEntry *entry = g_hash_table_lookup (bucket->entries, key);

  if (entry == NULL)
    {
      entry = g_new0 (NetpulseHistoryEntry, 1);
      entry->app_kind = record->app_kind;
      entry->proto = record->proto;
      /* A flow whose owner is not known yet still counts, under "". */
      entry->app_id = g_strdup (record->app_id);
      g_hash_table_insert (bucket->entries, g_steal_pointer (&key), entry);
    }
  entry->tx_bytes += tx;
  entry->rx_bytes += rx;
  entry->connections += connections;
}

/* The same per remote host and port (the database keeps the largest). */
static void
bucket_add_host (Bucket               *bucket,
                 const NetpulseRecord *record,
                 guint64               tx,
                 guint64               rx,
                 guint                 connections)
{
  g_autofree char *key = g_strdup_printf ("%u/%u/%s/%s/%u", record->app_kind, record->proto,
                                          record->app_id, record->raddr, record->rport);
  NetpulseHistoryHost *host = g_hash_table_lookup (bucket->hosts, key);

  if (host == NULL)
    {
      host = g_new0 (NetpulseHistoryHost, 1);
      host->app_kind = record->app_kind;
      host->app_id = g_strdup (record->app_id);
      host->proto = record->proto;
      host->raddr = g_strdup (record->raddr);
      host->rport = record->rport;
      g_hash_table_insert (bucket->hosts, g_steal_pointer (&key), host);
    }
  host->tx_bytes += tx;
  host->rx_bytes += rx;
  host->connections += connections;
}

static void
set_error (NetpulseRecorder *self,
           const char       *message)
{
  if (g_strcmp0 (message, self->last_error) == 0)
    return;
  if (message != NULL)
    g_warning ("Recording paused: %s", message);
  else if (self->last_error != NULL)
    g_message ("Recording resumed: the history is written again");
  g_free (self->last_error);
  self->last_error = g_strdup (message);
}

static GPtrArray *
values_of (GHashTable *table)
{
  GPtrArray *values = g_ptr_array_sized_new (g_hash_table_size (table));
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (values, value);
  return values;
}

static int
compare_host_bytes (gconstpointer a,
                    gconstpointer b)
{
  const NetpulseHistoryHost *x = *(NetpulseHistoryHost **) a, *y = *(NetpulseHistoryHost **) b;
  int by_app = g_strcmp0 (x->app_id, y->app_id);

  if (by_app != 0 || x->app_kind != y->app_kind)
    return by_app != 0 ? by_app : (int) x->app_kind - (int) y->app_kind;
  if (x->rx_bytes + x->tx_bytes != y->rx_bytes + y->tx_bytes)
    return x->rx_bytes + x->tx_bytes > y->rx_bytes + y->tx_bytes ? -1 : 1;
  return 0;
}

/* A bucket that waits in memory (the disk refuses it) keeps only the
 * largest hosts per application, as the database would, so that up to
 * NETPULSE_RECORDER_MAX_UNWRITTEN of them stay small. */
static void
fold_hosts (Bucket *bucket)
{
  g_autoptr(GPtrArray) hosts = values_of (bucket->hosts);
  GHashTable *folded = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, netpulse_history_host_free);
  guint rank = 0;

  g_ptr_array_sort (hosts, compare_host_bytes);
  for (guint i = 0; i < hosts->len; i++)
    {
      NetpulseHistoryHost *host = g_ptr_array_index (hosts, i), *copy = g_new0 (NetpulseHistoryHost, 1);
      NetpulseHistoryHost *before = i > 0 ? g_ptr_array_index (hosts, i - 1) : NULL;
      g_autofree char *key = NULL;
      NetpulseHistoryHost *rest;

      rank = before != NULL && before->app_kind == host->app_kind &&
             g_str_equal (before->app_id, host->app_id) ? rank + 1 : 0;
      *copy = *host;
      copy->app_id = g_strdup (host->app_id);
      copy->raddr = g_strdup (rank < NETPULSE_HISTORY_TOP_HOSTS ? host->raddr : "");
      if (rank >= NETPULSE_HISTORY_TOP_HOSTS)
        copy->proto = copy->rport = 0;
      key = g_strdup_printf ("%u/%u/%s/%s/%u", copy->app_kind, copy->proto, copy->app_id, copy->raddr, copy->rport);
      if ((rest = g_hash_table_lookup (folded, key)) != NULL)
        {
          rest->rx_bytes += copy->rx_bytes;
          rest->tx_bytes += copy->tx_bytes;
          rest->connections += copy->connections;
          netpulse_history_host_free (copy);
        }
      else
        g_hash_table_insert (folded, g_steal_pointer (&key), copy);
    }
  g_hash_table_unref (bucket->hosts);
  bucket->hosts = folded;
}

static void
write_unwritten (NetpulseRecorder *self)
{
  Bucket *bucket;

  while ((bucket = g_queue_peek_head (&self->unwritten)) != NULL)
    {
      g_autoptr(GPtrArray) entries = values_of (bucket->entries);
      g_autoptr(GPtrArray) hosts = values_of (bucket->hosts);
      g_autoptr(GError) error = NULL;

      if (self->db == NULL ||
          !netpulse_history_db_add_bucket_with_hosts (self->db, bucket->start_ms, entries, hosts,
                                                      self->retention_s, &error))
        {
          set_error (self, error != NULL ? error->message : "no history database");
          for (GList *l = self->unwritten.head; l != NULL; l = l->next)
            if (g_hash_table_size (((Bucket *) l->data)->hosts) > NETPULSE_HISTORY_TOP_HOSTS)
              fold_hosts (l->data);
          break;
        }
      bucket_free (g_queue_pop_head (&self->unwritten));
      set_error (self, NULL);
    }

  while (g_queue_get_length (&self->unwritten) > NETPULSE_RECORDER_MAX_UNWRITTEN)
    {
      bucket_free (g_queue_pop_head (&self->unwritten));
      self->dropped_buckets++;
    }
}

/* The bucket in progress goes to the queue of those to write (even when
 * empty: nothing to write then, but nothing is lost either). */
static void
close_bucket (NetpulseRecorder *self)
{
  if (self->current == NULL)
    return;
  if (g_hash_table_size (self->current->entries) > 0)
    g_queue_push_tail (&self->unwritten, self->current);
  else
    bucket_free (self->current);
  self->current = NULL;
  write_unwritten (self);
}

/* ------------------------------------------------------------------------ */
/* Counting                                                                  */

typedef struct {
  NetpulseRecorder *self;
  gboolean          count;   /* FALSE: only learn the baseline */
} Visit;

static void
visit_record (const NetpulseRecord *record,
              gpointer              user_data)
{
  Visit *visit = user_data;
  NetpulseRecorder *self = visit->self;
  SeenFlow *seen = g_hash_table_lookup (self->flows, &record->id);
  guint64 tx = record->tx_bytes, rx = record->rx_bytes;
  guint connections = 0;

  if (seen == NULL)
    {
      guint64 *key = g_new (guint64, 1);

      *key = record->id;
      seen = g_new0 (SeenFlow, 1);
      g_hash_table_insert (self->flows, key, seen);
      connections = visit->count ? 1 : 0;
    }
  else
    {
      /* Counts only grow; a smaller one would be a new flow under an old id. */
      tx = tx >= seen->tx_bytes ? tx - seen->tx_bytes : tx;
      rx = rx >= seen->rx_bytes ? rx - seen->rx_bytes : rx;
    }
  seen->tx_bytes = record->tx_bytes;
  seen->rx_bytes = record->rx_bytes;
  seen->mark = self->sweep;

  if (visit->count && (tx > 0 || rx > 0 || connections > 0))
    {
      bucket_add (self->current, record, tx, rx, connections);
      bucket_add_host (self->current, record, tx, rx, connections);
    }
  if ((record->flags & NETPULSE_RECORD_CLOSED) && seen->closed_ms == 0)
    seen->closed_ms = MAX (self->now_ms, 1);
}

static void
mark_open (const NetpulseRecord *record,
           gpointer              user_data)
{
  NetpulseRecorder *self = user_data;
  SeenFlow *seen = g_hash_table_lookup (self->flows, &record->id);

  if (seen != NULL)
    seen->mark = self->sweep;
}

/* Forgets flows that left the table without a final record, and closed
 * ones after CLOSED_MEMORY_MS. */
static void
sweep_flows (NetpulseRecorder  *self,
             NetpulseCollector *collector)
{
  GHashTableIter iter;
  gpointer value;

  self->sweep++;
  netpulse_collector_foreach_open (collector, NETPULSE_WINDOW_DEFAULT_MS, mark_open, self);
  g_hash_table_iter_init (&iter, self->flows);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      SeenFlow *seen = value;

      if (seen->closed_ms != 0 ? self->now_ms - seen->closed_ms > CLOSED_MEMORY_MS
                               : seen->mark != self->sweep)
        g_hash_table_iter_remove (&iter);
    }
}

void
netpulse_recorder_collector_started (NetpulseRecorder  *self,
                                     NetpulseCollector *collector)
{
  Visit visit = { self, FALSE };

  g_return_if_fail (NETPULSE_IS_RECORDER (self));

  g_hash_table_remove_all (self->flows);
  self->generation = netpulse_collector_get_generation (collector);
  /* Whatever the collector has counted so far is from before recording. */
  netpulse_collector_foreach_open (collector, NETPULSE_WINDOW_DEFAULT_MS, visit_record, &visit);
}

void
netpulse_recorder_tick (NetpulseRecorder  *self,
                        NetpulseCollector *collector,
                        guint64            now_ms)
{
  guint64 start_ms = now_ms - now_ms % self->bucket_ms;
  Visit visit = { self, TRUE };

  g_return_if_fail (NETPULSE_IS_RECORDER (self));

  if (!self->enabled || collector == NULL)
    return;
  self->now_ms = now_ms;

  gboolean closed = FALSE;

  if (self->current != NULL && self->current->start_ms != start_ms)
    {
      close_bucket (self);
      closed = TRUE;
    }
  if (self->current == NULL)
    self->current = bucket_new (start_ms);

  netpulse_collector_foreach_changed (collector, self->generation, NETPULSE_WINDOW_DEFAULT_MS,
                                      visit_record, &visit);
  self->generation = netpulse_collector_get_generation (collector);
  /* After the changes: a flow that closed in this sample has left the
   * open table but its CLOSED record was just counted. */
  if (closed)
    sweep_flows (self, collector);
}

void
netpulse_recorder_flush (NetpulseRecorder *self)
{
  g_return_if_fail (NETPULSE_IS_RECORDER (self));

  close_bucket (self);
}

/* ------------------------------------------------------------------------ */
/* Configuration                                                             */

static gboolean
open_database (NetpulseRecorder  *self,
               GError           **error)
{
  g_autofree char *path = g_build_filename (self->state_dir, NETPULSE_RECORDER_DB_NAME, NULL);
  g_autofree char *warning = NULL;

  if (self->db != NULL)
    return TRUE;
  if (g_mkdir_with_parents (self->state_dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot create %s: %s", self->state_dir, g_strerror (saved));
      return FALSE;
    }
  self->db = netpulse_history_db_open (path, self->bucket_ms, &warning, error);
  if (warning != NULL)
    {
      g_warning ("%s", warning);
      g_free (self->warning);
      self->warning = g_steal_pointer (&warning);
    }
  if (self->db == NULL)
    return FALSE;

  self->enabled = netpulse_history_db_get_setting (self->db, "enabled", 0) != 0;
  for (int level = 0; level < NETPULSE_HISTORY_N_LEVELS; level++)
    self->retention_s[level] = (guint64) netpulse_history_db_get_setting (self->db, netpulse_recorder_retention_keys[level],
                                                                           (gint64) netpulse_recorder_default_retention_s[level]);
  return TRUE;
}

void
netpulse_recorder_load (NetpulseRecorder *self)
{
  g_autofree char *path = g_build_filename (self->state_dir, NETPULSE_RECORDER_DB_NAME, NULL);
  g_autoptr(GError) error = NULL;

  g_return_if_fail (NETPULSE_IS_RECORDER (self));

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return;
  if (!open_database (self, &error))
    {
      g_warning ("Cannot open the usage history: %s", error->message);
      set_error (self, error->message);
    }
}

/* Recording goes on after a reboot where systemd starts things; a failure
 * here is a warning (recording itself is on), shown in GetRecording. */
static void
set_boot_unit (NetpulseRecorder *self,
               gboolean          enabled)
{
  g_autoptr(GError) error = NULL;
  gboolean done = FALSE;

  g_clear_pointer (&self->boot_error, g_free);
  if (!netpulse_boot_unit_set_enabled (self->system_root, enabled, &done, &error))
    {
      g_warning ("Recording will not start at boot by itself: %s", error->message);
      self->boot_error = g_strdup (error->message);
    }
  else if (done)
    g_message ("%s %s at boot", NETPULSE_BOOT_UNIT_NAME, enabled ? "enabled" : "disabled");
}

void
netpulse_recorder_set_system_root (NetpulseRecorder *self,
                                   const char       *root)
{
  g_free (self->system_root);
  self->system_root = g_strdup (root != NULL ? root : "/");
}

gboolean
netpulse_recorder_configure (NetpulseRecorder  *self,
                             gboolean           enabled,
                             GVariant          *options,
                             GError           **error)
{
  guint64 retention[NETPULSE_HISTORY_N_LEVELS];

  g_return_val_if_fail (NETPULSE_IS_RECORDER (self), FALSE);

  if (!open_database (self, error))
    return FALSE;

  for (int level = 0; level < NETPULSE_HISTORY_N_LEVELS; level++)
    {
      retention[level] = self->retention_s[level];
      if (g_variant_lookup (options, netpulse_recorder_retention_keys[level], "t", &retention[level]) &&
          retention[level] < 60)
        return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "%s must be at least 60 seconds", netpulse_recorder_retention_keys[level]), FALSE;
    }

  for (int level = 0; level < NETPULSE_HISTORY_N_LEVELS; level++)
    if (!netpulse_history_db_set_setting (self->db, netpulse_recorder_retention_keys[level], (gint64) retention[level], error))
      return FALSE;
  if (!netpulse_history_db_set_setting (self->db, "enabled", enabled, error))
    return FALSE;

  memcpy (self->retention_s, retention, sizeof retention);
  if (self->enabled && !enabled)
    close_bucket (self);
  self->enabled = enabled;
  set_boot_unit (self, enabled);
  g_message ("Recording %s (buckets of %" G_GUINT64_FORMAT " ms)", enabled ? "on" : "off", self->bucket_ms);
  return TRUE;
}

gboolean
netpulse_recorder_is_enabled (NetpulseRecorder *self)
{
  g_return_val_if_fail (NETPULSE_IS_RECORDER (self), FALSE);
  return self->enabled;
}

guint64
netpulse_recorder_get_bucket_ms (NetpulseRecorder *self)
{
  return self->bucket_ms;
}

static void
netpulse_recorder_finalize (GObject *object)
{
  NetpulseRecorder *self = NETPULSE_RECORDER (object);

  g_clear_pointer (&self->current, bucket_free);
  g_queue_clear_full (&self->unwritten, bucket_free);
  g_clear_pointer (&self->flows, g_hash_table_unref);
  g_clear_object (&self->db);
  g_free (self->state_dir);
  g_free (self->system_root);
  g_free (self->boot_error);
  g_free (self->last_error);
  g_free (self->warning);
  G_OBJECT_CLASS (netpulse_recorder_parent_class)->finalize (object);
}

static void
netpulse_recorder_class_init (NetpulseRecorderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = netpulse_recorder_finalize;
}

static void
netpulse_recorder_init (NetpulseRecorder *self)
{
  self->flows = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  g_queue_init (&self->unwritten);
  memcpy (self->retention_s, netpulse_recorder_default_retention_s, sizeof self->retention_s);
}

NetpulseRecorder *
netpulse_recorder_new (const char *state_dir,
                       guint64     bucket_ms)
{
  NetpulseRecorder *self = g_object_new (NETPULSE_TYPE_RECORDER, NULL);

  self->state_dir = g_strdup (state_dir ? state_dir : NETPULSE_RECORDER_DEFAULT_STATE_DIR);
  self->system_root = g_strdup ("/");
  self->bucket_ms = bucket_ms ? bucket_ms : NETPULSE_RECORDER_DEFAULT_BUCKET_MS;
  return self;
}

void
netpulse_recorder_foreach_unwritten (NetpulseRecorder *self,
                                     GHFunc            func,
                                     gpointer          user_data)
{
  GList current = { self->current, self->unwritten.head, NULL };

  for (GList *l = self->current != NULL ? &current : self->unwritten.head; l != NULL; l = l->next)
    g_hash_table_foreach (((Bucket *) l->data)->entries, func, user_data);
}
