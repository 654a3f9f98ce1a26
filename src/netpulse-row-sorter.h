/* netpulse-row-sorter.h — sorts connections and process groups by one
 * column.  Items are NetpulseRow (or GtkTreeListRow wrapping one).  Keys
 * that only connections have compare process groups as equal, so that a
 * tie-breaker (NETPULSE_SORT_ID) decides and rows never jump between ties.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum {
  NETPULSE_SORT_ID,
  NETPULSE_SORT_PROCESS,
  NETPULSE_SORT_PID,
  NETPULSE_SORT_USER,
  NETPULSE_SORT_PROTOCOL,
  NETPULSE_SORT_LOCAL,
  NETPULSE_SORT_REMOTE,
  NETPULSE_SORT_STATE,
  NETPULSE_SORT_RTT,
  NETPULSE_SORT_RX_RATE,
  NETPULSE_SORT_TX_RATE,
  NETPULSE_SORT_TOTAL,
  NETPULSE_SORT_ACTIVITY,
  NETPULSE_SORT_NONE,       /* no key: "not known" where one is asked for */
} NetpulseSortKey;

#define NETPULSE_TYPE_ROW_SORTER (netpulse_row_sorter_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseRowSorter, netpulse_row_sorter, NETPULSE, ROW_SORTER, GtkSorter)

GtkSorter       *netpulse_row_sorter_new       (NetpulseSortKey    key);
NetpulseSortKey  netpulse_row_sorter_get_key   (NetpulseRowSorter *self);
/* Compares two rows by @key, ascending: negative, 0 or positive. */
int              netpulse_row_compare          (gpointer           a,
                                                gpointer           b,
                                                NetpulseSortKey    key);

G_END_DECLS
