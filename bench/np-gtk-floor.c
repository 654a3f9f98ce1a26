/* np-gtk-floor.c — what GTK 4.8 itself costs for the app's table.
 *
 * A reference for bench/app.py, run side by side with the app: a
 * libadwaita window of the app's default size (1280×720) with one
 * GtkColumnView of the app's twelve columns at their default widths
 * (src/netpulse-columns.c), each cell a plain GtkLabel (numbers with the
 * "numeric" class, ellipsized like the app's), over a GListStore of N rows.
 *
 *   update 0: the N rows appear at once (one splice), after the window has
 *             drawn once — as the app's first update comes after its window
 *             is shown;
 *   update k: every row's figures change, and every bound cell gets its new
 *             text (set_label): nothing sorted, filtered, grouped or drawn
 *             as a graph, no per-row state beyond twelve numbers.
 *
 * That is less than any table of N rows that all change can do with GTK's
 * list widgets: its CPU per update and for the first update are the floor
 * under the app's figures on the same machine, in the same run.
 *
 * Each update is the signal "update" of NpFloorFeed, which np-frame-stats.so
 * (LD_PRELOAD, NP_FRAME_STATS_SOURCE=NpFloorFeed) records as it records the
 * app's.
 *
 * With --blank, every cell is an empty widget of one line's height: what
 * GTK's list machinery costs alone (rows, cells, their CSS nodes), with no
 * text at all; its updates change nothing on screen.
 *
 * Usage: np-gtk-floor [--rows N] [--ticks T] [--interval MS] [--blank]
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <adwaita.h>
#include <stdio.h>
#include <stdlib.h>

#define N_COLUMNS 12

/* The app's columns: title, default width, whether a number. */
static const struct {
  const char *title;
  int         width;
  gboolean    number;
} columns[N_COLUMNS] = {
  { "Process", 168, FALSE }, { "Download", 108, TRUE }, { "Upload", 108, TRUE },
  { "Total", 76, TRUE }, { "Activity", 100, TRUE }, { "PID", 60, TRUE },
  { "User", 76, FALSE }, { "Protocol", 64, FALSE }, { "Local Address", 156, FALSE },
  { "Remote Address", 172, FALSE }, { "State", 92, FALSE }, { "RTT", 68, TRUE },
};

/* ---- one row: twelve figures, and the labels that show them now ---- */

#define NP_TYPE_FLOOR_ROW (np_floor_row_get_type ())
G_DECLARE_FINAL_TYPE (NpFloorRow, np_floor_row, NP, FLOOR_ROW, GObject)

struct _NpFloorRow
{
  GObject    parent_instance;
  guint64    value[N_COLUMNS];
  GtkLabel  *label[N_COLUMNS];    /* bound cells, NULL when none */
};

G_DEFINE_FINAL_TYPE (NpFloorRow, np_floor_row, G_TYPE_OBJECT)

static void
np_floor_row_class_init (NpFloorRowClass *klass)
{
}

static void
np_floor_row_init (NpFloorRow *self)
{
}

static void
show_value (NpFloorRow *row,
            guint       column)
{
  char text[48];

  if (row->label[column] == NULL)
    return;
  if (columns[column].number)
    g_snprintf (text, sizeof text, "%" G_GUINT64_FORMAT ".%u kB/s", row->value[column] / 10, (guint) (row->value[column] % 10));
  else
    g_snprintf (text, sizeof text, "host-%" G_GUINT64_FORMAT ".example.org", row->value[column]);
  gtk_label_set_label (row->label[column], text);
}

/* ---- a cell that shows nothing: GTK's list machinery alone ---- */

#define NP_TYPE_FLOOR_BLANK (np_floor_blank_get_type ())
G_DECLARE_FINAL_TYPE (NpFloorBlank, np_floor_blank, NP, FLOOR_BLANK, GtkWidget)

struct _NpFloorBlank
{
  GtkWidget parent_instance;
};

G_DEFINE_FINAL_TYPE (NpFloorBlank, np_floor_blank, GTK_TYPE_WIDGET)

/* One line of the app's font, without measuring any font. */
static void
np_floor_blank_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline,
                        int            *natural_baseline)
{
  *minimum = *natural = orientation == GTK_ORIENTATION_VERTICAL ? 17 : 0;
}

static void
np_floor_blank_class_init (NpFloorBlankClass *klass)
{
  GTK_WIDGET_CLASS (klass)->measure = np_floor_blank_measure;
}

static void
np_floor_blank_init (NpFloorBlank *self)
{
}

/* ---- the feed: the updates, as a signal the frame stats can hook ---- */

#define NP_TYPE_FLOOR_FEED (np_floor_feed_get_type ())
G_DECLARE_FINAL_TYPE (NpFloorFeed, np_floor_feed, NP, FLOOR_FEED, GObject)

struct _NpFloorFeed
{
  GObject     parent_instance;
  GListStore *store;
  guint       n_rows;
  guint       n_ticks;
  guint       interval_ms;
  guint       tick;
  gboolean    blank;             /* cells that show nothing */
};

G_DEFINE_FINAL_TYPE (NpFloorFeed, np_floor_feed, G_TYPE_OBJECT)

static guint update_signal;

static void
np_floor_feed_finalize (GObject *object)
{
  g_clear_object (&NP_FLOOR_FEED (object)->store);
  G_OBJECT_CLASS (np_floor_feed_parent_class)->finalize (object);
}

static void
np_floor_feed_class_init (NpFloorFeedClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = np_floor_feed_finalize;
  update_signal = g_signal_new ("update", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
np_floor_feed_init (NpFloorFeed *self)
{
}

static void
add_rows (NpFloorFeed *self)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_full (self->n_rows, g_object_unref);

  for (guint i = 0; i < self->n_rows; i++)
    {
      NpFloorRow *row = g_object_new (NP_TYPE_FLOOR_ROW, NULL);

      for (guint c = 0; c < N_COLUMNS; c++)
        row->value[c] = (guint64) i * 7 + c;
      g_ptr_array_add (rows, row);
    }
  g_list_store_splice (self->store, 0, 0, rows->pdata, rows->len);
}

static void
change_rows (NpFloorFeed *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NpFloorRow) row = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      for (guint c = 0; c < N_COLUMNS; c++)
        {
          row->value[c] += self->tick;
          show_value (row, c);
        }
    }
}

static gboolean
on_tick (gpointer user_data)
{
  NpFloorFeed *self = user_data;

  g_signal_emit (self, update_signal, 0);
  if (self->tick == 0)
    add_rows (self);
  else
    change_rows (self);
  if (++self->tick >= self->n_ticks)
    return G_SOURCE_REMOVE;
  if (self->tick == 1)
    {
      g_timeout_add (self->interval_ms, on_tick, self);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* ---- the window ---- */

static void
setup_cell (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  column)
{
  GtkWidget *label;

  if (g_object_get_data (G_OBJECT (factory), "blank") != NULL)
    {
      gtk_list_item_set_child (item, g_object_new (NP_TYPE_FLOOR_BLANK, NULL));
      return;
    }
  label = gtk_label_new (NULL);

  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (label), columns[GPOINTER_TO_UINT (column)].number ? 1.0 : 0.0);
  if (columns[GPOINTER_TO_UINT (column)].number)
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
bind_cell (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  column)
{
  NpFloorRow *row = gtk_list_item_get_item (item);
  guint c = GPOINTER_TO_UINT (column);

  if (g_object_get_data (G_OBJECT (factory), "blank") != NULL)
    return;
  row->label[c] = GTK_LABEL (gtk_list_item_get_child (item));
  show_value (row, c);
}

static void
unbind_cell (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             gpointer                  column)
{
  NpFloorRow *row = gtk_list_item_get_item (item);

  if (row != NULL)
    row->label[GPOINTER_TO_UINT (column)] = NULL;
}

static GtkWidget *
create_table (GListModel *model,
              gboolean    blank)
{
  GtkColumnView *view = GTK_COLUMN_VIEW (gtk_column_view_new (GTK_SELECTION_MODEL (gtk_single_selection_new (model))));

  for (guint c = 0; c < N_COLUMNS; c++)
    {
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      g_autoptr(GtkColumnViewColumn) column = NULL;

      if (blank)
        g_object_set_data (G_OBJECT (factory), "blank", GINT_TO_POINTER (TRUE));
      g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), GUINT_TO_POINTER (c));
      g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), GUINT_TO_POINTER (c));
      g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cell), GUINT_TO_POINTER (c));
      column = gtk_column_view_column_new (columns[c].title, factory);
      gtk_column_view_column_set_fixed_width (column, columns[c].width);
      gtk_column_view_column_set_resizable (column, TRUE);
      gtk_column_view_append_column (view, column);
    }
  gtk_widget_add_css_class (GTK_WIDGET (view), "data-table");
  return GTK_WIDGET (view);
}

static void
on_activate (GtkApplication *app,
             NpFloorFeed    *feed)
{
  GtkWidget *window = adw_application_window_new (app);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 720);
  gtk_window_set_title (GTK_WINDOW (window), "np-gtk-floor");
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), create_table (G_LIST_MODEL (feed->store), feed->blank));
  gtk_box_append (GTK_BOX (box), scrolled);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);
  gtk_window_present (GTK_WINDOW (window));
  /* After the window's first frame, like the helper's first answer. */
  g_idle_add (on_tick, feed);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(NpFloorFeed) feed = g_object_new (NP_TYPE_FLOOR_FEED, NULL);
  g_autoptr(AdwApplication) app = NULL;
  int rows = 10000, ticks = 12, interval = 1000;
  gboolean blank = FALSE;
  GOptionEntry entries[] = {
    { "rows", 0, 0, G_OPTION_ARG_INT, &rows, "rows in the table", "N" },
    { "ticks", 0, 0, G_OPTION_ARG_INT, &ticks, "updates, the first adds the rows", "T" },
    { "interval", 0, 0, G_OPTION_ARG_INT, &interval, "time between updates", "MS" },
    { "blank", 0, 0, G_OPTION_ARG_NONE, &blank, "cells that show nothing (GTK's list machinery alone)", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error) || rows < 1 || ticks < 1 || interval < 1)
    {
      fprintf (stderr, "np-gtk-floor: %s\n", error != NULL ? error->message : "rows, ticks, interval must be >= 1");
      return 2;
    }
  feed->store = g_list_store_new (NP_TYPE_FLOOR_ROW);
  feed->n_rows = (guint) rows;
  feed->n_ticks = (guint) ticks;
  feed->interval_ms = (guint) interval;
  feed->blank = blank;

  app = adw_application_new ("io.github.netpulse.GtkFloor", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (on_activate), feed);
  return g_application_run (G_APPLICATION (app), 1, argv);
}
