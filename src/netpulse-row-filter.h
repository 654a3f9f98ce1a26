/* netpulse-row-filter.h — the search bar, "show closed connections" and
 * "include local traffic" as
 * one GtkFilter over rows (NetpulseRow, or GtkTreeListRow wrapping one).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define NETPULSE_TYPE_ROW_FILTER (netpulse_row_filter_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseRowFilter, netpulse_row_filter, NETPULSE, ROW_FILTER, GtkFilter)

NetpulseRowFilter *netpulse_row_filter_new             (void);
void               netpulse_row_filter_set_search      (NetpulseRowFilter *self,
                                                        const char        *search);
const char        *netpulse_row_filter_get_search      (NetpulseRowFilter *self);
void               netpulse_row_filter_set_show_closed (NetpulseRowFilter *self,
                                                        gboolean           show_closed);
gboolean           netpulse_row_filter_get_show_closed (NetpulseRowFilter *self);
/* Off: connections to loopback or between two sockets of this host are
 * hidden (and processes and applications that have nothing else). */
void               netpulse_row_filter_set_include_local (NetpulseRowFilter *self,
                                                          gboolean           include_local);
gboolean           netpulse_row_filter_get_include_local (NetpulseRowFilter *self);
/* The connections of @group (a process or an application) that Show
 * Closed and Include Local let through: the number its row says, that of
 * the connections shown below it when expanded.  The search is not asked:
 * a row says what it has, not what matches. */
guint              netpulse_row_filter_count_connections (NetpulseRowFilter *self,
                                                          NetpulseRow       *group);

G_END_DECLS
