/* netpulse-history-db.c — the usage history in SQLite.
 *
 * One table `usage` keyed by (level, bucket start, application, protocol)
 * holds all three levels.  A closed fine bucket is added in ONE
 * transaction together with its share of the hour and the day it lies in
 * (upserts that add), so a coarse bucket is at every moment the exact sum
 * of the fine buckets written into it: there is no separate roll-up pass
 * that could run twice or miss a boundary, and a SIGKILL loses at most the
 * bucket not yet committed.  WAL with synchronous=NORMAL: a commit
 * survives the process being killed (not necessarily a power cut, which
 * may lose the last commits but never corrupts).
 *
 * Queries go through a second, read-only connection: with WAL, readers
 * and the writer never wait for each other.
 *
 * Schema version in PRAGMA user_version; migrate() upgrades older ones in
 * steps.  A database that is corrupt or newer than we know is moved aside,
 * never overwritten.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-history"

#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "netpulse-history-db-private.h"

G_DEFINE_FINAL_TYPE (NetpulseHistoryDb, netpulse_history_db, G_TYPE_OBJECT)

/* Version 1; each later version adds one step to migrate() (version 2:
 * netpulse-history-db-hosts.c).  Never edit a released step: databases
 * made by it exist. */
static const char schema_v1[] =
  "CREATE TABLE apps (id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, app_id TEXT NOT NULL,"
  "                   UNIQUE (kind, app_id));"
  "CREATE TABLE usage (level INTEGER NOT NULL, start_ms INTEGER NOT NULL, app INTEGER NOT NULL,"
  "                    proto INTEGER NOT NULL, rx INTEGER NOT NULL, tx INTEGER NOT NULL,"
  "                    conns INTEGER NOT NULL,"
  "                    PRIMARY KEY (level, start_ms, app, proto)) WITHOUT ROWID;"
  "CREATE TABLE settings (key TEXT PRIMARY KEY, value INTEGER NOT NULL);";

void
_netpulse_history_set_sqlite_error (GError     **error,
                                    sqlite3     *db,
                                    int          rc,
                                    const char  *what)
{
  int code = G_IO_ERROR_FAILED;

  if (rc == SQLITE_FULL)
    code = G_IO_ERROR_NO_SPACE;
  else if (rc == SQLITE_READONLY || rc == SQLITE_PERM || rc == SQLITE_CANTOPEN)
    code = G_IO_ERROR_PERMISSION_DENIED;
  else if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
    code = G_IO_ERROR_INVALID_DATA;
  g_set_error (error, G_IO_ERROR, code, "%s: %s", what,
               db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
}

gboolean
_netpulse_history_exec (sqlite3     *db,
                        const char  *sql,
                        GError     **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      _netpulse_history_set_sqlite_error (error, db, rc, "History database");
      return FALSE;
    }
  return TRUE;
}

#define exec _netpulse_history_exec

static gint64
pragma_int (sqlite3    *db,
            const char *sql,
            int        *rc_out)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value = -1;
  int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);

  if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      value = sqlite3_column_int64 (stmt, 0);
      rc = SQLITE_OK;
    }
  sqlite3_finalize (stmt);
  if (rc_out != NULL)
    *rc_out = rc;
  return value;
}

/* quick_check answers "ok" on one row for a sound database. */
static gboolean
database_is_sound (sqlite3 *db)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;

  if (sqlite3_prepare_v2 (db, "PRAGMA quick_check", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    ok = g_strcmp0 ((const char *) sqlite3_column_text (stmt, 0), "ok") == 0;
  sqlite3_finalize (stmt);
  return ok;
}

static gboolean
migrate (sqlite3  *db,
         gint64    version,
         GError  **error)
{
  if (!exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (version < 1 && !exec (db, schema_v1, error))
    goto failed;
  if (version < 2 && !exec (db, _netpulse_history_schema_v2, error))
    goto failed;
  /* Version 3 and later: `if (version < 3) …` here, in order. */
  if (!exec (db, "PRAGMA user_version = " G_STRINGIFY (NETPULSE_HISTORY_SCHEMA_VERSION), error) ||
      !exec (db, "COMMIT", error))
    goto failed;
  return TRUE;

failed:
  sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

typedef enum {
  OPEN_OK,
  OPEN_UNUSABLE,   /* corrupt or newer: move aside */
  OPEN_FAILED,     /* could not even try (permissions, …): an error */
} OpenResult;

static OpenResult
try_open (NetpulseHistoryDb  *self,
          char              **why,
          GError            **error)
{
  int rc = sqlite3_open_v2 (self->path, &self->db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  gint64 version;

  if (rc != SQLITE_OK)
    {
      _netpulse_history_set_sqlite_error (error, self->db, rc, "Cannot open the history database");
      return OPEN_FAILED;
    }
  sqlite3_busy_timeout (self->db, 2000);
  sqlite3_extended_result_codes (self->db, 0);

  version = pragma_int (self->db, "PRAGMA user_version", &rc);
  if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT || !database_is_sound (self->db))
    {
      *why = g_strdup ("it is corrupt");
      return OPEN_UNUSABLE;
    }
  if (rc != SQLITE_OK)
    {
      _netpulse_history_set_sqlite_error (error, self->db, rc, "Cannot read the history database");
      return OPEN_FAILED;
    }
  if (version > NETPULSE_HISTORY_SCHEMA_VERSION)
    {
      *why = g_strdup_printf ("its schema version %" G_GINT64_FORMAT " is newer than this "
                              "helper's (%d)", version, NETPULSE_HISTORY_SCHEMA_VERSION);
      return OPEN_UNUSABLE;
    }
  if (!exec (self->db, "PRAGMA journal_mode = WAL", error) ||
      !exec (self->db, "PRAGMA synchronous = NORMAL", error) ||
      (version < NETPULSE_HISTORY_SCHEMA_VERSION && !migrate (self->db, version, error)))
    return OPEN_FAILED;
  return OPEN_OK;
}

/* Renames the database (and its WAL and shared-memory files) to
 * PATH.corrupt-<time>; a name that exists already is never replaced. */
static gboolean
move_aside (const char  *path,
            char       **moved_to,
            GError     **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  g_autofree char *target = g_strdup_printf ("%s.corrupt-%s", path, stamp);

  for (guint n = 1; g_file_test (target, G_FILE_TEST_EXISTS); n++)
    {
      g_free (target);
      target = g_strdup_printf ("%s.corrupt-%s-%u", path, stamp, n);
    }
  if (g_rename (path, target) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot move the unusable history database aside: %s", g_strerror (saved));
      return FALSE;
    }
  for (const char *suffix = "-wal"; suffix != NULL; suffix = g_str_equal (suffix, "-wal") ? "-shm" : NULL)
    {
      g_autofree char *from = g_strconcat (path, suffix, NULL);
      g_autofree char *to = g_strconcat (target, suffix, NULL);

      if (g_file_test (from, G_FILE_TEST_EXISTS))
        (void) g_rename (from, to);
    }
  *moved_to = g_steal_pointer (&target);
  return TRUE;
}

static gboolean
open_reader (NetpulseHistoryDb  *self,
             GError            **error)
{
  int rc = sqlite3_open_v2 (self->path, &self->reader,
                            SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);

  if (rc != SQLITE_OK)
    {
      _netpulse_history_set_sqlite_error (error, self->reader, rc, "Cannot open the history database for reading");
      return FALSE;
    }
  sqlite3_busy_timeout (self->reader, 2000);
  /* Queries scan tens of thousands of rows: mapped pages instead of a
   * read() per page (best effort; SQLite falls back by itself). */
  sqlite3_exec (self->reader, "PRAGMA mmap_size = 268435456", NULL, NULL, NULL);
  return TRUE;
}

NetpulseHistoryDb *
netpulse_history_db_open (const char  *path,
                          guint64      bucket_ms,
                          char       **warning,
                          GError     **error)
{
  g_autoptr(NetpulseHistoryDb) self = g_object_new (NETPULSE_TYPE_HISTORY_DB, NULL);
  g_autofree char *why = NULL;
  g_autofree char *moved_to = NULL;
  OpenResult result;

  g_return_val_if_fail (path != NULL && bucket_ms > 0, NULL);

  self->path = g_strdup (path);
  self->level_ms[NETPULSE_HISTORY_FINE] = bucket_ms;
  self->level_ms[NETPULSE_HISTORY_HOUR] = bucket_ms * 60;
  self->level_ms[NETPULSE_HISTORY_DAY] = bucket_ms * 60 * 24;

  result = try_open (self, &why, error);
  if (result == OPEN_UNUSABLE)
    {
      g_clear_pointer (&self->db, sqlite3_close);
      if (!move_aside (path, &moved_to, error))
        return NULL;
      if (warning != NULL)
        *warning = g_strdup_printf ("The history database %s was moved to %s because %s; "
                                    "a new one was started", path, moved_to, why);
      result = try_open (self, &why, error);
    }
  if (result != OPEN_OK)
    {
      if (result == OPEN_UNUSABLE)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     "The new history database is unusable: %s", why);
      return NULL;
    }
  if (!open_reader (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

guint64
netpulse_history_db_level_ms (NetpulseHistoryDb    *self,
                              NetpulseHistoryLevel  level)
{
  g_return_val_if_fail (level < NETPULSE_HISTORY_N_LEVELS, 0);
  return self->level_ms[level];
}

const char *
netpulse_history_db_get_path (NetpulseHistoryDb *self)
{
  return self->path;
}

guint64
netpulse_history_db_get_size (NetpulseHistoryDb *self)
{
  guint64 total = 0;

  for (const char *suffix = ""; suffix != NULL; suffix = *suffix == '\0' ? "-wal" : NULL)
    {
      g_autofree char *name = g_strconcat (self->path, suffix, NULL);
      GStatBuf st;

      if (g_stat (name, &st) == 0)
        total += (guint64) st.st_size;
    }
  return total;
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */

static gboolean
step_done (sqlite3_stmt  *stmt,
           sqlite3       *db,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      _netpulse_history_set_sqlite_error (error, db, rc, "Cannot write the history");
      return FALSE;
    }
  return TRUE;
}

gint64
_netpulse_history_app_row (NetpulseHistoryDb  *self,
                           guint8              kind,
                           const char         *app_id,
                           GError            **error)
{
  gint64 id = -1;

  if ((self->insert_app == NULL &&
       sqlite3_prepare_v2 (self->db, "INSERT OR IGNORE INTO apps (kind, app_id) VALUES (?, ?)",
                           -1, &self->insert_app, NULL) != SQLITE_OK) ||
      (self->select_app == NULL &&
       sqlite3_prepare_v2 (self->db, "SELECT id FROM apps WHERE kind = ? AND app_id = ?",
                           -1, &self->select_app, NULL) != SQLITE_OK))
    {
      _netpulse_history_set_sqlite_error (error, self->db, sqlite3_errcode (self->db), "Cannot write the history");
      return -1;
    }
  sqlite3_bind_int (self->insert_app, 1, kind);
  sqlite3_bind_text (self->insert_app, 2, app_id, -1, SQLITE_STATIC);
  if (!step_done (self->insert_app, self->db, error))
    return -1;
  sqlite3_bind_int (self->select_app, 1, kind);
  sqlite3_bind_text (self->select_app, 2, app_id, -1, SQLITE_STATIC);
  if (sqlite3_step (self->select_app) == SQLITE_ROW)
    id = sqlite3_column_int64 (self->select_app, 0);
  sqlite3_reset (self->select_app);
  if (id < 0)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot find the application row");
  return id;
}

static gboolean
add_entries (NetpulseHistoryDb  *self,
             guint64             start_ms,
             GPtrArray          *entries,
             GError            **error)
{
  sqlite3_stmt *upsert = NULL;
  gboolean ok = FALSE;

  if (sqlite3_prepare_v2 (self->db,
                          "INSERT INTO usage VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                          "ON CONFLICT (level, start_ms, app, proto) DO UPDATE SET "
                          "rx = rx + excluded.rx, tx = tx + excluded.tx, conns = conns + excluded.conns",
                          -1, &upsert, NULL) != SQLITE_OK)
    {
      _netpulse_history_set_sqlite_error (error, self->db, sqlite3_errcode (self->db), "Cannot write the history");
      goto out;
    }

  for (guint i = 0; i < entries->len; i++)
    {
      const NetpulseHistoryEntry *entry = g_ptr_array_index (entries, i);
      gint64 app = _netpulse_history_app_row (self, entry->app_kind, entry->app_id, error);

      if (app < 0)
        goto out;
      for (int level = 0; level < NETPULSE_HISTORY_N_LEVELS; level++)
        {
          guint64 level_start = start_ms - start_ms % self->level_ms[level];

          sqlite3_bind_int (upsert, 1, level);
          sqlite3_bind_int64 (upsert, 2, (gint64) level_start);
          sqlite3_bind_int64 (upsert, 3, app);
          sqlite3_bind_int (upsert, 4, entry->proto);
          sqlite3_bind_int64 (upsert, 5, (gint64) entry->rx_bytes);
          sqlite3_bind_int64 (upsert, 6, (gint64) entry->tx_bytes);
          sqlite3_bind_int64 (upsert, 7, entry->connections);
          if (!step_done (upsert, self->db, error))
            goto out;
        }
    }
  ok = TRUE;

out:
  sqlite3_finalize (upsert);
  return ok;
}

static gboolean
purge (NetpulseHistoryDb *self,
       guint64            now_ms,
       const guint64      retention_s[NETPULSE_HISTORY_N_LEVELS],
       GError           **error)
{
  for (int level = 0; level < NETPULSE_HISTORY_N_LEVELS; level++)
    {
      guint64 keep_ms = retention_s[level] * 1000;
      g_autofree char *sql = NULL;

      if (keep_ms == 0 || keep_ms >= now_ms)
        continue;
      sql = g_strdup_printf ("DELETE FROM usage WHERE level = %d AND start_ms < %" G_GUINT64_FORMAT,
                             level, now_ms - keep_ms);
      if (!exec (self->db, sql, error))
        return FALSE;
      /* The remote hosts are kept as long as the hours. */
      if (level != NETPULSE_HISTORY_HOUR)
        continue;
      g_free (sql);
      sql = g_strdup_printf ("DELETE FROM hosts WHERE start_ms < %" G_GUINT64_FORMAT, now_ms - keep_ms);
      if (!exec (self->db, sql, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
netpulse_history_db_add_bucket (NetpulseHistoryDb *self,
                                guint64            start_ms,
                                GPtrArray         *entries,
                                const guint64      retention_s[NETPULSE_HISTORY_N_LEVELS],
                                GError           **error)
{
  return netpulse_history_db_add_bucket_with_hosts (self, start_ms, entries, NULL, retention_s, error);
}

gboolean
netpulse_history_db_add_bucket_with_hosts (NetpulseHistoryDb *self,
                                           guint64            start_ms,
                                           GPtrArray         *entries,
                                           GPtrArray         *hosts,
                                           const guint64      retention_s[NETPULSE_HISTORY_N_LEVELS],
                                           GError           **error)
{
  g_return_val_if_fail (NETPULSE_IS_HISTORY_DB (self), FALSE);

  if (!exec (self->db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!add_entries (self, start_ms, entries, error) ||
      (hosts != NULL && !_netpulse_history_add_hosts (self, start_ms, hosts, error)) ||
      !purge (self, start_ms, retention_s, error) ||
      !exec (self->db, "COMMIT", error))
    {
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  return TRUE;
}

gboolean
netpulse_history_db_set_setting (NetpulseHistoryDb *self,
                                 const char        *key,
                                 gint64             value,
                                 GError           **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok;

  if (sqlite3_prepare_v2 (self->db, "INSERT OR REPLACE INTO settings VALUES (?, ?)",
                          -1, &stmt, NULL) != SQLITE_OK)
    {
      _netpulse_history_set_sqlite_error (error, self->db, sqlite3_errcode (self->db), "Cannot save a setting");
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, value);
  ok = step_done (stmt, self->db, error);
  sqlite3_finalize (stmt);
  return ok;
}

gint64
netpulse_history_db_get_setting (NetpulseHistoryDb *self,
                                 const char        *key,
                                 gint64             default_value)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value = default_value;

  if (sqlite3_prepare_v2 (self->db, "SELECT value FROM settings WHERE key = ?", -1, &stmt, NULL) == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        value = sqlite3_column_int64 (stmt, 0);
    }
  sqlite3_finalize (stmt);
  return value;
}

void
netpulse_history_entry_free (gpointer data)
{
  NetpulseHistoryEntry *entry = data;

  g_free (entry->app_id);
  g_free (entry);
}

void
netpulse_history_host_free (gpointer data)
{
  NetpulseHistoryHost *host = data;

  g_free (host->app_id);
  g_free (host->raddr);
  g_free (host);
}

static void
netpulse_history_db_finalize (GObject *object)
{
  NetpulseHistoryDb *self = NETPULSE_HISTORY_DB (object);

  g_clear_pointer (&self->insert_app, sqlite3_finalize);
  g_clear_pointer (&self->select_app, sqlite3_finalize);
  g_clear_pointer (&self->reader, sqlite3_close);
  g_clear_pointer (&self->db, sqlite3_close);
  g_clear_pointer (&self->app_names, g_array_unref);
  g_free (self->path);
  G_OBJECT_CLASS (netpulse_history_db_parent_class)->finalize (object);
}

static void
netpulse_history_db_class_init (NetpulseHistoryDbClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = netpulse_history_db_finalize;
}

static void
clear_app_name (gpointer data)
{
  NetpulseHistoryAppName *name = data;

  g_free (name->app_id);
}

static void
netpulse_history_db_init (NetpulseHistoryDb *self)
{
  self->app_names = g_array_new (FALSE, TRUE, sizeof (NetpulseHistoryAppName));
  g_array_set_clear_func (self->app_names, clear_app_name);
}
