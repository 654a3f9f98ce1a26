/* netpulse-cell-text.c
 *
 * One line of text in a table cell, shaped only when it is drawn.
 *
 * GTK 4.8's list views keep about two hundred rows bound around the
 * visible ones, and a table re-sorted by rate rebinds all of them on each
 * update: with GtkLabel, each of their twelve cells laid out and shaped
 * its new text (HarfBuzz) to be measured, several times, though only the
 * forty rows on screen are ever drawn.  The columns of the table have
 * fixed widths, so a cell's width is the column's, not its text's; its
 * height is one line of its font.  This cell therefore measures without
 * its text (the line height of a reference string, shaped once per font),
 * keeps the text it is given as a string, and gives it to its PangoLayout
 * when it draws.  A row that is bound and never shown costs a string copy
 * per cell.
 *
 * Ellipsized at the end like the labels it replaces; numbers use tabular
 * figures and align to the end of the cell (the right in left-to-right
 * locales).  Screen readers get the text as the cell's label.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-cell-text"

#include "config.h"

#include "netpulse-cell-text.h"

#include <pango/pangocairo.h>

struct _NetpulseCellText
{
  GtkWidget    parent_instance;

  char        *text;
  PangoLayout *layout;           /* NULL until first drawn */
  gboolean     layout_stale;     /* @text is not in @layout yet */
  int          layout_width;     /* the width @layout was last given, in pixels */
  guint        n_shaped;         /* texts given to @layout, for tests */

  /* One line of the font, measured with a reference string. */
  guint        font_serial;      /* pango_context_get_serial() measured at, 0: never */
  int          line_height;
  int          line_baseline;

  gboolean     number;
};

G_DEFINE_FINAL_TYPE (NetpulseCellText, netpulse_cell_text, GTK_TYPE_WIDGET)

/* Tall glyphs and a descender: the height that a label of the same font
 * with most texts would have. */
#define REFERENCE_TEXT "Ág0"

/* One line of one font, as a reference string measures it. */
typedef struct
{
  PangoFontDescription *font;
  PangoLanguage        *language;
  gulong                options_hash;   /* cairo_font_options_hash(), 0: none */
  double                resolution;
  guint                 font_map_serial;
  int                   height;
  int                   baseline;
} LineMetrics;

/* Fonts beyond this many are measured again rather than remembered. */
#define MAX_LINE_METRICS 16

static void
line_metrics_free (gpointer data)
{
  LineMetrics *metrics = data;

  pango_font_description_free (metrics->font);
  g_free (metrics);
}

static gboolean
line_metrics_match (const LineMetrics *metrics,
                    const LineMetrics *key)
{
  return metrics->language == key->language
      && metrics->options_hash == key->options_hash
      && metrics->resolution == key->resolution
      && metrics->font_map_serial == key->font_map_serial
      && pango_font_description_equal (metrics->font, key->font);
}

static void
line_metrics_key (LineMetrics  *key,
                  PangoContext *context)
{
  const cairo_font_options_t *options = pango_cairo_context_get_font_options (context);

  key->font = pango_context_get_font_description (context);
  key->language = pango_context_get_language (context);
  key->options_hash = options != NULL ? cairo_font_options_hash (options) : 0;
  key->resolution = pango_cairo_context_get_resolution (context);
  key->font_map_serial = pango_font_map_get_serial (pango_context_get_font_map (context));
}

static void
shape_reference_line (LineMetrics  *metrics,
                      PangoContext *context)
{
  g_autoptr(PangoLayout) reference = pango_layout_new (context);
  PangoRectangle logical;

  pango_layout_set_text (reference, REFERENCE_TEXT, -1);
  pango_layout_get_pixel_extents (reference, NULL, &logical);
  metrics->height = logical.height;
  metrics->baseline = PANGO_PIXELS_CEIL (pango_layout_get_baseline (reference));
}

/* The line of @context's font.  Every cell of a table has a context of
 * its own, but they share a handful of fonts: the metrics are kept with
 * the font map, whose every font they describe, and shaped once per font
 * (two hundred rows of twelve cells are created at the first update). */
static const LineMetrics *
lookup_line_metrics (PangoContext *context)
{
  PangoFontMap *font_map = pango_context_get_font_map (context);
  GPtrArray *known = g_object_get_data (G_OBJECT (font_map), "netpulse-line-metrics");
  LineMetrics key = { 0 }, *metrics;

  line_metrics_key (&key, context);
  if (known == NULL)
    {
      known = g_ptr_array_new_with_free_func (line_metrics_free);
      g_object_set_data_full (G_OBJECT (font_map), "netpulse-line-metrics", known,
                              (GDestroyNotify) g_ptr_array_unref);
    }
  for (guint i = 0; i < known->len; i++)
    if (line_metrics_match (g_ptr_array_index (known, i), &key))
      return g_ptr_array_index (known, i);

  if (known->len >= MAX_LINE_METRICS)
    g_ptr_array_set_size (known, 0);
  metrics = g_memdup2 (&key, sizeof key);
  metrics->font = pango_font_description_copy (key.font);
  shape_reference_line (metrics, context);
  g_ptr_array_add (known, metrics);
  return metrics;
}

static void
measure_font (NetpulseCellText *self)
{
  PangoContext *context = gtk_widget_get_pango_context (GTK_WIDGET (self));
  guint serial = pango_context_get_serial (context);
  LineMetrics transformed;
  const LineMetrics *metrics = &transformed;

  if (serial == self->font_serial)
    return;
  /* A transformed context (none in GTK's widgets) lays out otherwise. */
  if (pango_context_get_matrix (context) != NULL)
    shape_reference_line (&transformed, context);
  else
    metrics = lookup_line_metrics (context);
  self->line_height = metrics->height;
  self->line_baseline = metrics->baseline;
  self->font_serial = serial;
}

static void
netpulse_cell_text_measure (GtkWidget      *widget,
                            GtkOrientation  orientation,
                            int             for_size,
                            int            *minimum,
                            int            *natural,
                            int            *minimum_baseline,
                            int            *natural_baseline)
{
  NetpulseCellText *self = NETPULSE_CELL_TEXT (widget);

  /* Across: the column decides; the text is cut short to fit. */
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = *natural = 0;
      return;
    }
  measure_font (self);
  *minimum = *natural = self->line_height;
  *minimum_baseline = *natural_baseline = self->line_baseline;
}

static PangoAlignment
text_alignment (NetpulseCellText *self)
{
  gboolean rtl = gtk_widget_get_direction (GTK_WIDGET (self)) == GTK_TEXT_DIR_RTL;

  /* Numbers line up at their end, text starts at the start. */
  if (self->number)
    return rtl ? PANGO_ALIGN_LEFT : PANGO_ALIGN_RIGHT;
  return rtl ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT;
}

static PangoLayout *
create_layout (NetpulseCellText *self)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), NULL);

  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_single_paragraph_mode (layout, TRUE);
  if (self->number)
    {
      /* What the theme's "numeric" class asks of a label: digits of one
       * width, so that figures in a column line up. */
      g_autoptr(PangoAttrList) attrs = pango_attr_list_new ();

      pango_attr_list_insert (attrs, pango_attr_font_features_new ("tnum=1"));
      pango_layout_set_attributes (layout, attrs);
    }
  return layout;
}

/* The layout with the text and the width of now. */
static PangoLayout *
ensure_layout (NetpulseCellText *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));

  if (self->layout == NULL)
    {
      self->layout = create_layout (self);
      self->layout_stale = TRUE;
      self->layout_width = -1;
    }
  if (self->layout_stale)
    {
      pango_layout_set_text (self->layout, self->text != NULL ? self->text : "", -1);
      self->layout_stale = FALSE;
      self->n_shaped++;
    }
  if (width != self->layout_width)
    {
      pango_layout_set_width (self->layout, width * PANGO_SCALE);
      self->layout_width = width;
    }
  pango_layout_set_alignment (self->layout, text_alignment (self));
  return self->layout;
}

static void
get_color (GtkWidget *widget,
           GdkRGBA   *color)
{
#if GTK_CHECK_VERSION (4, 10, 0)
  gtk_widget_get_color (widget, color);
#else
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), color);
#endif
}

static void
netpulse_cell_text_snapshot (GtkWidget   *widget,
                             GtkSnapshot *snapshot)
{
  NetpulseCellText *self = NETPULSE_CELL_TEXT (widget);
  PangoLayout *layout;
  GdkRGBA color;
  int y;

  if (self->text == NULL || self->text[0] == '\0')
    return;
  layout = ensure_layout (self);
  measure_font (self);
  get_color (widget, &color);
  /* On the row's baseline when it has one, else centred. */
  y = gtk_widget_get_allocated_baseline (widget);
  y = y >= 0 ? y - self->line_baseline : (gtk_widget_get_height (widget) - self->line_height) / 2;
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (0, y));
  gtk_snapshot_append_layout (snapshot, layout, &color);
  gtk_snapshot_restore (snapshot);
}

static void
netpulse_cell_text_css_changed (GtkWidget         *widget,
                                GtkCssStyleChange *change)
{
  NetpulseCellText *self = NETPULSE_CELL_TEXT (widget);

  GTK_WIDGET_CLASS (netpulse_cell_text_parent_class)->css_changed (widget, change);
  /* A row's hover or selection changes its cells' colours, not their
   * font: only another font asks for another size. */
  if (self->font_serial != 0 &&
      pango_context_get_serial (gtk_widget_get_pango_context (widget)) != self->font_serial)
    {
      if (self->layout != NULL)
        pango_layout_context_changed (self->layout);
      gtk_widget_queue_resize (widget);
    }
}

static void
netpulse_cell_text_direction_changed (GtkWidget        *widget,
                                      GtkTextDirection  previous)
{
  gtk_widget_queue_draw (widget);
}

static void
netpulse_cell_text_finalize (GObject *object)
{
  NetpulseCellText *self = NETPULSE_CELL_TEXT (object);

  g_clear_pointer (&self->text, g_free);
  g_clear_object (&self->layout);

  G_OBJECT_CLASS (netpulse_cell_text_parent_class)->finalize (object);
}

static void
netpulse_cell_text_class_init (NetpulseCellTextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = netpulse_cell_text_finalize;
  widget_class->measure = netpulse_cell_text_measure;
  widget_class->snapshot = netpulse_cell_text_snapshot;
  widget_class->css_changed = netpulse_cell_text_css_changed;
  widget_class->direction_changed = netpulse_cell_text_direction_changed;

  gtk_widget_class_set_css_name (widget_class, "label");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_LABEL);
}

static void
netpulse_cell_text_init (NetpulseCellText *self)
{
}

GtkWidget *
netpulse_cell_text_new (gboolean number)
{
  NetpulseCellText *self = g_object_new (NETPULSE_TYPE_CELL_TEXT, NULL);

  self->number = number;
  if (number)
    gtk_widget_add_css_class (GTK_WIDGET (self), "numeric");
  return GTK_WIDGET (self);
}

/* Cheap when nobody sees the cell: the text is shaped when drawn. */
void
netpulse_cell_text_set_text (NetpulseCellText *self,
                             const char       *text)
{
  g_return_if_fail (NETPULSE_IS_CELL_TEXT (self));

  if (text == NULL)
    text = "";
  if (g_strcmp0 (self->text, text) == 0)
    return;
  g_free (self->text);
  self->text = g_strdup (text);
  self->layout_stale = TRUE;
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, self->text, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
netpulse_cell_text_get_text (NetpulseCellText *self)
{
  g_return_val_if_fail (NETPULSE_IS_CELL_TEXT (self), NULL);

  return self->text != NULL ? self->text : "";
}

/* Whether the text is cut short at the cell's width now (an ellipsis
 * drawn instead of its end). */
gboolean
netpulse_cell_text_is_ellipsized (NetpulseCellText *self)
{
  g_return_val_if_fail (NETPULSE_IS_CELL_TEXT (self), FALSE);

  if (self->text == NULL || self->text[0] == '\0')
    return FALSE;
  return pango_layout_is_ellipsized (ensure_layout (self));
}

/* How many texts were shaped: set and then drawn (or asked whether
 * ellipsized). */
guint
netpulse_cell_text_get_n_shaped (NetpulseCellText *self)
{
  g_return_val_if_fail (NETPULSE_IS_CELL_TEXT (self), 0);

  return self->n_shaped;
}
