/* netpulse-row-slot.h — one position of a list whose widgets stay where
 * they are (NetpulseRowSlots): the item shown there now, a NetpulseRow or
 * a GtkTreeListRow of one.  When the order changes, the slot takes another
 * item and says so ("moved"); the list item that shows the slot, its
 * widgets and their styles stay.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "netpulse-row.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_ROW_SLOT (netpulse_row_slot_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseRowSlot, netpulse_row_slot, NETPULSE, ROW_SLOT, GObject)

/* Takes @item (transfer full). */
NetpulseRowSlot *netpulse_row_slot_new       (gpointer         item);
/* The item shown at this position (a NetpulseRow or a GtkTreeListRow),
 * and its row; both borrowed. */
gpointer         netpulse_row_slot_get_item  (NetpulseRowSlot *self);
NetpulseRow     *netpulse_row_slot_get_row   (NetpulseRowSlot *self);
/* Shows @item here (transfer full); emits "moved" if it is another item
 * than before. */
void             netpulse_row_slot_take_item (NetpulseRowSlot *self,
                                              gpointer         item);
/* Calls @callback (@data) when the slot shows another item ("moved",
 * swapped).  Connect through these, not g_signal_connect(): a slot
 * nobody watches does not emit. */
gulong           netpulse_row_slot_watch     (NetpulseRowSlot *self,
                                              GCallback        callback,
                                              gpointer         data);
void             netpulse_row_slot_unwatch   (NetpulseRowSlot *self,
                                              gulong          *handler_id);

G_END_DECLS
