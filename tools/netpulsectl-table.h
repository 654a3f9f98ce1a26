/* netpulsectl-table.h — netpulsectl's connection table: what the stream of
 * updates adds up to, and how it is filtered, sorted and printed.
 *
 * Kept apart from the D-Bus side so that the unit tests can drive it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

#include "netpulse-record-table.h"
#include "netpulse-user-names.h"

G_BEGIN_DECLS

typedef enum {
  NETPULSECTL_SORT_RATE,       /* rx_rate + tx_rate, highest first (the default) */
  NETPULSECTL_SORT_RX_RATE,
  NETPULSECTL_SORT_TX_RATE,
  NETPULSECTL_SORT_RX,         /* total bytes received, highest first */
  NETPULSECTL_SORT_TX,
  NETPULSECTL_SORT_TOTAL,      /* rx + tx bytes */
  NETPULSECTL_SORT_RTT,        /* highest first */
  NETPULSECTL_SORT_PID,        /* ascending from here on */
  NETPULSECTL_SORT_COMM,
  NETPULSECTL_SORT_USER,
  NETPULSECTL_SORT_PROTO,
  NETPULSECTL_SORT_LOCAL,
  NETPULSECTL_SORT_REMOTE,
  NETPULSECTL_SORT_STATE,
  NETPULSECTL_SORT_AGE,        /* oldest first */
  NETPULSECTL_SORT_ID,
} NetpulsectlSortKey;

/* "rate", "rx", "tx", …; FALSE for an unknown name. */
gboolean    netpulsectl_sort_key_from_string (const char          *name,
                                              NetpulsectlSortKey  *key);
/* The accepted names, comma-separated, for --help and error messages. */
const char *netpulsectl_sort_key_names       (void);

/* Order in which rows are shown for @key: negative when @a comes first.
 * Ties are broken by id, so that the order is total and stable between
 * updates.  @users may be NULL (sorting by user then sorts by uid). */
int         netpulsectl_compare_records      (const NetpulseKeyedRecord *a,
                                              const NetpulseKeyedRecord *b,
                                              NetpulsectlSortKey         key,
                                              NetpulseUserNames         *users);

/* Whether @record matches @filter: a case-insensitive substring of its
 * command name, user, protocol, addresses, ports or endpoints
 * ("10.0.0.1:443", "[::1]:80").  NULL or "" matches everything. */
gboolean    netpulsectl_record_matches       (const NetpulseRecord *record,
                                              const char           *filter,
                                              NetpulseUserNames    *users);

typedef struct _NetpulsectlTable NetpulsectlTable;

NetpulsectlTable *netpulsectl_table_new      (void);
void        netpulsectl_table_free           (NetpulsectlTable     *table);

/* The connections, kept by the shared table: the monitor applies each
 * frame to it and removes closed entries once they have been printed. */
NetpulseRecordTable *
            netpulsectl_table_get_records    (NetpulsectlTable     *table);

/* The records matching @filter, in display order (pointers into the table,
 * valid until it changes; each is the start of a NetpulseKeyedRecord). */
GPtrArray  *netpulsectl_table_rows           (NetpulsectlTable     *table,
                                              const char           *filter,
                                              NetpulsectlSortKey    key);
/* Sorts and filters @records (of NetpulseRecord) the same way (rows are
 * copies, each the start of a NetpulseKeyedRecord, freed with the array). */
GPtrArray  *netpulsectl_sort_records         (const GArray         *records,
                                              const char           *filter,
                                              NetpulsectlSortKey    key,
                                              NetpulseUserNames    *users);

/* Appends the table: a header line and one line per row, columns aligned;
 * at most @max_rows rows (0 = all), then a line saying how many more. */
void        netpulsectl_table_format         (NetpulsectlTable     *table,
                                              const char           *filter,
                                              NetpulsectlSortKey    key,
                                              guint                 max_rows,
                                              GString              *out);
/* The same, fitting @width terminal cells (0: no limit): columns shortened
 * or dropped by priority (see netpulsectl-layout.h). */
void        netpulsectl_table_format_fit     (NetpulsectlTable     *table,
                                              const char           *filter,
                                              NetpulsectlSortKey    key,
                                              guint                 max_rows,
                                              guint                 width,
                                              GString              *out);

/* Replaces each of the @n cells of @cells (g_malloc'ed) by its escaped
 * form when it holds anything a terminal would act on. */
void        netpulsectl_cells_make_safe      (char                **cells,
                                              guint                 n);

G_END_DECLS
