/* netpulse-window.c
 *
 * Data path: the source's updates reach the store through the feed
 * (netpulse-feed.h), which also holds them back while paused; the window
 * only redraws on the feed's "applied".  Its friend files are listed in
 * netpulse-window-private.h.
 *
 * Model chain (nothing is rebuilt per tick; rows are updated in place):
 *
 *   flat:    NetpulseConnectionStore → NetpulseSortedRows ───────────────────┐
 *   grouped: NetpulseProcessModel → GtkTreeListModel → GtkSortListModel      ├→ NetpulseRowSlots
 *            (applications: NetpulseAppModel)  → GtkFilterListModel ─────────┘   → GtkSingleSelection → GtkColumnView
 *
 * The sort models use the column view's sorter with a tie-breaker on the
 * id, so equal rows keep their order between ticks; the trees are sorted
 * and filtered only while shown.  Each tick re-sorts (values changed in
 * place); the positions keep their widgets while rows move through them
 * (netpulse-row-slots.h), the selection is moved with its row by hand, and
 * the scroll offset is kept as it was.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-window"

#include "config.h"

#include <glib/gi18n.h>
#include <sys/stat.h>

#include "netpulse-app-finder.h"
#include "netpulse-columns.h"
#include "netpulse-resolver.h"
#include "netpulse-units.h"
#include "netpulse-user-names.h"
#include "netpulse-window-private.h"

G_DEFINE_FINAL_TYPE (NetpulseWindow, netpulse_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_SETTLED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];


void
_netpulse_window_set_settled (NetpulseWindow *self)
{
  if (self->settled)
    return;
  self->settled = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTLED]);
}

/* ---- selection and detail pane ---------------------------------------- */

static void
on_selection_changed (NetpulseWindow *self)
{
  gpointer item = gtk_single_selection_get_selected_item (self->selection);
  g_autoptr(NetpulseRow) row = item != NULL ? netpulse_columns_row_from_item (item) : NULL;

  g_set_object (&self->selected_row, row);
  netpulse_detail_pane_set_row (self->detail_pane, row);
  adw_flap_set_reveal_flap (self->flap, row != NULL);
}

/* ---- models ----------------------------------------------------------- */

GListModel *
_netpulse_window_get_rows (NetpulseWindow *self)
{
  if (self->applications)
    return G_LIST_MODEL (self->app_slots);
  return self->grouped ? G_LIST_MODEL (self->tree_slots) : G_LIST_MODEL (self->flat_slots);
}

/* The positions of the list shown stay while its rows move: the selection
 * goes where its row went, or goes away with it. */
static void
on_rows_moved (NetpulseWindow   *self,
               NetpulseRowSlots *slots)
{
  guint position;

  if (self->selected_row == NULL || gtk_single_selection_get_model (self->selection) != G_LIST_MODEL (slots))
    return;
  position = netpulse_row_slots_find (slots, self->selected_row);
  if (position != gtk_single_selection_get_selected (self->selection))
    gtk_single_selection_set_selected (self->selection, position);
}

static NetpulseRowSlots *
make_slots (NetpulseWindow *self,
            GListModel     *items)
{
  NetpulseRowSlots *slots = netpulse_row_slots_new (items);

  g_signal_connect_object (slots, "rows-moved", G_CALLBACK (on_rows_moved), self, G_CONNECT_SWAPPED);
  return slots;
}

static void
on_rows_changed (NetpulseWindow *self)
{
  _netpulse_window_update_placeholder (self);
}

/* @roots → GtkTreeListModel → sorted → filtered: a tree of rows.  Its
 * sorter and filter are given while it is shown (attach_tree()). */
static GtkFilterListModel *
make_tree (NetpulseWindow                     *self,
           GListModel                         *roots,
           GtkTreeListModelCreateModelFunc     create_func)
{
  GtkTreeListModel *tree = gtk_tree_list_model_new (g_object_ref (roots), FALSE, FALSE,
                                                    create_func, NULL, NULL);
  GtkSortListModel *sorted = gtk_sort_list_model_new (G_LIST_MODEL (tree), NULL);
  GtkFilterListModel *filtered = gtk_filter_list_model_new (G_LIST_MODEL (sorted), NULL);

  g_object_set_data_full (G_OBJECT (filtered), "netpulse-sorter",
                          gtk_tree_list_row_sorter_new (g_object_ref (self->sorter)), g_object_unref);
  return filtered;
}

/* Only a tree that is shown is sorted and filtered: each tick re-sorts
 * and filters again what is shown, and the trees of the other views would
 * be redone for nobody.  Shown again, a tree is sorted and filtered once. */
static void
attach_tree (NetpulseWindow     *self,
             GtkFilterListModel *tree,
             gboolean            shown)
{
  GtkSortListModel *sorted = GTK_SORT_LIST_MODEL (gtk_filter_list_model_get_model (tree));
  GtkSorter *sorter = shown ? g_object_get_data (G_OBJECT (tree), "netpulse-sorter") : NULL;

  if (gtk_sort_list_model_get_sorter (sorted) != sorter)
    gtk_sort_list_model_set_sorter (sorted, sorter);
  if (gtk_filter_list_model_get_filter (tree) != (shown ? GTK_FILTER (self->filter) : NULL))
    gtk_filter_list_model_set_filter (tree, shown ? GTK_FILTER (self->filter) : NULL);
}

/* The Applications view is an overview: the columns that only describe
 * one connection are hidden there (the connection view has them). */
static void
set_grouped (NetpulseWindow *self,
             gboolean        grouped)
{
  self->grouped = grouped;
  g_autofree char *view = g_settings_get_string (self->settings, "view");

  self->applications = g_str_equal (view, "applications");
  self->usage = g_str_equal (view, "usage");
  /* The usage history has no pause nor search of the live table. */
  gtk_stack_set_visible_child_name (self->view_stack, self->usage ? "usage" : "live");
  netpulse_usage_view_set_active (self->usage_view, self->usage);
  gtk_widget_set_visible (GTK_WIDGET (self->pause_button), !self->usage);
  gtk_widget_set_visible (GTK_WIDGET (self->search_button), !self->usage);
  gtk_widget_set_visible (GTK_WIDGET (self->group_button), !self->usage);
  /* About the live table's rows: not the history's. */
  gtk_widget_set_visible (GTK_WIDGET (self->overflow_banner), !self->usage);
  if (self->usage)
    gtk_search_bar_set_search_mode (self->search_bar, FALSE);
  /* Typing in the Usage view (a custom range) is not a search. */
  gtk_search_bar_set_key_capture_widget (self->search_bar, self->usage ? NULL : GTK_WIDGET (self));
  /* Grouping by process is a way of looking at the connections. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->group_button), !self->applications && self->monitoring);
  _netpulse_window_update_columns (self);
  attach_tree (self, self->tree_rows, !self->applications && self->grouped);
  attach_tree (self, self->app_rows, self->applications);
  netpulse_sorted_rows_set_active (self->flat_rows, !self->applications && !self->grouped);
  gtk_single_selection_set_model (self->selection, _netpulse_window_get_rows (self));
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  _netpulse_window_update_summary (self);
  _netpulse_window_update_placeholder (self);
}

static void
build_models (NetpulseWindow *self)
{
  GtkSorter *view_sorter = gtk_column_view_get_sorter (self->column_view);
  GtkMultiSorter *multi = gtk_multi_sorter_new ();

  gtk_multi_sorter_append (multi, g_object_ref (view_sorter));
  gtk_multi_sorter_append (multi, netpulse_row_sorter_new (NETPULSE_SORT_ID));
  self->sorter = GTK_SORTER (multi);

  self->filter = netpulse_row_filter_new ();
  /* A group's row says how many of its connections show below it. */
  netpulse_view_options_set_filter (self->options, self->filter);

  self->flat_rows = netpulse_sorted_rows_new (self->store, self->sorter, GTK_FILTER (self->filter));
  self->flat_slots = make_slots (self, G_LIST_MODEL (self->flat_rows));

  self->process_model = netpulse_process_model_new (self->store);
  self->tree_rows = make_tree (self, G_LIST_MODEL (self->process_model), netpulse_process_model_create_child_model);
  self->tree_slots = make_slots (self, G_LIST_MODEL (self->tree_rows));

  /* After the process model: it follows the store first. */
  self->app_model = netpulse_app_model_new (self->store, self->process_model);
  self->app_rows = make_tree (self, G_LIST_MODEL (self->app_model), netpulse_app_model_create_child_model);
  self->app_slots = make_slots (self, G_LIST_MODEL (self->app_rows));

  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->flat_slots)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_object (self->selection, "notify::selected-item",
                           G_CALLBACK (on_selection_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->selection, "items-changed",
                           G_CALLBACK (on_rows_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (view_sorter, "changed",
                           G_CALLBACK (_netpulse_window_on_sort_changed), self, G_CONNECT_SWAPPED);
  _netpulse_window_hold_list_under_pointer (self);
}

/* ---- settings --------------------------------------------------------- */

static void
on_default_width (NetpulseWindow *self)
{
  /* Also notified while the window goes away, its settings gone. */
  if (self->settings != NULL && self->column_view != NULL)
    _netpulse_window_update_columns (self);
}

static void
on_grouped_setting (NetpulseWindow *self)
{
  set_grouped (self, g_settings_get_boolean (self->settings, "group-by-process"));
}

static void
on_options_changed (NetpulseWindow *self)
{
  _netpulse_window_update_summary (self);
}

static void
bind_settings (NetpulseWindow *self)
{
  g_settings_bind (self->settings, "units-bits", self->options, "bits", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "resolve-names", self->options, "resolve-names", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "show-closed", self->filter, "show-closed", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "include-local", self->filter, "include-local", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "update-interval", self->source, "interval-ms", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (self->settings, "changed::group-by-process",
                           G_CALLBACK (on_grouped_setting), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::view",
                           G_CALLBACK (on_grouped_setting), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::hidden-columns",
                           G_CALLBACK (_netpulse_window_update_columns), self, G_CONNECT_SWAPPED);
  /* The window's size as the person resized it: the name column's width. */
  g_signal_connect (self, "notify::default-width", G_CALLBACK (on_default_width), NULL);
  g_signal_connect_object (self->settings, "changed::shared-scale",
                           G_CALLBACK (_netpulse_window_update_shared_scale), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->options, "notify::bits",
                           G_CALLBACK (on_options_changed), self, G_CONNECT_SWAPPED);
}

static void
on_search_changed (NetpulseWindow *self,
                   GtkSearchEntry *entry)
{
  netpulse_row_filter_set_search (self->filter, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

/* The search button (or Ctrl+F, or type-to-search) opened the bar: the
 * entry has the keyboard, so that typing goes on into it. */
static void
on_search_mode (NetpulseWindow *self)
{
  if (gtk_search_bar_get_search_mode (self->search_bar) &&
      !gtk_widget_has_focus (GTK_WIDGET (self->search_entry)))
    gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
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
  g_clear_handle_id (&self->trim_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), NETPULSE_TYPE_WINDOW);

  g_clear_object (&self->selection);
  g_clear_object (&self->selected_row);
  g_clear_object (&self->flat_slots);
  g_clear_object (&self->tree_slots);
  g_clear_object (&self->app_slots);
  g_clear_object (&self->flat_rows);
  g_clear_object (&self->tree_rows);
  g_clear_object (&self->app_rows);
  g_clear_object (&self->app_model);
  g_clear_object (&self->sorter);
  g_clear_object (&self->filter);
  g_clear_object (&self->process_model);
  g_clear_object (&self->options);
  g_clear_object (&self->feed);
  g_clear_object (&self->store);
  g_clear_object (&self->source);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->last_toast, g_free);
  g_clear_pointer (&self->last_toast_button, g_free);
  if (self->total_graph != NULL)
    netpulse_sparkline_set_history (self->total_graph, NULL);
  g_clear_pointer (&self->shown_history, netpulse_history_free);

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
  g_type_ensure (NETPULSE_TYPE_USAGE_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/netpulse/Netpulse/netpulse-window.ui");
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, pause_button);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, group_button);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, overflow_banner);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, reconnect_banner);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, reconnect_spinner);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, status_page);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, status_spinner);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, status_button);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, status_details);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, status_details_label);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, rx_total_label);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, tx_total_label);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, total_graph);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, flap);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, list_stack);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, scrolled_window);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, column_view);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, usage_view);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, NetpulseWindow, detail_pane);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_search);

  _netpulse_window_class_actions_init (klass);
}

static void
netpulse_window_init (NetpulseWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new ("io.github.netpulse.Netpulse");

  /* Type-to-search: keys typed anywhere in the window go to the entry. */
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));
  g_signal_connect_object (self->search_bar, "notify::search-mode-enabled",
                           G_CALLBACK (on_search_mode), self, G_CONNECT_SWAPPED);
  _netpulse_window_actions_init (self);

  if (DEVELOPMENT_BUILD)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
}

/* The inode of our network namespace: the helper's records name theirs
 * the same way (0 when /proc does not tell). */
static guint64
own_netns (void)
{
  struct stat st;

  if (stat ("/proc/self/ns/net", &st) != 0)
    return 0;
  return st.st_ino;
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
  /* The header graph draws what the filters let through. */
  self->shown_history = netpulse_history_new (NETPULSE_STORE_HISTORY_LENGTH);
  netpulse_sparkline_set_history (self->total_graph, self->shown_history);
  netpulse_detail_pane_set_options (self->detail_pane, self->options);
  /* A recording's namespaces are another machine's. */
  if (netpulse_source_is_live (self->source))
    netpulse_detail_pane_set_local_netns (self->detail_pane, own_netns ());
  netpulse_columns_add (self->column_view, self->options);
  g_object_unref (netpulse_columns_add_menu (self->column_view, G_ACTION_MAP (self), self->settings));
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
  _netpulse_window_restore_sort (self);
  set_grouped (self, g_settings_get_boolean (self->settings, "group-by-process"));

  g_signal_connect_object (source, "notify::state", G_CALLBACK (_netpulse_window_show_source_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->feed, "applied", G_CALLBACK (_netpulse_window_list_applied), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->feed, "notify::paused", G_CALLBACK (_netpulse_window_update_summary), self, G_CONNECT_SWAPPED);
  netpulse_feed_set_source (self->feed, source);
  /* Flows not tracked or peers aggregated: say so above the table. */
  g_object_bind_property (source, "counters", self->overflow_banner, "counters", G_BINDING_SYNC_CREATE);
  _netpulse_window_show_source_state (self);
  netpulse_source_start (source);

  return self;
}

void
_netpulse_window_toast (NetpulseWindow *self,
                        const char     *text)
{
  g_autofree char *markup = NULL;

  g_free (self->last_toast);
  self->last_toast = g_strdup (text);
  g_clear_pointer (&self->last_toast_button, g_free);
  /* A toast's title is markup; @text may quote an error message. */
  markup = g_markup_escape_text (text, -1);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (markup));
}

gboolean
_netpulse_window_is_settled (NetpulseWindow *self)
{
  return self->settled;
}
