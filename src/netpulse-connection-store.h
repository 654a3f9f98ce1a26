/* netpulse-connection-store.h — the table of connections, a GListModel of
 * NetpulseConnection kept up to date from the helper's updates.
 *
 * An update touches only the connections it names (found by id in a hash
 * table): their objects are updated in place, so bound views redraw just
 * those cells.  New connections are appended and closed ones removed once
 * they have faded out, each tick in a single items-changed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "netpulse-app-finder.h"
#include "netpulse-connection.h"
#include "netpulse-history.h"
#include "netpulse-user-names.h"

G_BEGIN_DECLS

/* Samples of the totals: five minutes at the default interval. */
#define NETPULSE_STORE_HISTORY_LENGTH 300
/* How long a closed connection stays visible, fading. */
#define NETPULSE_STORE_DEFAULT_LINGER_MS 5000

#define NETPULSE_TYPE_CONNECTION_STORE (netpulse_connection_store_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseConnectionStore, netpulse_connection_store, NETPULSE, CONNECTION_STORE, GObject)

NetpulseConnectionStore *netpulse_connection_store_new            (void);
void                     netpulse_connection_store_set_app_finder (NetpulseConnectionStore *self,
                                                                   NetpulseAppFinder       *finder);
void                     netpulse_connection_store_set_user_names (NetpulseConnectionStore *self,
                                                                   NetpulseUserNames       *names);
void                     netpulse_connection_store_set_linger_ms  (NetpulseConnectionStore *self,
                                                                   guint                    linger_ms);

/* One update: @changed records (new, changed, or final with the closed
 * flag) and the ids in @removed are closed.  @timestamp_ns is the sample
 * time; it drives the fading of closed connections. */
void                     netpulse_connection_store_apply          (NetpulseConnectionStore *self,
                                                                   guint64                  timestamp_ns,
                                                                   const NetpulseRecord    *changed,
                                                                   guint                    n_changed,
                                                                   const guint64           *removed,
                                                                   guint                    n_removed);
/* A full table (after a gap): what is not in @records has closed. */
void                     netpulse_connection_store_replace        (NetpulseConnectionStore *self,
                                                                   guint64                  timestamp_ns,
                                                                   const NetpulseRecord    *records,
                                                                   guint                    n_records);
void                     netpulse_connection_store_clear          (NetpulseConnectionStore *self);

NetpulseConnection      *netpulse_connection_store_lookup         (NetpulseConnectionStore *self,
                                                                   guint64                  id);
/* The connection at @position (< n-items), borrowed: for loops over the
 * whole table that would otherwise take and drop a reference per row. */
NetpulseConnection      *netpulse_connection_store_peek           (NetpulseConnectionStore *self,
                                                                   guint                    position);
guint64                  netpulse_connection_store_get_tick       (NetpulseConnectionStore *self);
/* When the last update was sampled (ns since the epoch, the source's
 * clock: a recording's own time); 0 before the first. */
guint64                  netpulse_connection_store_get_sample_time (NetpulseConnectionStore *self);
double                   netpulse_connection_store_get_rx_rate    (NetpulseConnectionStore *self);
double                   netpulse_connection_store_get_tx_rate    (NetpulseConnectionStore *self);
const NetpulseHistory   *netpulse_connection_store_get_history    (NetpulseConnectionStore *self);

/*
 * Signals:
 *   "applied" (GPtrArray *added, GPtrArray *changed, GPtrArray *removed)
 *       after each update, arrays of NetpulseConnection; "changed" holds
 *       every connection whose values were touched, "removed" those that
 *       just left the list.
 */

G_END_DECLS
