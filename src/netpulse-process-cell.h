/* netpulse-process-cell.h — the table's first cell (process, or
 * application): icon and name under the tree's expander, its tooltip (the
 * name, executable and command line) made only when the pointer rests on
 * it, from the row the cell was last told of.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "netpulse-row.h"

G_BEGIN_DECLS

GtkWidget   *netpulse_process_cell_new             (void);
/* Shows @row; @nested: a connection under its process (its name dimmed). */
void         netpulse_process_cell_fill            (GtkWidget   *cell,
                                                    NetpulseRow *row,
                                                    gboolean     nested);
/* The row the tooltip is made from: borrowed, the caller keeps it alive
 * until it sets another or NULL. */
void         netpulse_process_cell_set_tooltip_row (GtkWidget   *cell,
                                                    NetpulseRow *row);
NetpulseRow *netpulse_process_cell_get_tooltip_row (GtkWidget   *cell);

G_END_DECLS
