/* netpulse-window.c
 *
 * Model chain (nothing is rebuilt per tick; rows are updated in place):
 *
 *   flat:    NetpulseConnectionStore → GtkSortListModel → GtkFilterListModel ┐
 *   grouped: NetpulseProcessModel → GtkTreeListModel → GtkSortListModel      ├→ GtkSingleSelection → GtkColumnView
 *                                         → GtkFilterListModel ──────────────┘
 *
 * Both sort models use the column view's sorter with a tie-breaker on the
 * id, so equal rows keep their order between ticks.  Each tick re-sorts
 * (values changed in place); the single selection follows its item, and the
 * scroll offset is kept as it was.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-window"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "netpulse-app-finder.h"
#include "netpulse-columns.h"
#include "netpulse-connection-store.h"
#include "netpulse-detail-pane.h"
#include "netpulse-export.h"
#include "netpulse-feed.h"
#include "netpulse-overflow-banner.h"
#include "netpulse-process-model.h"
#include "netpulse-resolver.h"
#include "netpulse-row-filter.h"
#include "netpulse-sparkline.h"
#include "netpulse-text.h"
#include "netpulse-user-names.h"
#include "netpulse-view-options.h"
#include "netpulse-window.h"

struct _NetpulseWindow
{
  AdwApplicationWindow     parent_instance;

  /* Template widgets */
  AdwToastOverlay         *toast_overlay;
  AdwWindowTitle          *window_title;
  GtkToggleButton         *pause_button;
  GtkToggleButton         *group_button;
  GtkToggleButton         *search_button;
  GtkSearchBar            *search_bar;
  GtkSearchEntry          *search_entry;
  NetpulseOverflowBanner  *overflow_banner;
  GtkStack                *main_stack;
  AdwStatusPage           *status_page;
  GtkSpinner              *status_spinner;
  GtkButton               *status_button;
  GtkLabel                *rx_total_label;
  GtkLabel                *tx_total_label;
  NetpulseSparkline       *total_graph;
  GtkPaned                *paned;
  GtkStack                *list_stack;
  GtkScrolledWindow       *scrolled_window;
  GtkColumnView           *column_view;
  AdwStatusPage           *empty_page;
  NetpulseDetailPane      *detail_pane;

  GSettings               *settings;
  NetpulseSource          *source;
  NetpulseConnectionStore *store;
  NetpulseFeed            *feed;         /* source → store, and pause */
  NetpulseProcessModel    *process_model;
  NetpulseViewOptions     *options;
  NetpulseRowFilter       *filter;
  GtkSorter               *sorter;        /* column view sorter + id tie-breaker */
  GtkFilterListModel      *flat_rows;
  GtkFilterListModel      *tree_rows;
  GtkSingleSelection      *selection;

  gboolean                 grouped;
  gboolean                 monitoring;   /* the table is shown, not a status page */
  gboolean                 settled;
};

G_DEFINE_FINAL_TYPE (NetpulseWindow, netpulse_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_SETTLED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- summary and placeholder ------------------------------------------ */

static void
update_summary (NetpulseWindow *self)
{
  gboolean bits = netpulse_view_options_get_bits (self->options);
  g_autofree char *rx = netpulse_format_rate (netpulse_connection_store_get_rx_rate (self->store), bits);
  g_autofree char *tx = netpulse_format_rate (netpulse_connection_store_get_tx_rate (self->store), bits);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  g_autofree char *subtitle = NULL;

  gtk_label_set_text (self->rx_total_label, rx);
  gtk_label_set_text (self->tx_total_label, tx);
  netpulse_sparkline_set_bits (self->total_graph, bits);

  if (!self->monitoring)
    subtitle = NULL;
  else if (netpulse_feed_get_paused (self->feed))
    subtitle = g_strdup (_("Paused"));
  else if (self->grouped)
    subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u connection, grouped by process",
                                             "%u connections, grouped by process", n), n);
  else
    subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u connection", "%u connections", n), n);
  adw_window_title_set_subtitle (self->window_title, subtitle);
}

static void
update_placeholder (NetpulseWindow *self)
{
  GListModel *rows = netpulse_window_get_rows (self);

  if (g_list_model_get_n_items (rows) > 0)
    {
      gtk_stack_set_visible_child_name (self->list_stack, "list");
      return;
    }
  if (g_list_model_get_n_items (G_LIST_MODEL (self->store)) > 0)
    {
      adw_status_page_set_icon_name (self->empty_page, "edit-find-symbolic");
      adw_status_page_set_title (self->empty_page, _("No Matching Connections"));
      adw_status_page_set_description (self->empty_page,
                                       _("Try another process name, address, port or protocol."));
    }
  else
    {
      adw_status_page_set_icon_name (self->empty_page, "network-idle-symbolic");
      adw_status_page_set_title (self->empty_page, _("No Network Activity"));
      adw_status_page_set_description (self->empty_page,
                                       _("Connections appear here as soon as a program sends or receives data."));
    }
  gtk_stack_set_visible_child_name (self->list_stack, "empty");
}

/* ---- status pages ----------------------------------------------------- */

static void
show_status (NetpulseWindow *self,
             const char     *icon,
             const char     *title,
             const char     *description,
             const char     *button,
             gboolean        busy)
{
  adw_status_page_set_icon_name (self->status_page, icon);
  adw_status_page_set_title (self->status_page, title);
  adw_status_page_set_description (self->status_page, description);
  gtk_widget_set_visible (GTK_WIDGET (self->status_button), button != NULL);
  if (button != NULL)
    gtk_button_set_label (self->status_button, button);
  gtk_widget_set_visible (GTK_WIDGET (self->status_spinner), busy);
  gtk_spinner_set_spinning (self->status_spinner, busy);
  gtk_stack_set_visible_child_name (self->main_stack, "status");
}

static void
show_failure (NetpulseWindow *self,
              const GError   *error)
{
  /* The description is Pango markup, and a message may quote a file
   * name or a line of a recording: escaped for both. */
  g_autofree char *safe = NULL;
  g_autofree char *message = g_markup_escape_text (netpulse_text_safe (error != NULL ? error->message : "",
                                                                       &safe), -1);
  g_autofree char *description = NULL;
  int code = error != NULL && error->domain == NETPULSE_SOURCE_ERROR ? error->code : -1;

  switch (code)
    {
    case NETPULSE_SOURCE_ERROR_NOT_AUTHORIZED:
      description = g_strdup_printf (_("You are not allowed to monitor network connections, or the request was dismissed.\n%s"), message);
      show_status (self, "dialog-password-symbolic", _("Permission Denied"), description, _("Try Again"), FALSE);
      break;
    case NETPULSE_SOURCE_ERROR_HELPER_MISSING:
      description = g_strdup_printf (_("The Netpulse helper service could not be started. Install Netpulse system-wide, including netpulse-helper and its D-Bus and polkit files.\n%s"), message);
      show_status (self, "dialog-warning-symbolic", _("Helper Not Installed"), description, _("Retry"), FALSE);
      break;
    case NETPULSE_SOURCE_ERROR_BUS_UNAVAILABLE:
      description = g_strdup_printf (_("Netpulse could not reach the system message bus.\n%s"), message);
      show_status (self, "dialog-warning-symbolic", _("System Bus Not Available"), description, _("Retry"), FALSE);
      break;
    case NETPULSE_SOURCE_ERROR_HELPER_LOST:
      description = g_strdup_printf (_("The Netpulse helper stopped unexpectedly.\n%s"), message);
      show_status (self, "dialog-error-symbolic", _("Helper Stopped"), description, _("Reconnect"), FALSE);
      break;
    case NETPULSE_SOURCE_ERROR_BAD_INPUT:
      show_status (self, "dialog-error-symbolic", _("Cannot Read Recording"), message, _("Retry"), FALSE);
      break;
    default:
      description = g_strdup_printf (_("The Netpulse helper reported an error.\n%s"), message);
      show_status (self, "dialog-error-symbolic", _("Monitoring Failed"), description, _("Retry"), FALSE);
      break;
    }
}

static void
set_settled (NetpulseWindow *self)
{
  if (self->settled)
    return;
  self->settled = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTLED]);
}

/* The table's controls only make sense while it is shown. */
static void
set_monitoring (NetpulseWindow *self,
                gboolean        monitoring)
{
  self->monitoring = monitoring;
  gtk_widget_set_sensitive (GTK_WIDGET (self->pause_button), monitoring);
  gtk_widget_set_sensitive (GTK_WIDGET (self->group_button), monitoring);
  gtk_widget_set_sensitive (GTK_WIDGET (self->search_button), monitoring);
  if (!monitoring)
    gtk_search_bar_set_search_mode (self->search_bar, FALSE);
  update_summary (self);
}

static void
on_source_state (NetpulseWindow *self)
{
  NetpulseSourceState state = netpulse_source_get_state (self->source);

  set_monitoring (self, state == NETPULSE_SOURCE_STATE_RUNNING ||
                        state == NETPULSE_SOURCE_STATE_FINISHED);

  switch (state)
    {
    case NETPULSE_SOURCE_STATE_IDLE:
    case NETPULSE_SOURCE_STATE_CONNECTING:
      show_status (self, "network-transmit-receive-symbolic", _("Connecting"),
                   _("Starting the Netpulse helper…"), NULL, TRUE);
      break;
    case NETPULSE_SOURCE_STATE_AUTHORIZING:
      show_status (self, "dialog-password-symbolic", _("Authorization Required"),
                   _("Monitoring network connections needs administrator permission. Authenticate in the dialog that opened, or retry to ask again."),
                   _("Retry"), TRUE);
      break;
    case NETPULSE_SOURCE_STATE_RUNNING:
      gtk_spinner_set_spinning (self->status_spinner, FALSE);
      gtk_stack_set_visible_child_name (self->main_stack, "monitor");
      update_placeholder (self);
      break;
    case NETPULSE_SOURCE_STATE_FINISHED:
      gtk_spinner_set_spinning (self->status_spinner, FALSE);
      gtk_stack_set_visible_child_name (self->main_stack, "monitor");
      update_placeholder (self);
      set_settled (self);
      break;
    case NETPULSE_SOURCE_STATE_FAILED:
    default:
      show_failure (self, netpulse_source_get_error (self->source));
      set_settled (self);
      break;
    }
}

/* ---- applying updates ------------------------------------------------- */

/* Re-sorts after values changed in place, keeping the scroll offset. */
static void
resort (NetpulseWindow *self)
{
  GtkAdjustment *vadj = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  double value = gtk_adjustment_get_value (vadj);

  gtk_sorter_changed (self->sorter, GTK_SORTER_CHANGE_DIFFERENT);
  if (!netpulse_row_filter_get_show_closed (self->filter) ||
      netpulse_row_filter_get_search (self->filter) != NULL)
    gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  gtk_adjustment_set_value (vadj, MIN (value, gtk_adjustment_get_upper (vadj) - gtk_adjustment_get_page_size (vadj)));
}

/* The feed put an update into the store. */
static void
on_feed_applied (NetpulseWindow *self)
{
  resort (self);
  update_summary (self);
  update_placeholder (self);
  if (netpulse_source_is_live (self->source) &&
      netpulse_connection_store_get_tick (self->store) > 0)
    set_settled (self);
}

/* ---- selection and detail pane ---------------------------------------- */

static void
on_selection_changed (NetpulseWindow *self)
{
  gpointer item = gtk_single_selection_get_selected_item (self->selection);
  g_autoptr(NetpulseRow) row = item != NULL ? netpulse_columns_row_from_item (item) : NULL;

  netpulse_detail_pane_set_row (self->detail_pane, row);
  gtk_widget_set_visible (GTK_WIDGET (self->detail_pane), row != NULL);
}

/* ---- sorting ---------------------------------------------------------- */

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
netpulse_window_get_sort (NetpulseWindow *self,
                          gboolean       *descending)
{
  GListModel *columns = gtk_column_view_get_columns (self->column_view);
  guint n = g_list_model_get_n_items (columns);

  /* GTK 4.8 has no getter for the primary sort column (4.10 does); the
   * column titles show it with a sort indicator marked ascending or
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

gboolean
netpulse_window_get_column_title_bounds (NetpulseWindow  *self,
                                         const char      *id,
                                         graphene_rect_t *bounds)
{
  GListModel *columns = gtk_column_view_get_columns (self->column_view);
  guint n = g_list_model_get_n_items (columns);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      guint index = 0;
      GtkWidget *title;

      if (g_strcmp0 (netpulse_columns_get_id (column), id) != 0)
        continue;
      title = find_sort_indicator (GTK_WIDGET (self->column_view), &index, i);
      /* Up from the indicator to the title: the child of the header. */
      while (title != NULL && g_strcmp0 (gtk_widget_get_css_name (gtk_widget_get_parent (title)), "header") != 0)
        title = gtk_widget_get_parent (title);
      return title != NULL && gtk_widget_compute_bounds (title, GTK_WIDGET (self), bounds);
    }
  return FALSE;
}

void
netpulse_window_select_row (NetpulseWindow *self,
                            guint           position)
{
  g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

  if (item == NULL)
    return;
  if (GTK_IS_TREE_LIST_ROW (item))
    gtk_tree_list_row_set_expanded (GTK_TREE_LIST_ROW (item), TRUE);
  gtk_single_selection_set_selected (self->selection, position);
}

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

static void
on_sort_changed (NetpulseWindow *self)
{
  gboolean descending = FALSE;
  const char *id;

  if (self->column_view == NULL || gtk_widget_in_destruction (GTK_WIDGET (self)))
    return;
  id = netpulse_window_get_sort (self, &descending);
  if (id == NULL)
    return;
  g_settings_set_string (self->settings, "sort-column", id);
  g_settings_set_boolean (self->settings, "sort-descending", descending);
}

static void
restore_sort (NetpulseWindow *self)
{
  g_autofree char *id = g_settings_get_string (self->settings, "sort-column");

  if (id[0] != '\0')
    netpulse_window_sort_by (self, id, g_settings_get_boolean (self->settings, "sort-descending"));
}

/* ---- models ----------------------------------------------------------- */

GListModel *
netpulse_window_get_rows (NetpulseWindow *self)
{
  return G_LIST_MODEL (self->grouped ? self->tree_rows : self->flat_rows);
}

static void
on_rows_changed (NetpulseWindow *self)
{
  update_placeholder (self);
}

static void
set_grouped (NetpulseWindow *self,
             gboolean        grouped)
{
  self->grouped = grouped;
  gtk_single_selection_set_model (self->selection, netpulse_window_get_rows (self));
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  update_summary (self);
  update_placeholder (self);
}

static void
build_models (NetpulseWindow *self)
{
  GtkSorter *view_sorter = gtk_column_view_get_sorter (self->column_view);
  GtkMultiSorter *multi = gtk_multi_sorter_new ();
  GtkSortListModel *flat_sorted, *tree_sorted;
  GtkTreeListModel *tree;

  gtk_multi_sorter_append (multi, g_object_ref (view_sorter));
  gtk_multi_sorter_append (multi, netpulse_row_sorter_new (NETPULSE_SORT_ID));
  self->sorter = GTK_SORTER (multi);

  self->filter = netpulse_row_filter_new ();

  flat_sorted = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (self->store)),
                                         g_object_ref (self->sorter));
  self->flat_rows = gtk_filter_list_model_new (G_LIST_MODEL (flat_sorted),
                                               g_object_ref (GTK_FILTER (self->filter)));

  self->process_model = netpulse_process_model_new (self->store);
  tree = gtk_tree_list_model_new (g_object_ref (G_LIST_MODEL (self->process_model)),
                                  FALSE, FALSE,
                                  netpulse_process_model_create_child_model, NULL, NULL);
  tree_sorted = gtk_sort_list_model_new (G_LIST_MODEL (tree),
                                         GTK_SORTER (gtk_tree_list_row_sorter_new (g_object_ref (self->sorter))));
  self->tree_rows = gtk_filter_list_model_new (G_LIST_MODEL (tree_sorted),
                                               g_object_ref (GTK_FILTER (self->filter)));

  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->flat_rows)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_object (self->selection, "notify::selected-item",
                           G_CALLBACK (on_selection_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->selection, "items-changed",
                           G_CALLBACK (on_rows_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (view_sorter, "changed",
                           G_CALLBACK (on_sort_changed), self, G_CONNECT_SWAPPED);
}

/* ---- actions ---------------------------------------------------------- */

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

gboolean
netpulse_window_export_to_file (NetpulseWindow        *self,
                                NetpulseExportFormat   format,
                                GFile                 *file,
                                GError               **error)
{
  g_autofree char *text = NULL;

  g_return_val_if_fail (NETPULSE_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  text = netpulse_export (netpulse_window_get_rows (self), format);
  return g_file_replace_contents (file, text, strlen (text), NULL, FALSE,
                                  G_FILE_CREATE_REPLACE_DESTINATION, NULL, NULL, error);
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
      if (!netpulse_window_export_to_file (self, request->format, file, &error))
        {
          g_autofree char *message = g_strdup_printf (_("Could not export: %s"), error->message);

          adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
        }
      else
        adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Exported")));
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
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog),
                                     format == NETPULSE_EXPORT_CSV ? "netpulse-connections.csv"
                                                                   : "netpulse-connections.json");
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (export_response), request);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
export_csv_activate (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  export_view (user_data, NETPULSE_EXPORT_CSV);
}

static void
export_json_activate (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  export_view (user_data, NETPULSE_EXPORT_JSON);
}

static const GActionEntry win_actions[] = {
  { "pause", toggle_activate, NULL, "false", pause_change_state },
  { "retry", retry_activate },
  { "search", search_activate },
  { "hide-details", hide_details_activate },
  { "copy-address", copy_address_activate },
  { "export-csv", export_csv_activate },
  { "export-json", export_json_activate },
};

static void
add_settings_actions (NetpulseWindow *self)
{
  const char *keys[] = { "group-by-process", "show-closed", "units-bits", "resolve-names", "update-interval" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr(GAction) action = g_settings_create_action (self->settings, keys[i]);

      g_action_map_add_action (G_ACTION_MAP (self), action);
    }
}

/* ---- settings --------------------------------------------------------- */

static void
on_grouped_setting (NetpulseWindow *self)
{
  set_grouped (self, g_settings_get_boolean (self->settings, "group-by-process"));
}

static void
on_options_changed (NetpulseWindow *self)
{
  update_summary (self);
}

static void
bind_settings (NetpulseWindow *self)
{
  g_settings_bind (self->settings, "units-bits", self->options, "bits", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "resolve-names", self->options, "resolve-names", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "show-closed", self->filter, "show-closed", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "update-interval", self->source, "interval-ms", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (self->settings, "changed::group-by-process",
                           G_CALLBACK (on_grouped_setting), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->options, "notify::bits",
                           G_CALLBACK (on_options_changed), self, G_CONNECT_SWAPPED);
}

/* ---- keyboard --------------------------------------------------------- */

/* Space pauses, except where it types or activates something. */
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
  if (focus != NULL && (GTK_IS_EDITABLE (focus) || GTK_IS_TEXT (focus) ||
                        GTK_IS_BUTTON (focus) || gtk_widget_get_ancestor (focus, GTK_TYPE_POPOVER) != NULL))
    return FALSE;
  gtk_widget_activate_action (GTK_WIDGET (self), "win.pause", NULL);
  return TRUE;
}

static void
on_search_changed (NetpulseWindow *self,
                   GtkSearchEntry *entry)
{
  netpulse_row_filter_set_search (self->filter, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
on_stop_search (NetpulseWindow *self,
                GtkSearchEntry *entry)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
}

/* ---- object ----------------------------------------------------------- */

static void
netpulse_window_dispose (GObject *object)
{
  NetpulseWindow *self = NETPULSE_WINDOW (object);

  if (self->source != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->source, self);
      netpulse_source_stop (self->source);
    }
  if (self->column_view != NULL)
    gtk_column_view_set_model (self->column_view, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), NETPULSE_TYPE_WINDOW);

  g_clear_object (&self->selection);
  g_clear_object (&self->flat_rows);
  g_clear_object (&self->tree_rows);
  g_clear_object (&self->sorter);
  g_clear_object (&self->filter);
  g_clear_object (&self->process_model);
  g_clear_object (&self->options);
  g_clear_object (&self->feed);
  g_clear_object (&self->store);
  g_clear_object (&self->source);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (netpulse_window_parent_class)->dispose (object);
}

static void
netpulse_window_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_SETTLED:
      g_value_set_boolean (value, NETPULSE_WINDOW (object)->settled);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netpulse_window_class_init (NetpulseWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = netpulse_window_dispose;
  object_class->get_property = netpulse_window_get_property;

  properties[PROP_SETTLED] =
    g_param_spec_boolean ("settled", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (NETPULSE_TYPE_SPARKLINE);
  g_type_ensure (NETPULSE_TYPE_DETAIL_PANE);
  g_type_ensure (NETPULSE_TYPE_OVERFLOW_BANNER);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/netpulse/Netpulse/netpulse-window.ui");
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, pause_button);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, group_button);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, overflow_banner);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, status_page);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, status_spinner);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, status_button);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, rx_total_label);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, tx_total_label);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, total_graph);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, paned);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, list_stack);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, scrolled_window);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, column_view);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, detail_pane);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_search);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.hide-details", NULL);
}

static void
netpulse_window_init (NetpulseWindow *self)
{
  GtkEventController *keys;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new ("io.github.netpulse.Netpulse");

  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);

  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions), self);
  add_settings_actions (self);

  if (DEVELOPMENT_BUILD)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
}

static void
setup_store (NetpulseWindow *self)
{
  g_autoptr(NetpulseAppFinder) finder = netpulse_app_finder_new (netpulse_source_is_live (self->source));
  g_autoptr(NetpulseUserNames) names = netpulse_user_names_new ();
  g_autoptr(NetpulseResolver) resolver = netpulse_resolver_new ();

  self->store = netpulse_connection_store_new ();
  self->feed = netpulse_feed_new (self->store);
  netpulse_connection_store_set_app_finder (self->store, finder);
  /* Recorded uids are not this machine's users: show them as numbers. */
  if (netpulse_source_is_live (self->source))
    netpulse_connection_store_set_user_names (self->store, names);
  self->options = netpulse_view_options_new (self->store, resolver);

  netpulse_sparkline_set_store (self->total_graph, self->store);
  netpulse_detail_pane_set_options (self->detail_pane, self->options);
  netpulse_columns_add (self->column_view, self->options);
}

NetpulseWindow *
netpulse_window_new (GtkApplication *application,
                     NetpulseSource *source)
{
  NetpulseWindow *self;

  g_return_val_if_fail (NETPULSE_IS_SOURCE (source), NULL);

  self = g_object_new (NETPULSE_TYPE_WINDOW, "application", application, NULL);
  self->source = g_object_ref (source);

  setup_store (self);
  build_models (self);
  bind_settings (self);
  restore_sort (self);
  set_grouped (self, g_settings_get_boolean (self->settings, "group-by-process"));

  g_signal_connect_object (source, "notify::state", G_CALLBACK (on_source_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->feed, "applied", G_CALLBACK (on_feed_applied), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->feed, "notify::paused", G_CALLBACK (update_summary), self, G_CONNECT_SWAPPED);
  netpulse_feed_set_source (self->feed, source);
  /* Flows not tracked or peers aggregated: say so above the table. */
  g_object_bind_property (source, "counters", self->overflow_banner, "counters", G_BINDING_SYNC_CREATE);
  on_source_state (self);
  netpulse_source_start (source);

  return self;
}

gboolean
netpulse_window_is_settled (NetpulseWindow *self)
{
  return self->settled;
}
