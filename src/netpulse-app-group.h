/* netpulse-app-group.h — one application as a row of the Applications
 * view: its processes (NetpulseProcessGroup, each with its connections),
 * their smoothed rates and their totals since monitoring began, closed
 * connections included.
 *
 * Which application a connection belongs to comes from the record's
 * app_id and app_kind; while the helper leaves them empty, the process name
 * stands for the application (kind "process").
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-process-group.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_APP_GROUP (netpulse_app_group_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseAppGroup, netpulse_app_group, NETPULSE, APP_GROUP, NetpulseRow)

/* "kind/app id" of the application @record belongs to (the comm and
 * "process" while the record carries no app_id). */
char             *netpulse_app_group_make_key       (const NetpulseRecord *record);

NetpulseAppGroup *netpulse_app_group_new            (const NetpulseRecord *record);
const char       *netpulse_app_group_get_key        (NetpulseAppGroup     *self);
const char       *netpulse_app_group_get_app_id     (NetpulseAppGroup     *self);
guint8            netpulse_app_group_get_kind       (NetpulseAppGroup     *self);
/* Its processes: a GListModel of NetpulseProcessGroup. */
GListModel       *netpulse_app_group_get_processes  (NetpulseAppGroup     *self);
guint             netpulse_app_group_get_n_connections (NetpulseAppGroup  *self);

void              netpulse_app_group_add_process    (NetpulseAppGroup     *self,
                                                     NetpulseProcessGroup *process);
void              netpulse_app_group_remove_process (NetpulseAppGroup     *self,
                                                     NetpulseProcessGroup *process);
/* A connection of the application left the table: its bytes stay in the
 * application's totals. */
void              netpulse_app_group_add_gone       (NetpulseAppGroup     *self,
                                                     guint64               rx_bytes,
                                                     guint64               tx_bytes);
/* Sums the processes again (smoothed rates where the helper sends them)
 * and records the sums at @tick. */
void              netpulse_app_group_recompute      (NetpulseAppGroup     *self,
                                                     guint64               tick);

G_END_DECLS
