/* netpulse-row-slots.h — a list of rows whose positions keep their
 * widgets when the order changes.
 *
 * A GListModel of NetpulseRowSlot over a list of NetpulseRow (the
 * connection view's NetpulseSortedRows) or of GtkTreeListRow (the grouped
 * and Applications views' sorted trees), one slot per position.  When
 * items move, the slots keep their places and take the items now there
 * (each says "moved"); items-changed is only emitted where the number of
 * items changed, at the end.  GtkListView and GtkColumnView keep a list
 * item per bound position (GTK 4.8 binds ~200 around the visible rows):
 * with rows as items, a re-sort of rows whose rates all changed destroyed
 * and created those list items and their cells every second; with slots
 * the cells stay and show other rows.  An expanded tree row inserts its
 * children the same way: the slots below it show them, and as many slots
 * are appended at the end.
 *
 * What followed the row by itself now follows the position: a
 * GtkSingleSelection over this model keeps its position, so its owner
 * moves it to where the row went on "rows-moved" (netpulse_row_slots_find());
 * keyboard focus stays at its position.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-row-slot.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_ROW_SLOTS (netpulse_row_slots_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseRowSlots, netpulse_row_slots, NETPULSE, ROW_SLOTS, GObject)

/* Over @items, a GListModel of NetpulseRow or of GtkTreeListRow. */
NetpulseRowSlots *netpulse_row_slots_new  (GListModel       *items);
/* The position of the slot that shows @row, or GTK_INVALID_LIST_POSITION
 * ((guint) -1). */
guint             netpulse_row_slots_find (NetpulseRowSlots *self,
                                           NetpulseRow      *row);

G_END_DECLS
