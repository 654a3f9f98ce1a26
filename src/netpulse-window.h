/* netpulse-window.h — the main window: connection table (flat or grouped by
 * process), header summary, detail pane, and the status pages shown while
 * there is nothing to show.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "netpulse-export.h"
#include "netpulse-source.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_WINDOW (netpulse_window_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseWindow, netpulse_window, NETPULSE, WINDOW, AdwApplicationWindow)

NetpulseWindow *netpulse_window_new          (GtkApplication *application,
                                              NetpulseSource *source);
/* Sorts by the column @id ("rx-rate", …); @descending as asked. FALSE if
 * there is no such column. */
gboolean        netpulse_window_sort_by      (NetpulseWindow *self,
                                              const char     *id,
                                              gboolean        descending);
/* The column the table is sorted by now (NULL for none). */
const char     *netpulse_window_get_sort     (NetpulseWindow *self,
                                              gboolean       *descending);
/* The rows shown, in order (GtkTreeListRow items when grouped). */
GListModel     *netpulse_window_get_rows     (NetpulseWindow *self);
/* Selects (and, for a process, expands) row @position; for tests. */
void            netpulse_window_select_row   (NetpulseWindow *self,
                                              guint           position);
/* Where the title of column @id is, in window coordinates. */
gboolean        netpulse_window_get_column_title_bounds (NetpulseWindow  *self,
                                                         const char      *id,
                                                         graphene_rect_t *bounds);
/* Writes the rows shown to @file, as the Export menu items do. */
gboolean        netpulse_window_export_to_file (NetpulseWindow        *self,
                                                NetpulseExportFormat   format,
                                                GFile                 *file,
                                                GError               **error);
/* Whether the first data (or a final state) is on screen. */
gboolean        netpulse_window_is_settled   (NetpulseWindow *self);

G_END_DECLS
