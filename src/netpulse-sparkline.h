/* netpulse-sparkline.h — a graph of download and upload rate over the last
 * samples, drawn with GtkSnapshot.  Compact in table cells; "detailed"
 * (grid and scale) in the header summary and the detail pane.
 *
 * It draws a row's history, or the store's totals when it has no row; it
 * redraws on each tick of the store, which is also its clock (rows that
 * were idle in a tick carry their last rate forward).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "netpulse-connection-store.h"
#include "netpulse-row.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_SPARKLINE (netpulse_sparkline_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseSparkline, netpulse_sparkline, NETPULSE, SPARKLINE, GtkWidget)

GtkWidget *netpulse_sparkline_new         (void);
void       netpulse_sparkline_set_store   (NetpulseSparkline       *self,
                                           NetpulseConnectionStore *store);
void       netpulse_sparkline_set_row     (NetpulseSparkline       *self,
                                           NetpulseRow             *row);
/* Without a row: draws @history (borrowed, NULL for the store's totals),
 * on the store's clock. */
void       netpulse_sparkline_set_history (NetpulseSparkline       *self,
                                           const NetpulseHistory   *history);
void       netpulse_sparkline_set_samples (NetpulseSparkline       *self,
                                           guint                    samples);
void       netpulse_sparkline_set_bits    (NetpulseSparkline       *self,
                                           gboolean                 bits);
/* > 0: draw on this full scale (shared by the rows of a table) instead of
 * the graph's own robust peak; 0: its own. */
void       netpulse_sparkline_set_shared_scale (NetpulseSparkline  *self,
                                                double              scale);

G_END_DECLS
