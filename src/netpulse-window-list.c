/* netpulse-window-list.c — what the list does with each update: the
 * header's totals, graph and count over what the filters let through, the
 * applications' shared scale, re-sorting on a snapshot of the sort keys
 * (held while the pointer is over the list), and which columns show.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-window"

#include "config.h"

#include <glib/gi18n.h>

#include "netpulse-columns.h"
#include "netpulse-memory.h"
#include "netpulse-units.h"
#include "netpulse-window-private.h"

/* The name column of the Applications view, in pixels. */
#define APP_NAME_WIDTH 204
/* Below this window width the name column gives up room, so that the
 * Download and Upload columns stay on screen (360 px: 120 + 2 × 108). */
#define NARROW_WINDOW_WIDTH 480
#define NARROW_NAME_WIDTH 120

/* How long the order holds still after a click in the list. */
#define HOLD_AFTER_CLICK_US (G_USEC_PER_SEC)

/* ---- summary ---------------------------------------------------------- */

/* The applications that the Applications view shows: its rows at the top
 * of the tree, which are the applications its filter lets through (for a
 * row at the top the filter asks only about the application), and the
 * sums of their rates (what those rows show) if @rx and @tx are given.
 * Not every application the table knows: one whose every connection is
 * hidden (local, closed, not what is searched for) has no row, and "5
 * connections of 6 applications" over four rows reads wrong.  Asked of
 * the applications, not of the tree's rows: those of expanded
 * applications' processes and connections would be counted through too. */
static guint
sum_shown_applications (NetpulseWindow *self,
                        double         *rx,
                        double         *tx)
{
  GListModel *apps = G_LIST_MODEL (self->app_model);
  GtkFilter *filter = GTK_FILTER (self->filter);
  gboolean all = gtk_filter_get_strictness (filter) == GTK_FILTER_MATCH_ALL;
  guint n = g_list_model_get_n_items (apps), n_shown = 0;

  if (all && rx == NULL)
    return n;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NetpulseRow) app = g_list_model_get_item (apps, i);

      if (!all && !gtk_filter_match (filter, app))
        continue;
      n_shown++;
      if (rx == NULL)
        continue;
      *rx += netpulse_row_get_rx_rate (app);
      *tx += netpulse_row_get_tx_rate (app);
    }
  return n_shown;
}

/* What every filter in force (search, closed, local) lets through, for
 * the header's totals, graph and count: the connections (@n) whatever
 * the view, and the rates of the rows shown.  In the Applications view
 * those are the applications' own: an application's row also counts the
 * last tick of a connection that closed in it, hidden below it with
 * "Show Closed" off, and the header said 0 B/s over "curl 414 B/s". */
void
_netpulse_window_sum_shown (NetpulseWindow *self,
                            double         *rx,
                            double         *tx,
                            guint          *n)
{
  GListModel *store = G_LIST_MODEL (self->store);
  GtkFilter *filter = GTK_FILTER (self->filter);
  gboolean all = gtk_filter_get_strictness (filter) == GTK_FILTER_MATCH_ALL;
  guint n_items = g_list_model_get_n_items (store);

  /* Straight from the store, as the flat list's filter sees it: the
   * sorted and filtered models in between add nothing to a sum. */
  *rx = *tx = 0.0;
  *n = 0;
  for (guint i = 0; i < n_items; i++)
    {
      NetpulseRow *row = NETPULSE_ROW (netpulse_connection_store_peek (self->store, i));

      if (!all && !gtk_filter_match (filter, row))
        continue;
      (*n)++;
      if (self->applications)
        continue;
      *rx += netpulse_row_get_rx_rate (row);
      *tx += netpulse_row_get_tx_rate (row);
    }
  if (self->applications)
    sum_shown_applications (self, rx, tx);
}

/* Each tick: the header graph's sample of what is shown. */
static void
push_shown (NetpulseWindow *self,
            double          rx,
            double          tx)
{
  guint64 tick = netpulse_connection_store_get_tick (self->store);

  /* The store started over (a new helper, whose ticks count from 1
   * again): so does the header's graph.  Else it kept drawing the old
   * helper's samples, the new ones stuck on its newest, until the new
   * ticks passed the old. */
  if (tick == 0 || tick < netpulse_history_get_last_tick (self->shown_history))
    netpulse_history_clear (self->shown_history);
  if (tick > 0)
    netpulse_history_push (self->shown_history, tick, rx, tx);
}

/* The header: the sums of what is shown (_netpulse_window_sum_shown()). */
static void
show_summary (NetpulseWindow *self,
              double          rx_rate,
              double          tx_rate,
              guint           n)
{
  gboolean bits = netpulse_view_options_get_bits (self->options);
  g_autofree char *rx = NULL;
  g_autofree char *tx = NULL;
  g_autofree char *subtitle = NULL;

  rx = netpulse_format_rate (rx_rate, bits);
  tx = netpulse_format_rate (tx_rate, bits);

  gtk_label_set_text (self->rx_total_label, rx);
  gtk_label_set_text (self->tx_total_label, tx);
  netpulse_sparkline_set_bits (self->total_graph, bits);

  /* The Usage view says what its figures are itself. */
  if (!self->monitoring || self->usage)
    subtitle = NULL;
  else if (netpulse_feed_get_paused (self->feed))
    subtitle = g_strdup (_("Paused"));
  else if (self->applications)
    {
      guint n_apps = sum_shown_applications (self, NULL, NULL);
      /* Two numbers, each with its own plural form. */
      g_autofree char *connections = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u connection",
                                                                   "%u connections", n), n);
      g_autofree char *apps = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u application",
                                                            "%u applications", n_apps), n_apps);

      /* Translators: "3 connections" of "2 applications", the subtitle of
       * the Applications view. */
      subtitle = g_strdup_printf (_("%s of %s"), connections, apps);
    }
  else if (self->grouped)
    subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u connection, grouped by process",
                                             "%u connections, grouped by process", n), n);
  else
    subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u connection", "%u connections", n), n);
  adw_window_title_set_subtitle (self->window_title, subtitle);
}

void
_netpulse_window_update_summary (NetpulseWindow *self)
{
  double rx, tx;
  guint n;

  _netpulse_window_sum_shown (self, &rx, &tx, &n);
  show_summary (self, rx, tx, n);
}


/* The table's controls only make sense while it is shown. */
/* ---- after an update -------------------------------------------------- */

static void
snapshot_model (GListModel *model)
{
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NetpulseRow) row = g_list_model_get_item (model, i);

      netpulse_row_snapshot_sort_keys (row);
    }
}

static void
snapshot_store (NetpulseConnectionStore *store)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store));

  for (guint i = 0; i < n; i++)
    netpulse_row_snapshot_sort_keys (NETPULSE_ROW (netpulse_connection_store_peek (store, i)));
}

/* The sort keys of every row (connections, processes, applications) take
 * this tick's values: only here, right before the whole list is sorted
 * again. */
static void
snapshot_sort_keys (NetpulseWindow *self)
{
  snapshot_store (self->store);
  snapshot_model (G_LIST_MODEL (self->process_model));
  snapshot_model (G_LIST_MODEL (self->app_model));
}

/* The list holds still where the person points: no re-sort while the
 * pointer is over it, nor for a second after a click; the next tick after
 * that sorts again. */
static gboolean
list_is_held (NetpulseWindow *self)
{
  return self->pointer_in_list ||
         g_get_monotonic_time () - self->last_click_us < HOLD_AFTER_CLICK_US;
}

/* The sorter's primary key, for the connection list to compare by first
 * (NETPULSE_SORT_NONE: it compares by the whole sorter). */
static NetpulseSortKey
primary_sort_key (NetpulseWindow *self,
                  gboolean       *descending)
{
  const char *id = _netpulse_window_get_sort (self, descending);
  GtkColumnViewColumn *column = id != NULL ? netpulse_columns_find (self->column_view, id) : NULL;
  GtkSorter *sorter = column != NULL ? gtk_column_view_column_get_sorter (column) : NULL;

  return NETPULSE_IS_ROW_SORTER (sorter) ? netpulse_row_sorter_get_key (NETPULSE_ROW_SORTER (sorter))
                                         : NETPULSE_SORT_NONE;
}

/* Re-sorts after values changed in place, keeping the scroll offset. */
static void
resort (NetpulseWindow *self)
{
  GtkAdjustment *vadj = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  double value = gtk_adjustment_get_value (vadj);
  gboolean descending = FALSE;
  NetpulseSortKey primary = primary_sort_key (self, &descending);

  /* The connection list sorts and filters once, at the thaw. */
  netpulse_sorted_rows_freeze (self->flat_rows);
  self->sort_held = list_is_held (self);
  if (!self->sort_held)
    {
      snapshot_sort_keys (self);
      gtk_sorter_changed (self->sorter, GTK_SORTER_CHANGE_DIFFERENT);
    }
  if (!netpulse_row_filter_get_show_closed (self->filter) ||
      !netpulse_row_filter_get_include_local (self->filter) ||
      netpulse_row_filter_get_search (self->filter) != NULL)
    gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  netpulse_sorted_rows_thaw (self->flat_rows, primary, descending);
  gtk_adjustment_set_value (vadj, MIN (value, gtk_adjustment_get_upper (vadj) - gtk_adjustment_get_page_size (vadj)));
}

/* The Applications view's graphs on one scale (the largest robust peak of
 * the applications), so that rows compare by eye; or each on its own. */
void
_netpulse_window_update_shared_scale (NetpulseWindow *self)
{
  gboolean shared = self->applications && g_settings_get_boolean (self->settings, "shared-scale");

  netpulse_view_options_set_shared_scale (self->options,
                                          shared ? MAX (netpulse_app_model_get_peak (self->app_model), 1024.0) : 0.0);
}

static gboolean
trim_memory (gpointer user_data)
{
  NetpulseWindow *self = user_data;
  gsize released = 0;

  self->trim_id = 0;
  if (netpulse_memory_trim_if_worth (&self->trimmed_free, &released))
    g_debug ("gave %" G_GSIZE_FORMAT " KiB of freed heap back", released / 1024);
  return G_SOURCE_REMOVE;
}

/* The feed put an update into the store. */
void
_netpulse_window_list_applied (NetpulseWindow *self)
{
  double rx, tx;
  guint n;

  /* Once the update is drawn (below the redraw's priority). */
  if (self->trim_id == 0)
    self->trim_id = g_idle_add_full (G_PRIORITY_LOW, trim_memory, self, NULL);
  _netpulse_window_update_shared_scale (self);
  resort (self);
  /* One pass over the shown rows for the header's graph and figures. */
  _netpulse_window_sum_shown (self, &rx, &tx, &n);
  push_shown (self, rx, tx);
  show_summary (self, rx, tx, n);
  _netpulse_window_update_placeholder (self);
  if (netpulse_source_is_live (self->source) &&
      netpulse_connection_store_get_tick (self->store) > 0)
    _netpulse_window_set_settled (self);
}

static gboolean
is_connection_column (const char *id)
{
  const char *ids[] = { "protocol", "local", "state", "rtt" };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    if (g_str_equal (ids[i], id))
      return TRUE;
  return FALSE;
}

/* A column is shown unless hidden through the titles' menu, or one of a
 * connection's own in the Applications view. */
void
_netpulse_window_update_columns (NetpulseWindow *self)
{
  GListModel *columns = gtk_column_view_get_columns (self->column_view);
  g_auto(GStrv) hidden = g_settings_get_strv (self->settings, "hidden-columns");

  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      const char *id = netpulse_columns_get_id (column);

      gtk_column_view_column_set_visible (column,
                                          !g_strv_contains ((const char * const *) hidden, id) &&
                                          !(self->applications && is_connection_column (id)));
      /* Application names sit under an expander two levels deep: room
       * for them where the connection's columns are gone. */
      if (g_str_equal (id, "process"))
        {
          int width, height;

          gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
          if (width > 0 && width < NARROW_WINDOW_WIDTH)
            gtk_column_view_column_set_fixed_width (column, NARROW_NAME_WIDTH);
          else
            gtk_column_view_column_set_fixed_width (column, self->applications ? APP_NAME_WIDTH
                                                                        : netpulse_columns_get_default_width (id));
          gtk_column_view_column_set_title (column, self->applications ? _("Application") : _("Process"));
        }
    }
}

static void
on_list_enter (NetpulseWindow *self)
{
  self->pointer_in_list = TRUE;
}

static void
on_list_leave (NetpulseWindow *self)
{
  self->pointer_in_list = FALSE;
}

static void
on_list_pressed (NetpulseWindow *self)
{
  self->last_click_us = g_get_monotonic_time ();
}

void
_netpulse_window_hold_list_under_pointer (NetpulseWindow *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkGesture *click = gtk_gesture_click_new ();

  g_signal_connect_swapped (motion, "enter", G_CALLBACK (on_list_enter), self);
  g_signal_connect_swapped (motion, "leave", G_CALLBACK (on_list_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self->scrolled_window), motion);
  /* Sees every click without taking it from the rows. */
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (click), GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (click, "pressed", G_CALLBACK (on_list_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self->scrolled_window), GTK_EVENT_CONTROLLER (click));
}
