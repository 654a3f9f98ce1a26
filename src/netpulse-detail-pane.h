/* netpulse-detail-pane.h — everything about the selected row: a larger
 * graph and all fields, with the remote address to copy.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "netpulse-row.h"
#include "netpulse-view-options.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_DETAIL_PANE (netpulse_detail_pane_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseDetailPane, netpulse_detail_pane, NETPULSE, DETAIL_PANE, GtkWidget)

void         netpulse_detail_pane_set_options (NetpulseDetailPane  *self,
                                               NetpulseViewOptions *options);
void         netpulse_detail_pane_set_row     (NetpulseDetailPane  *self,
                                               NetpulseRow         *row);
NetpulseRow *netpulse_detail_pane_get_row     (NetpulseDetailPane  *self);
/* The network namespace (inode) of this machine, which the pane calls
 * "This machine"; 0 when not known (a recording from elsewhere). */
void         netpulse_detail_pane_set_local_netns (NetpulseDetailPane *self,
                                                   guint64             netns);
/* How far the pane is scrolled down, in pixels. */
double       netpulse_detail_pane_get_scroll  (NetpulseDetailPane  *self);
/* The remote endpoint as text ("93.184.216.34:443"), or NULL. */
char        *netpulse_detail_pane_dup_remote  (NetpulseDetailPane  *self);

G_END_DECLS
