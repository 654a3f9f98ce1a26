/* netpulse-process-model.h — the connections of a store grouped by
 * process: a GListModel of NetpulseProcessGroup that follows the store's
 * updates (only the groups an update touches are recomputed).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-connection-store.h"
#include "netpulse-process-group.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_PROCESS_MODEL (netpulse_process_model_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseProcessModel, netpulse_process_model, NETPULSE, PROCESS_MODEL, GObject)

NetpulseProcessModel *netpulse_process_model_new    (NetpulseConnectionStore *store);
NetpulseProcessGroup *netpulse_process_model_lookup (NetpulseProcessModel    *self,
                                                     guint                    pid,
                                                     const char              *comm);
/* For GtkTreeListModel: a group's connections, NULL for anything else. */
GListModel           *netpulse_process_model_create_child_model (gpointer item,
                                                                 gpointer user_data);

G_END_DECLS
