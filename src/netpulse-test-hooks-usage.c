/* netpulse-test-hooks-usage.c — the Usage view in the view dump, and the
 * test settings that drive it (see netpulse-test-hooks.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-test-hooks"

#include "config.h"

#include "netpulse-test-hooks-private.h"
#include "netpulse-usage-item.h"
#include "netpulse-usage-view-private.h"

static void
append_word (GString    *out,
             const char *key,
             const char *text)
{
  g_autofree char *escaped = g_uri_escape_string (text != NULL ? text : "-", NULL, FALSE);

  g_string_append_printf (out, " %s=%s", key, escaped);
}

/* "# usage page=… recording=… paused=… preset=… since=… until=…
 * granularity=… bucket-ns=… first=… buckets=… series=… selected=…
 * hovered=… rx=… tx=… error=… [record-button-bounds=…] [chart-bounds=…]" */
static void
dump_state (GString           *out,
            NetpulseUsageView *view,
            GtkWidget         *window)
{
  NetpulseUsageChart *chart = view->chart;
  int hovered = netpulse_usage_chart_get_hovered (chart);

  g_string_append_printf (out, "# usage page=%s recording=%d paused=%d preset=%u since=%" G_GUINT64_FORMAT
                          " until=%" G_GUINT64_FORMAT " granularity=%s bucket-ns=%" G_GUINT64_FORMAT
                          " first=%" G_GUINT64_FORMAT " buckets=%u series=%u hovered=%d",
                          gtk_stack_get_visible_child_name (view->stack), view->recording, view->paused,
                          view->preset, view->range.since_ns, view->range.until_ns,
                          netpulse_usage_granularity_name (view->range.granularity), view->range.bucket_ns,
                          view->range.first_ns, netpulse_usage_chart_get_n_buckets (chart),
                          netpulse_usage_chart_get_n_series (chart), hovered);
  append_word (out, "selected", view->selected);
  append_word (out, "error", view->last_error);
  append_word (out, "record-button", gtk_button_get_label (view->record_button));
  g_string_append_printf (out, " record-sensitive=%d", gtk_widget_get_sensitive (GTK_WIDGET (view->record_button)));
  _netpulse_test_hooks_append_bounds (out, "record-button-bounds", GTK_WIDGET (view->record_button), window);
  _netpulse_test_hooks_append_bounds (out, "chart-bounds", GTK_WIDGET (chart), window);
  _netpulse_test_hooks_append_bounds (out, "back-button-bounds", GTK_WIDGET (view->back_button), window);
  g_string_append_c (out, '\n');
  if (hovered >= 0)
    {
      g_autofree char *readout = netpulse_usage_chart_describe (chart, (guint) hovered);

      g_string_append (out, "#");
      append_word (out, "usage-readout", readout);
      g_string_append_c (out, '\n');
    }
}

/* The label of @widget's descendants that shows @text, or NULL. */
static GtkWidget *
find_label (GtkWidget  *widget,
            const char *text)
{
  if (GTK_IS_LABEL (widget) && g_str_equal (gtk_label_get_text (GTK_LABEL (widget)), text))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_label (child, text);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* "# usage-app <position> <kind> <id> <name> <rx> <tx> <color>
 * [bounds=x,y,w,h]" in the list's order (id and name URI-escaped; where
 * its name is on screen, for a click). */
static void
dump_apps (GString           *out,
           NetpulseUsageView *view,
           GtkWidget         *window)
{
  GListModel *shown = G_LIST_MODEL (view->selection);

  for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
    {
      g_autoptr(NetpulseUsageItem) item = g_list_model_get_item (shown, i);
      g_autofree char *id = g_uri_escape_string (netpulse_usage_item_get_app_id (item), NULL, FALSE);
      g_autofree char *name = g_uri_escape_string (netpulse_usage_item_get_name (item), NULL, FALSE);

      GtkWidget *label = find_label (GTK_WIDGET (view->apps_view), netpulse_usage_item_get_name (item));

      g_string_append_printf (out, "# usage-app %u %s %s %s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %d", i,
                              netpulse_usage_item_get_app_kind (item), id, name,
                              netpulse_usage_item_get_rx_bytes (item), netpulse_usage_item_get_tx_bytes (item),
                              netpulse_usage_item_get_color (item));
      if (label != NULL)
        _netpulse_test_hooks_append_bounds (out, "bounds", label, window);
      g_string_append_c (out, '\n');
    }
}

/* "# usage-series <s> <name> <rx,…> <tx,…>": what each stack of the chart
 * draws, one value per bucket. */
static void
dump_series (GString           *out,
             NetpulseUsageView *view)
{
  NetpulseUsageChart *chart = view->chart;
  guint n = netpulse_usage_chart_get_n_buckets (chart);

  for (guint s = 0; s < netpulse_usage_chart_get_n_series (chart); s++)
    {
      g_autofree char *name = g_uri_escape_string (netpulse_usage_chart_get_name (chart, s), NULL, FALSE);
      g_autoptr(GString) rx = g_string_new (NULL);
      g_autoptr(GString) tx = g_string_new (NULL);

      for (guint b = 0; b < n; b++)
        {
          guint64 r = 0, t = 0;

          netpulse_usage_chart_get_value (chart, s, b, &r, &t);
          g_string_append_printf (rx, "%s%" G_GUINT64_FORMAT, b > 0 ? "," : "", r);
          g_string_append_printf (tx, "%s%" G_GUINT64_FORMAT, b > 0 ? "," : "", t);
        }
      g_string_append_printf (out, "# usage-series %u %s %s %s\n", s, name, n > 0 ? rx->str : "-",
                              n > 0 ? tx->str : "-");
    }
}

/* Through Export's own writer, without its file chooser
 * (NETPULSE_EXPORT_USAGE_CSV, NETPULSE_EXPORT_USAGE_JSON). */
static void
export_usage (NetpulseUsageView *view,
              gboolean           json,
              const char        *variable)
{
  const char *path = g_getenv (variable);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  if (path == NULL || path[0] == '\0' || view->data == NULL)
    return;
  file = g_file_new_for_path (path);
  if (!_netpulse_usage_view_export_to (view, json, file, &error))
    g_printerr ("netpulse: usage export to %s failed: %s\n", path, error->message);
}

void
_netpulse_test_hooks_dump_usage (GString        *out,
                                 NetpulseWindow *window)
{
  NetpulseUsageView *view = window->usage_view;

  if (view == NULL)
    return;
  export_usage (view, FALSE, "NETPULSE_EXPORT_USAGE_CSV");
  export_usage (view, TRUE, "NETPULSE_EXPORT_USAGE_JSON");
  dump_state (out, view, GTK_WIDGET (window));
  dump_apps (out, view, GTK_WIDGET (window));
  dump_series (out, view);
}

gboolean
_netpulse_test_hooks_usage_setting (NetpulseWindow *window,
                                    const char     *key,
                                    const char     *value)
{
  NetpulseUsageView *view = window->usage_view;

  if (!g_str_has_prefix (key, "usage-"))
    return FALSE;
  if (g_str_equal (key, "usage-range"))
    {
      g_auto(GStrv) parts = g_strsplit (value, ",", 2);

      if (parts[0] != NULL && parts[1] != NULL)
        netpulse_usage_view_set_custom_range (view, g_ascii_strtoull (parts[0], NULL, 10),
                                              g_ascii_strtoull (parts[1], NULL, 10));
    }
  else if (g_str_equal (key, "usage-preset"))
    netpulse_usage_view_set_preset (view, (NetpulseUsagePreset) g_ascii_strtoull (value, NULL, 10));
  else if (g_str_equal (key, "usage-select"))
    netpulse_usage_view_select_app (view, g_str_equal (value, "-") ? NULL : value);
  else
    g_printerr ("netpulse: unknown test setting %s\n", key);
  return TRUE;
}
