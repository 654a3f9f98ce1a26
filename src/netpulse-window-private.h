/* netpulse-window-private.h — the window's struct and the API its friend
 * files share (GNOME Text Editor's editor-window-private.h pattern):
 *
 *   netpulse-window.c          models, sorting, settings, the object
 *   netpulse-window-list.c     each update: header totals, sorting, columns
 *   netpulse-window-status.c   status pages, the empty-table page
 *   netpulse-window-actions.c  win.* actions, keyboard, export
 *   netpulse-test-hooks.c      what only the GUI tests use
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-app-model.h"
#include "netpulse-connection-store.h"
#include "netpulse-detail-pane.h"
#include "netpulse-export.h"
#include "netpulse-feed.h"
#include "netpulse-overflow-banner.h"
#include "netpulse-process-model.h"
#include "netpulse-row-filter.h"
#include "netpulse-row-slots.h"
#include "netpulse-sorted-rows.h"
#include "netpulse-sparkline.h"
#include "netpulse-usage-view.h"
#include "netpulse-view-options.h"
#include "netpulse-window.h"

G_BEGIN_DECLS

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
  GtkRevealer             *reconnect_banner;
  GtkSpinner              *reconnect_spinner;
  GtkStack                *main_stack;
  AdwStatusPage           *status_page;
  GtkSpinner              *status_spinner;
  GtkButton               *status_button;
  GtkExpander             *status_details;       /* the source's own words, folded away */
  GtkLabel                *status_details_label;
  GtkLabel                *rx_total_label;
  GtkLabel                *tx_total_label;
  NetpulseSparkline       *total_graph;
  AdwFlap                 *flap;         /* the list, and the detail pane beside or over it */
  GtkStack                *list_stack;
  GtkScrolledWindow       *scrolled_window;
  GtkColumnView           *column_view;
  AdwStatusPage           *empty_page;
  NetpulseDetailPane      *detail_pane;
  GtkStack                *view_stack;   /* the live views, or the usage history */
  NetpulseUsageView       *usage_view;

  GSettings               *settings;
  NetpulseSource          *source;
  NetpulseConnectionStore *store;
  NetpulseFeed            *feed;         /* source → store, and pause */
  NetpulseProcessModel    *process_model;
  NetpulseAppModel        *app_model;
  NetpulseViewOptions     *options;
  NetpulseRowFilter       *filter;
  GtkSorter               *sorter;        /* column view sorter + id tie-breaker */
  NetpulseSortedRows      *flat_rows;
  GtkFilterListModel      *tree_rows;
  GtkFilterListModel      *app_rows;
  /* Each of the three, in positions that keep their widgets: the models shown */
  NetpulseRowSlots        *flat_slots;
  NetpulseRowSlots        *tree_slots;
  NetpulseRowSlots        *app_slots;
  GtkSingleSelection      *selection;
  NetpulseRow             *selected_row;  /* what the selection is on, for it to follow */
  NetpulseHistory         *shown_history; /* the header graph: what the filters let through */

  gboolean                 grouped;
  gboolean                 applications; /* the Applications view (else connections) */
  gboolean                 usage;        /* the Usage view (neither of the live ones) */
  gboolean                 monitoring;   /* the table is shown, not a status page */
  gboolean                 settled;
  gboolean                 reconnecting; /* the last table shown, dimmed, while the source reconnects */
  char                    *last_toast;   /* for the test hooks' dump */
  char                    *last_toast_button;
  gboolean                 pointer_in_list;
  gint64                   last_click_us; /* monotonic, in the list */
  gboolean                 sort_held;     /* the last tick did not re-sort */
  guint                    save_sort_id;
  guint                    trim_id;       /* gives freed heap back after an update */
  gsize                    trimmed_free;  /* free heap at the last trim (netpulse-memory.c) */
};

/* netpulse-window-sort.c: the column the table is sorted by now (NULL
 * for none); saved when it changes (connected to the column view sorter's
 * "changed") and restored from the settings at start. */
const char *_netpulse_window_get_sort            (NetpulseWindow       *self,
                                                  gboolean             *descending);
void        _netpulse_window_on_sort_changed     (NetpulseWindow       *self);
void        _netpulse_window_restore_sort        (NetpulseWindow       *self);

/* netpulse-window.c */
/* The rows shown, in order: NetpulseRowSlot items, of a NetpulseRow in the
 * flat list, of a GtkTreeListRow in the trees. */
GListModel *_netpulse_window_get_rows            (NetpulseWindow       *self);
/* Whether the first data (or a final state) is on screen. */
gboolean    _netpulse_window_is_settled          (NetpulseWindow       *self);
void        _netpulse_window_set_settled         (NetpulseWindow       *self);
void        _netpulse_window_update_summary      (NetpulseWindow       *self);
/* The rates and number of the connections every filter lets through: what
 * the header shows. */
void        _netpulse_window_sum_shown           (NetpulseWindow       *self,
                                                  double               *rx,
                                                  double               *tx,
                                                  guint                *n);

/* netpulse-window-list.c */
/* After the feed applied an update: scale, order, header, placeholder. */
void        _netpulse_window_list_applied        (NetpulseWindow       *self);
void        _netpulse_window_update_shared_scale (NetpulseWindow       *self);
/* Shows the columns not hidden by the titles' menu nor by the view. */
void        _netpulse_window_update_columns      (NetpulseWindow       *self);
/* No re-sort while the pointer is over the list, nor just after a click. */
void        _netpulse_window_hold_list_under_pointer (NetpulseWindow   *self);

/* netpulse-window-status.c */
/* Shows the page for the source's state: a status page, or the table. */
void        _netpulse_window_show_source_state   (NetpulseWindow       *self);
/* The table, or in its place why it is empty. */
void        _netpulse_window_update_placeholder  (NetpulseWindow       *self);

/* Shows a toast (and remembers its text for the test hooks). */
void        _netpulse_window_toast               (NetpulseWindow       *self,
                                                  const char           *text);

/* netpulse-window-actions.c */
void        _netpulse_window_class_actions_init  (NetpulseWindowClass  *klass);
void        _netpulse_window_actions_init        (NetpulseWindow       *self);
/* Writes every row the filters let through to @file, as the Export menu
 * items do, and says so in a toast with an Open button. */
gboolean    _netpulse_window_export_to_file      (NetpulseWindow       *self,
                                                  NetpulseExportFormat  format,
                                                  GFile                *file,
                                                  GError              **error);
/* The name the Export dialog suggests, with the time of the data. */
char       *_netpulse_window_export_name         (NetpulseWindow       *self,
                                                  NetpulseExportFormat  format);

G_END_DECLS
