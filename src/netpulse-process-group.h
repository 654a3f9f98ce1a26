/* netpulse-process-group.h — the connections of one process, as a row with
 * their summed rates and totals.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-connection.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_PROCESS_GROUP (netpulse_process_group_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseProcessGroup, netpulse_process_group, NETPULSE, PROCESS_GROUP, NetpulseRow)

NetpulseProcessGroup *netpulse_process_group_new             (guint                 pid,
                                                              const char           *comm);
/* "pid/comm": what groups connections. */
char                 *netpulse_process_group_make_key        (guint                 pid,
                                                              const char           *comm);
const char           *netpulse_process_group_get_key         (NetpulseProcessGroup *self);
/* The connections of the group: a GListModel of NetpulseConnection. */
GListModel           *netpulse_process_group_get_connections (NetpulseProcessGroup *self);
guint                 netpulse_process_group_get_n_connections (NetpulseProcessGroup *self);

void                  netpulse_process_group_add             (NetpulseProcessGroup *self,
                                                              NetpulseConnection   *conn);
void                  netpulse_process_group_remove          (NetpulseProcessGroup *self,
                                                              NetpulseConnection   *conn);
/* Sums the connections again and records the sums at @tick. */
void                  netpulse_process_group_recompute       (NetpulseProcessGroup *self,
                                                              guint64               tick);

/* As of the last recompute: the sum over its connections of what an
 * application counts (the helper's smoothed rate where there is one; of
 * a closed connection its own last tick, the bytes it moved as it closed,
 * which its row below may hide), so that applications need not go over every
 * connection again. */
void                  netpulse_process_group_get_app_rates   (NetpulseProcessGroup *self,
                                                              double               *rx_rate,
                                                              double               *tx_rate);
/* The record that tells about @row's process (executable, command line,
 * application): a connection's own, a process group's first connection's;
 * NULL for anything else or an empty group.  It lives as long as the
 * connection is in the group. */
const NetpulseRecord *netpulse_process_group_record_of       (NetpulseRow          *row);

guint                 netpulse_process_group_get_position    (NetpulseProcessGroup *self);
void                  netpulse_process_group_set_position    (NetpulseProcessGroup *self,
                                                              guint                 position);

G_END_DECLS
