/* netpulse-export.h — the rows of the current view as CSV or JSON, in the
 * order shown.  Items are NetpulseRow or GtkTreeListRow wrapping one.
 * Values are raw numbers (bytes, bytes/s, µs), not the formatted text.
 * Names are safe to show: escaped in CSV, \uXXXX escapes in JSON (exact).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  NETPULSE_EXPORT_CSV,
  NETPULSE_EXPORT_JSON,
} NetpulseExportFormat;

char     *netpulse_export_csv      (GListModel           *rows);
char     *netpulse_export_json     (GListModel           *rows);
char     *netpulse_export          (GListModel           *rows,
                                    NetpulseExportFormat  format);
/* Quotes a CSV field when it needs it (RFC 4180); unsafe characters are
 * escaped as netpulse_text_safe() does, and a field that a spreadsheet
 * would take for a formula (= + - @ TAB CR first) gets a leading "'". */
void      netpulse_export_csv_field (GString             *out,
                                     const char          *value);

G_END_DECLS
