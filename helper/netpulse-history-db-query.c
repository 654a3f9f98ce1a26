/* netpulse-history-db-query.c — reading the usage history (QueryUsage),
 * on the database's read connection (see netpulse-history-db.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-history"

#include "config.h"

#include "netpulse-history-db-private.h"
#include "netpulse-record.h"

static const char *
group_columns (NetpulseHistoryGroup group)
{
  switch (group)
    {
    case NETPULSE_HISTORY_GROUP_APP_PROTO:
      return "a.kind, a.app_id, u.proto";
    case NETPULSE_HISTORY_GROUP_TOTAL:
      return "0, '', 0";
    case NETPULSE_HISTORY_GROUP_APP:
    default:
      return "a.kind, a.app_id, 0";
    }
}

GVariant *
netpulse_history_db_query (NetpulseHistoryDb          *self,
                           const NetpulseHistoryQuery *query,
                           gboolean                   *truncated,
                           GError                    **error)
{
  g_auto(GVariantBuilder) rows = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(ttssyttu)"));
  const char *columns = group_columns (query->group);
  guint64 length_ms = self->level_ms[query->level];
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt = NULL;
  guint limit = MIN (query->limit ? query->limit : NETPULSE_HISTORY_MAX_ROWS, NETPULSE_HISTORY_MAX_ROWS);
  guint n = 0;
  int rc;

  /* One more than the limit tells whether there is more. */
  sql = g_strdup_printf ("SELECT u.start_ms, %s, SUM (u.rx), SUM (u.tx), SUM (u.conns) "
                         "FROM usage u JOIN apps a ON a.id = u.app "
                         "WHERE u.level = ?1 AND u.start_ms >= ?2 AND u.start_ms < ?3 "
                         "AND (?4 IS NULL OR a.app_id = ?4) "
                         "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 LIMIT ?5 OFFSET ?6",
                         columns);
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
