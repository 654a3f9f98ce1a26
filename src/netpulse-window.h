/* netpulse-window.h — the main window: connection table (flat or grouped by
 * process), header summary, detail pane, and the status pages shown while
 * there is nothing to show.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "netpulse-source.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_WINDOW (netpulse_window_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseWindow, netpulse_window, NETPULSE, WINDOW, AdwApplicationWindow)

NetpulseWindow *netpulse_window_new          (GtkApplication *application,
                                              NetpulseSource *source);
/* Sorts by the column @id ("rx-rate", …); @descending as asked. FALSE if
 * there is no such column. */
gboolean        netpulse_window_sort_by      (NetpulseWindow *self,
                                              const char     *id,
                                              gboolean        descending);

G_END_DECLS
