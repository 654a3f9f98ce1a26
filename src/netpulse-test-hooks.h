/* netpulse-test-hooks.h — what the GUI tests use to look at the real app.
 *
 * Environment (all optional, read once at start-up):
 *   NETPULSE_SCREENSHOT=path.png
 *       Once the window is settled — the first live update applied, the end
 *       of a --replay recording, or a failure page shown — and after
 *       NETPULSE_SCREENSHOT_DELAY_MS more (default 500; if the window never
 *       settles, 15 s after start), the window is rendered with GtkSnapshot
 *       → GskRenderer → GdkTexture and saved with gdk_texture_save_to_png().
 *   NETPULSE_DUMP_VIEW=path.txt
 *       At the same moment, the rows shown, in their current order: a
 *       header line "# sort=<column> <ascending|descending> grouped=<0|1>
 *       rows=<n> view=<applications|connections>
 *       saved-sort=<column>:<direction> (GSettings) held=<0|1> (the last
 *       tick did not re-sort: the pointer is over the list)", then "# page=<status|monitor> list=<list|empty>
 *       title=<URI-escaped status title> button=<URI-escaped label or ->
 *       reconnecting=<0|1> table-sensitive=<0|1> toast=<last toast>
 *       instance=<helper instance> [button-bounds=x,y,w,h]", then
 *       "# header-rx=<B/s> header-tx=<B/s> header-connections=<n>
 *       window=<w>x<h>" and "# list-bounds=x,y,w,h" (what the header sums: the connections every filter
 *       lets through; the window's size; where the list is seen) (tells a status page such as Permission
 *       Denied or Helper Stopped from an empty table), then one line per
 *       row, tab-separated, each after a line "# history <i> <rx_bytes>
 *       <tx_bytes> <rx,…> <tx,…>" with what its sparkline draws:
 *       comm, pid, remote endpoint (both escaped as shown), rx_rate,
 *       tx_rate, state.  Lines "# column <id> <x> <y> <width> <height>"
 *       give where each column title is, in window coordinates (for a
 *       simulated click).  Lines "# label=<URI-escaped text>" and
 *       "# tooltip=<URI-escaped text>" give the text of every label and
 *       every tooltip of the window, as drawn (cells, detail pane, titles);
 *       "# shown=<URI-escaped text>" for every label on screen now,
 *       "# ellipsized=<URI-escaped text>" for every label shown cut short.
 *   NETPULSE_EXPORT_CSV=path.csv, NETPULSE_EXPORT_JSON=path.json
 *       At the same moment, just before the dump, the rows exported as
 *       the Export menu does (_netpulse_window_export_to_file()).
 *   NETPULSE_EXPORT_USAGE_CSV=path.csv, NETPULSE_EXPORT_USAGE_JSON=path.json
 *       At the same moment, the Usage view's range exported as its Export
 *       menu does (once it shows data).
 *   In the Usage view (NETPULSE_VIEW=usage) the dump has "# usage
 *       page=<loading|off|error|empty|data> recording=… paused=… preset=…
 *       since=… until=… granularity=… bucket-ns=… first=… buckets=…
 *       series=… hovered=<bucket or -1> selected=<kind/id or -> error=…
 *       record-button=… record-sensitive=… [record-button-bounds=x,y,w,h]
 *       [chart-bounds=x,y,w,h]", "# usage-readout=<the hovered bar's
 *       read-out>", "# usage-app <i> <kind> <id> <name> <rx> <tx> <colour>"
 *       in the list's order and "# usage-series <s> <name> <rx,…> <tx,…>"
 *       (one value per bucket) for each stack of the chart; the test
 *       settings (NETPULSE_TEST_SETTINGS) "usage-range <since_ns>,<until_ns>",
 *       "usage-preset <n>" and "usage-select <kind>/<id>|-" drive it.
 *   NETPULSE_SELECT_ROW=n
 *       Select row n (expanding it when it is a process) just before.
 *   NETPULSE_SETTINGS="key value;key value"
 *       GSettings keys set at start (values in GVariant text).
 *   NETPULSE_VIEW=applications|connections|usage
 *       Start in that view.  In the Applications view each application's
 *       row follows a line "# app <i> <connections> <kind> <app id> <name>
 *       <shared scale>" (id and name URI-escaped).
 *   NETPULSE_GROUP_BY_PROCESS=1
 *       Start grouped by process.
 *   NETPULSE_TEST_SETTINGS=path
 *       On SIGUSR2, the GSettings keys in that file ("key value" lines,
 *       values in GVariant text) are set, as through the menu.
 *   NETPULSE_EXIT_AFTER_SCREENSHOT=1
 *       Quit once both files are written.
 * The same moment can be asked for again with SIGUSR1 (after a simulated
 * click, say).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "netpulse-window.h"

G_BEGIN_DECLS

/* Renders @widget (a realized toplevel) into a PNG file. */
gboolean netpulse_test_hooks_save_screenshot (GtkWidget       *widget,
                                              const char      *path,
                                              GError         **error);
/* Writes the rows of @window as described above. */
gboolean netpulse_test_hooks_dump_view       (NetpulseWindow  *window,
                                              const char      *path,
                                              GError         **error);
/* Arms the environment hooks for @window, if any is set. */
void     netpulse_test_hooks_install         (NetpulseWindow  *window);

G_END_DECLS
