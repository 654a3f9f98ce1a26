/* netpulse-usage-view-list.c — the Usage view's list of applications (a
 * sortable GtkColumnView, largest total first), the chart's series, and
 * export of the range.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-usage"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "netpulse-text.h"
#include "netpulse-usage-export.h"
#include "netpulse-usage-item.h"
#include "netpulse-usage-view-private.h"

typedef enum {
  COLUMN_NAME,
  COLUMN_RX,
  COLUMN_TX,
  COLUMN_TOTAL,
} Column;

/* ---- cells ------------------------------------------------------------ */

static void
draw_swatch (GtkDrawingArea *area,
             cairo_t        *cr,
             int             width,
             int             height,
             gpointer        user_data)
{
  int color = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (area), "color"));
  GdkRGBA rgba;

  netpulse_usage_chart_lookup_color (GTK_WIDGET (area), color, &rgba);
  gdk_cairo_set_source_rgba (cr, &rgba);
  cairo_arc (cr, width / 2.0, height / 2.0, MIN (width, height) / 2.0, 0, 2 * G_PI);
  cairo_fill (cr);
}

static void
setup_name (GtkSignalListItemFactory *factory,
            GtkListItem              *item)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *swatch = gtk_drawing_area_new ();
  GtkWidget *label = gtk_label_new (NULL);

  gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (swatch), 10);
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (swatch), 10);
  gtk_widget_set_valign (swatch, GTK_ALIGN_CENTER);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (swatch), draw_swatch, NULL, NULL);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), swatch);
  gtk_box_append (GTK_BOX (box), gtk_image_new ());
  gtk_box_append (GTK_BOX (box), label);
  gtk_list_item_set_child (item, box);
}

static void
bind_name (GtkSignalListItemFactory *factory,
           GtkListItem              *item)
{
  NetpulseUsageItem *app = gtk_list_item_get_item (item);
  GtkWidget *swatch = gtk_widget_get_first_child (gtk_list_item_get_child (item));
  GtkWidget *image = gtk_widget_get_next_sibling (swatch);
  GtkWidget *label = gtk_widget_get_next_sibling (image);
  g_autofree char *safe = NULL;
  int color = netpulse_usage_item_get_color (app);

  /* Folded into "Other": its colour is Other's. */
  g_object_set_data (G_OBJECT (swatch), "color",
                     GINT_TO_POINTER (color >= 0 ? color : NETPULSE_USAGE_N_COLORS - 1));
  gtk_widget_queue_draw (swatch);
  gtk_image_set_from_gicon (GTK_IMAGE (image), netpulse_usage_item_get_icon (app));
  gtk_label_set_text (GTK_LABEL (label), netpulse_text_safe (netpulse_usage_item_get_name (app), &safe));
}

static void
setup_size (GtkSignalListItemFactory *factory,
            GtkListItem              *item)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 1);
  gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
bind_size (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  NetpulseUsageItem *app = gtk_list_item_get_item (item);
  Column column = GPOINTER_TO_INT (user_data);
  guint64 rx = netpulse_usage_item_get_rx_bytes (app), tx = netpulse_usage_item_get_tx_bytes (app);
  g_autofree char *text = g_format_size (column == COLUMN_RX ? rx : column == COLUMN_TX ? tx : rx + tx);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), text);
}

static GtkColumnViewColumn *
add_column (NetpulseUsageView *self,
            Column             column,
            const char        *title,
            const char        *property)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *view_column;
  GtkExpression *expression = gtk_property_expression_new (NETPULSE_TYPE_USAGE_ITEM, NULL, property);
  GtkSorter *sorter;

  if (column == COLUMN_NAME)
    {
      g_signal_connect (factory, "setup", G_CALLBACK (setup_name), NULL);
      g_signal_connect (factory, "bind", G_CALLBACK (bind_name), NULL);
      sorter = GTK_SORTER (gtk_string_sorter_new (expression));
    }
  else
    {
      g_signal_connect (factory, "setup", G_CALLBACK (setup_size), NULL);
      g_signal_connect (factory, "bind", G_CALLBACK (bind_size), GINT_TO_POINTER (column));
      sorter = GTK_SORTER (gtk_numeric_sorter_new (expression));
    }
  view_column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_sorter (view_column, sorter);
  g_object_unref (sorter);
  if (column == COLUMN_NAME)
    gtk_column_view_column_set_expand (view_column, TRUE);
  else
    gtk_column_view_column_set_fixed_width (view_column, 76);
  gtk_column_view_append_column (self->apps_view, view_column);
  return view_column;
}

/* ---- selection -------------------------------------------------------- */

static char *
item_key (NetpulseUsageItem *item)
{
  return g_strdup_printf ("%s/%s", netpulse_usage_item_get_app_kind (item), netpulse_usage_item_get_app_id (item));
}

static void
on_selected (NetpulseUsageView *self)
{
  NetpulseUsageItem *item = gtk_single_selection_get_selected_item (self->selection);
  g_autofree char *key = item != NULL ? item_key (item) : NULL;

  if (self->updating_list || g_strcmp0 (key, self->selected) == 0)
    return;
  netpulse_usage_view_select_app (self, key);
}

int
_netpulse_usage_view_selected (NetpulseUsageView *self)
{
  g_auto(GStrv) parts = NULL;

  if (self->selected == NULL || self->data == NULL)
    return -1;
  parts = g_strsplit (self->selected, "/", 2);
  return parts[0] != NULL && parts[1] != NULL ? netpulse_usage_data_find (self->data, parts[0], parts[1]) : -1;
}

void
_netpulse_usage_view_setup_list (NetpulseUsageView *self)
{
  GtkColumnViewColumn *total;
  GtkSortListModel *sorted;

  add_column (self, COLUMN_NAME, _("Application"), "name");
  add_column (self, COLUMN_RX, _("Download"), "rx-bytes");
  add_column (self, COLUMN_TX, _("Upload"), "tx-bytes");
  total = add_column (self, COLUMN_TOTAL, _("Total"), "total-bytes");

  self->items = g_list_store_new (NETPULSE_TYPE_USAGE_ITEM);
  sorted = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (self->items)),
                                    g_object_ref (gtk_column_view_get_sorter (self->apps_view)));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (sorted));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->apps_view, GTK_SELECTION_MODEL (self->selection));
  gtk_column_view_sort_by_column (self->apps_view, total, GTK_SORT_DESCENDING);
  g_signal_connect_object (self->selection, "notify::selected-item",
                           G_CALLBACK (on_selected), self, G_CONNECT_SWAPPED);
}

/* ---- data ------------------------------------------------------------- */

static void
fill_list (NetpulseUsageView *self)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < self->data->apps->len; i++)
    {
      const NetpulseUsageApp *app = g_ptr_array_index (self->data->apps, i);
      int color = -1;

      /* The colour of its stack in the chart of all applications. */
      if (i < NETPULSE_USAGE_TOP_N)
        color = (int) i;
      g_ptr_array_add (items, netpulse_usage_item_new (app, color));
    }
  self->updating_list = TRUE;
  g_list_store_splice (self->items, 0, g_list_model_get_n_items (G_LIST_MODEL (self->items)),
                       items->pdata, items->len);
  self->updating_list = FALSE;
}

/* The list's selection is self->selected (after a refresh, or when it
 * was chosen elsewhere than in the list). */
static void
sync_selection (NetpulseUsageView *self)
{
  GListModel *shown = gtk_single_selection_get_model (self->selection);
  guint position = GTK_INVALID_LIST_POSITION;

  for (guint i = 0; self->selected != NULL && i < g_list_model_get_n_items (shown); i++)
    {
      g_autoptr(NetpulseUsageItem) item = g_list_model_get_item (shown, i);
      g_autofree char *key = item_key (item);

      if (g_str_equal (key, self->selected))
        position = i;
    }
  if (gtk_single_selection_get_selected (self->selection) == position)
    return;
  self->updating_list = TRUE;
  gtk_single_selection_set_selected (self->selection, position);
  self->updating_list = FALSE;
}

static void
fill_chart (NetpulseUsageView *self,
            GPtrArray         *series)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree int *colors = g_new0 (int, MAX (series->len, 1));
  GListModel *items = G_LIST_MODEL (self->items);

  for (guint s = 0; s < series->len; s++)
    {
      const NetpulseUsageSeries *one = g_ptr_array_index (series, s);

      if (one->app != NULL)
        {
          guint position = 0;
          g_autoptr(NetpulseUsageItem) item = NULL;

          g_ptr_array_find (self->data->apps, one->app, &position);
          item = g_list_model_get_item (items, position);
          g_ptr_array_add (names, g_strdup (netpulse_usage_item_get_name (item)));
          /* The same colour alone as among all (the list's swatch). */
          colors[s] = position < NETPULSE_USAGE_TOP_N ? (int) position : NETPULSE_USAGE_N_COLORS - 1;
        }
      else
        {
          g_ptr_array_add (names, g_strdup (_("Other")));
          colors[s] = NETPULSE_USAGE_N_COLORS - 1;
        }
    }
  g_ptr_array_add (names, NULL);
  netpulse_usage_chart_set_data (self->chart, &self->data->range, series,
                                 (const char * const *) names->pdata, colors);
}

void
_netpulse_usage_view_show_data (NetpulseUsageView *self)
{
  fill_list (self);
  _netpulse_usage_view_show_selection (self);
}

void
_netpulse_usage_view_show_selection (NetpulseUsageView *self)
{
  int only = _netpulse_usage_view_selected (self);
  g_autoptr(GPtrArray) series = netpulse_usage_data_fold (self->data, NETPULSE_USAGE_TOP_N, only);
  g_autofree char *rx = NULL;
  g_autofree char *tx = NULL;
  g_autofree char *summary = NULL;
  guint64 rx_bytes = self->data->rx_bytes, tx_bytes = self->data->tx_bytes;

  /* An application that is not in this range: all of them again. */
  if (only < 0)
    g_clear_pointer (&self->selected, g_free);
  sync_selection (self);
  fill_chart (self, series);
  if (only >= 0)
    {
      const NetpulseUsageApp *app = g_ptr_array_index (self->data->apps, only);
      g_autoptr(NetpulseUsageItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), (guint) only);
      g_autofree char *safe = NULL;

      rx_bytes = app->rx_bytes;
      tx_bytes = app->tx_bytes;
      gtk_label_set_text (self->chart_title, netpulse_text_safe (netpulse_usage_item_get_name (item), &safe));
    }
  else
    gtk_label_set_text (self->chart_title, _("All Applications"));
  rx = g_format_size (rx_bytes);
  tx = g_format_size (tx_bytes);
  /* Translators: downloaded and uploaded over the range. */
  summary = g_strdup_printf (_("↓ %s  ↑ %s"), rx, tx);
  gtk_label_set_text (self->summary_label, summary);
  gtk_widget_set_visible (GTK_WIDGET (self->back_button), only >= 0);
}

/* ---- export ----------------------------------------------------------- */

gboolean
_netpulse_usage_view_export_to (NetpulseUsageView  *self,
                                gboolean            json,
                                GFile              *file,
                                GError            **error)
{
  g_autofree char *text = NULL;

  if (self->data == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("No usage history is shown."));
      return FALSE;
    }
  text = json ? netpulse_usage_export_json (self->data) : netpulse_usage_export_csv (self->data);
  return g_file_replace_contents (file, text, strlen (text), NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                                  NULL, NULL, error);
}

static void
toast (NetpulseUsageView *self,
       const char        *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
}

static void
export_response (GtkNativeDialog *dialog,
                 int              response,
                 gpointer         user_data)
{
  g_autoptr(NetpulseUsageView) self = user_data;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  gboolean json = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "json"));

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  if (file != NULL && !_netpulse_usage_view_export_to (self, json, file, &error))
    {
      g_autofree char *safe = NULL;
      g_autofree char *message = g_strdup_printf (_("Could not export: %s"),
                                                  netpulse_text_safe (error->message, &safe));

      toast (self, message);
    }
  else if (file != NULL)
    toast (self, _("Usage history exported"));
  g_object_unref (dialog);
}

void
_netpulse_usage_view_export (NetpulseUsageView *self,
                             gboolean           json)
{
  GtkFileChooserNative *dialog;
  g_autofree char *name = NULL;

  if (self->data == NULL)
    return;
  dialog = gtk_file_chooser_native_new (json ? _("Export Usage as JSON") : _("Export Usage as CSV"),
                                        GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  name = netpulse_usage_export_file_name (self->data, json);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_object_set_data (G_OBJECT (dialog), "json", GINT_TO_POINTER (json));
  g_signal_connect (dialog, "response", G_CALLBACK (export_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}
