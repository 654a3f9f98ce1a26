/* netpulse-history-rows.h — the history's replies, an array of tuples of
 * basic types serialized directly into GVariant's normal form.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* QueryUsage's rows, and QueryHosts' (see the interface XML). */
#define NETPULSE_HISTORY_ROWS_USAGE "(ttssyttu)"
#define NETPULSE_HISTORY_ROWS_HOSTS "(ttssysqttu)"

typedef struct _NetpulseHistoryRows NetpulseHistoryRows;

/* @row_type: a tuple of t, u, q, y and s whose first member is a t (so
 * that every row starts 8-aligned). */
NetpulseHistoryRows *netpulse_history_rows_new        (const char          *row_type);
void                 netpulse_history_rows_free       (NetpulseHistoryRows *rows);
guint                netpulse_history_rows_get_length (NetpulseHistoryRows *rows);

/* One row: begin, then its members in order, then end. */
void                 netpulse_history_rows_begin      (NetpulseHistoryRows *rows);
void                 netpulse_history_rows_put_uint64 (NetpulseHistoryRows *rows,
                                                       guint64              value);
void                 netpulse_history_rows_put_uint32 (NetpulseHistoryRows *rows,
                                                       guint32              value);
void                 netpulse_history_rows_put_uint16 (NetpulseHistoryRows *rows,
                                                       guint16              value);
void                 netpulse_history_rows_put_byte   (NetpulseHistoryRows *rows,
                                                       guint8               value);
/* @value: valid UTF-8 (the reply is trusted, not checked). */
void                 netpulse_history_rows_put_string (NetpulseHistoryRows *rows,
                                                       const char          *value);
void                 netpulse_history_rows_end_row    (NetpulseHistoryRows *rows);

void                 netpulse_history_rows_add_usage  (NetpulseHistoryRows *rows,
                                                       guint64              start_ns,
                                                       guint64              end_ns,
                                                       const char          *app_kind,
                                                       const char          *app_id,
                                                       guint8               proto,
                                                       guint64              rx_bytes,
                                                       guint64              tx_bytes,
                                                       guint32              connections);

/* The array (of type "a" @row_type, floating), and @rows emptied. */
GVariant            *netpulse_history_rows_end        (NetpulseHistoryRows *rows);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetpulseHistoryRows, netpulse_history_rows_free)

G_END_DECLS
