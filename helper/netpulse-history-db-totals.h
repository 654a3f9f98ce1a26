/* netpulse-history-db-totals.h — the usage history's grand totals per
 * application and protocol, for counters that never go back (the
 * Prometheus metrics, netpulse-metrics.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-history-db.h"

G_BEGIN_DECLS

typedef void (*NetpulseHistoryTotalFunc) (guint8      app_kind,
                                          const char *app_id,
                                          guint8      proto,
                                          guint64     rx_bytes,
                                          guint64     tx_bytes,
                                          guint64     connections,
                                          gpointer    user_data);

/* Calls @func once per (application kind, application id, protocol) with
 * everything recorded for it in the daily buckets that begin in
 * [@since_ms, @until_ms), on the read connection (one read transaction: a
 * bucket is either all in or not at all).  0 and G_MAXUINT64: all of it. */
gboolean netpulse_history_db_foreach_total (NetpulseHistoryDb         *self,
                                            guint64                    since_ms,
                                            guint64                    until_ms,
                                            NetpulseHistoryTotalFunc   func,
                                            gpointer                   user_data,
                                            GError                   **error);

G_END_DECLS
