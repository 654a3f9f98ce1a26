/* netpulse-usage-view.h — the Usage view: what each application used over
 * a range of the helper's usage history (GetRecording, QueryUsage), as a
 * stacked chart per bucket and a sortable list; turning recording on
 * (SetRecording) when it is off; export of the range.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "netpulse-usage-data.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_USAGE_VIEW (netpulse_usage_view_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseUsageView, netpulse_usage_view, NETPULSE, USAGE_VIEW, AdwBin)

/* Shown: reads the history now and every few seconds; hidden: stops. */
void     netpulse_usage_view_set_active       (NetpulseUsageView *self,
                                               gboolean           active);
/* Selects @preset (not NETPULSE_USAGE_CUSTOM) or a custom range. */
void     netpulse_usage_view_set_preset       (NetpulseUsageView *self,
                                               NetpulseUsagePreset preset);
void     netpulse_usage_view_set_custom_range (NetpulseUsageView *self,
                                               guint64            since_ns,
                                               guint64            until_ns);
/* Shows only application "@kind/@id" (once it is in the list), or all
 * with NULL. */
void     netpulse_usage_view_select_app       (NetpulseUsageView *self,
                                               const char        *key);

G_END_DECLS
