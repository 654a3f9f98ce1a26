/* test-cell-text.c: NetpulseCellText, the text of a table cell, shaped
 * only when drawn, under a real display (tests/app/run-under-xvfb.py).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <gtk/gtk.h>

#include "netpulse-cell-text.h"

#define ITERATE_UNTIL(condition)                                        \
  G_STMT_START {                                                        \
    gint64 deadline_ = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;   \
    while (!(condition) && g_get_monotonic_time () < deadline_)         \
      g_main_context_iteration (NULL, FALSE);                           \
    g_assert_true (condition);                                          \
  } G_STMT_END

static int
height_of (GtkWidget *widget,
           int       *baseline)
{
  int minimum, natural, minimum_baseline = -1, natural_baseline = -1;

  gtk_widget_measure (widget, GTK_ORIENTATION_VERTICAL, -1, &minimum, &natural,
                      &minimum_baseline, &natural_baseline);
  g_assert_cmpint (minimum, ==, natural);
  if (baseline != NULL)
    *baseline = natural_baseline;
  return natural;
}

/* Draws @widget into a render node; TRUE if anything was drawn. */
static gboolean
draw (GtkWidget *widget)
{
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;

  GTK_WIDGET_GET_CLASS (widget)->snapshot (widget, snapshot);
  node = gtk_snapshot_free_to_node (snapshot);
  return node != NULL;
}

static GtkWidget *
window_with (GtkWidget *child,
             int        width,
             int        height)
{
  GtkWidget *window = gtk_window_new ();

  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  gtk_window_set_child (GTK_WINDOW (window), child);
  gtk_window_present (GTK_WINDOW (window));
  ITERATE_UNTIL (gtk_widget_get_mapped (child) && gtk_widget_get_width (child) > 0);
  return window;
}

/* Setting texts shapes nothing; drawing shapes the last one, once. */
static void
test_shaped_when_drawn (void)
{
  GtkWidget *cell = netpulse_cell_text_new (TRUE);
  GtkWidget *window = window_with (cell, 300, 100);
  NetpulseCellText *text = NETPULSE_CELL_TEXT (cell);
  guint before = netpulse_cell_text_get_n_shaped (text);

  for (guint i = 0; i < 1000; i++)
    {
      char buffer[32];

      g_snprintf (buffer, sizeof buffer, "%u.%u kB/s", i, i % 10);
      netpulse_cell_text_set_text (text, buffer);
    }
  g_assert_cmpstr (netpulse_cell_text_get_text (text), ==, "999.9 kB/s");
  g_assert_cmpuint (netpulse_cell_text_get_n_shaped (text), ==, before);

  g_assert_true (draw (cell));
  g_assert_cmpuint (netpulse_cell_text_get_n_shaped (text), ==, before + 1);
  /* Again, and with the same text set again: nothing to shape. */
  netpulse_cell_text_set_text (text, "999.9 kB/s");
  g_assert_true (draw (cell));
  g_assert_cmpuint (netpulse_cell_text_get_n_shaped (text), ==, before + 1);
  netpulse_cell_text_set_text (text, "1.0 MB/s");
  g_assert_true (draw (cell));
  g_assert_cmpuint (netpulse_cell_text_get_n_shaped (text), ==, before + 2);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* As tall as a label of the font, and on the same baseline; no width of
 * its own (the column gives it). */
static void
test_measures_like_a_label (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget *cell = netpulse_cell_text_new (FALSE);
  GtkWidget *label = gtk_label_new ("firefox-esr 192.168.1.23:51820 gÁ");
  GtkWidget *window;
  int minimum, natural, cell_baseline, label_baseline;

  gtk_label_set_single_line_mode (GTK_LABEL (label), TRUE);
  gtk_box_append (GTK_BOX (box), cell);
  gtk_box_append (GTK_BOX (box), label);
  window = window_with (box, 400, 100);

  netpulse_cell_text_set_text (NETPULSE_CELL_TEXT (cell), "firefox-esr 192.168.1.23:51820 gÁ");
  g_assert_cmpint (height_of (cell, &cell_baseline), ==, height_of (label, &label_baseline));
  g_assert_cmpint (cell_baseline, ==, label_baseline);
  gtk_widget_measure (cell, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, &natural, NULL, NULL);
  g_assert_cmpint (minimum, ==, 0);
  g_assert_cmpint (natural, ==, 0);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* Cells of one font share its measurement: a cell of another font (a
 * class with its own size) is as tall as a label of that font, and both
 * follow when the style sheet changes the size. */
static void
test_follows_its_font (void)
{
  g_autoptr(GtkCssProvider) provider = gtk_css_provider_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *cells[3], *labels[3];
  GtkWidget *window;

  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  gtk_css_provider_load_from_data (provider, ".big { font-size: 30px; }", -1);
  for (guint i = 0; i < G_N_ELEMENTS (cells); i++)
    {
      cells[i] = netpulse_cell_text_new (i == 2);
      labels[i] = gtk_label_new ("gÁ");
      if (i == 1)
        {
          gtk_widget_add_css_class (cells[i], "big");
          gtk_widget_add_css_class (labels[i], "big");
        }
      gtk_box_append (GTK_BOX (box), cells[i]);
      gtk_box_append (GTK_BOX (box), labels[i]);
    }
  window = window_with (box, 300, 300);

  for (guint i = 0; i < G_N_ELEMENTS (cells); i++)
    g_assert_cmpint (height_of (cells[i], NULL), ==, height_of (labels[i], NULL));
  g_assert_cmpint (height_of (cells[1], NULL), >, height_of (cells[0], NULL));
  g_assert_cmpint (height_of (cells[2], NULL), ==, height_of (cells[0], NULL));

  /* Smaller than the default font now. */
  gtk_css_provider_load_from_data (provider, ".big { font-size: 6px; }", -1);
  ITERATE_UNTIL (height_of (labels[1], NULL) < height_of (labels[0], NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cells); i++)
    g_assert_cmpint (height_of (cells[i], NULL), ==, height_of (labels[i], NULL));
  g_assert_cmpint (height_of (cells[1], NULL), <, height_of (cells[0], NULL));

  gtk_style_context_remove_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (provider));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Cut short with an ellipsis where it does not fit, whole where it does. */
static void
test_ellipsized (void)
{
  GtkWidget *cell = netpulse_cell_text_new (FALSE);
  GtkWidget *window = window_with (cell, 120, 100);
  NetpulseCellText *text = NETPULSE_CELL_TEXT (cell);

  g_assert_false (netpulse_cell_text_is_ellipsized (text));
  netpulse_cell_text_set_text (text, "[2a02:8109:9d40:1c00:1234:5678:9abc:def0]:443");
  g_assert_true (netpulse_cell_text_is_ellipsized (text));
  netpulse_cell_text_set_text (text, "ssh");
  g_assert_false (netpulse_cell_text_is_ellipsized (text));

  gtk_window_destroy (GTK_WINDOW (window));
}

/* ---- in a column view, as the app has them --------------------------- */

typedef struct {
  GPtrArray *cells;   /* every NetpulseCellText the factory made, held */
  guint      binds;
} Table;

static void
table_setup (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             Table                    *table)
{
  GtkWidget *cell = netpulse_cell_text_new (TRUE);

  /* Held: GTK may let go of list items it no longer needs. */
  g_ptr_array_add (table->cells, g_object_ref_sink (cell));
  gtk_list_item_set_child (item, cell);
}

static void
table_bind (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            Table                    *table)
{
  GtkStringObject *string = gtk_list_item_get_item (item);

  table->binds++;
  netpulse_cell_text_set_text (NETPULSE_CELL_TEXT (gtk_list_item_get_child (item)),
                               gtk_string_object_get_string (string));
}

static guint
shaped_in (Table *table)
{
  guint n = 0;

  for (guint i = 0; i < table->cells->len; i++)
    n += netpulse_cell_text_get_n_shaped (g_ptr_array_index (table->cells, i));
  return n;
}

/* Cells of @table that are in @viewport's area, whole or in part. */
static guint
on_screen (Table     *table,
           GtkWidget *viewport)
{
  graphene_rect_t area = GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (viewport), gtk_widget_get_height (viewport));
  guint n = 0;

  for (guint i = 0; i < table->cells->len; i++)
    {
      GtkWidget *cell = g_ptr_array_index (table->cells, i);
      graphene_rect_t bounds;

      if (gtk_widget_get_mapped (cell) && gtk_widget_compute_bounds (cell, viewport, &bounds) &&
          graphene_rect_intersection (&bounds, &area, NULL))
        n++;
    }
  return n;
}

static void
fill (GListStore *store,
      guint       n,
      gboolean    reversed)
{
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("%u.%u kB/s", reversed ? n - i : i + 1, i % 10);

      g_ptr_array_add (strings, gtk_string_object_new (text));
    }
  g_list_store_splice (store, 0, g_list_model_get_n_items (G_LIST_MODEL (store)), strings->pdata, n);
}

static gboolean
count_frame (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       user_data)
{
  (*(guint *) user_data)++;
  return G_SOURCE_CONTINUE;
}

/* A whole table re-sorted: the rows GTK keeps bound off screen are given
 * their texts, and only the rows on screen shape theirs. */
static void
test_only_visible_rows_shaped (void)
{
  Table table = { g_ptr_array_new_with_free_func (g_object_unref), 0 };
  g_autoptr(GListStore) store = g_list_store_new (GTK_TYPE_STRING_OBJECT);
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *column = gtk_column_view_column_new ("Download", factory);
  GtkWidget *view, *scrolled, *window;
  guint shaped, binds, visible_rows, frames, tick_id;

  g_signal_connect (factory, "setup", G_CALLBACK (table_setup), &table);
  g_signal_connect (factory, "bind", G_CALLBACK (table_bind), &table);
  fill (store, 2000, FALSE);
  view = gtk_column_view_new (GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (store)))));
  gtk_column_view_column_set_fixed_width (column, 120);
  gtk_column_view_append_column (GTK_COLUMN_VIEW (view), column);
  g_object_unref (column);
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), view);
  window = window_with (scrolled, 200, 300);
  ITERATE_UNTIL (shaped_in (&table) > 0);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  shaped = shaped_in (&table);
  binds = table.binds;

  fill (store, 2000, TRUE);
  /* Drawn: a few frames of the frame clock after the change. */
  frames = 0;
  tick_id = gtk_widget_add_tick_callback (view, count_frame, &frames, NULL);
  gtk_widget_queue_draw (view);
  ITERATE_UNTIL (frames >= 3);
  gtk_widget_remove_tick_callback (view, tick_id);
  visible_rows = on_screen (&table, scrolled);
  g_test_message ("re-sorted: %u binds, %u texts shaped, %u cells of %u on screen",
                  table.binds - binds, shaped_in (&table) - shaped, visible_rows, table.cells->len);
  g_assert_cmpuint (table.binds - binds, >=, visible_rows);
  /* The rows on screen show their new texts, and only they shaped them. */
  g_assert_cmpuint (visible_rows, >, 0);
  g_assert_cmpuint (shaped_in (&table) - shaped, ==, visible_rows);

  gtk_window_destroy (GTK_WINDOW (window));
  g_ptr_array_unref (table.cells);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gtk_init ();

  g_test_add_func ("/cell-text/shaped-when-drawn", test_shaped_when_drawn);
  g_test_add_func ("/cell-text/measures-like-a-label", test_measures_like_a_label);
  g_test_add_func ("/cell-text/follows-its-font", test_follows_its_font);
  g_test_add_func ("/cell-text/ellipsized", test_ellipsized);
  g_test_add_func ("/cell-text/only-visible-rows-shaped", test_only_visible_rows_shaped);
  return g_test_run ();
}
