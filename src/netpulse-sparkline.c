/* netpulse-sparkline.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-sparkline"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "netpulse-sparkline.h"
#include "netpulse-units.h"

struct _NetpulseSparkline
{
  GtkWidget                parent_instance;

  NetpulseConnectionStore *store;
  NetpulseRow             *row;
  guint                    samples;
  gboolean                 detailed;
  gboolean                 adaptive;
  gboolean                 bits;
  double                   shared_scale; /* > 0: the scale of every graph of its kind */
  const NetpulseHistory   *history;      /* borrowed: drawn instead of the store's */
};

G_DEFINE_FINAL_TYPE (NetpulseSparkline, netpulse_sparkline, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_DETAILED,
  PROP_SAMPLES,
  PROP_ADAPTIVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The smallest full scale, so that a trickle does not look like a flood. */
#define MIN_SCALE 1024.0

static void
lookup_color (GtkWidget  *widget,
              const char *name,
              const char *fallback,
              GdkRGBA    *color)
{
  GtkStyleContext *context = gtk_widget_get_style_context (widget);

  if (!gtk_style_context_lookup_color (context, name, color))
    gdk_rgba_parse (color, fallback);
}

/* 1, 2 or 5 times a power of ten, at least @value. */
static double
nice_scale (double value)
{
  double magnitude = pow (10.0, floor (log10 (value)));
  double steps[] = { 1.0, 2.0, 5.0, 10.0 };

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    if (steps[i] * magnitude >= value)
      return steps[i] * magnitude;
  return 10.0 * magnitude;
}

static void
trace (cairo_t      *cr,
       const double *values,
       guint         n,
       double        scale,
       double        width,
       double        height)
{
  for (guint i = 0; i < n; i++)
    {
      double x = n > 1 ? width * i / (n - 1) : 0.0;
      double y = height - 1.0 - (height - 2.0) * MIN (values[i] / scale, 1.0);

      if (i == 0)
        cairo_move_to (cr, x, y);
      else
        cairo_line_to (cr, x, y);
    }
}

static void
draw_series (cairo_t       *cr,
             const double  *values,
             guint          n,
             double         scale,
             double         width,
             double         height,
             const GdkRGBA *color,
             double         fill_alpha)
{
  trace (cr, values, n, scale, width, height);
  cairo_line_to (cr, width, height);
  cairo_line_to (cr, 0, height);
  cairo_close_path (cr);
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, color->alpha * fill_alpha);
  cairo_fill (cr);

  trace (cr, values, n, scale, width, height);
  gdk_cairo_set_source_rgba (cr, color);
  cairo_stroke (cr);
}

static void
draw_grid (NetpulseSparkline *self,
           GtkSnapshot       *snapshot,
           double             scale,
           double             width,
           double             height)
{
  GtkStyleContext *context = gtk_widget_get_style_context (GTK_WIDGET (self));
  g_autofree char *label = netpulse_format_rate (scale, self->bits);
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), label);
  GdkRGBA fg, line;

  gtk_style_context_get_color (context, &fg);
  line = fg;
  line.alpha *= 0.12;
  for (guint i = 1; i <= 3; i++)
    gtk_snapshot_append_color (snapshot, &line,
                               &GRAPHENE_RECT_INIT (0, floor (height * i / 4.0), width, 1));

  fg.alpha *= 0.6;
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (4, 2));
  gtk_snapshot_append_layout (snapshot, layout, &fg);
  gtk_snapshot_restore (snapshot);
}

static void
netpulse_sparkline_snapshot (GtkWidget   *widget,
                             GtkSnapshot *snapshot)
{
  NetpulseSparkline *self = NETPULSE_SPARKLINE (widget);
  const NetpulseHistory *history;
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  g_autofree double *rx = NULL;
  g_autofree double *tx = NULL;
  double peak = 0.0, scale;
  GdkRGBA rx_color, tx_color;
  cairo_t *cr;
  guint64 tick;
  guint n;

  if (self->store == NULL || width <= 1 || height <= 1)
    return;

  history = self->row != NULL ? netpulse_row_get_history (self->row)
            : self->history != NULL ? self->history
            : netpulse_connection_store_get_history (self->store);
  tick = netpulse_connection_store_get_tick (self->store);
  /* An adaptive graph spans the time since the start until it is full. */
  n = self->adaptive ? (guint) CLAMP (tick, NETPULSE_ROW_HISTORY_LENGTH, self->samples) : self->samples;
  rx = g_new (double, n);
  tx = g_new (double, n);
  netpulse_history_get (history, tick, n, rx, tx);
  peak = self->shared_scale > 0.0 ? self->shared_scale
                                  : netpulse_history_robust_peak (rx, tx, n, netpulse_history_first_index (history, tick, n));
  scale = self->detailed ? nice_scale (MAX (peak, MIN_SCALE)) : MAX (peak, MIN_SCALE);

  lookup_color (widget, "netpulse_rx_color", "#3584e4", &rx_color);
  lookup_color (widget, "netpulse_tx_color", "#e66100", &tx_color);

  if (self->detailed)
    draw_grid (self, snapshot, scale, width, height);

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  cairo_set_line_width (cr, self->detailed ? 2.0 : 1.25);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  draw_series (cr, rx, n, scale, width, height, &rx_color, 0.25);
  draw_series (cr, tx, n, scale, width, height, &tx_color, 0.15);
  cairo_destroy (cr);
}

static void
netpulse_sparkline_measure (GtkWidget      *widget,
                            GtkOrientation  orientation,
                            int             for_size,
                            int            *minimum,
                            int            *natural,
                            int            *minimum_baseline,
                            int            *natural_baseline)
{
  NetpulseSparkline *self = NETPULSE_SPARKLINE (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      /* Narrow windows (360 px) still draw the header graph. */
      *minimum = 48;
      *natural = self->detailed ? 360 : 96;
    }
  else
    {
      *minimum = self->detailed ? 64 : 16;
      *natural = self->detailed ? 96 : 20;
    }
}

static void
on_tick (NetpulseSparkline *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
netpulse_sparkline_dispose (GObject *object)
{
  NetpulseSparkline *self = NETPULSE_SPARKLINE (object);

  netpulse_sparkline_set_store (self, NULL);
  g_clear_object (&self->row);

  G_OBJECT_CLASS (netpulse_sparkline_parent_class)->dispose (object);
}

static void
netpulse_sparkline_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  NetpulseSparkline *self = NETPULSE_SPARKLINE (object);

  switch (prop_id)
    {
    case PROP_DETAILED: g_value_set_boolean (value, self->detailed); break;
    case PROP_SAMPLES:  g_value_set_uint (value, self->samples); break;
    case PROP_ADAPTIVE: g_value_set_boolean (value, self->adaptive); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netpulse_sparkline_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  NetpulseSparkline *self = NETPULSE_SPARKLINE (object);

  switch (prop_id)
    {
    case PROP_DETAILED:
      self->detailed = g_value_get_boolean (value);
      gtk_widget_queue_resize (GTK_WIDGET (self));
      break;
    case PROP_SAMPLES:
      netpulse_sparkline_set_samples (self, g_value_get_uint (value));
      break;
    case PROP_ADAPTIVE:
      self->adaptive = g_value_get_boolean (value);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netpulse_sparkline_class_init (NetpulseSparklineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = netpulse_sparkline_dispose;
  object_class->get_property = netpulse_sparkline_get_property;
  object_class->set_property = netpulse_sparkline_set_property;
  widget_class->snapshot = netpulse_sparkline_snapshot;
  widget_class->measure = netpulse_sparkline_measure;

  properties[PROP_DETAILED] =
    g_param_spec_boolean ("detailed", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SAMPLES] =
    g_param_spec_uint ("samples", NULL, NULL, 2, 10000, NETPULSE_ROW_HISTORY_LENGTH,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ADAPTIVE] =
    g_param_spec_boolean ("adaptive", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "sparkline");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
netpulse_sparkline_init (NetpulseSparkline *self)
{
  self->samples = NETPULSE_ROW_HISTORY_LENGTH;
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Download and upload rate graph"),
                                  -1);
}

GtkWidget *
netpulse_sparkline_new (void)
{
  return g_object_new (NETPULSE_TYPE_SPARKLINE, NULL);
}

void
netpulse_sparkline_set_store (NetpulseSparkline       *self,
                              NetpulseConnectionStore *store)
{
  g_return_if_fail (NETPULSE_IS_SPARKLINE (self));

  if (self->store == store)
    return;
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_func (self->store, on_tick, self);
  g_set_object (&self->store, store);
  if (store != NULL)
    g_signal_connect_swapped (store, "notify::tick", G_CALLBACK (on_tick), self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
netpulse_sparkline_set_row (NetpulseSparkline *self,
                            NetpulseRow       *row)
{
  g_return_if_fail (NETPULSE_IS_SPARKLINE (self));

  if (g_set_object (&self->row, row))
    gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
netpulse_sparkline_set_samples (NetpulseSparkline *self,
                                guint              samples)
{
  g_return_if_fail (NETPULSE_IS_SPARKLINE (self));

  self->samples = MAX (samples, 2);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
netpulse_sparkline_set_history (NetpulseSparkline     *self,
                                const NetpulseHistory *history)
{
  g_return_if_fail (NETPULSE_IS_SPARKLINE (self));

  self->history = history;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
netpulse_sparkline_set_shared_scale (NetpulseSparkline *self,
                                     double             scale)
{
  g_return_if_fail (NETPULSE_IS_SPARKLINE (self));

  if (self->shared_scale == scale)
    return;
  self->shared_scale = scale;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
netpulse_sparkline_set_bits (NetpulseSparkline *self,
                             gboolean           bits)
{
  g_return_if_fail (NETPULSE_IS_SPARKLINE (self));

  self->bits = bits;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
