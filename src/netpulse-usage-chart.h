/* netpulse-usage-chart.h — the Usage view's stacked bar chart: one bar per
 * bucket of the range, one stack per series (the top applications and
 * "Other"), download in the series' colour and upload in a lighter shade
 * of it above; the pointer over a bar shows its read-out (the bucket's
 * time, each series' download and upload) as a tooltip.
 *
 * Colours are the theme's @netpulse_usage_color_0 … _5 (style.css and
 * style-dark.css; _5 is "Other").
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "netpulse-usage-data.h"

G_BEGIN_DECLS

#define NETPULSE_USAGE_N_COLORS 6

#define NETPULSE_TYPE_USAGE_CHART (netpulse_usage_chart_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseUsageChart, netpulse_usage_chart, NETPULSE, USAGE_CHART, GtkWidget)

GtkWidget  *netpulse_usage_chart_new          (void);
/* @series (NetpulseUsageSeries, referenced) over @range's buckets, named
 * @names (one per series, copied); @colors the colour index of each. */
void        netpulse_usage_chart_set_data     (NetpulseUsageChart       *self,
                                               const NetpulseUsageRange *range,
                                               GPtrArray                *series,
                                               const char * const       *names,
                                               const int                *colors);
guint       netpulse_usage_chart_get_n_buckets (NetpulseUsageChart      *self);
/* Series @s of bucket @b (FALSE past the end). */
gboolean    netpulse_usage_chart_get_value    (NetpulseUsageChart       *self,
                                               guint                     s,
                                               guint                     b,
                                               guint64                  *rx,
                                               guint64                  *tx);
guint       netpulse_usage_chart_get_n_series (NetpulseUsageChart       *self);
const char *netpulse_usage_chart_get_name     (NetpulseUsageChart       *self,
                                               guint                     s);
/* The bucket under the pointer, or -1. */
int         netpulse_usage_chart_get_hovered  (NetpulseUsageChart       *self);
/* What the tooltip of bucket @b says. */
char       *netpulse_usage_chart_describe     (NetpulseUsageChart       *self,
                                               guint                     b);
/* Where bucket @b's bar is, in the chart's coordinates. */
gboolean    netpulse_usage_chart_get_bar      (NetpulseUsageChart       *self,
                                               guint                     b,
                                               graphene_rect_t          *bounds);
/* Theme colour @index (NETPULSE_USAGE_N_COLORS - 1 is "Other"). */
void        netpulse_usage_chart_lookup_color (GtkWidget                *widget,
                                               int                       index,
                                               GdkRGBA                  *color);

G_END_DECLS
