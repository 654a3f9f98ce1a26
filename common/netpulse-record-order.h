/* netpulse-record-order.h — the orders of records that netpulsectl and the
 * app share, so that both sort a column alike.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-record.h"

G_BEGIN_DECLS

/* Endpoints in numeric order (a text comparison puts 10.x before 9.x):
 * no address first, then IPv4, then IPv6, then anything unparsable (by
 * text); the port breaks a tie.  Negative when @a comes first. */
int netpulse_compare_endpoints     (const char           *addr_a,
                                    guint16               port_a,
                                    const char           *addr_b,
                                    guint16               port_b);
int netpulse_record_compare_local  (const NetpulseRecord *a,
                                    const NetpulseRecord *b);
int netpulse_record_compare_remote (const NetpulseRecord *a,
                                    const NetpulseRecord *b);
/* TCP states by number: the kernel's order, which follows a connection's
 * life (ESTABLISHED first, LISTEN late), not the names' alphabet. */
int netpulse_record_compare_state  (const NetpulseRecord *a,
                                    const NetpulseRecord *b);

G_END_DECLS
