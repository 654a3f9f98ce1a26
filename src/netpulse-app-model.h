/* netpulse-app-model.h — the Applications view: a GListModel of
 * NetpulseAppGroup, one per application, each holding the process groups
 * of a NetpulseProcessModel that belong to it.  It follows the store's
 * updates after the process model did; an application stays, with its
 * totals, after its last connection left (until the table starts afresh
 * for a new helper instance).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-app-group.h"
#include "netpulse-process-model.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_APP_MODEL (netpulse_app_model_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseAppModel, netpulse_app_model, NETPULSE, APP_MODEL, GObject)

/* @processes must have been made from @store before. */
NetpulseAppModel *netpulse_app_model_new     (NetpulseConnectionStore *store,
                                              NetpulseProcessModel    *processes);
NetpulseAppGroup *netpulse_app_model_lookup  (NetpulseAppModel        *self,
                                              const char              *key);
/* The largest robust peak of the applications' graphs now: their shared
 * scale (see netpulse_history_robust_peak()). */
double            netpulse_app_model_get_peak (NetpulseAppModel       *self);
/* For GtkTreeListModel: an application's processes, a process's
 * connections, NULL for a connection. */
GListModel       *netpulse_app_model_create_child_model (gpointer item,
                                                         gpointer user_data);

G_END_DECLS
