/* test-history-query.c — QueryUsage's reading side on a real SQLite file:
 * the reply serialized by netpulse-history-rows.c is byte for byte what
 * GLib makes, and keyset paging (and the older offset paging) gives every
 * row exactly once, in the same order as one unpaged answer.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "netpulse-history-db.h"
#include "netpulse-history-rows.h"

#include <sqlite3.h>

static const guint64 keep_all[NETPULSE_HISTORY_N_LEVELS] = { 0, 0, 0 };

/* Rows as GLib would build them and as we write them: the same bytes. */
static void
check_rows (guint n_rows,
            gsize id_length)
{
  g_autoptr(NetpulseHistoryRows) rows = netpulse_history_rows_new (NETPULSE_HISTORY_ROWS_USAGE);
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(ttssyttu)"));
  g_autoptr(GVariant) ours = NULL, glibs = NULL;

  for (guint i = 0; i < n_rows; i++)
    {
      g_autofree char *id = g_strnfill (id_length + i % 3, (char) ('a' + i % 26));
      const char *kind = i % 2 ? "desktop" : "";

      netpulse_history_rows_add_usage (rows, i * 1000000000ull, G_MAXUINT64 - i, kind, id,
                                       (guint8) i, i * 77ull, G_MAXUINT32 + (guint64) i, i * 3);
      g_variant_builder_add (&builder, "(ttssyttu)", i * 1000000000ull, G_MAXUINT64 - i, kind, id,
                             (guint8) i, i * 77ull, G_MAXUINT32 + (guint64) i, i * 3);
    }
  g_assert_cmpuint (netpulse_history_rows_get_length (rows), ==, n_rows);
  ours = g_variant_ref_sink (netpulse_history_rows_end (rows));
  glibs = g_variant_ref_sink (g_variant_builder_end (&builder));
  g_assert_cmpuint (g_variant_get_size (ours), ==, g_variant_get_size (glibs));
  g_assert_cmpmem (g_variant_get_data (ours), g_variant_get_size (ours),
                   g_variant_get_data (glibs), g_variant_get_size (glibs));
  g_assert_true (g_variant_is_normal_form (ours));
  g_assert_true (g_variant_equal (ours, glibs));
}

static void
test_rows_serialized (void)
{
  /* Empty; one row; 1-byte row offsets with 2- and 4-byte array offsets;
   * 2-byte row offsets (a row over 255 bytes); 4-byte ones (over 64 KiB). */
  check_rows (0, 5);
  check_rows (1, 5);
  check_rows (3, 5);
  check_rows (5000, 20);
  check_rows (40, 300);
  check_rows (3, 70000);
}

static void
test_rows_hosts (void)
{
  g_autoptr(NetpulseHistoryRows) rows = netpulse_history_rows_new (NETPULSE_HISTORY_ROWS_HOSTS);
  g_autoptr(GVariant) ours = NULL, glibs = NULL;

  for (guint i = 0; i < 3; i++)
    {
      netpulse_history_rows_begin (rows);
      netpulse_history_rows_put_uint64 (rows, i);
      netpulse_history_rows_put_uint64 (rows, i + 1);
      netpulse_history_rows_put_string (rows, "service");
      netpulse_history_rows_put_string (rows, "app");
      netpulse_history_rows_put_byte (rows, 6);
      netpulse_history_rows_put_string (rows, i ? "fd00::1" : "");
      netpulse_history_rows_put_uint16 (rows, (guint16) (443 + i));
      netpulse_history_rows_put_uint64 (rows, 10 * i);
      netpulse_history_rows_put_uint64 (rows, 20 * i);
      netpulse_history_rows_put_uint32 (rows, i);
      netpulse_history_rows_end_row (rows);
    }
  ours = g_variant_ref_sink (netpulse_history_rows_end (rows));
  glibs = g_variant_ref_sink (g_variant_new_parsed (
    "[(uint64 0, uint64 1, 'service', 'app', byte 6, '', uint16 443, uint64 0, uint64 0, uint32 0),"
    " (1, 2, 'service', 'app', 6, 'fd00::1', 444, 10, 20, 1),"
    " (2, 3, 'service', 'app', 6, 'fd00::1', 445, 20, 40, 2)]"));
  g_assert_cmpmem (g_variant_get_data (ours), g_variant_get_size (ours),
                   g_variant_get_data (glibs), g_variant_get_size (glibs));
}

typedef struct {
  char              *dir;
  char              *path;
  NetpulseHistoryDb *db;
} Fixture;

#define N_APPS    7
#define N_BUCKETS 9

/* N_APPS applications (one without a known owner, "") × TCP and UDP, in
 * N_BUCKETS one-second buckets, with distinct figures. */
static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fx->dir = g_dir_make_tmp ("netpulse-history-query-XXXXXX", NULL);
  fx->path = g_build_filename (fx->dir, "history.db", NULL);
  fx->db = netpulse_history_db_open (fx->path, 1000, NULL, &error);
  g_assert_no_error (error);
  for (guint b = 0; b < N_BUCKETS; b++)
    {
      g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (netpulse_history_entry_free);

      for (guint a = 0; a < N_APPS; a++)
        for (guint p = 0; p < 2; p++)
          {
            NetpulseHistoryEntry *entry = g_new0 (NetpulseHistoryEntry, 1);

            /* Not in id order: apps appear in another order each bucket. */
            guint app = (a + b) % N_APPS;

            entry->app_kind = (guint8) (1 + app % 3);
            entry->app_id = app == 0 ? g_strdup ("") : g_strdup_printf ("org.example.App%u", app);
            entry->proto = p ? 17 : 6;
            entry->rx_bytes = 1000 * b + 10 * app + p;
            entry->tx_bytes = 7 * b + app;
            entry->connections = p + 1;
            g_ptr_array_add (entries, entry);
          }
      g_assert_true (netpulse_history_db_add_bucket (fx->db, 100000 + b * 1000, entries, keep_all, &error));
      g_assert_no_error (error);
    }
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  const char *suffixes[] = { "", "-wal", "-shm" };

  g_clear_object (&fx->db);
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *name = g_strconcat (fx->path, suffixes[i], NULL);
      g_unlink (name);
    }
  g_rmdir (fx->dir);
  g_free (fx->path);
  g_free (fx->dir);
}

/* Every page of @query (limit @page), continued by keyset or by offset,
 * concatenated. */
static GPtrArray *
all_pages (NetpulseHistoryDb    *db,
           NetpulseHistoryQuery  query,
           guint                 page,
           gboolean              by_offset)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autofree char *kind = NULL, *id = NULL;
  gboolean truncated = TRUE;
  guint pages = 0;

  query.limit = page;
  while (truncated)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) rows = netpulse_history_db_query (db, &query, &truncated, &error);
      gsize n;

      g_assert_no_error (error);
      g_variant_ref_sink (rows);
      n = g_variant_n_children (rows);
      g_assert_cmpuint (n, <=, page);
      g_assert_true (n == page || !truncated);
      for (gsize i = 0; i < n; i++)
        g_ptr_array_add (out, g_variant_get_child_value (rows, i));
      if (n > 0 && !by_offset)
        {
          g_clear_pointer (&kind, g_free);
          g_clear_pointer (&id, g_free);
          g_variant_get (g_ptr_array_index (out, out->len - 1), "(ttssyttu)", &query.after_start_ms, NULL,
                         &kind, &id, &query.after_proto, NULL, NULL, NULL);
          query.after_start_ms /= 1000000;
          query.after_app_kind = kind;
          query.after_app_id = id;
        }
      if (by_offset)
        query.offset += (guint) n;
      g_assert_cmpuint (++pages, <, 1000);
    }
  return out;
}

static void
check_paging (NetpulseHistoryDb    *db,
              NetpulseHistoryGroup  group,
              guint                 expected_rows)
{
  NetpulseHistoryQuery query = { 0, 200000, NETPULSE_HISTORY_FINE, group, NULL, 0, 0 };
  g_autoptr(GPtrArray) whole = all_pages (db, query, NETPULSE_HISTORY_MAX_ROWS, FALSE);
  guint64 rx = 0;

  g_assert_cmpuint (whole->len, ==, expected_rows);
  for (guint i = 0; i < whole->len; i++)
    {
      guint64 row_rx;

      g_variant_get (g_ptr_array_index (whole, i), "(ttssyttu)", NULL, NULL, NULL, NULL, NULL, &row_rx, NULL, NULL);
      rx += row_rx;
    }
  /* Σ over buckets b, apps a, protos p of 1000 b + 10 a + p. */
  g_assert_cmpuint (rx, ==, 2 * N_APPS * 1000 * (N_BUCKETS * (N_BUCKETS - 1) / 2)
                              + 2 * N_BUCKETS * 10 * (N_APPS * (N_APPS - 1) / 2) + N_BUCKETS * N_APPS);

  for (guint page = 1; page <= 13; page += 3)
    for (int by_offset = 0; by_offset < 2; by_offset++)
      {
        g_autoptr(GPtrArray) paged = all_pages (db, query, page, by_offset);

        g_assert_cmpuint (paged->len, ==, whole->len);
        for (guint i = 0; i < whole->len; i++)
          g_assert_true (g_variant_equal (g_ptr_array_index (paged, i), g_ptr_array_index (whole, i)));
      }
}

static void
test_paging (Fixture       *fx,
             gconstpointer  data)
{
  check_paging (fx->db, NETPULSE_HISTORY_GROUP_APP, N_BUCKETS * N_APPS);
  check_paging (fx->db, NETPULSE_HISTORY_GROUP_APP_PROTO, N_BUCKETS * N_APPS * 2);
  check_paging (fx->db, NETPULSE_HISTORY_GROUP_TOTAL, N_BUCKETS);
}

static void
test_grouping (Fixture       *fx,
               gconstpointer  data)
{
  NetpulseHistoryQuery query = { 103000, 104000, NETPULSE_HISTORY_FINE, NETPULSE_HISTORY_GROUP_APP,
                                 "org.example.App4", 0, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) rows = NULL;
  g_autofree char *text = NULL;
  gboolean truncated = TRUE;

  /* App4 in bucket 3: both protocols summed. */
  rows = g_variant_ref_sink (netpulse_history_db_query (fx->db, &query, &truncated, &error));
  g_assert_no_error (error);
  g_assert_false (truncated);
  text = g_variant_print (rows, TRUE);
  g_assert_cmpstr (text, ==,
                   "[(uint64 103000000000, uint64 104000000000, 'flatpak', 'org.example.App4', byte 0x00, "
                   "uint64 6081, uint64 50, uint32 3)]");

  /* A continuation naming no known application is refused, clearly. */
  query.after_app_kind = "desktop";
  query.after_app_id = "org.example.Nothing";
  g_assert_null (netpulse_history_db_query (fx->db, &query, &truncated, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

/* 12 peers of one application in one bucket, the peer k moving 1000 k
 * bytes: the 10 largest stay, the two smallest are folded, nothing lost. */
static void
test_hosts_folded (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) hosts = g_ptr_array_new_with_free_func (netpulse_history_host_free);
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  NetpulseHistoryQuery query = { 0, G_MAXINT64, 0, 0, "org.example.Peers", 0, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) rows = NULL;
  g_autofree char *text = NULL;
  gboolean truncated = TRUE;
  GVariantIter iter;
  const char *remote;
  guint64 rx, tx;
  guint16 port;
  guint8 proto;
  guint n = 0;
  g_autoptr(GVariant) previous = NULL;

  for (guint k = 1; k <= 12; k++)
    {
      NetpulseHistoryHost *host = g_new0 (NetpulseHistoryHost, 1);

      host->app_kind = 4;
      host->app_id = g_strdup ("org.example.Peers");
      host->proto = 6;
      host->raddr = g_strdup_printf ("192.0.2.%u", k);
      host->rport = (guint16) (8000 + k);
      host->rx_bytes = 1000 * k;
      host->tx_bytes = k;
      host->connections = 1;
      g_ptr_array_add (hosts, host);
    }
  g_assert_true (netpulse_history_db_add_bucket_with_hosts (fx->db, 200000, none, hosts, keep_all, &error));
  g_assert_no_error (error);
  rows = g_variant_ref_sink (netpulse_history_db_query_hosts (fx->db, &query, &truncated, &error));
  g_assert_no_error (error);
  g_assert_false (truncated);
  g_variant_iter_init (&iter, rows);
  while (g_variant_iter_next (&iter, "(tt&s&sy&sqttu)", NULL, NULL, NULL, NULL, &proto, &remote, &port,
                              &rx, &tx, NULL))
    {
      if (proto == 0)
        {
          g_assert_cmpstr (remote, ==, "");
          g_assert_cmpuint (rx, ==, 1000 + 2000);
          g_assert_cmpuint (tx, ==, 1 + 2);
        }
      else
        {
          guint k = port - 8000;
          g_autofree char *address = g_strdup_printf ("192.0.2.%u", k);

          g_assert_cmpuint (k, >=, 3);
          g_assert_cmpstr (remote, ==, address);
          g_assert_cmpuint (rx, ==, 1000 * k);
        }
      n++;
    }
  g_assert_cmpuint (n, ==, NETPULSE_HISTORY_TOP_HOSTS + 1);

  /* Keyset paging of the hosts: one row a page, the same rows.  The
   * continuation's strings point into the row before: kept until used. */
  query.limit = 1;
  for (guint page = 0; page < n; page++)
    {
      g_autoptr(GVariant) one = g_variant_ref_sink (netpulse_history_db_query_hosts (fx->db, &query, &truncated, &error));
      g_autoptr(GVariant) expected = g_variant_get_child_value (rows, page);
      GVariant *got = g_variant_get_child_value (one, 0);
      guint64 start_ns;

      g_clear_pointer (&previous, g_variant_unref);
      previous = got;

      g_assert_no_error (error);
      g_assert_true (g_variant_equal (got, expected));
      g_assert_true (truncated == (page + 1 < n));
      g_variant_get (got, "(tt&s&sy&sqttu)", &start_ns, NULL, &query.after_app_kind, &query.after_app_id,
                     &query.after_proto, &query.after_raddr, &query.after_rport, NULL, NULL, NULL);
      query.after_start_ms = start_ns / 1000000;
    }
}

/* A database made by schema version 1 (these very statements, as the
 * helper of 0.3's first release wrote them) is migrated in place: its
 * rows and settings stay, the hosts table is added. */
static void
test_migrate_v1 (void)
{
  g_autofree char *dir = g_dir_make_tmp ("netpulse-history-v1-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "history.db", NULL);
  g_autoptr(NetpulseHistoryDb) db = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) rows = NULL;
  g_autofree char *text = NULL;
  NetpulseHistoryQuery query = { 0, G_MAXINT64, NETPULSE_HISTORY_FINE, NETPULSE_HISTORY_GROUP_APP, NULL, 0, 0 };
  gboolean truncated;
  sqlite3 *raw = NULL;
  char *warning = NULL;

  g_assert_cmpint (sqlite3_open (path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw,
    "PRAGMA journal_mode = WAL;"
    "BEGIN;"
    "CREATE TABLE apps (id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, app_id TEXT NOT NULL,"
    "                   UNIQUE (kind, app_id));"
    "CREATE TABLE usage (level INTEGER NOT NULL, start_ms INTEGER NOT NULL, app INTEGER NOT NULL,"
    "                    proto INTEGER NOT NULL, rx INTEGER NOT NULL, tx INTEGER NOT NULL,"
    "                    conns INTEGER NOT NULL,"
    "                    PRIMARY KEY (level, start_ms, app, proto)) WITHOUT ROWID;"
    "CREATE TABLE settings (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT INTO apps VALUES (1, 4, 'org.example.Old');"
    "INSERT INTO usage VALUES (0, 60000, 1, 6, 1234, 56, 2), (1, 0, 1, 6, 1234, 56, 2), (2, 0, 1, 6, 1234, 56, 2);"
    "INSERT INTO settings VALUES ('enabled', 1);"
    "PRAGMA user_version = 1;"
    "COMMIT;", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (raw);

  db = netpulse_history_db_open (path, 60000, &warning, &error);
  g_assert_no_error (error);
  g_assert_null (warning);
  g_assert_cmpint (netpulse_history_db_get_setting (db, "enabled", 0), ==, 1);
  rows = g_variant_ref_sink (netpulse_history_db_query (db, &query, &truncated, &error));
  g_assert_no_error (error);
  text = g_variant_print (rows, FALSE);
  g_assert_cmpstr (text, ==, "[(60000000000, 120000000000, 'container', 'org.example.Old', 0x00, 1234, 56, 2)]");
  g_clear_object (&db);

  g_assert_cmpint (sqlite3_open (path, &raw), ==, SQLITE_OK);
  {
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_prepare_v2 (raw, "SELECT (SELECT user_version FROM pragma_user_version), "
                                         "(SELECT COUNT(*) FROM sqlite_master WHERE name = 'hosts')",
                                         -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 2);
    g_assert_cmpint (sqlite3_column_int (stmt, 1), ==, 1);
    sqlite3_finalize (stmt);
  }
  sqlite3_close (raw);
  for (const char *suffix = ""; suffix != NULL; suffix = *suffix == '\0' ? "-wal" : g_str_equal (suffix, "-wal") ? "-shm" : NULL)
    {
      g_autofree char *name = g_strconcat (path, suffix, NULL);
      g_unlink (name);
    }
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/history-query/rows-serialized", test_rows_serialized);
  g_test_add_func ("/history-query/rows-hosts", test_rows_hosts);
  g_test_add ("/history-query/paging", Fixture, NULL, fixture_setup, test_paging, fixture_teardown);
  g_test_add ("/history-query/grouping", Fixture, NULL, fixture_setup, test_grouping, fixture_teardown);
  g_test_add ("/history-query/hosts-folded", Fixture, NULL, fixture_setup, test_hosts_folded, fixture_teardown);
  g_test_add_func ("/history-query/migrate-v1", test_migrate_v1);
  return g_test_run ();
}
