/* netpulse-overflow-banner.h — the strip above the table that says when the
 * helper could not track everything (the flow table was full, or peers of
 * a socket were counted together), what it means and what to do.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define NETPULSE_TYPE_OVERFLOW_BANNER (netpulse_overflow_banner_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseOverflowBanner, netpulse_overflow_banner, NETPULSE, OVERFLOW_BANNER, AdwBin)

GtkWidget  *netpulse_overflow_banner_new          (void);
/* @counters: the helper's Counters (a{st}) or NULL; the banner shows when
 * they report flows not tracked or peers aggregated. */
void        netpulse_overflow_banner_set_counters (NetpulseOverflowBanner *self,
                                                   GVariant               *counters);
/* The text shown, or NULL while the banner is hidden. */
const char *netpulse_overflow_banner_get_text     (NetpulseOverflowBanner *self);

G_END_DECLS
