/* netpulse-export.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-export"

#include "config.h"

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "netpulse-app-group.h"
#include "netpulse-connection.h"
#include "netpulse-export.h"
#include "netpulse-process-group.h"
#include "netpulse-text.h"

static const char * const csv_columns[] = {
  "kind", "process", "comm", "pid", "user", "protocol", "local_address", "local_port",
  "remote_address", "remote_port", "state", "rtt_us", "rx_rate", "tx_rate",
  "rx_bytes", "tx_bytes", "closed", "connections", "timestamp",
};

static NetpulseRow *
row_at (GListModel *rows,
        guint       position)
{
  g_autoptr(GObject) item = g_list_model_get_item (rows, position);

  if (GTK_IS_TREE_LIST_ROW (item))
    return gtk_tree_list_row_get_item (GTK_TREE_LIST_ROW (item));
  return NETPULSE_IS_ROW (item) ? g_object_ref (NETPULSE_ROW (item)) : NULL;
}

/* A spreadsheet takes a cell that starts with = + - @, a TAB or a CR for a
 * formula: a process named "=HYPERLINK(…)" or "@SUM(…)" would run when
 * the export is opened.  As OWASP recommends for CSV injection, such a
 * field gets a leading single quote (shown as text, not evaluated) and is
 * quoted.  The price: "-bash" is exported as "'-bash". */
static gboolean
looks_like_formula (const char *value)
{
  return value[0] != '\0' && strchr ("=+-@\t\r", value[0]) != NULL;
}

void
netpulse_export_csv_field (GString    *out,
                           const char *value)
{
  g_autofree char *safe = NULL;
  gboolean formula;

  /* CSV has no escapes of its own: control, bidi and invisible characters
   * are written as the cells show them ("\e", "\u{202e}"). */
  value = netpulse_text_safe (value != NULL ? value : "", &safe);
  formula = looks_like_formula (value);
  if (!formula && strpbrk (value, ",\"\r\n") == NULL)
    {
      g_string_append (out, value);
      return;
    }
  g_string_append_c (out, '"');
  if (formula)
    g_string_append_c (out, '\'');
  for (const char *p = value; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
csv_number (GString *out,
            const char *format,
            ...) G_GNUC_PRINTF (2, 3);

static void
csv_number (GString    *out,
            const char *format,
            ...)
{
  va_list args;

  g_string_append_c (out, ',');
  va_start (args, format);
  g_string_append_vprintf (out, format, args);
  va_end (args);
}

static void
csv_text (GString    *out,
          const char *value)
{
  g_string_append_c (out, ',');
  netpulse_export_csv_field (out, value);
}

/* What a row is: one connection, or a group of them with its count. */
static const char *
row_kind (NetpulseRow *row,
          guint       *n_connections)
{
  *n_connections = 0;
  if (NETPULSE_IS_APP_GROUP (row))
    {
      *n_connections = netpulse_app_group_get_n_connections (NETPULSE_APP_GROUP (row));
      return "application";
    }
  if (NETPULSE_IS_PROCESS_GROUP (row))
    {
      *n_connections = netpulse_process_group_get_n_connections (NETPULSE_PROCESS_GROUP (row));
      return "process";
    }
  return "connection";
}

static void
csv_row (GString     *out,
         NetpulseRow *row,
         const char  *taken)
{
  guint n_connections;
  const char *kind = row_kind (row, &n_connections);
  const NetpulseRecord *r = NETPULSE_IS_CONNECTION (row)
                            ? netpulse_connection_get_record (NETPULSE_CONNECTION (row)) : NULL;
  char rate[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (out, kind);
  csv_text (out, netpulse_row_get_display_name (row));
  csv_text (out, netpulse_row_get_comm (row));
  csv_number (out, "%u", netpulse_row_get_pid (row));
  csv_text (out, netpulse_row_get_user (row));
  csv_text (out, r != NULL ? netpulse_record_proto_name (r) : "");
  csv_text (out, r != NULL ? r->laddr : "");
  if (r != NULL) csv_number (out, "%u", r->lport); else csv_text (out, "");
  csv_text (out, r != NULL ? r->raddr : "");
  if (r != NULL) csv_number (out, "%u", r->rport); else csv_text (out, "");
  csv_text (out, r != NULL ? netpulse_tcp_state_name (r->state) : "");
  if (r != NULL) csv_number (out, "%u", r->rtt_us); else csv_text (out, "");
  /* Locale-independent decimal point. */
  csv_text (out, g_ascii_formatd (rate, sizeof rate, "%.1f", netpulse_row_get_rx_rate (row)));
  csv_text (out, g_ascii_formatd (rate, sizeof rate, "%.1f", netpulse_row_get_tx_rate (row)));
  csv_number (out, "%" G_GUINT64_FORMAT, netpulse_row_get_rx_bytes (row));
  csv_number (out, "%" G_GUINT64_FORMAT, netpulse_row_get_tx_bytes (row));
  csv_text (out, netpulse_row_get_closed (row) ? "true" : "false");
  if (r == NULL) csv_number (out, "%u", n_connections); else csv_text (out, "");
  csv_text (out, taken);
  g_string_append (out, "\r\n");
}

/* ISO 8601 in local time with its offset ("2024-11-23T14:53:20+01:00"),
 * or "" when not known. */
static char *
format_taken (GDateTime *taken)
{
  return taken != NULL ? g_date_time_format (taken, "%Y-%m-%dT%H:%M:%S%:z") : g_strdup ("");
}

char *
netpulse_export_csv (GListModel *rows,
                     GDateTime  *taken)
{
  GString *out = g_string_new (NULL);
  g_autofree char *when = format_taken (taken);
  guint n;

  g_return_val_if_fail (G_IS_LIST_MODEL (rows), NULL);

  for (guint i = 0; i < G_N_ELEMENTS (csv_columns); i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, csv_columns[i]);
    }
  g_string_append (out, "\r\n");

  n = g_list_model_get_n_items (rows);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NetpulseRow) row = row_at (rows, i);

      if (row != NULL)
        csv_row (out, row, when);
    }
  return g_string_free (out, FALSE);
}

static void
json_connection_fields (JsonBuilder          *builder,
                        const NetpulseRecord *r)
{
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, (gint64) r->id);
  json_builder_set_member_name (builder, "protocol");
  json_builder_add_string_value (builder, netpulse_record_proto_name (r));
  json_builder_set_member_name (builder, "family");
  json_builder_add_int_value (builder, r->family);
  json_builder_set_member_name (builder, "local_address");
  json_builder_add_string_value (builder, r->laddr);
  json_builder_set_member_name (builder, "local_port");
  json_builder_add_int_value (builder, r->lport);
  json_builder_set_member_name (builder, "remote_address");
  json_builder_add_string_value (builder, r->raddr);
  json_builder_set_member_name (builder, "remote_port");
  json_builder_add_int_value (builder, r->rport);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, netpulse_tcp_state_name (r->state));
  json_builder_set_member_name (builder, "rtt_us");
  json_builder_add_int_value (builder, r->rtt_us);
  json_builder_set_member_name (builder, "retrans");
  json_builder_add_int_value (builder, r->retrans);
}

static void
json_row (JsonBuilder *builder,
          NetpulseRow *row,
          const char  *taken)
{
  guint n_connections;
  const char *kind = row_kind (row, &n_connections);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, kind);
  json_builder_set_member_name (builder, "process");
  json_builder_add_string_value (builder, netpulse_row_get_display_name (row));
  json_builder_set_member_name (builder, "comm");
  json_builder_add_string_value (builder, netpulse_row_get_comm (row));
  json_builder_set_member_name (builder, "pid");
  json_builder_add_int_value (builder, netpulse_row_get_pid (row));
  json_builder_set_member_name (builder, "user");
  json_builder_add_string_value (builder, netpulse_row_get_user (row));
  if (NETPULSE_IS_CONNECTION (row))
    json_connection_fields (builder, netpulse_connection_get_record (NETPULSE_CONNECTION (row)));
  else
    {
      json_builder_set_member_name (builder, "connections");
      json_builder_add_int_value (builder, n_connections);
    }
  json_builder_set_member_name (builder, "rx_rate");
  json_builder_add_double_value (builder, netpulse_row_get_rx_rate (row));
  json_builder_set_member_name (builder, "tx_rate");
  json_builder_add_double_value (builder, netpulse_row_get_tx_rate (row));
  json_builder_set_member_name (builder, "rx_bytes");
  json_builder_add_int_value (builder, (gint64) netpulse_row_get_rx_bytes (row));
  json_builder_set_member_name (builder, "tx_bytes");
  json_builder_add_int_value (builder, (gint64) netpulse_row_get_tx_bytes (row));
  json_builder_set_member_name (builder, "closed");
  json_builder_add_boolean_value (builder, netpulse_row_get_closed (row));
  if (taken[0] != '\0')
    {
      json_builder_set_member_name (builder, "timestamp");
      json_builder_add_string_value (builder, taken);
    }
  json_builder_end_object (builder);
}

char *
netpulse_export_json (GListModel *rows,
                      GDateTime  *taken)
{
  g_autofree char *when = format_taken (taken);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  guint n;

  g_return_val_if_fail (G_IS_LIST_MODEL (rows), NULL);

  json_builder_begin_array (builder);
  n = g_list_model_get_n_items (rows);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NetpulseRow) row = row_at (rows, i);

      if (row != NULL)
        json_row (builder, row, when);
    }
  json_builder_end_array (builder);
  return netpulse_export_json_text (builder);
}

char *
netpulse_export_json_text (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  GString *out;

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  out = g_string_new (NULL);
  json_generator_to_gstring (generator, out);
  /* json-glib escapes C0 only: DEL, C1 and the bidi and invisible
   * characters become \uXXXX as well, so that the file is safe to cat. */
  netpulse_text_harden_json (out);
  g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}

char *
netpulse_export (GListModel           *rows,
                 NetpulseExportFormat  format,
                 GDateTime            *taken)
{
  return format == NETPULSE_EXPORT_CSV ? netpulse_export_csv (rows, taken) : netpulse_export_json (rows, taken);
}

char *
netpulse_export_file_name (NetpulseExportFormat  format,
                           GDateTime            *taken)
{
  g_autofree char *stamp = g_date_time_format (taken, "%Y%m%d-%H%M%S");

  return g_strdup_printf ("netpulse-connections-%s.%s", stamp, format == NETPULSE_EXPORT_CSV ? "csv" : "json");
}
