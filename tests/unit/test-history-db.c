/* test-history-db.c — the usage history's database without the helper:
 * roll-up across hour and day boundaries, retention, schema version,
 * corrupt and newer databases moved aside, readers that never block the
 * writer.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "netpulse-history-db.h"

#define BUCKET_MS 1000

static const guint64 keep_all[NETPULSE_HISTORY_N_LEVELS] = { 0, 0, 0 };

typedef struct {
  char *dir;
  char *path;
} Fixture;

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  fx->dir = g_dir_make_tmp ("netpulse-history-XXXXXX", NULL);
  g_assert_nonnull (fx->dir);
  fx->path = g_build_filename (fx->dir, "history.db", NULL);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (fx->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fx->dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (fx->dir);
  g_free (fx->path);
  g_free (fx->dir);
}

static GPtrArray *
entries (const char *app_id,
         guint8      proto,
         guint64     rx,
         guint64     tx)
{
  GPtrArray *array = g_ptr_array_new_with_free_func (netpulse_history_entry_free);
  NetpulseHistoryEntry *entry = g_new0 (NetpulseHistoryEntry, 1);

  entry->app_kind = 4;
  entry->app_id = g_strdup (app_id);
  entry->proto = proto;
  entry->rx_bytes = rx;
  entry->tx_bytes = tx;
  entry->connections = 1;
  g_ptr_array_add (array, entry);
  return array;
}

/* Sums rx, tx, connections of @level over [since, until) ms. */
static void
sum_level (NetpulseHistoryDb    *db,
           NetpulseHistoryLevel  level,
           guint64               since_ms,
           guint64               until_ms,
           guint64               sums[3],
           guint                *n_rows)
{
  NetpulseHistoryQuery query = { since_ms, until_ms, level, NETPULSE_HISTORY_GROUP_APP, NULL, 0, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) rows = NULL;
  gboolean truncated = TRUE;
  GVariantIter iter;
  guint64 start, end, rx, tx;
  const char *kind, *app;
  guint8 proto;
  guint32 conns;

  rows = netpulse_history_db_query (db, &query, &truncated, &error);
  g_assert_no_error (error);
  g_assert_false (truncated);
  sums[0] = sums[1] = sums[2] = 0;
  *n_rows = 0;
  g_variant_iter_init (&iter, rows);
  while (g_variant_iter_next (&iter, "(tt&s&syttu)", &start, &end, &kind, &app, &proto, &rx, &tx, &conns))
    {
      g_assert_cmpuint (end - start, ==, netpulse_history_db_level_ms (db, level) * 1000000);
      sums[0] += rx;
      sums[1] += tx;
      sums[2] += conns;
      (*n_rows)++;
    }
}

/* Fine buckets on both sides of hour and day boundaries: every coarse
 * bucket is the exact sum of its fine ones, and each level holds the same
 * grand total (nothing counted twice at a boundary). */
static void
test_rollup (Fixture       *fx,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetpulseHistoryDb) db = netpulse_history_db_open (fx->path, BUCKET_MS, NULL, &error);
  guint64 day_ms = BUCKET_MS * 60 * 24, hour_ms = BUCKET_MS * 60;
  guint64 base = 1000 * day_ms;   /* on a day boundary */
  guint64 expected[3] = { 0, 0, 0 }, sums[3];
  guint n;

  g_assert_no_error (error);
  /* The last bucket of a day, the first of the next, and around an hour. */
  for (guint64 offset = day_ms - 3 * BUCKET_MS; offset < day_ms + hour_ms + 3 * BUCKET_MS; offset += BUCKET_MS)
    {
      g_autoptr(GPtrArray) bucket = entries (offset % 2 ? "a" : "b", 6, offset, 2 * offset);

      g_assert_true (netpulse_history_db_add_bucket (db, base + offset, bucket, keep_all, &error));
      g_assert_no_error (error);
      expected[0] += offset;
      expected[1] += 2 * offset;
      expected[2] += 1;
    }

  for (int level = 0; level < NETPULSE_HISTORY_N_LEVELS; level++)
    {
      sum_level (db, level, base, base + 3 * day_ms, sums, &n);
      g_assert_cmpuint (sums[0], ==, expected[0]);
      g_assert_cmpuint (sums[1], ==, expected[1]);
      g_assert_cmpuint (sums[2], ==, expected[2]);
    }
  /* Each hour bucket equals its own fine buckets. */
  for (guint64 hour = base + day_ms - hour_ms; hour < base + day_ms + 2 * hour_ms; hour += hour_ms)
    {
      guint64 fine[3], coarse[3];

      sum_level (db, NETPULSE_HISTORY_FINE, hour, hour + hour_ms, fine, &n);
      sum_level (db, NETPULSE_HISTORY_HOUR, hour, hour + hour_ms, coarse, &n);
      g_assert_cmpuint (n, <=, 2);   /* two applications */
      g_assert_cmpmem (fine, sizeof fine, coarse, sizeof coarse);
    }
}

static void
test_retention (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetpulseHistoryDb) db = netpulse_history_db_open (fx->path, BUCKET_MS, NULL, &error);
  const guint64 keep[NETPULSE_HISTORY_N_LEVELS] = { 60, 0, 0 };
  guint64 base = 10000000, sums[3];
  guint n;

  for (guint i = 0; i < 120; i++)
    {
      g_autoptr(GPtrArray) bucket = entries ("a", 17, 1, 1);

      g_assert_true (netpulse_history_db_add_bucket (db, base + i * BUCKET_MS, bucket, keep, &error));
    }
  g_assert_no_error (error);
  sum_level (db, NETPULSE_HISTORY_FINE, 0, G_MAXINT64, sums, &n);
  /* 60 s kept, counting back from the last bucket. */
  g_assert_cmpuint (n, ==, 61);
  sum_level (db, NETPULSE_HISTORY_HOUR, 0, G_MAXINT64, sums, &n);
  g_assert_cmpuint (sums[0], ==, 120);
}

static void
test_moved_aside (Fixture       *fx,
                  gconstpointer  data)
{
  const char *garbage = "not a database at all, but not empty either: ...............";
  g_autoptr(GError) error = NULL;
  g_autofree char *warning = NULL;
  g_autoptr(NetpulseHistoryDb) db = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;
  guint moved = 0;
  sqlite3 *raw = NULL;

  g_assert_true (g_file_set_contents (fx->path, garbage, -1, NULL));
  db = netpulse_history_db_open (fx->path, BUCKET_MS, &warning, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (warning, "corrupt"));
  g_clear_object (&db);
  g_clear_pointer (&warning, g_free);

  /* A newer schema is not ours to change either. */
  g_assert_cmpint (sqlite3_open (fx->path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, "PRAGMA user_version = 99", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (raw);
  db = netpulse_history_db_open (fx->path, BUCKET_MS, &warning, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (warning, "newer"));

  dir = g_dir_open (fx->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "history.db.corrupt-") && !g_str_has_suffix (name, "-wal") &&
        !g_str_has_suffix (name, "-shm"))
      {
        g_autofree char *path = g_build_filename (fx->dir, name, NULL);
        g_autofree char *contents = NULL;

        g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
        moved++;
        if (contents[0] == 'n')
          g_assert_cmpstr (contents, ==, garbage);
      }
  g_assert_cmpuint (moved, ==, 2);
  g_assert_cmpint (netpulse_history_db_get_setting (db, "enabled", 7), ==, 7);
}

/* WAL: a reader in the middle of a transaction does not keep the writer
 * from committing, and sees its snapshot. */
static void
test_reader_never_blocks (Fixture       *fx,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NetpulseHistoryDb) db = netpulse_history_db_open (fx->path, BUCKET_MS, NULL, &error);
  g_autoptr(GPtrArray) first = entries ("a", 6, 1, 1);
  sqlite3 *reader = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 t0;

  g_assert_true (netpulse_history_db_add_bucket (db, 5000, first, keep_all, &error));
  g_assert_cmpint (sqlite3_open_v2 (fx->path, &reader, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (reader, "BEGIN", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (reader, "SELECT COUNT(*) FROM usage", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);

  t0 = g_get_monotonic_time ();
  for (guint i = 1; i < 10; i++)
    {
      g_autoptr(GPtrArray) more = entries ("a", 6, 1, 1);

      g_assert_true (netpulse_history_db_add_bucket (db, 5000 + i * BUCKET_MS, more, keep_all, &error));
      g_assert_no_error (error);
    }
  /* Not a timed assertion: it would have failed with SQLITE_BUSY after the
   * 2-s busy timeout had the reader blocked it.  Printed for the log. */
  g_test_message ("9 commits with a reader open: %" G_GINT64_FORMAT " µs", g_get_monotonic_time () - t0);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 3);   /* the snapshot: three levels */
  sqlite3_finalize (stmt);
  sqlite3_exec (reader, "COMMIT", NULL, NULL, NULL);
  sqlite3_close (reader);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/history-db/rollup", Fixture, NULL, fixture_setup, test_rollup, fixture_teardown);
  g_test_add ("/history-db/retention", Fixture, NULL, fixture_setup, test_retention, fixture_teardown);
  g_test_add ("/history-db/moved-aside", Fixture, NULL, fixture_setup, test_moved_aside, fixture_teardown);
  g_test_add ("/history-db/reader-never-blocks", Fixture, NULL, fixture_setup, test_reader_never_blocks,
              fixture_teardown);
  return g_test_run ();
}
