/* netpulse-row-slot.h — one position of a list whose widgets stay where
 * they are (NetpulseRowSlots): the row shown there now.  When the order
 * changes, the slot takes another row and says so ("moved"); the list item
 * that shows the slot, its widgets and their styles stay.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-row.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_ROW_SLOT (netpulse_row_slot_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseRowSlot, netpulse_row_slot, NETPULSE, ROW_SLOT, GObject)

NetpulseRowSlot *netpulse_row_slot_new     (NetpulseRow     *row);
/* The row shown at this position; borrowed. */
NetpulseRow     *netpulse_row_slot_get_row (NetpulseRowSlot *self);
/* Shows @row here; emits "moved" if it is another row than before. */
void             netpulse_row_slot_set_row (NetpulseRowSlot *self,
                                            NetpulseRow     *row);

G_END_DECLS
