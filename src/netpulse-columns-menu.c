/* netpulse-columns-menu.c — the column titles' menu: show or hide each
 * column (a friend of netpulse-columns.c, through the column view it
 * filled).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-columns"

#include "config.h"

#include "netpulse-columns.h"

static void
on_column_toggled (GSimpleAction *action,
                   GVariant      *state,
                   GSettings     *settings)
{
  const char *id = g_object_get_data (G_OBJECT (action), "netpulse-column-id");
  g_auto(GStrv) hidden = g_settings_get_strv (settings, "hidden-columns");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) result = NULL;

  for (guint i = 0; hidden[i] != NULL; i++)
    if (!g_str_equal (hidden[i], id))
      g_strv_builder_add (builder, hidden[i]);
  if (!g_variant_get_boolean (state))
    g_strv_builder_add (builder, id);
  result = g_strv_builder_end (builder);
  g_settings_set_strv (settings, "hidden-columns", (const char * const *) result);
  g_simple_action_set_state (action, state);
}

GMenuModel *
netpulse_columns_add_menu (GtkColumnView *view,
                           GActionMap    *actions,
                           GSettings     *settings)
{
  GMenu *menu = g_menu_new ();
  g_auto(GStrv) hidden = g_settings_get_strv (settings, "hidden-columns");

  GListModel *columns = gtk_column_view_get_columns (view);
  guint n = g_list_model_get_n_items (columns);

  /* Every column but the first, the name, can be hidden. */
  for (guint i = 1; i < n; i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      const char *id = netpulse_columns_get_id (column);
      g_autofree char *name = g_strconcat ("column-", id, NULL);
      g_autofree char *detailed = g_strconcat ("win.", name, NULL);
      gboolean shown = !g_strv_contains ((const char * const *) hidden, id);
      g_autoptr(GSimpleAction) action = g_simple_action_new_stateful (name, NULL, g_variant_new_boolean (shown));

      g_object_set_data (G_OBJECT (action), "netpulse-column-id", (gpointer) id);
      g_signal_connect_object (action, "change-state", G_CALLBACK (on_column_toggled), settings, 0);
      g_action_map_add_action (actions, G_ACTION (action));
      /* The title it was made with (translated), as netpulse_columns_add() gave it. */
      g_menu_append (menu, gtk_column_view_column_get_title (column), detailed);
    }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);

      gtk_column_view_column_set_header_menu (column, G_MENU_MODEL (menu));
    }
  return G_MENU_MODEL (menu);
}
