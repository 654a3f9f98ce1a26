/* netpulse-history-db-private.h — what netpulse-history-db.c (opening,
 * schema, writing) and netpulse-history-db-query.c (reading) share.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

#include "netpulse-history-db.h"

G_BEGIN_DECLS

struct _NetpulseHistoryDb
{
  GObject  parent_instance;

  char    *path;
  guint64  level_ms[NETPULSE_HISTORY_N_LEVELS];
  sqlite3 *db;        /* the recorder's (writes) */
  sqlite3 *reader;    /* queries */
  sqlite3_stmt *insert_app, *select_app;   /* the writer's, kept */
  GArray  *app_names; /* NetpulseHistoryAppName by apps.id (the reader's cache) */
};

typedef struct {
  const char *kind;     /* netpulse_app_kind_name() */
  char       *app_id;   /* NULL: no such row (yet) */
} NetpulseHistoryAppName;

/* Sets @error from SQLite's @rc (SQLITE_FULL → G_IO_ERROR_NO_SPACE,
 * corruption → G_IO_ERROR_INVALID_DATA, …), with @what and SQLite's words. */
void _netpulse_history_set_sqlite_error (GError     **error,
                                         sqlite3     *db,
                                         int          rc,
                                         const char  *what);

/* The names of application row @id (id 0 or an unknown one: ""), from the
 * cache; NULL only when the database cannot be read. */
const NetpulseHistoryAppName *_netpulse_history_app_name (NetpulseHistoryDb  *self,
                                                          gint64              id,
                                                          GError            **error);
/* The row id of an application, or -1 with G_IO_ERROR_INVALID_ARGUMENT. */
gint64                        _netpulse_history_find_app (NetpulseHistoryDb  *self,
                                                          const char         *kind,
                                                          const char         *app_id,
                                                          GError            **error);

/* The row id of application (@kind, @app_id), made if new (writer). */
gint64   _netpulse_history_app_row   (NetpulseHistoryDb  *self,
                                      guint8              kind,
                                      const char         *app_id,
                                      GError            **error);
gboolean _netpulse_history_exec      (sqlite3            *db,
                                      const char         *sql,
                                      GError            **error);
/* netpulse-history-db-hosts.c, inside add_bucket's transaction. */
gboolean _netpulse_history_add_hosts (NetpulseHistoryDb  *self,
                                      guint64             start_ms,
                                      GPtrArray          *hosts,
                                      GError            **error);
/* The hosts schema (version 2), for migrate(). */
extern const char _netpulse_history_schema_v2[];

G_END_DECLS
