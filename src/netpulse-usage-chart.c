/* netpulse-usage-chart.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-usage"

#include "config.h"

#include <glib/gi18n.h>

#include "netpulse-usage-chart.h"

/* Room for the scale's labels at the left and the times below. */
#define MARGIN_LEFT   64
#define MARGIN_BOTTOM 22
#define MARGIN_TOP    8
#define MARGIN_RIGHT  8

struct _NetpulseUsageChart
{
  GtkWidget           parent_instance;

  NetpulseUsageRange  range;
  GPtrArray          *series;    /* NetpulseUsageSeries */
  GStrv               names;
  int                *colors;
  guint64             max_total; /* the highest bar */
  int                 hovered;
};

G_DEFINE_FINAL_TYPE (NetpulseUsageChart, netpulse_usage_chart, GTK_TYPE_WIDGET)

static const char * const fallback_colors[NETPULSE_USAGE_N_COLORS] = {
  "#3584e4", "#2ec27e", "#e66100", "#9141ac", "#c88800", "#9a9996",
};

void
netpulse_usage_chart_lookup_color (GtkWidget *widget,
                                   int        index,
                                   GdkRGBA   *color)
{
  g_autofree char *name = NULL;

  index = CLAMP (index, 0, NETPULSE_USAGE_N_COLORS - 1);
  name = g_strdup_printf ("netpulse_usage_color_%d", index);
  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), name, color))
    gdk_rgba_parse (color, fallback_colors[index]);
}

static guint64
bucket_total (NetpulseUsageChart *self,
              guint               b)
{
  guint64 total = 0;

  for (guint s = 0; self->series != NULL && s < self->series->len; s++)
    {
      const NetpulseUsageSeries *series = g_ptr_array_index (self->series, s);

      total += series->rx[b] + series->tx[b];
    }
  return total;
}

/* A round number at or above @value for the scale: 1, 2 or 5 × 10^n. */
static guint64
nice_ceiling (guint64 value)
{
  guint64 step = 1;

  while (step <= G_MAXUINT64 / 10 && step * 10 <= value)
    step *= 10;
  if (value <= step)
    return step;
  if (value <= 2 * step)
    return 2 * step;
  if (value <= 5 * step)
    return 5 * step;
  return step <= G_MAXUINT64 / 10 ? 10 * step : G_MAXUINT64;
}

gboolean
netpulse_usage_chart_get_bar (NetpulseUsageChart *self,
                              guint               b,
                              graphene_rect_t    *bounds)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  int height = gtk_widget_get_height (GTK_WIDGET (self));
  double plot_w = width - MARGIN_LEFT - MARGIN_RIGHT;
  double plot_h = height - MARGIN_TOP - MARGIN_BOTTOM;
  double bar_w;

  g_return_val_if_fail (NETPULSE_IS_USAGE_CHART (self), FALSE);

  if (b >= self->range.n_buckets || plot_w <= 0 || plot_h <= 0)
    return FALSE;
  bar_w = plot_w / self->range.n_buckets;
  graphene_rect_init (bounds, MARGIN_LEFT + b * bar_w, MARGIN_TOP, bar_w, plot_h);
  return TRUE;
}

static void
append_text (NetpulseUsageChart *self,
             GtkSnapshot        *snapshot,
             const char         *text,
             double              x,
             double              y,
             double              xalign,
             const GdkRGBA      *color)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x - xalign * w, y - h / 2.0));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

/* The time of a bucket as its bar's label: the time of day for buckets
 * shorter than a day (with seconds for buckets shorter than a minute),
 * the date for days. */
static char *
format_bucket_time (NetpulseUsageChart *self,
                    guint64             start_ns)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local ((gint64) (start_ns / G_GUINT64_CONSTANT (1000000000)));
  guint64 bucket_s = self->range.bucket_ns / G_GUINT64_CONSTANT (1000000000);

  if (time == NULL)
    return g_strdup ("");
  if (bucket_s >= 86400)
    return g_date_time_format (time, "%x");
  if (bucket_s < 60)
    return g_date_time_format (time, "%X");
  if (self->range.until_ns - self->range.first_ns > G_GUINT64_CONSTANT (86400000000000))
    return g_date_time_format (time, "%a %H:%M");
  return g_date_time_format (time, "%H:%M");
}

static void
snapshot_axes (NetpulseUsageChart *self,
               GtkSnapshot        *snapshot,
               double              plot_w,
               double              plot_h,
               guint64             scale)
{
  GdkRGBA fg, grid;
  g_autofree char *top = g_format_size (scale);
  guint n = self->range.n_buckets;

  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), &fg);
  grid = fg;
  grid.alpha *= 0.15;
  fg.alpha *= 0.7;
  for (int i = 0; i <= 2; i++)
    gtk_snapshot_append_color (snapshot, &grid,
                               &GRAPHENE_RECT_INIT (MARGIN_LEFT, MARGIN_TOP + plot_h * i / 2.0, plot_w, 1));
  append_text (self, snapshot, top, MARGIN_LEFT - 6, MARGIN_TOP + 1, 1.0, &fg);
  append_text (self, snapshot, "0", MARGIN_LEFT - 6, MARGIN_TOP + plot_h, 1.0, &fg);

  /* The first and the last bucket's time, and the middle one's when there
   * is room for three labels. */
  if (n > 0)
    {
      guint marks[] = { 0, n / 2, n - 1 };
      double xaligns[] = { 0.0, 0.5, 1.0 };
      double bar_w = plot_w / n;

      for (guint i = 0; i < G_N_ELEMENTS (marks); i++)
        {
          g_autofree char *label = NULL;
          double x = MARGIN_LEFT + marks[i] * bar_w + bar_w * xaligns[i];

          if ((i == 1 && (plot_w < 300 || n < 3)) || (i == 2 && n < 2))
            continue;
          label = format_bucket_time (self, self->range.first_ns + marks[i] * self->range.bucket_ns);
          append_text (self, snapshot, label, i == 0 ? MARGIN_LEFT : i == 2 ? MARGIN_LEFT + plot_w : x,
                       MARGIN_TOP + plot_h + MARGIN_BOTTOM / 2.0 + 2, xaligns[i], &fg);
        }
    }
}

static void
netpulse_usage_chart_snapshot (GtkWidget   *widget,
                               GtkSnapshot *snapshot)
{
  NetpulseUsageChart *self = NETPULSE_USAGE_CHART (widget);
  double plot_w = gtk_widget_get_width (widget) - MARGIN_LEFT - MARGIN_RIGHT;
  double plot_h = gtk_widget_get_height (widget) - MARGIN_TOP - MARGIN_BOTTOM;
  guint64 scale = nice_ceiling (MAX (self->max_total, 1));
  guint n = self->range.n_buckets;
  double bar_w, gap;

  if (plot_w <= 0 || plot_h <= 0)
    return;
  snapshot_axes (self, snapshot, plot_w, plot_h, scale);
  if (n == 0 || self->series == NULL)
    return;
  bar_w = plot_w / n;
  gap = bar_w >= 4 ? MAX (1.0, bar_w * 0.15) : 0;

  for (guint b = 0; b < n; b++)
    {
      double x = MARGIN_LEFT + b * bar_w + gap / 2;
      double y = MARGIN_TOP + plot_h;

      if ((int) b == self->hovered)
        {
          GdkRGBA hover;

          gtk_style_context_get_color (gtk_widget_get_style_context (widget), &hover);
          hover.alpha *= 0.08;
          gtk_snapshot_append_color (snapshot, &hover,
                                     &GRAPHENE_RECT_INIT (MARGIN_LEFT + b * bar_w, MARGIN_TOP, bar_w, plot_h));
        }
      for (guint s = 0; s < self->series->len; s++)
        {
          const NetpulseUsageSeries *series = g_ptr_array_index (self->series, s);
          double rx_h = plot_h * (double) series->rx[b] / (double) scale;
          double tx_h = plot_h * (double) series->tx[b] / (double) scale;
          GdkRGBA color, light;

          netpulse_usage_chart_lookup_color (widget, self->colors[s], &color);
          /* Upload: the colour mixed with white, opaque, so that it reads
           * as a lighter shade on a light and on a dark background. */
          light = (GdkRGBA) { color.red + (1 - color.red) * 0.5, color.green + (1 - color.green) * 0.5,
                              color.blue + (1 - color.blue) * 0.5, color.alpha };
          y -= rx_h;
          gtk_snapshot_append_color (snapshot, &color, &GRAPHENE_RECT_INIT (x, y, bar_w - gap, rx_h));
          y -= tx_h;
          gtk_snapshot_append_color (snapshot, &light, &GRAPHENE_RECT_INIT (x, y, bar_w - gap, tx_h));
        }
    }
}

char *
netpulse_usage_chart_describe (NetpulseUsageChart *self,
                               guint               b)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  guint64 start;

  g_return_val_if_fail (NETPULSE_IS_USAGE_CHART (self), NULL);

  if (b >= self->range.n_buckets || self->series == NULL)
    return NULL;
  start = self->range.first_ns + b * self->range.bucket_ns;
  from = format_bucket_time (self, start);
  to = format_bucket_time (self, start + self->range.bucket_ns);
  /* Translators: a bar's time span in the usage chart. */
  g_string_append_printf (text, _("%s – %s"), from, to);
  for (guint s = 0; s < self->series->len; s++)
    {
      const NetpulseUsageSeries *series = g_ptr_array_index (self->series, s);
      g_autofree char *rx = g_format_size (series->rx[b]);
      g_autofree char *tx = g_format_size (series->tx[b]);

      if (series->rx[b] == 0 && series->tx[b] == 0)
        continue;
      /* Translators: application, downloaded and uploaded bytes. */
      g_string_append_printf (text, _("\n%s: ↓ %s ↑ %s"), self->names[s], rx, tx);
    }
  if (bucket_total (self, b) == 0)
    g_string_append_printf (text, "\n%s", _("No traffic"));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static int
bucket_at (NetpulseUsageChart *self,
           double              x,
           double              y)
{
  double plot_w = gtk_widget_get_width (GTK_WIDGET (self)) - MARGIN_LEFT - MARGIN_RIGHT;
  double plot_h = gtk_widget_get_height (GTK_WIDGET (self)) - MARGIN_TOP - MARGIN_BOTTOM;
  int b;

  if (self->range.n_buckets == 0 || plot_w <= 0 || x < MARGIN_LEFT || x >= MARGIN_LEFT + plot_w ||
      y < MARGIN_TOP || y >= MARGIN_TOP + plot_h)
    return -1;
  b = (int) ((x - MARGIN_LEFT) / (plot_w / self->range.n_buckets));
  return b < (int) self->range.n_buckets ? b : -1;
}

static void
set_hovered (NetpulseUsageChart *self,
             int                 hovered)
{
  if (self->hovered == hovered)
    return;
  self->hovered = hovered;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_motion (GtkEventControllerMotion *motion,
           double                    x,
           double                    y,
           NetpulseUsageChart       *self)
{
  set_hovered (self, bucket_at (self, x, y));
}

static void
on_leave (GtkEventControllerMotion *motion,
          NetpulseUsageChart       *self)
{
  set_hovered (self, -1);
}

static gboolean
on_query_tooltip (GtkWidget  *widget,
                  int         x,
                  int         y,
                  gboolean    keyboard,
                  GtkTooltip *tooltip)
{
  NetpulseUsageChart *self = NETPULSE_USAGE_CHART (widget);
  int b = keyboard ? self->hovered : bucket_at (self, x, y);
  g_autofree char *text = b >= 0 ? netpulse_usage_chart_describe (self, (guint) b) : NULL;
  graphene_rect_t bar;

  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  /* A new tooltip for each bar, not one that follows the pointer. */
  if (netpulse_usage_chart_get_bar (self, (guint) b, &bar))
    gtk_tooltip_set_tip_area (tooltip, &(GdkRectangle) { (int) bar.origin.x, (int) bar.origin.y,
                                                         MAX (1, (int) bar.size.width), (int) bar.size.height });
  return TRUE;
}

static void
netpulse_usage_chart_measure (GtkWidget      *widget,
                              GtkOrientation  orientation,
                              int             for_size,
                              int            *minimum,
                              int            *natural,
                              int            *minimum_baseline,
                              int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? MARGIN_LEFT + MARGIN_RIGHT + 120 : 120;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 600 : 200;
}

static void
netpulse_usage_chart_dispose (GObject *object)
{
  NetpulseUsageChart *self = NETPULSE_USAGE_CHART (object);

  g_clear_pointer (&self->series, g_ptr_array_unref);
  g_clear_pointer (&self->names, g_strfreev);
  g_clear_pointer (&self->colors, g_free);
  G_OBJECT_CLASS (netpulse_usage_chart_parent_class)->dispose (object);
}

static void
netpulse_usage_chart_class_init (NetpulseUsageChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = netpulse_usage_chart_dispose;
  widget_class->snapshot = netpulse_usage_chart_snapshot;
  widget_class->measure = netpulse_usage_chart_measure;
  widget_class->query_tooltip = on_query_tooltip;
  gtk_widget_class_set_css_name (widget_class, "usagechart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
netpulse_usage_chart_init (NetpulseUsageChart *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();

  self->hovered = -1;
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
}

GtkWidget *
netpulse_usage_chart_new (void)
{
  return g_object_new (NETPULSE_TYPE_USAGE_CHART, NULL);
}

void
netpulse_usage_chart_set_data (NetpulseUsageChart       *self,
                               const NetpulseUsageRange *range,
                               GPtrArray                *series,
                               const char * const       *names,
                               const int                *colors)
{
  g_return_if_fail (NETPULSE_IS_USAGE_CHART (self));
  g_return_if_fail (range != NULL && series != NULL && names != NULL && colors != NULL);

  self->range = *range;
  g_clear_pointer (&self->series, g_ptr_array_unref);
  self->series = g_ptr_array_ref (series);
  g_clear_pointer (&self->names, g_strfreev);
  self->names = g_strdupv ((char **) names);
  g_clear_pointer (&self->colors, g_free);
  self->colors = g_memdup2 (colors, sizeof (int) * MAX (series->len, 1));
  self->max_total = 0;
  for (guint b = 0; b < range->n_buckets; b++)
    self->max_total = MAX (self->max_total, bucket_total (self, b));
  if (self->hovered >= (int) range->n_buckets)
    self->hovered = -1;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
netpulse_usage_chart_get_n_buckets (NetpulseUsageChart *self)
{
  g_return_val_if_fail (NETPULSE_IS_USAGE_CHART (self), 0);
  return self->series != NULL ? self->range.n_buckets : 0;
}

guint
netpulse_usage_chart_get_n_series (NetpulseUsageChart *self)
{
  g_return_val_if_fail (NETPULSE_IS_USAGE_CHART (self), 0);
  return self->series != NULL ? self->series->len : 0;
}

const char *
netpulse_usage_chart_get_name (NetpulseUsageChart *self,
                               guint               s)
{
  g_return_val_if_fail (NETPULSE_IS_USAGE_CHART (self), NULL);
  return self->series != NULL && s < self->series->len ? self->names[s] : NULL;
}

gboolean
netpulse_usage_chart_get_value (NetpulseUsageChart *self,
                                guint               s,
                                guint               b,
                                guint64            *rx,
                                guint64            *tx)
{
  const NetpulseUsageSeries *series;

  g_return_val_if_fail (NETPULSE_IS_USAGE_CHART (self), FALSE);
  if (self->series == NULL || s >= self->series->len || b >= self->range.n_buckets)
    return FALSE;
  series = g_ptr_array_index (self->series, s);
  *rx = series->rx[b];
  *tx = series->tx[b];
  return TRUE;
}

int
netpulse_usage_chart_get_hovered (NetpulseUsageChart *self)
{
  g_return_val_if_fail (NETPULSE_IS_USAGE_CHART (self), -1);
  return self->hovered;
}
