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

/* The record's protocol (@flags: its NetpulseRecordFlags) as a column
 * shows it: "TCP", "UDP6", "ICMP", "ICMP6", "SCTP", "MPTCP6", "RAW/253",
 * "PACKET" — netpulse_record_proto_name() in capitals, with "6" for IPv6. */
const char *netpulse_format_protocol (guint8  proto,
                                      guint8  family,
                                      guint32 flags);
/* Translated TCP state ("Established", "Time wait", …); "" for UDP. */
const char *netpulse_format_state    (guint8  proto,
                                      guint8  state);
/* Local wall-clock time of @ns since the epoch, "14:03:27"; "" for 0. */
char       *netpulse_format_time     (guint64 ns);

G_END_DECLS
