/* netpulse-usage-export.h — a range of the usage history as CSV or JSON:
 * one row per bucket and application as the helper counted it (raw
 * bytes), the application's name as the app shows it.  Safe to open:
 * the CSV fields as netpulse_export_csv_field() writes them, the JSON
 * hardened as netpulse_export_json().
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-usage-data.h"

G_BEGIN_DECLS

/* CSV columns: start, end (ISO 8601, UTC), app_kind, app_id, name,
 * rx_bytes, tx_bytes, connections. */
char *netpulse_usage_export_csv       (NetpulseUsageData *data);
/* JSON: { "since", "until", "granularity", "bucket_seconds",
 * "applications": [ { app_kind, app_id, name, rx_bytes, tx_bytes,
 * connections } ] (largest first), "buckets": [ { start, end, app_kind,
 * app_id, rx_bytes, tx_bytes, connections } ] }. */
char *netpulse_usage_export_json      (NetpulseUsageData *data);
/* "netpulse-usage-YYYYMMDD-HHMM-YYYYMMDD-HHMM.csv" (or .json), local time. */
char *netpulse_usage_export_file_name (NetpulseUsageData *data,
                                       gboolean           json);

G_END_DECLS
