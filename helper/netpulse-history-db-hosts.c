/* netpulse-history-db-hosts.c — the remote hosts and ports of each
 * application per hour (schema version 2), written in the transaction of
 * each fine bucket (netpulse-history-db.c) and read by QueryHosts.
 *
 * Bounded: after each bucket, an hour keeps per application its
 * NETPULSE_HISTORY_TOP_HOSTS largest (remote address, port, protocol) by
 * bytes so far, and the others are folded into one row (proto 0, address
 * "", port 0).  Nothing is lost by folding: an application's hosts rows
 * of an hour always add up to its usage in that hour.  A host folded early
 * in an hour that grows later starts a new row with what came after (so
 * its row may show less than it moved, the rest is in the folded row).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-history"

#include "config.h"

#include "netpulse-history-db-private.h"
#include "netpulse-history-rows.h"

const char _netpulse_history_schema_v2[] =
  "CREATE TABLE hosts (start_ms INTEGER NOT NULL, app INTEGER NOT NULL, proto INTEGER NOT NULL,"
  "                    raddr TEXT NOT NULL, rport INTEGER NOT NULL, rx INTEGER NOT NULL,"
  "                    tx INTEGER NOT NULL, conns INTEGER NOT NULL,"
  "                    PRIMARY KEY (start_ms, app, proto, raddr, rport)) WITHOUT ROWID;";

#define FOLDED "proto = 0 AND raddr = '' AND rport = 0"

typedef struct {
  sqlite3_stmt *upsert;
  sqlite3_stmt *ranked;
  sqlite3_stmt *remove;
} Statements;

static void
statements_clear (Statements *st)
{
  sqlite3_finalize (st->upsert);
  sqlite3_finalize (st->ranked);
  sqlite3_finalize (st->remove);
}

static gboolean
failed (NetpulseHistoryDb  *self,
        int                 rc,
        GError            **error)
{
  _netpulse_history_set_sqlite_error (error, self->db, rc, "Cannot write the history's hosts");
  return FALSE;
}

static gboolean
upsert (NetpulseHistoryDb  *self,
        Statements         *st,
        guint64             hour_ms,
        gint64              app,
        int                 proto,
        const char         *raddr,
        int                 rport,
        guint64             rx,
        guint64             tx,
        guint64             conns,
        GError            **error)
{
  int rc;

  sqlite3_bind_int64 (st->upsert, 1, (gint64) hour_ms);
  sqlite3_bind_int64 (st->upsert, 2, app);
  sqlite3_bind_int (st->upsert, 3, proto);
  sqlite3_bind_text (st->upsert, 4, raddr, -1, SQLITE_STATIC);
  sqlite3_bind_int (st->upsert, 5, rport);
  sqlite3_bind_int64 (st->upsert, 6, (gint64) rx);
  sqlite3_bind_int64 (st->upsert, 7, (gint64) tx);
  sqlite3_bind_int64 (st->upsert, 8, (gint64) conns);
  rc = sqlite3_step (st->upsert);
  sqlite3_reset (st->upsert);
  return rc == SQLITE_DONE || failed (self, rc, error);
}

/* Folds what is beyond the top NETPULSE_HISTORY_TOP_HOSTS of @app in the
 * hour into its folded row. */
static gboolean
fold (NetpulseHistoryDb  *self,
      Statements         *st,
      guint64             hour_ms,
      gint64              app,
      GError            **error)
{
  guint64 rx = 0, tx = 0, conns = 0;
  guint rank = 0;
  int rc;

  sqlite3_bind_int64 (st->ranked, 1, (gint64) hour_ms);
  sqlite3_bind_int64 (st->ranked, 2, app);
  while ((rc = sqlite3_step (st->ranked)) == SQLITE_ROW)
    {
      if (rank++ < NETPULSE_HISTORY_TOP_HOSTS)
        continue;
      rx += (guint64) sqlite3_column_int64 (st->ranked, 3);
      tx += (guint64) sqlite3_column_int64 (st->ranked, 4);
      conns += (guint64) sqlite3_column_int64 (st->ranked, 5);
      sqlite3_bind_int64 (st->remove, 1, (gint64) hour_ms);
      sqlite3_bind_int64 (st->remove, 2, app);
      sqlite3_bind_int (st->remove, 3, sqlite3_column_int (st->ranked, 0));
      sqlite3_bind_text (st->remove, 4, (const char *) sqlite3_column_text (st->ranked, 1), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (st->remove, 5, sqlite3_column_int (st->ranked, 2));
      if ((rc = sqlite3_step (st->remove)) != SQLITE_DONE)
        break;
      sqlite3_reset (st->remove);
    }
  sqlite3_reset (st->remove);
  sqlite3_reset (st->ranked);
  if (rc != SQLITE_DONE)
    return failed (self, rc, error);
  return rank <= NETPULSE_HISTORY_TOP_HOSTS ||
         upsert (self, st, hour_ms, app, 0, "", 0, rx, tx, conns, error);
}

gboolean
_netpulse_history_add_hosts (NetpulseHistoryDb  *self,
                             guint64             start_ms,
                             GPtrArray          *hosts,
                             GError            **error)
{
  guint64 hour_ms = start_ms - start_ms % self->level_ms[NETPULSE_HISTORY_HOUR];
  g_autoptr(GHashTable) apps = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  Statements st = { NULL, NULL, NULL };
  gboolean ok = FALSE;
  GHashTableIter iter;
  gpointer key;

  if (sqlite3_prepare_v2 (self->db,
                          "INSERT INTO hosts VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                          "ON CONFLICT (start_ms, app, proto, raddr, rport) DO UPDATE SET "
                          "rx = rx + excluded.rx, tx = tx + excluded.tx, conns = conns + excluded.conns",
                          -1, &st.upsert, NULL) != SQLITE_OK ||
      /* Ties by key, so that the same rows are kept every time. */
      sqlite3_prepare_v2 (self->db,
                          "SELECT proto, raddr, rport, rx, tx, conns FROM hosts "
                          "WHERE start_ms = ?1 AND app = ?2 AND NOT (" FOLDED ") "
                          "ORDER BY rx + tx DESC, proto, raddr, rport",
                          -1, &st.ranked, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (self->db,
                          "DELETE FROM hosts WHERE start_ms = ?1 AND app = ?2 AND proto = ?3 "
                          "AND raddr = ?4 AND rport = ?5",
                          -1, &st.remove, NULL) != SQLITE_OK)
    {
      failed (self, sqlite3_errcode (self->db), error);
      goto out;
    }

  for (guint i = 0; i < hosts->len; i++)
    {
      const NetpulseHistoryHost *host = g_ptr_array_index (hosts, i);
      gint64 app = _netpulse_history_app_row (self, host->app_kind, host->app_id, error);
      gint64 *app_key;

      if (app < 0 ||
          !upsert (self, &st, hour_ms, app, host->proto, host->raddr, host->rport,
                   host->rx_bytes, host->tx_bytes, host->connections, error))
        goto out;
      app_key = g_new (gint64, 1);
      *app_key = app;
      g_hash_table_add (apps, app_key);
    }
  g_hash_table_iter_init (&iter, apps);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!fold (self, &st, hour_ms, *(gint64 *) key, error))
      goto out;
  ok = TRUE;

out:
  statements_clear (&st);
  return ok;
}

/* ------------------------------------------------------------------------ */
/* Reading (on the read connection)                                          */

static sqlite3_stmt *
prepare_hosts_scan (NetpulseHistoryDb          *self,
                    const NetpulseHistoryQuery *query,
                    GError                    **error)
{
  guint64 hour = self->level_ms[NETPULSE_HISTORY_HOUR];
  guint64 since_ms = query->since_ms - MIN (query->since_ms, query->since_ms % hour);
  gint64 after_app = 0;
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (query->after_app_id != NULL &&
      (after_app = _netpulse_history_find_app (self, query->after_app_kind, query->after_app_id, error)) < 0)
    return NULL;
  sql = g_strconcat ("SELECT start_ms, app, proto, raddr, rport, rx, tx, conns FROM hosts "
                     "WHERE start_ms >= ?1 AND start_ms < ?2",
                     query->after_app_id != NULL
                       ? " AND (start_ms, app, proto, raddr, rport) > (?3, ?4, ?5, ?6, ?7)" : "",
                     query->app_id != NULL ? " AND app IN (SELECT id FROM apps WHERE app_id = ?8)" : "",
                     " ORDER BY start_ms, app, proto, raddr, rport", NULL);
  rc = sqlite3_prepare_v2 (self->reader, sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      _netpulse_history_set_sqlite_error (error, self->reader, rc, "Cannot query the history");
      return NULL;
    }
  /* As in netpulse-history-db-query.c: the continuation is the bound SQLite seeks to. */
  if (query->after_app_id != NULL)
    since_ms = MAX (since_ms, query->after_start_ms);
  sqlite3_bind_int64 (stmt, 1, (gint64) MIN (since_ms, (guint64) G_MAXINT64));
  sqlite3_bind_int64 (stmt, 2, (gint64) MIN (query->until_ms, (guint64) G_MAXINT64));
  sqlite3_bind_int64 (stmt, 3, (gint64) MIN (query->after_start_ms, (guint64) G_MAXINT64));
  sqlite3_bind_int64 (stmt, 4, after_app);
  sqlite3_bind_int (stmt, 5, query->after_proto);
  sqlite3_bind_text (stmt, 6, query->after_raddr != NULL ? query->after_raddr : "", -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 7, query->after_rport);
  if (query->app_id != NULL)
    sqlite3_bind_text (stmt, 8, query->app_id, -1, SQLITE_STATIC);
  return stmt;
}

GVariant *
netpulse_history_db_query_hosts (NetpulseHistoryDb          *self,
                                 const NetpulseHistoryQuery *query,
                                 gboolean                   *truncated,
                                 GError                    **error)
{
  g_autoptr(NetpulseHistoryRows) rows = NULL;
  guint64 hour = self->level_ms[NETPULSE_HISTORY_HOUR];
  guint limit = MIN (query->limit ? query->limit : NETPULSE_HISTORY_MAX_ROWS, NETPULSE_HISTORY_MAX_ROWS);
  sqlite3_stmt *stmt = prepare_hosts_scan (self, query, error);
  int rc;

  if (stmt == NULL)
    return NULL;
  rows = netpulse_history_rows_new (NETPULSE_HISTORY_ROWS_HOSTS);
  *truncated = FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      guint64 start_ms = (guint64) sqlite3_column_int64 (stmt, 0);
      const NetpulseHistoryAppName *name = _netpulse_history_app_name (self, sqlite3_column_int64 (stmt, 1), error);
      const char *raddr = (const char *) sqlite3_column_text (stmt, 3);
      g_autofree char *valid = NULL;

      if (name == NULL)
        goto failed;
      if (netpulse_history_rows_get_length (rows) == limit)
        {
          *truncated = TRUE;
          break;
        }
      valid = g_utf8_make_valid (raddr != NULL ? raddr : "", -1);
      netpulse_history_rows_begin (rows);
      netpulse_history_rows_put_uint64 (rows, start_ms * G_GUINT64_CONSTANT (1000000));
      netpulse_history_rows_put_uint64 (rows, (start_ms + hour) * G_GUINT64_CONSTANT (1000000));
      netpulse_history_rows_put_string (rows, name->kind);
      netpulse_history_rows_put_string (rows, name->app_id);
      netpulse_history_rows_put_byte (rows, (guint8) sqlite3_column_int (stmt, 2));
      netpulse_history_rows_put_string (rows, valid);
      netpulse_history_rows_put_uint16 (rows, (guint16) sqlite3_column_int (stmt, 4));
      netpulse_history_rows_put_uint64 (rows, (guint64) sqlite3_column_int64 (stmt, 5));
      netpulse_history_rows_put_uint64 (rows, (guint64) sqlite3_column_int64 (stmt, 6));
      netpulse_history_rows_put_uint32 (rows, (guint32) MIN ((guint64) sqlite3_column_int64 (stmt, 7), G_MAXUINT32));
      netpulse_history_rows_end_row (rows);
    }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      _netpulse_history_set_sqlite_error (error, self->reader, rc, "Cannot query the history");
      goto failed;
    }
  sqlite3_finalize (stmt);
  return netpulse_history_rows_end (rows);

failed:
  sqlite3_finalize (stmt);
  return NULL;
}
