/* netpulse-window-sort.c — which column the window is sorted by: read
 * from the column titles, set, saved in the settings and restored.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-window"

#include "config.h"

#include "netpulse-columns.h"
#include "netpulse-window-private.h"

#if GTK_CHECK_VERSION (4, 10, 0)
const char *
_netpulse_window_get_sort (NetpulseWindow *self,
                           gboolean       *descending)
{
  GtkColumnViewSorter *sorter = GTK_COLUMN_VIEW_SORTER (gtk_column_view_get_sorter (self->column_view));
  GtkColumnViewColumn *column = gtk_column_view_sorter_get_primary_sort_column (sorter);

  if (descending != NULL)
    *descending = column != NULL &&
                  gtk_column_view_sorter_get_primary_sort_order (sorter) == GTK_SORT_DESCENDING;
  return column != NULL ? netpulse_columns_get_id (column) : NULL;
}
#else
/* The @wanted-th sort indicator below @widget, in tree order. */
static GtkWidget *
find_sort_indicator (GtkWidget *widget,
                     guint     *index,
                     guint      wanted)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (g_strcmp0 (gtk_widget_get_css_name (child), "sort-indicator") == 0)
        {
          if ((*index)++ == wanted)
            return child;
          continue;
        }
      if ((found = find_sort_indicator (child, index, wanted)) != NULL)
        return found;
    }
  return NULL;
}

const char *
_netpulse_window_get_sort (NetpulseWindow *self,
                           gboolean       *descending)
{
  GListModel *columns = gtk_column_view_get_columns (self->column_view);
  guint n = g_list_model_get_n_items (columns);

  /* GTK 4.8 has no getter for the primary sort column (4.10 does, above);
   * the column titles show it with a sort indicator marked ascending or
   * descending, one title per column, in column order. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      guint index = 0;
      GtkWidget *indicator = find_sort_indicator (GTK_WIDGET (self->column_view), &index, i);

      if (indicator == NULL)
        break;
      if (gtk_widget_has_css_class (indicator, "ascending") ||
          gtk_widget_has_css_class (indicator, "descending"))
        {
          if (descending != NULL)
            *descending = gtk_widget_has_css_class (indicator, "descending");
          return netpulse_columns_get_id (column);
        }
    }
  if (descending != NULL)
    *descending = FALSE;
  return NULL;
}
#endif

gboolean
netpulse_window_sort_by (NetpulseWindow *self,
                         const char     *id,
                         gboolean        descending)
{
  GtkColumnViewColumn *column;

  g_return_val_if_fail (NETPULSE_IS_WINDOW (self), FALSE);

  column = netpulse_columns_find (self->column_view, id);
  if (column == NULL)
    return FALSE;
  gtk_column_view_sort_by_column (self->column_view, column,
                                  descending ? GTK_SORT_DESCENDING : GTK_SORT_ASCENDING);
  return TRUE;
}

/* Saves the sort column and direction once the column titles show them
 * (GTK 4.8 tells them only through the titles' sort indicators, which
 * follow the sorter's "changed" after this handler: read at idle). */
static gboolean
save_sort (gpointer user_data)
{
  NetpulseWindow *self = user_data;
  gboolean descending = FALSE;
  const char *id;

  self->save_sort_id = 0;
  if (self->column_view == NULL || gtk_widget_in_destruction (GTK_WIDGET (self)))
    return G_SOURCE_REMOVE;
  id = _netpulse_window_get_sort (self, &descending);
  if (id == NULL)
    return G_SOURCE_REMOVE;
  g_settings_set_string (self->settings, "sort-column", id);
  g_settings_set_boolean (self->settings, "sort-descending", descending);
  return G_SOURCE_REMOVE;
}

void
_netpulse_window_on_sort_changed (NetpulseWindow *self)
{
  if (gtk_widget_in_destruction (GTK_WIDGET (self)))
    return;
  /* The idle holds the window: it may come after the window closed. */
  if (self->save_sort_id == 0)
    self->save_sort_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, save_sort, g_object_ref (self), g_object_unref);
}

void
_netpulse_window_restore_sort (NetpulseWindow *self)
{
  g_autofree char *id = g_settings_get_string (self->settings, "sort-column");

  if (id[0] != '\0')
    netpulse_window_sort_by (self, id, g_settings_get_boolean (self->settings, "sort-descending"));
}
