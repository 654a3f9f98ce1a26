/* netpulse-history-db-totals.c — grand totals of the usage history, read
 * on the database's read connection (see netpulse-history-db.c).
 *
 * Every fine bucket is added to its day bucket in the same transaction,
 * and the day level is the one kept longest (two years by default): its
 * sum is everything ever recorded, and it only grows, except when a day
 * bucket leaves the retention (README: counters then drop, which
 * Prometheus reads as a counter reset).  A range of days, so that the
 * caller can keep the sum of the days that no longer change (a year of
 * 1000 applications is 730 000 rows, 450 ms to sum: bench/RESULTS.md).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-history"

#include "config.h"

#include "netpulse-history-db-private.h"
#include "netpulse-history-db-totals.h"

gboolean
netpulse_history_db_foreach_total (NetpulseHistoryDb         *self,
                                   guint64                    since_ms,
                                   guint64                    until_ms,
                                   NetpulseHistoryTotalFunc   func,
                                   gpointer                   user_data,
                                   GError                   **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  g_return_val_if_fail (NETPULSE_IS_HISTORY_DB (self), FALSE);

  rc = sqlite3_prepare_v2 (self->reader,
                           "SELECT a.kind, a.app_id, t.proto, t.rx, t.tx, t.conns FROM "
                           "(SELECT app, proto, SUM (rx) AS rx, SUM (tx) AS tx, SUM (conns) AS conns "
                           " FROM usage WHERE level = ?1 AND start_ms >= ?2 AND start_ms < ?3 GROUP BY app, proto) t "
                           "JOIN apps a ON a.id = t.app ORDER BY t.app, t.proto",
                           -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      _netpulse_history_set_sqlite_error (error, self->reader, rc, "Cannot read the history's totals");
      return FALSE;
    }
  sqlite3_bind_int (stmt, 1, NETPULSE_HISTORY_DAY);
  sqlite3_bind_int64 (stmt, 2, (gint64) MIN (since_ms, (guint64) G_MAXINT64));
  sqlite3_bind_int64 (stmt, 3, (gint64) MIN (until_ms, (guint64) G_MAXINT64));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    func ((guint8) sqlite3_column_int (stmt, 0),
          (const char *) sqlite3_column_text (stmt, 1),
          (guint8) sqlite3_column_int (stmt, 2),
          (guint64) sqlite3_column_int64 (stmt, 3),
          (guint64) sqlite3_column_int64 (stmt, 4),
          (guint64) sqlite3_column_int64 (stmt, 5),
          user_data);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      _netpulse_history_set_sqlite_error (error, self->reader, rc, "Cannot read the history's totals");
      return FALSE;
    }
  return TRUE;
}
