/* netpulse-window-actions.c — the window's win.* actions: pause (the
 * feed holds updates back), retry, search, the detail pane, copying an
 * address, export; the view settings as actions; Space for pause.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-window"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "netpulse-text.h"
#include "netpulse-window-private.h"

static void
pause_change_state (GSimpleAction *action,
                    GVariant      *state,
                    gpointer       user_data)
{
  NetpulseWindow *self = user_data;

  g_simple_action_set_state (action, state);
  netpulse_feed_set_paused (self->feed, g_variant_get_boolean (state));
}

static void
toggle_activate (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  g_autoptr(GVariant) state = g_action_get_state (G_ACTION (action));

  g_action_change_state (G_ACTION (action), g_variant_new_boolean (!g_variant_get_boolean (state)));
}

static void
retry_activate (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  NetpulseWindow *self = user_data;

  netpulse_source_start (self->source);
}

static void
search_activate (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  NetpulseWindow *self = user_data;

  /* The usage history has no search. */
  if (self->usage)
    return;
  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
hide_details_activate (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  NetpulseWindow *self = user_data;

  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
}

static void
copy_address_activate (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  NetpulseWindow *self = user_data;
  g_autofree char *address = netpulse_detail_pane_dup_remote (self->detail_pane);

  if (address == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), address);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Address copied")));
}

/* When the figures were sampled: the last update's time (a recording's
 * own), as local time. */
static GDateTime *
sample_time (NetpulseWindow *self)
{
  guint64 ns = netpulse_connection_store_get_sample_time (self->store);
  g_autoptr(GDateTime) utc = ns != 0 ? g_date_time_new_from_unix_utc ((gint64) (ns / G_GUINT64_CONSTANT (1000000000)))
                                     : g_date_time_new_now_utc ();

  return g_date_time_to_local (utc);
}

char *
_netpulse_window_export_name (NetpulseWindow       *self,
                              NetpulseExportFormat  format)
{
  g_autoptr(GDateTime) taken = sample_time (self);

  return netpulse_export_file_name (format, taken);
}

/* Every row the filters let through, not only those on screen: in the
 * grouped views every group (with its count, collapsed or not), then
 * every connection, in the order shown. */
static GListModel *
rows_to_export (NetpulseWindow *self)
{
  GListStore *out = g_list_store_new (NETPULSE_TYPE_ROW);
  GListModel *connections = G_LIST_MODEL (self->flat_rows);

  if (self->applications || self->grouped)
    {
      GListModel *tree = _netpulse_window_get_rows (self);

      for (guint i = 0; i < g_list_model_get_n_items (tree); i++)
        {
          g_autoptr(NetpulseRowSlot) slot = g_list_model_get_item (tree, i);
          GtkTreeListRow *row = netpulse_row_slot_get_item (slot);

          if (gtk_tree_list_row_get_depth (row) != 0)
            continue;
          g_list_store_append (out, netpulse_row_slot_get_row (slot));
        }
    }
  /* Not shown in the grouped views, the flat list is only sorted (and
   * takes new connections) when asked. */
  netpulse_sorted_rows_set_active (self->flat_rows, TRUE);
  for (guint i = 0; i < g_list_model_get_n_items (connections); i++)
    {
      g_autoptr(GObject) connection = g_list_model_get_item (connections, i);

      g_list_store_append (out, connection);
    }
  netpulse_sorted_rows_set_active (self->flat_rows, !self->applications && !self->grouped);
  return G_LIST_MODEL (out);
}

/* "Exported to NAME", and Open to look at it. */
static void
toast_exported (NetpulseWindow *self,
                GFile          *file)
{
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *safe = NULL;
  g_autofree char *text = g_strdup_printf (_("Exported to %s"), netpulse_text_safe (name, &safe));
  g_autofree char *uri = g_file_get_uri (file);
  /* A toast's title is markup (libadwaita 1.2 has no plain-text switch). */
  g_autofree char *markup = g_markup_escape_text (text, -1);
  AdwToast *toast = adw_toast_new (markup);

  g_free (self->last_toast);
  self->last_toast = g_strdup (text);
  g_free (self->last_toast_button);
  self->last_toast_button = g_strdup (_("Open"));
  adw_toast_set_button_label (toast, _("Open"));
  adw_toast_set_action_name (toast, "win.open-export");
  adw_toast_set_action_target_value (toast, g_variant_new_string (uri));
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

gboolean
_netpulse_window_export_to_file (NetpulseWindow        *self,
                                 NetpulseExportFormat   format,
                                 GFile                 *file,
                                 GError               **error)
{
  g_autoptr(GListModel) rows = NULL;
  g_autoptr(GDateTime) taken = NULL;
  g_autofree char *text = NULL;

  g_return_val_if_fail (NETPULSE_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  rows = rows_to_export (self);
  taken = sample_time (self);
  text = netpulse_export (rows, format, taken);
  if (!g_file_replace_contents (file, text, strlen (text), NULL, FALSE,
                                G_FILE_CREATE_REPLACE_DESTINATION, NULL, NULL, error))
    return FALSE;
  toast_exported (self, file);
  return TRUE;
}

static void
open_export_activate (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  /* GtkFileLauncher is GTK 4.10; gtk_show_uri goes through the portal. */
  gtk_show_uri (GTK_WINDOW (user_data), g_variant_get_string (parameter, NULL), GDK_CURRENT_TIME);
}

typedef struct {
  NetpulseWindow       *self;
  NetpulseExportFormat  format;
} ExportRequest;

static void
export_response (GtkNativeDialog *dialog,
                 int              response,
                 gpointer         user_data)
{
  ExportRequest *request = user_data;
  NetpulseWindow *self = request->self;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  if (file != NULL)
    {
      if (!_netpulse_window_export_to_file (self, request->format, file, &error))
        {
          g_autofree char *safe = NULL;
          g_autofree char *message = g_strdup_printf (_("Could not export: %s"),
                                                      netpulse_text_safe (error->message, &safe));

          _netpulse_window_toast (self, message);
        }
    }
  g_object_unref (self);
  g_free (request);
  g_object_unref (dialog);
}

static void
export_view (NetpulseWindow       *self,
             NetpulseExportFormat  format)
{
  /* GtkFileDialog is GTK 4.10; the native chooser works in 4.8 and in
   * Flatpak (portal). */
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (format == NETPULSE_EXPORT_CSV ? _("Export as CSV") : _("Export as JSON"),
                                 GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                 _("_Export"), _("_Cancel"));
  ExportRequest *request = g_new0 (ExportRequest, 1);

  request->self = g_object_ref (self);
  request->format = format;
  g_autofree char *name = _netpulse_window_export_name (self, format);

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (export_response), request);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
export_csv_activate (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  NetpulseWindow *self = user_data;

  /* In the Usage view the menu exports what it shows: the range. */
  if (self->usage)
    gtk_widget_activate_action (GTK_WIDGET (self->usage_view), "usage.export-csv", NULL);
  else
    export_view (self, NETPULSE_EXPORT_CSV);
}

static void
export_json_activate (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  NetpulseWindow *self = user_data;

  if (self->usage)
    gtk_widget_activate_action (GTK_WIDGET (self->usage_view), "usage.export-json", NULL);
  else
    export_view (self, NETPULSE_EXPORT_JSON);
}

static const GActionEntry win_actions[] = {
  { "pause", toggle_activate, NULL, "false", pause_change_state },
  { "retry", retry_activate },
  { "search", search_activate },
  { "hide-details", hide_details_activate },
  { "copy-address", copy_address_activate },
  { "export-csv", export_csv_activate },
  { "export-json", export_json_activate },
  { "open-export", open_export_activate, "s" },
};

/* The view settings, as stateful actions (menu check items, the radio
 * of update intervals). */
static void
add_settings_actions (NetpulseWindow *self)
{
  const char *keys[] = { "view", "group-by-process", "shared-scale", "show-closed", "include-local", "units-bits",
                         "resolve-names", "update-interval" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr(GAction) action = g_settings_create_action (self->settings, keys[i]);

      g_action_map_add_action (G_ACTION_MAP (self), action);
    }
}

/* ---- keyboard --------------------------------------------------------- */

/* Space pauses and resumes, whichever header button has the focus (it
 * is the window's key, before the focused widget sees it), except where
 * it types (the search entry) or picks an item (a menu), and except on a
 * status page, where there is nothing to pause and Space presses Retry. */
static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                NetpulseWindow        *self)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));

  if (keyval != GDK_KEY_space || (state & gtk_accelerator_get_default_mod_mask ()) != 0)
    return FALSE;
  if (!self->monitoring || self->usage)
    return FALSE;
  if (focus != NULL && (GTK_IS_EDITABLE (focus) || GTK_IS_TEXT (focus) ||
                        gtk_widget_get_ancestor (focus, GTK_TYPE_POPOVER) != NULL))
    return FALSE;
  gtk_widget_activate_action (GTK_WIDGET (self), "win.pause", NULL);
  return TRUE;
}

void
_netpulse_window_class_actions_init (NetpulseWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.hide-details", NULL);
}

void
_netpulse_window_actions_init (NetpulseWindow *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();

  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);

  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions), self);
  add_settings_actions (self);
}
