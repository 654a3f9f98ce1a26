/* netpulse-history-db-query.c — reading the usage history (QueryUsage),
 * on the database's read connection (see netpulse-history-db.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-history"

#include "config.h"

#include "netpulse-history-db-private.h"
#include "netpulse-record.h"

/* The expressions of the application and the protocol a row is grouped
 * by: grouping by the application's row id in the primary key's order
 * (level, start_ms, app, proto) needs no sort; the names are joined to the
 * grouped rows only. */
static void
group_expressions (NetpulseHistoryGroup   group,
                   const char           **app,
                   const char           **proto,
                   const char           **group_by)
{
  *app = group == NETPULSE_HISTORY_GROUP_TOTAL ? "0" : "u.app";
  *proto = group == NETPULSE_HISTORY_GROUP_APP_PROTO ? "u.proto" : "0";
  /* Real columns only: a constant in GROUP BY makes SQLite sort. */
  *group_by = group == NETPULSE_HISTORY_GROUP_TOTAL ? "u.start_ms"
              : group == NETPULSE_HISTORY_GROUP_APP ? "u.start_ms, u.app"
              : "u.start_ms, u.app, u.proto";
}

GVariant *
netpulse_history_db_query (NetpulseHistoryDb          *self,
                           const NetpulseHistoryQuery *query,
                           gboolean                   *truncated,
                           GError                    **error)
{
  g_auto(GVariantBuilder) rows = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(ttssyttu)"));
  const char *app, *proto, *group_by;
  guint64 length_ms = self->level_ms[query->level];
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt = NULL;
  guint limit = MIN (query->limit ? query->limit : NETPULSE_HISTORY_MAX_ROWS, NETPULSE_HISTORY_MAX_ROWS);
  guint n = 0;
  int rc;

  /* One more than the limit tells whether there is more. */
  group_expressions (query->group, &app, &proto, &group_by);
  sql = g_strdup_printf ("SELECT g.start_ms, COALESCE (a.kind, 0), COALESCE (a.app_id, ''), g.proto, "
                         "g.rx, g.tx, g.conns FROM "
                         "(SELECT u.start_ms AS start_ms, %s AS app, %s AS proto, SUM (u.rx) AS rx, "
                         " SUM (u.tx) AS tx, SUM (u.conns) AS conns FROM usage u "
                         " WHERE u.level = ?1 AND u.start_ms >= ?2 AND u.start_ms < ?3 "
                         " AND (?4 IS NULL OR u.app IN (SELECT id FROM apps WHERE app_id = ?4)) "
                         " GROUP BY %s ORDER BY %s LIMIT ?5 OFFSET ?6) g "
                         "LEFT JOIN apps a ON a.id = g.app "
                         "ORDER BY g.start_ms, g.app, g.proto",
                         app, proto, group_by, group_by);
  rc = sqlite3_prepare_v2 (self->reader, sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      _netpulse_history_set_sqlite_error (error, self->reader, rc, "Cannot query the history");
      return NULL;
    }
  /* A bucket that began before @since but reaches into it counts. */
  sqlite3_bind_int (stmt, 1, query->level);
  sqlite3_bind_int64 (stmt, 2, (gint64) (query->since_ms - MIN (query->since_ms, query->since_ms % length_ms)));
  sqlite3_bind_int64 (stmt, 3, (gint64) MIN (query->until_ms, (guint64) G_MAXINT64));
  if (query->app_id != NULL)
    sqlite3_bind_text (stmt, 4, query->app_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, (gint64) limit + 1);
  sqlite3_bind_int64 (stmt, 6, query->offset);

  *truncated = FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      guint64 start_ms = (guint64) sqlite3_column_int64 (stmt, 0);

      if (n++ == limit)
        {
          *truncated = TRUE;
          break;
        }
      g_variant_builder_add (&rows, "(ttssyttu)",
                             start_ms * G_GUINT64_CONSTANT (1000000),
                             (start_ms + length_ms) * G_GUINT64_CONSTANT (1000000),
                             query->group == NETPULSE_HISTORY_GROUP_TOTAL
                               ? "" : netpulse_app_kind_name ((guint8) sqlite3_column_int (stmt, 1)),
                             (const char *) sqlite3_column_text (stmt, 2),
                             (guint8) sqlite3_column_int (stmt, 3),
                             (guint64) sqlite3_column_int64 (stmt, 4),
                             (guint64) sqlite3_column_int64 (stmt, 5),
                             (guint32) sqlite3_column_int64 (stmt, 6));
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      _netpulse_history_set_sqlite_error (error, self->reader, rc, "Cannot query the history");
      return NULL;
    }
  return g_variant_builder_end (&rows);
}
