/* netpulse-sorted-rows.h — the connection view's list: the store's
 * connections that a filter lets through, in a sorter's order.
 *
 * What GtkSortListModel → GtkFilterListModel did, for 10,000 rows whose
 * sort values all change every second: one pass to filter, one sort of an
 * array of keys taken once per update (a comparison reads two doubles
 * instead of going through three sorters and two objects), and one
 * items-changed for the range whose order changed.
 *
 * The order is the sorter's, exactly: when told the sorter's primary key
 * (netpulse_sorted_rows_thaw()), rows are compared by that key first and
 * by the whole sorter on a tie, and the result is checked with the sorter
 * (neighbours only; sorted again by the sorter if the key was not its
 * primary one); otherwise, and whenever the sorter or the filter says it
 * changed, by the whole sorter.  Rows that leave the store leave the list
 * at once; new rows join it at the next thaw (the window's re-sort after
 * each update).  While inactive (not shown), nothing is sorted or
 * filtered, and new rows wait: all is done once, when active again.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "netpulse-connection-store.h"
#include "netpulse-row-sorter.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_SORTED_ROWS (netpulse_sorted_rows_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseSortedRows, netpulse_sorted_rows, NETPULSE, SORTED_ROWS, GObject)

NetpulseSortedRows *netpulse_sorted_rows_new    (NetpulseConnectionStore *store,
                                                 GtkSorter               *sorter,
                                                 GtkFilter               *filter);
/* Until thawed, changes of the sorter and the filter only mark the list
 * for netpulse_sorted_rows_thaw(). */
void                netpulse_sorted_rows_freeze (NetpulseSortedRows      *self);
/* Sorts and filters again if anything changed while frozen; @primary is
 * the sorter's primary key (NETPULSE_SORT_NONE when not known), and
 * @descending its direction. */
void                netpulse_sorted_rows_thaw   (NetpulseSortedRows      *self,
                                                 NetpulseSortKey          primary,
                                                 gboolean                 descending);

/* Active (the default): sorted and filtered at each thaw.  Inactive: only
 * rows that leave the store leave; made active again, the list is sorted
 * and filtered by the whole sorter if anything changed meanwhile. */
void                netpulse_sorted_rows_set_active (NetpulseSortedRows *self,
                                                     gboolean            active);

G_END_DECLS
