/* netpulse-cell-text.h
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define NETPULSE_TYPE_CELL_TEXT (netpulse_cell_text_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseCellText, netpulse_cell_text, NETPULSE, CELL_TEXT, GtkWidget)

GtkWidget  *netpulse_cell_text_new           (gboolean          number);
void        netpulse_cell_text_set_text      (NetpulseCellText *self,
                                              const char       *text);
const char *netpulse_cell_text_get_text      (NetpulseCellText *self);
gboolean    netpulse_cell_text_is_ellipsized (NetpulseCellText *self);
guint       netpulse_cell_text_get_n_shaped  (NetpulseCellText *self);

G_END_DECLS
