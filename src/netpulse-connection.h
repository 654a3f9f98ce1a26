/* netpulse-connection.h — one connection (socket, or UDP peer) as a row.
 *
 * The object lives as long as the connection is in the store and is
 * updated in place from each new record, so that views bound to it only
 * redraw what changed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-record.h"
#include "netpulse-record-order.h"
#include "netpulse-row.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_CONNECTION (netpulse_connection_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseConnection, netpulse_connection, NETPULSE, CONNECTION, NetpulseRow)

NetpulseConnection   *netpulse_connection_new            (const NetpulseRecord *record,
                                                          guint64               tick);
/* A connection whose record is @keyed, owned by the caller (the store's
 * record table) and updated in place there; netpulse_connection_refresh()
 * after each change, netpulse_connection_unshare() before @keyed goes. */
NetpulseConnection   *netpulse_connection_new_shared     (NetpulseKeyedRecord  *keyed,
                                                          guint64               tick);
void                  netpulse_connection_unshare        (NetpulseConnection   *self);
/* Takes the new values of its record (changed in place); returns TRUE
 * when the process (pid or comm) changed, which moves the connection to
 * another group.  Marks the row changed (netpulse_row_emit_changed()). */
gboolean              netpulse_connection_refresh        (NetpulseConnection   *self,
                                                          guint64               tick);
/* The same for a connection of its own (netpulse_connection_new()):
 * takes the new values of @record. */
gboolean              netpulse_connection_update         (NetpulseConnection   *self,
                                                          const NetpulseRecord *record,
                                                          guint64               tick);
const NetpulseRecord *netpulse_connection_get_record     (NetpulseConnection   *self);
/* The record with its addresses parsed, for netpulse-record-order.h. */
const NetpulseKeyedRecord *
                      netpulse_connection_get_keyed      (NetpulseConnection   *self);

guint8                netpulse_connection_get_proto      (NetpulseConnection   *self);
const char           *netpulse_connection_get_laddr      (NetpulseConnection   *self);
guint16               netpulse_connection_get_lport      (NetpulseConnection   *self);
const char           *netpulse_connection_get_raddr      (NetpulseConnection   *self);
guint16               netpulse_connection_get_rport      (NetpulseConnection   *self);
guint8                netpulse_connection_get_state      (NetpulseConnection   *self);
guint32               netpulse_connection_get_rtt_us     (NetpulseConnection   *self);

/* The tick at which its process (pid or comm) was last set. */
guint64               netpulse_connection_get_process_tick (NetpulseConnection *self);
/* Whether its traffic stays on this machine (loopback, or to itself). */
gboolean              netpulse_connection_is_local       (NetpulseConnection   *self);

/* Time (ns since the epoch, of the data) the connection was seen closed. */
guint64               netpulse_connection_get_closed_at  (NetpulseConnection   *self);
void                  netpulse_connection_mark_closed    (NetpulseConnection   *self,
                                                          guint64               when_ns);

/* Internal position in the store (kept by NetpulseConnectionStore). */
guint                 netpulse_connection_get_position   (NetpulseConnection   *self);
void                  netpulse_connection_set_position   (NetpulseConnection   *self,
                                                          guint                 position);

G_END_DECLS
