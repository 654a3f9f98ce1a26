/* netpulse-units.h — sizes, rates and round-trip times as text, the same
 * in netpulsectl and in the app.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "512 B", "1.5 kB", "2.0 MB", … (SI, powers of 1000). */
char       *netpulse_format_bytes  (guint64  bytes);
/* "512 B/s", "1.5 kB/s"; with @bits "800 bit/s", "12.3 kbit/s", "20.0 Mbit/s".
 * Negative or NaN shows as zero. */
char       *netpulse_format_rate   (double   bytes_per_second,
                                    gboolean bits);
/* "850 µs", "12.3 ms", "1.20 s"; "" when unknown (0). */
char       *netpulse_format_rtt    (guint32  rtt_us);

G_END_DECLS
