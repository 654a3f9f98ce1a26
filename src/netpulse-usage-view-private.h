/* netpulse-usage-view-private.h — what the Usage view's files share:
 *
 *   netpulse-usage-view.c        state, the helper's calls, refresh, pages
 *   netpulse-usage-view-pages.c  the status pages: error, off, paused
 *   netpulse-usage-view-list.c   the list of applications, the chart's
 *                                series, export
 *   netpulse-test-hooks-usage.c  what only the GUI tests use
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-client.h"
#include "netpulse-usage-chart.h"
#include "netpulse-usage-view.h"

G_BEGIN_DECLS

struct _NetpulseUsageView
{
  AdwBin               parent_instance;

  /* Template widgets */
  GtkDropDown         *range_dropdown;
  GtkMenuButton       *custom_button;
  GtkPopover          *custom_popover;
  GtkEntry            *since_entry;
  GtkEntry            *until_entry;
  GtkLabel            *custom_error;
  GtkButton           *back_button;
  GtkLabel            *summary_label;
  GtkMenuButton       *export_button;
  GtkLabel            *paused_banner;
  GtkStack            *stack;
  GtkSpinner          *loading_spinner;
  AdwStatusPage       *off_page;
  GtkButton           *record_button;
  GtkLabel            *off_error;
  GtkExpander         *off_details;
  GtkLabel            *off_details_label;
  AdwStatusPage       *error_page;
  GtkLabel            *error_details;
  AdwStatusPage       *empty_page;
  GtkLabel            *chart_title;
  NetpulseUsageChart  *chart;
  GtkColumnView       *apps_view;

  NetpulseClient      *client;
  GCancellable        *cancellable;    /* the refresh in flight */
  GCancellable        *set_cancellable;/* SetRecording in flight */
  gboolean             active;
  guint                timer;
  gboolean             recording;
  gboolean             paused;
  guint64              fine_ms;        /* GetRecording's bucket-ms */
  NetpulseUsagePreset  preset;
  guint64              custom_since_ns;
  guint64              custom_until_ns;
  NetpulseUsageRange   range;          /* of the query in flight, then of data */
  GVariantBuilder     *pages;          /* rows of the query in flight */
  guint                n_pages;
  NetpulseUsageData   *data;
  char                *selected;       /* "kind/id" shown alone, or NULL */
  GListStore          *items;          /* NetpulseUsageItem */
  GtkSingleSelection  *selection;
  gboolean             updating_list;
  char                *last_error;     /* for the test hooks */
};

/* netpulse-usage-view-pages.c */
/* "loading", "off", "error", "empty" or "data". */
void     _netpulse_usage_view_show_page   (NetpulseUsageView *self,
                                           const char        *name);
void     _netpulse_usage_view_set_last_error (NetpulseUsageView *self,
                                           const char        *message);
/* Reading failed: why, in words of ours, the helper's below. */
void     _netpulse_usage_view_show_error  (NetpulseUsageView *self,
                                           const GError      *error);
/* GetRecording's @state: paused or not, the retention. */
void     _netpulse_usage_view_show_state  (NetpulseUsageView *self,
                                           GVariant          *state);
/* SetRecording failed: why, on the off page. */
void     _netpulse_usage_view_show_turn_on_error (NetpulseUsageView *self,
                                           const GError      *error);

/* netpulse-usage-view-list.c */
void     _netpulse_usage_view_setup_list  (NetpulseUsageView *self);
/* The list and the chart from self->data and self->selected. */
void     _netpulse_usage_view_show_data   (NetpulseUsageView *self);
/* Only the chart and the list's selection: self->selected changed. */
void     _netpulse_usage_view_show_selection (NetpulseUsageView *self);
/* The selected application's index in self->data, or -1. */
int      _netpulse_usage_view_selected    (NetpulseUsageView *self);
void     _netpulse_usage_view_export      (NetpulseUsageView *self,
                                           gboolean           json);
/* Writes the range as Export does, to @file. */
gboolean _netpulse_usage_view_export_to   (NetpulseUsageView *self,
                                           gboolean           json,
                                           GFile             *file,
                                           GError           **error);

G_END_DECLS
