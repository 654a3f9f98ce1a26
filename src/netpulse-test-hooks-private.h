/* netpulse-test-hooks-private.h — the view dump's friend files.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-window-private.h"

G_BEGIN_DECLS

/* netpulse-test-hooks-input.c: what the keyboard and the search changed. */
void _netpulse_test_hooks_dump_input (GString        *out,
                                      NetpulseWindow *window);
/* " KEY=x,y,w,h": where @widget is in @window, when it is shown. */
void _netpulse_test_hooks_append_bounds (GString    *out,
                                         const char *key,
                                         GtkWidget  *widget,
                                         GtkWidget  *window);

/* netpulse-test-hooks-usage.c: the Usage view's lines ("# usage …"), and
 * the test settings "usage-range <since_ns>,<until_ns>", "usage-preset
 * <n>", "usage-select <kind>/<id>|-" (TRUE: @key was one of them). */
void     _netpulse_test_hooks_dump_usage    (GString        *out,
                                             NetpulseWindow *window);
gboolean _netpulse_test_hooks_usage_setting (NetpulseWindow *window,
                                             const char     *key,
                                             const char     *value);

/* netpulse-test-hooks-rows.c: the rows of the view ("# history …",
 * "# app …", one line per row), where the selection is ("# selected=…"),
 * and selecting row @position (expanding a process); NETPULSE_SELECT_ROW at
 * the tick NETPULSE_SELECT_AT_TICK, if both are set. */
void _netpulse_test_hooks_dump_rows      (GString        *out,
                                          NetpulseWindow *window);
void _netpulse_test_hooks_dump_header_history (GString        *out,
                                               NetpulseWindow *window);
void _netpulse_test_hooks_dump_selection (GString        *out,
                                          NetpulseWindow *window);
void _netpulse_test_hooks_select_row     (NetpulseWindow *window,
                                          guint           position);
void _netpulse_test_hooks_select_at_tick (NetpulseWindow *window);

G_END_DECLS
