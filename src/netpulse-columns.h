/* netpulse-columns.h — the columns of the connection table: their cells
 * (factories that bind to a row's properties and follow its changes) and
 * their sorters.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "netpulse-row.h"
#include "netpulse-row-sorter.h"
#include "netpulse-view-options.h"

G_BEGIN_DECLS

/* Appends every column to @view. */
void                 netpulse_columns_add      (GtkColumnView       *view,
                                                NetpulseViewOptions *options);
/* The column with id @id ("process", "pid", "user", "protocol", "local",
 * "remote", "state", "rtt", "rx-rate", "tx-rate", "total", "activity"). */
GtkColumnViewColumn *netpulse_columns_find     (GtkColumnView       *view,
                                                const char          *id);
const char          *netpulse_columns_get_id   (GtkColumnViewColumn *column);
/* Whether a column's natural first direction is descending (numbers). */
gboolean             netpulse_columns_prefers_descending (const char *id);
/* The width a column starts with, in pixels (-1 for an unknown id). */
int                  netpulse_columns_get_default_width  (const char *id);
/* The tooltip a cell shows when asked (formatted when its row was bound),
 * or NULL. */
char                *netpulse_columns_get_tooltip        (GtkWidget  *cell);
/* The row of a list item (unwraps GtkTreeListRow and NetpulseRowSlot);
 * transfer full. */
NetpulseRow         *netpulse_columns_row_from_item (gpointer          item);

/* A menu on every column title to show or hide the columns (all but the
 * name), as win.column-<id> actions added to @actions, kept in @settings'
 * "hidden-columns".  Returns the menu (owned by the caller). */
GMenuModel          *netpulse_columns_add_menu       (GtkColumnView       *view,
                                                      GActionMap          *actions,
                                                      GSettings           *settings);

G_END_DECLS
