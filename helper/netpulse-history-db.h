/* netpulse-history-db.h — the usage history on disk: per-application
 * totals in time buckets, in SQLite (WAL).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Three levels; each coarser bucket is the exact sum of the finer ones
 * (they are written in the same transaction, see netpulse-history-db.c). */
typedef enum {
  NETPULSE_HISTORY_FINE,     /* one bucket (a minute, or --history-bucket-ms) */
  NETPULSE_HISTORY_HOUR,     /* 60 buckets */
  NETPULSE_HISTORY_DAY,      /* 24 × 60 buckets */
  NETPULSE_HISTORY_N_LEVELS,
} NetpulseHistoryLevel;

/* 1: usage, apps, settings; 2: hosts. */
#define NETPULSE_HISTORY_SCHEMA_VERSION 2
#define NETPULSE_HISTORY_MAX_ROWS       10000
/* Remote hosts kept per application and hour (by bytes); the rest are
 * folded into one row (proto 0, remote "" port 0). */
#define NETPULSE_HISTORY_TOP_HOSTS      10

/* One application × protocol in one bucket. */
typedef struct {
  guint8  app_kind;
  char   *app_id;
  guint8  proto;
  guint64 rx_bytes;
  guint64 tx_bytes;
  guint32 connections;
} NetpulseHistoryEntry;

/* One application's traffic with one remote host and port in one bucket. */
typedef struct {
  guint8  app_kind;
  char   *app_id;
  guint8  proto;
  char   *raddr;      /* "" for none (or, with proto 0 and port 0, the folded rest) */
  guint16 rport;
  guint64 rx_bytes;
  guint64 tx_bytes;
  guint32 connections;
} NetpulseHistoryHost;

#define NETPULSE_TYPE_HISTORY_DB (netpulse_history_db_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseHistoryDb, netpulse_history_db, NETPULSE, HISTORY_DB, GObject)

/* Opens (creating) @path.  A database that is corrupt, or of a newer
 * schema, is renamed to PATH.corrupt-<UTC time> (never overwritten) and a
 * new one made; @warning then says so. */
NetpulseHistoryDb *netpulse_history_db_open        (const char        *path,
                                                    guint64            bucket_ms,
                                                    char             **warning,
                                                    GError           **error);
guint64            netpulse_history_db_level_ms    (NetpulseHistoryDb *self,
                                                    NetpulseHistoryLevel level);

/* Adds one closed fine bucket (and its share of the hour and day) in one
 * transaction; purges what is older than the retention.  Nothing is
 * written on failure (disk full: G_IO_ERROR_NO_SPACE). */
gboolean           netpulse_history_db_add_bucket  (NetpulseHistoryDb *self,
                                                    guint64            start_ms,
                                                    GPtrArray         *entries,
                                                    const guint64      retention_s[NETPULSE_HISTORY_N_LEVELS],
                                                    GError           **error);

/* The same, with the bucket's remote hosts (NetpulseHistoryHost, @hosts
 * NULL for none): added to the hour they lie in, which then keeps its
 * NETPULSE_HISTORY_TOP_HOSTS largest per application and folds the rest;
 * kept for the hourly retention. */
gboolean           netpulse_history_db_add_bucket_with_hosts (NetpulseHistoryDb *self,
                                                              guint64            start_ms,
                                                              GPtrArray         *entries,
                                                              GPtrArray         *hosts,
                                                              const guint64      retention_s[NETPULSE_HISTORY_N_LEVELS],
                                                              GError           **error);

/* Settings kept in the database (recording on/off, retention). */
gboolean           netpulse_history_db_set_setting (NetpulseHistoryDb *self,
                                                    const char        *key,
                                                    gint64             value,
                                                    GError           **error);
gint64             netpulse_history_db_get_setting (NetpulseHistoryDb *self,
                                                    const char        *key,
                                                    gint64             default_value);

/* Rows (ttssyttu): start ns, end ns, app kind name, app id, proto, rx, tx,
 * connections; on a read connection of its own, so that it never waits
 * for the recorder nor makes it wait (WAL). */
typedef enum {
  NETPULSE_HISTORY_GROUP_APP,
  NETPULSE_HISTORY_GROUP_APP_PROTO,
  NETPULSE_HISTORY_GROUP_TOTAL,
} NetpulseHistoryGroup;

typedef struct {
  guint64               since_ms;
  guint64               until_ms;
  NetpulseHistoryLevel  level;
  NetpulseHistoryGroup  group;
  const char           *app_id;      /* NULL: every application */
  guint                 offset;      /* rows to skip (old paging: rescans them) */
  guint                 limit;       /* ≤ NETPULSE_HISTORY_MAX_ROWS */
  /* Keyset paging: the last row received (after_app_id NULL: from the
   * start); the answer begins after it. */
  guint64               after_start_ms;
  const char           *after_app_kind;
  const char           *after_app_id;
  guint8                after_proto;
  const char           *after_raddr;  /* hosts only */
  guint16               after_rport;
} NetpulseHistoryQuery;

GVariant          *netpulse_history_db_query       (NetpulseHistoryDb          *self,
                                                    const NetpulseHistoryQuery *query,
                                                    gboolean                   *truncated,
                                                    GError                    **error);
/* Hosts rows (ttssysqttu): hour start ns, end ns, app kind name, app id,
 * proto, remote address, remote port, rx, tx, connections; ordered by
 * hour, application row, proto, address, port (keyset paging as above;
 * @query's level and group are not used). */
GVariant          *netpulse_history_db_query_hosts (NetpulseHistoryDb          *self,
                                                    const NetpulseHistoryQuery *query,
                                                    gboolean                   *truncated,
                                                    GError                    **error);
guint64            netpulse_history_db_get_size    (NetpulseHistoryDb *self);
const char        *netpulse_history_db_get_path    (NetpulseHistoryDb *self);

void               netpulse_history_entry_free     (gpointer           data);
void               netpulse_history_host_free      (gpointer           data);

G_END_DECLS
