/* netpulse-history-db-query.c — reading the usage history (QueryUsage),
 * on the database's read connection (see netpulse-history-db.c).
 *
 * Why it is written this way (30 days × 100 applications hourly, 72 000
 * rows, must take well under 50 ms):
 *  - SQL only scans the primary key (level, start_ms, app, proto) in its
 *    own order; the grouping (summing the protocols of an application, or
 *    every application of a bucket) is done here on adjacent rows.  SQLite's
 *    GROUP BY of the same rows costs eight times the scan.
 *  - No join: application names come from a cache by row id (the apps
 *    table only grows, ids are never reused), so there is no sort either.
 *  - Paging is keyset-based: a continuation names the last row received
 *    and the next page starts after it in the key's order, so every page
 *    costs the same however deep it is (OFFSET rescans all before it; it
 *    is still understood, for older clients).
 *  - The reply is serialized directly (netpulse-history-rows.c), not
 *    through a GVariantBuilder per row.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-history"

#include "config.h"

#include "netpulse-history-db-private.h"
#include "netpulse-history-rows.h"
#include "netpulse-record.h"

/* Loads the names of the application rows the cache does not have yet. */
static gboolean
load_app_names (NetpulseHistoryDb  *self,
                GError            **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (self->reader, "SELECT id, kind, app_id FROM apps WHERE id >= ? ORDER BY id",
                               -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      _netpulse_history_set_sqlite_error (error, self->reader, rc, "Cannot query the history");
      return FALSE;
    }
  sqlite3_bind_int64 (stmt, 1, self->app_names->len);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      const char *app_id = (const char *) sqlite3_column_text (stmt, 2);
      NetpulseHistoryAppName name = {
        netpulse_app_kind_name ((guint8) sqlite3_column_int (stmt, 1)),
        /* Written by us from the records, but the reply is trusted. */
        g_utf8_make_valid (app_id != NULL ? app_id : "", -1),
      };

      if (id < 0 || id > G_MAXINT32)
        {
          g_free (name.app_id);
          continue;
        }
      if ((guint) id >= self->app_names->len)
        g_array_set_size (self->app_names, (guint) id + 1);
      g_free (g_array_index (self->app_names, NetpulseHistoryAppName, id).app_id);
      g_array_index (self->app_names, NetpulseHistoryAppName, id) = name;
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      _netpulse_history_set_sqlite_error (error, self->reader, rc, "Cannot query the history");
      return FALSE;
    }
  return TRUE;
}

const NetpulseHistoryAppName *
_netpulse_history_app_name (NetpulseHistoryDb  *self,
                            gint64              id,
                            GError            **error)
{
  static const NetpulseHistoryAppName none = { "", (char *) "" };

  if (id <= 0)
    return &none;
  if ((guint64) id >= self->app_names->len && !load_app_names (self, error))
    return NULL;
  if ((guint64) id >= self->app_names->len ||
      g_array_index (self->app_names, NetpulseHistoryAppName, id).app_id == NULL)
    return &none;
  return &g_array_index (self->app_names, NetpulseHistoryAppName, id);
}

gint64
_netpulse_history_find_app (NetpulseHistoryDb  *self,
                            const char         *kind,
                            const char         *app_id,
                            GError            **error)
{
  sqlite3_stmt *stmt = NULL;
  gint64 id = -1;

  if (sqlite3_prepare_v2 (self->reader, "SELECT id FROM apps WHERE kind = ? AND app_id = ?",
                          -1, &stmt, NULL) != SQLITE_OK)
    {
      _netpulse_history_set_sqlite_error (error, self->reader, sqlite3_errcode (self->reader),
                                          "Cannot query the history");
      return -1;
    }
  sqlite3_bind_int (stmt, 1, netpulse_app_kind_from_name (kind));
  sqlite3_bind_text (stmt, 2, app_id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    id = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  if (id < 0)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "The continuation names an application the history does not have");
  return id;
}

/* The primary key's columns a row is grouped by; the keyset condition
 * compares the same ones. */
static const char *
keyset_condition (NetpulseHistoryGroup group)
{
  switch (group)
    {
    case NETPULSE_HISTORY_GROUP_TOTAL:
      return " AND start_ms > ?4";
    case NETPULSE_HISTORY_GROUP_APP:
      return " AND (start_ms, app) > (?4, ?5)";
    case NETPULSE_HISTORY_GROUP_APP_PROTO:
    default:
      return " AND (start_ms, app, proto) > (?4, ?5, ?6)";
    }
}

static sqlite3_stmt *
prepare_scan (NetpulseHistoryDb          *self,
              const NetpulseHistoryQuery *query,
              GError                    **error)
{
  guint64 length_ms = self->level_ms[query->level];
  gint64 after_app = 0;
  guint64 since_ms;
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (query->after_app_id != NULL && query->group != NETPULSE_HISTORY_GROUP_TOTAL &&
      (after_app = _netpulse_history_find_app (self, query->after_app_kind, query->after_app_id, error)) < 0)
    return NULL;
  sql = g_strconcat ("SELECT start_ms, app, proto, rx, tx, conns FROM usage "
                     "WHERE level = ?1 AND start_ms >= ?2 AND start_ms < ?3",
                     query->after_app_id != NULL ? keyset_condition (query->group) : "",
                     query->app_id != NULL ? " AND app IN (SELECT id FROM apps WHERE app_id = ?7)" : "",
                     " ORDER BY start_ms, app, proto", NULL);
  rc = sqlite3_prepare_v2 (self->reader, sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      _netpulse_history_set_sqlite_error (error, self->reader, rc, "Cannot query the history");
      return NULL;
    }
  /* A bucket that began before @since but reaches into it counts.  The
   * continuation's bucket is the lower bound the scan seeks to: SQLite
   * seeks on one bound only, and would otherwise rescan every page before
   * (the row value only filters that first bucket). */
  since_ms = query->since_ms - MIN (query->since_ms, query->since_ms % length_ms);
  if (query->after_app_id != NULL)
    since_ms = MAX (since_ms, query->after_start_ms);
  sqlite3_bind_int (stmt, 1, query->level);
  sqlite3_bind_int64 (stmt, 2, (gint64) MIN (since_ms, (guint64) G_MAXINT64));
  sqlite3_bind_int64 (stmt, 3, (gint64) MIN (query->until_ms, (guint64) G_MAXINT64));
  sqlite3_bind_int64 (stmt, 4, (gint64) MIN (query->after_start_ms, (guint64) G_MAXINT64));
  sqlite3_bind_int64 (stmt, 5, after_app);
  sqlite3_bind_int (stmt, 6, query->after_proto);
  if (query->app_id != NULL)
    sqlite3_bind_text (stmt, 7, query->app_id, -1, SQLITE_STATIC);
  return stmt;
}

typedef struct {
  gint64  start_ms, app;
  gint    proto;
  guint64 rx, tx, conns;
} Group;

static gboolean
emit (NetpulseHistoryDb          *self,
      const NetpulseHistoryQuery *query,
      NetpulseHistoryRows        *rows,
      const Group                *group,
      GError                    **error)
{
  guint64 length_ms = self->level_ms[query->level];
  const NetpulseHistoryAppName *name = _netpulse_history_app_name (self, group->app, error);

  if (name == NULL)
    return FALSE;
  netpulse_history_rows_add_usage (rows,
                                   (guint64) group->start_ms * G_GUINT64_CONSTANT (1000000),
                                   ((guint64) group->start_ms + length_ms) * G_GUINT64_CONSTANT (1000000),
                                   name->kind, name->app_id, (guint8) group->proto,
                                   group->rx, group->tx, (guint32) MIN (group->conns, G_MAXUINT32));
  return TRUE;
}

GVariant *
netpulse_history_db_query (NetpulseHistoryDb          *self,
                           const NetpulseHistoryQuery *query,
                           gboolean                   *truncated,
                           GError                    **error)
{
  g_autoptr(NetpulseHistoryRows) rows = NULL;
  guint limit = MIN (query->limit ? query->limit : NETPULSE_HISTORY_MAX_ROWS, NETPULSE_HISTORY_MAX_ROWS);
  gboolean by_app = query->group != NETPULSE_HISTORY_GROUP_TOTAL;
  gboolean by_proto = query->group == NETPULSE_HISTORY_GROUP_APP_PROTO;
  Group current = { -1, 0, 0, 0, 0, 0 };
  guint n = 0, skipped = 0;
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare_scan (self, query, error);
  if (stmt == NULL)
    return NULL;
  rows = netpulse_history_rows_new (NETPULSE_HISTORY_ROWS_USAGE);
  *truncated = FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Group row = {
        sqlite3_column_int64 (stmt, 0),
        by_app ? sqlite3_column_int64 (stmt, 1) : 0,
        by_proto ? sqlite3_column_int (stmt, 2) : 0,
        (guint64) sqlite3_column_int64 (stmt, 3),
        (guint64) sqlite3_column_int64 (stmt, 4),
        (guint64) sqlite3_column_int64 (stmt, 5),
      };

      if (row.start_ms == current.start_ms && row.app == current.app && row.proto == current.proto)
        {
          current.rx += row.rx;
          current.tx += row.tx;
          current.conns += row.conns;
          continue;
        }
      /* A new group: the one before is complete. */
      if (current.start_ms >= 0)
        {
          if (skipped < query->offset)
            skipped++;
          else if (!emit (self, query, rows, &current, error))
            goto failed;
          else
            n++;
        }
      if (n == limit)
        {
          *truncated = TRUE;
          current.start_ms = -1;
          break;
        }
      current = row;
    }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      _netpulse_history_set_sqlite_error (error, self->reader, rc, "Cannot query the history");
      goto failed;
    }
  if (current.start_ms >= 0 && skipped >= query->offset && !emit (self, query, rows, &current, error))
    goto failed;
  sqlite3_finalize (stmt);
  return netpulse_history_rows_end (rows);

failed:
  sqlite3_finalize (stmt);
  return NULL;
}
