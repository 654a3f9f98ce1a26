/* netpulse-export.h — the rows of the current view as CSV or JSON, in the
 * order shown.  Items are NetpulseRow or GtkTreeListRow wrapping one.
 * Values are raw numbers (bytes, bytes/s, µs), not the formatted text.
 * Names are safe to show: escaped in CSV, \uXXXX escapes in JSON (exact).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  NETPULSE_EXPORT_CSV,
  NETPULSE_EXPORT_JSON,
} NetpulseExportFormat;

/* Groups (applications, processes) are rows of their own, with the
 * number of their connections; every row has @taken (when its figures
 * were sampled, ISO 8601 local time) as its timestamp, empty when NULL. */
char     *netpulse_export_csv      (GListModel           *rows,
                                    GDateTime            *taken);
char     *netpulse_export_json     (GListModel           *rows,
                                    GDateTime            *taken);
char     *netpulse_export          (GListModel           *rows,
                                    NetpulseExportFormat  format,
                                    GDateTime            *taken);
/* "netpulse-connections-YYYYMMDD-HHMMSS.csv" (or .json), @taken's local time. */
char     *netpulse_export_file_name (NetpulseExportFormat format,
                                     GDateTime           *taken);
/* Quotes a CSV field when it needs it (RFC 4180); unsafe characters are
 * escaped as netpulse_text_safe() does, and a field that a spreadsheet
 * would take for a formula (= + - @ TAB CR first) gets a leading "'". */
void      netpulse_export_csv_field (GString             *out,
                                     const char          *value);

/* @builder's document as text, pretty-printed and hardened as
 * netpulse_export_json() writes it, with a final newline. */
char     *netpulse_export_json_text (JsonBuilder         *builder);

G_END_DECLS
