/* netpulse-format.h — text for the app's cells and detail pane (sizes and
 * rates themselves come from common/netpulse-record.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

/* Sizes, rates and RTT: shared with netpulsectl. */
#include "netpulse-units.h"

G_BEGIN_DECLS

/* "TCP", "UDP", "TCP6", "UDP6". */
const char *netpulse_format_protocol (guint8  proto,
                                      guint8  family);
/* Translated TCP state ("Established", "Time wait", …); "" for UDP. */
const char *netpulse_format_state    (guint8  proto,
                                      guint8  state);
/* Local wall-clock time of @ns since the epoch, "14:03:27"; "" for 0. */
char       *netpulse_format_time     (guint64 ns);

G_END_DECLS
