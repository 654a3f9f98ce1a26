/* netpulse-columns.c
 *
 * Cells are plain widgets filled from the row when bound; while bound they
 * listen to the row, so an update redraws only the visible cells whose
 * values changed.  Texts are NetpulseCellText, which shapes a text only
 * when it is drawn: most bound rows are off screen.  What a cell listens
 * to besides its row (the view options, the resolver) it listens to for
 * the list item's whole life, not once per bind.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-columns"

#include "config.h"

#include <glib/gi18n.h>

#include "netpulse-cell-text.h"
#include "netpulse-columns.h"
#include "netpulse-connection.h"
#include "netpulse-format.h"
#include "netpulse-process-cell.h"
#include "netpulse-process-group.h"
#include "netpulse-row-slot.h"
#include "netpulse-app-group.h"
#include "netpulse-sparkline.h"
#include "netpulse-text.h"

typedef enum {
  CELL_TEXT,
  CELL_NUMBER,
  CELL_PROCESS,
  CELL_SPARKLINE,
} CellKind;

typedef char *(*CellText) (NetpulseRow         *row,
                           NetpulseViewOptions *options);

typedef struct {
  const char      *id;
  const char      *title;
  NetpulseSortKey  key;
  CellKind         kind;
  CellText         text;
  gboolean         expand;
  int              width;
  gboolean         descending;
} ColumnInfo;

/* The cells of one column view that refresh at the next flush: one queue
 * and one idle for all its columns (a GRcBox, held by each column). */
typedef struct {
  GPtrArray *stale;     /* GtkListItem */
  guint      flush_id;
} StaleCells;

typedef struct {
  const ColumnInfo    *info;
  NetpulseViewOptions *options;
  StaleCells          *stale;
} ColumnData;

typedef struct {
  NetpulseRow     *row;
  gulong           row_handler;   /* netpulse_row_watch() */
  gboolean         stale;         /* in StaleCells */
  NetpulseRowSlot *slot;          /* borrowed: the list item holds it while bound */
  gulong           slot_handler;  /* "moved" */
} CellBinding;

#define CONN(row) (NETPULSE_IS_CONNECTION (row) ? netpulse_connection_get_record (NETPULSE_CONNECTION (row)) : NULL)

static char *
text_pid (NetpulseRow *row, NetpulseViewOptions *options)
{
  guint pid = netpulse_row_get_pid (row);

  return pid != 0 ? g_strdup_printf ("%u", pid) : g_strdup ("");
}

static char *
text_user (NetpulseRow *row, NetpulseViewOptions *options)
{
  return g_strdup (netpulse_row_get_user (row));
}

static char *
text_protocol (NetpulseRow *row, NetpulseViewOptions *options)
{
  const NetpulseRecord *r = CONN (row);

  return g_strdup (r != NULL ? netpulse_format_protocol (r->proto, r->family, r->flags) : "");
}

static char *
text_local (NetpulseRow *row, NetpulseViewOptions *options)
{
  const NetpulseRecord *r = CONN (row);

  if (r == NULL)
    return g_strdup ("");
  return netpulse_view_options_format_endpoint (options, r->laddr, r->lport, r->proto, FALSE);
}

static char *
text_remote (NetpulseRow *row, NetpulseViewOptions *options)
{
  const NetpulseRecord *r = CONN (row);

  if (NETPULSE_IS_PROCESS_GROUP (row) || NETPULSE_IS_APP_GROUP (row))
    {
      guint n = netpulse_view_options_count_connections (options, row);

      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u connection", "%u connections", n), n);
    }
  if (r == NULL)
    return g_strdup ("");
  if (r->flags & NETPULSE_RECORD_OTHER_PEERS)
    return netpulse_format_remote (r);
  return netpulse_view_options_format_endpoint (options, r->raddr, r->rport, r->proto, TRUE);
}

static char *
text_state (NetpulseRow *row, NetpulseViewOptions *options)
{
  const NetpulseRecord *r = CONN (row);

  if (netpulse_row_get_closed (row))
    return g_strdup (_("Closed"));
  return g_strdup (r != NULL ? netpulse_format_state (r->proto, r->state) : "");
}

static char *
text_rtt (NetpulseRow *row, NetpulseViewOptions *options)
{
  const NetpulseRecord *r = CONN (row);

  return r != NULL ? netpulse_format_rtt (r->rtt_us) : g_strdup ("");
}

static char *
text_rx_rate (NetpulseRow *row, NetpulseViewOptions *options)
{
  return netpulse_format_rate (netpulse_row_get_rx_rate (row), netpulse_view_options_get_bits (options));
}

static char *
text_tx_rate (NetpulseRow *row, NetpulseViewOptions *options)
{
  return netpulse_format_rate (netpulse_row_get_tx_rate (row), netpulse_view_options_get_bits (options));
}

static char *
text_total (NetpulseRow *row, NetpulseViewOptions *options)
{
  return netpulse_format_bytes (netpulse_row_get_rx_bytes (row) + netpulse_row_get_tx_bytes (row));
}

/* The name, then what a person looks for first (Download, Upload): the
 * columns that must stay in sight come first, so a narrow window or the
 * detail pane only ever cuts off the details.  Rates are wide enough for
 * "1023.9 Mbit/s". */
static const ColumnInfo columns[] = {
  { "process",  N_("Process"),        NETPULSE_SORT_PROCESS,  CELL_PROCESS,   NULL,
    TRUE, 168, FALSE },
  { "rx-rate",  N_("Download"),       NETPULSE_SORT_RX_RATE,  CELL_NUMBER,    text_rx_rate,
    FALSE, 108, TRUE },
  { "tx-rate",  N_("Upload"),         NETPULSE_SORT_TX_RATE,  CELL_NUMBER,    text_tx_rate,
    FALSE, 108, TRUE },
  { "total",    N_("Total"),          NETPULSE_SORT_TOTAL,    CELL_NUMBER,    text_total,
    FALSE, 76, TRUE },
  { "activity", N_("Activity"),       NETPULSE_SORT_ACTIVITY, CELL_SPARKLINE, NULL,
    FALSE, 100, TRUE },
  { "pid",      N_("PID"),            NETPULSE_SORT_PID,      CELL_NUMBER,    text_pid,
    FALSE, 60, FALSE },
  { "user",     N_("User"),           NETPULSE_SORT_USER,     CELL_TEXT,      text_user,
    FALSE, 76, FALSE },
  { "protocol", N_("Protocol"),       NETPULSE_SORT_PROTOCOL, CELL_TEXT,      text_protocol,
    FALSE, 64, FALSE },
  { "local",    N_("Local Address"),  NETPULSE_SORT_LOCAL,    CELL_TEXT,      text_local,
    FALSE, 156, FALSE },
  { "remote",   N_("Remote Address"), NETPULSE_SORT_REMOTE,   CELL_TEXT,      text_remote,
    TRUE, 172, FALSE },
  { "state",    N_("State"),          NETPULSE_SORT_STATE,    CELL_TEXT,      text_state,
    FALSE, 92, FALSE },
  { "rtt",      N_("RTT"),            NETPULSE_SORT_RTT,      CELL_NUMBER,    text_rtt,
    FALSE, 68, TRUE },
};

NetpulseRow *
netpulse_columns_row_from_item (gpointer item)
{
  if (GTK_IS_TREE_LIST_ROW (item))
    return gtk_tree_list_row_get_item (GTK_TREE_LIST_ROW (item));
  if (NETPULSE_IS_ROW_SLOT (item))
    return g_object_ref (netpulse_row_slot_get_row (NETPULSE_ROW_SLOT (item)));
  return NETPULSE_IS_ROW (item) ? g_object_ref (item) : NULL;
}

static void
cell_binding_free (gpointer data)
{
  g_free (data);
}

static void on_changed (GtkListItem *item);

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          ColumnData               *data)
{
  NetpulseResolver *resolver = netpulse_view_options_get_resolver (data->options);
  GtkWidget *child;

  switch (data->info->kind)
    {
    case CELL_PROCESS:
      child = netpulse_process_cell_new ();
      break;
    case CELL_SPARKLINE:
      child = netpulse_sparkline_new ();
      netpulse_sparkline_set_store (NETPULSE_SPARKLINE (child), netpulse_view_options_get_store (data->options));
      break;
    case CELL_NUMBER:
    case CELL_TEXT:
    default:
      child = netpulse_cell_text_new (data->info->kind == CELL_NUMBER);
      break;
    }
  gtk_list_item_set_child (item, child);
  g_object_set_data (G_OBJECT (item), "netpulse-column", data);
  /* Unbound, on_changed() does nothing. */
  g_signal_connect_object (data->options, "notify", G_CALLBACK (on_changed), item, G_CONNECT_SWAPPED);
  if (resolver != NULL && data->info->key == NETPULSE_SORT_REMOTE)
    g_signal_connect_object (resolver, "resolved", G_CALLBACK (on_changed), item, G_CONNECT_SWAPPED);
}

static void
refresh (GtkListItem *item,
         ColumnData  *data)
{
  CellBinding *binding = g_object_get_data (G_OBJECT (item), "netpulse-binding");
  GtkWidget *child = gtk_list_item_get_child (item);
  g_autofree char *text = NULL;
  g_autofree char *safe = NULL;

  if (binding == NULL || binding->row == NULL)
    return;

  gtk_widget_set_opacity (child, netpulse_row_get_opacity (binding->row));
  switch (data->info->kind)
    {
    case CELL_PROCESS:
      netpulse_process_cell_fill (child, binding->row, NETPULSE_IS_CONNECTION (binding->row) &&
                                          gtk_tree_expander_get_list_row (GTK_TREE_EXPANDER (child)) != NULL);
      break;
    case CELL_SPARKLINE:
      netpulse_sparkline_set_row (NETPULSE_SPARKLINE (child), binding->row);
      /* Applications compare by eye on one scale; their processes and
       * connections below keep their own. */
      netpulse_sparkline_set_shared_scale (NETPULSE_SPARKLINE (child),
                                           NETPULSE_IS_APP_GROUP (binding->row)
                                           ? netpulse_view_options_get_shared_scale (data->options) : 0.0);
      break;
    case CELL_NUMBER:
    case CELL_TEXT:
    default:
      /* User names come from NSS, host names from reverse DNS. */
      text = data->info->text (binding->row, data->options);
      netpulse_cell_text_set_text (NETPULSE_CELL_TEXT (child), netpulse_text_safe (text, &safe));
      break;
    }
}

static gboolean
flush_stale (gpointer user_data)
{
  StaleCells *cells = user_data;
  g_autoptr(GPtrArray) stale = g_steal_pointer (&cells->stale);

  cells->flush_id = 0;
  cells->stale = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < stale->len; i++)
    {
      GtkListItem *item = g_ptr_array_index (stale, i);
      CellBinding *binding = g_object_get_data (G_OBJECT (item), "netpulse-binding");

      /* Unbound since, or bound again (and filled then). */
      if (binding == NULL || !binding->stale)
        continue;
      binding->stale = FALSE;
      refresh (item, g_object_get_data (G_OBJECT (item), "netpulse-column"));
    }
  return G_SOURCE_REMOVE;
}

static void
stale_cells_clear (gpointer data)
{
  StaleCells *cells = data;

  g_clear_handle_id (&cells->flush_id, g_source_remove);
  g_ptr_array_unref (cells->stale);
}

static StaleCells *
stale_cells_new (void)
{
  StaleCells *cells = g_rc_box_new0 (StaleCells);

  cells->stale = g_ptr_array_new_with_free_func (g_object_unref);
  return cells;
}

/* The cell's row changed, or another row came to its position: refreshed
 * once, after whatever else the same update does, before the frame is
 * drawn (the redraw's priority is lower).  In an update a bound cell hears
 * both its row's "changed" and its slot's "moved". */
static void
on_changed (GtkListItem *item)
{
  CellBinding *binding = g_object_get_data (G_OBJECT (item), "netpulse-binding");
  ColumnData *data = g_object_get_data (G_OBJECT (item), "netpulse-column");

  if (binding == NULL || binding->row == NULL || binding->stale)
    return;
  binding->stale = TRUE;
  g_ptr_array_add (data->stale->stale, g_object_ref (item));
  if (data->stale->flush_id == 0)
    data->stale->flush_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE + 10, flush_stale, data->stale, NULL);
}

/* The cell watches the row it shows, and only that one. */
static void
watch_row (GtkListItem *item,
           CellBinding *binding,
           NetpulseRow *row)
{
  if (binding->row != NULL)
    netpulse_row_unwatch (binding->row, &binding->row_handler);
  g_set_object (&binding->row, row);
  if (row != NULL)
    binding->row_handler = netpulse_row_watch (row, G_CALLBACK (on_changed), item);
  /* The process cell's tooltip borrows the binding's row: it follows at
   * once, not at the refresh (an event may come first). */
  if (netpulse_process_cell_get_tooltip_row (gtk_list_item_get_child (item)) != NULL)
    netpulse_process_cell_set_tooltip_row (gtk_list_item_get_child (item), row);
}

/* The list was re-sorted: the cell stays, and shows the row now at its
 * position (netpulse-row-slots.h). */
/* The expander of a process cell expands the tree row it is given. */
static void
set_tree_row (GtkListItem *item,
              gpointer     model_item)
{
  ColumnData *data = g_object_get_data (G_OBJECT (item), "netpulse-column");

  if (NETPULSE_IS_ROW_SLOT (model_item))
    model_item = netpulse_row_slot_get_item (model_item);
  if (data->info->kind == CELL_PROCESS)
    gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (gtk_list_item_get_child (item)),
                                    GTK_IS_TREE_LIST_ROW (model_item) ? model_item : NULL);
}

static void
on_slot_moved (GtkListItem *item)
{
  CellBinding *binding = g_object_get_data (G_OBJECT (item), "netpulse-binding");

  set_tree_row (item, binding->slot);
  watch_row (item, binding, netpulse_row_slot_get_row (binding->slot));
  on_changed (item);
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *item,
         ColumnData               *data)
{
  gpointer model_item = gtk_list_item_get_item (item);
  CellBinding *binding = g_new0 (CellBinding, 1);
  g_autoptr(NetpulseRow) row = netpulse_columns_row_from_item (model_item);

  g_object_set_data_full (G_OBJECT (item), "netpulse-binding", binding, cell_binding_free);

  set_tree_row (item, model_item);
  if (row == NULL)
    return;

  if (NETPULSE_IS_ROW_SLOT (model_item))
    {
      binding->slot = model_item;
      binding->slot_handler = netpulse_row_slot_watch (model_item, G_CALLBACK (on_slot_moved), item);
    }
  watch_row (item, binding, row);
  refresh (item, data);
}

static void
unbind_cb (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           ColumnData               *data)
{
  CellBinding *binding = g_object_get_data (G_OBJECT (item), "netpulse-binding");

  if (binding == NULL)
    return;
  if (binding->slot != NULL)
    netpulse_row_slot_unwatch (binding->slot, &binding->slot_handler);
  watch_row (item, binding, NULL);
  if (data->info->kind == CELL_SPARKLINE)
    netpulse_sparkline_set_row (NETPULSE_SPARKLINE (gtk_list_item_get_child (item)), NULL);
  else if (data->info->kind == CELL_PROCESS)
    {
      gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (gtk_list_item_get_child (item)), NULL);
      netpulse_process_cell_set_tooltip_row (gtk_list_item_get_child (item), NULL);
    }
  g_object_set_data (G_OBJECT (item), "netpulse-binding", NULL);
}

static void
column_data_free (gpointer data)
{
  ColumnData *column_data = data;

  g_rc_box_release_full (column_data->stale, stale_cells_clear);
  g_object_unref (column_data->options);
  g_free (column_data);
}

static GtkColumnViewColumn *
make_column (const ColumnInfo    *info,
             NetpulseViewOptions *options,
             StaleCells          *stale)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  ColumnData *data = g_new0 (ColumnData, 1);
  GtkColumnViewColumn *column;
  g_autoptr(GtkSorter) sorter = netpulse_row_sorter_new (info->key);

  data->info = info;
  data->options = g_object_ref (options);
  data->stale = g_rc_box_acquire (stale);
  g_object_set_data_full (G_OBJECT (factory), "netpulse-column", data, column_data_free);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), data);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), data);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cb), data);

  column = gtk_column_view_column_new (_(info->title), factory);
  gtk_column_view_column_set_sorter (column, sorter);
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_column_set_expand (column, info->expand);
  gtk_column_view_column_set_fixed_width (column, info->width);
  g_object_set_data (G_OBJECT (column), "netpulse-column-id", (gpointer) info->id);
  return column;
}

void
netpulse_columns_add (GtkColumnView       *view,
                      NetpulseViewOptions *options)
{
  StaleCells *stale;

  g_return_if_fail (GTK_IS_COLUMN_VIEW (view));

  stale = stale_cells_new ();
  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = make_column (&columns[i], options, stale);

      gtk_column_view_append_column (view, column);
    }
  g_rc_box_release_full (stale, stale_cells_clear);
}

const char *
netpulse_columns_get_id (GtkColumnViewColumn *column)
{
  return g_object_get_data (G_OBJECT (column), "netpulse-column-id");
}

GtkColumnViewColumn *
netpulse_columns_find (GtkColumnView *view,
                       const char    *id)
{
  GListModel *list = gtk_column_view_get_columns (view);
  guint n = g_list_model_get_n_items (list);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (list, i);

      if (g_strcmp0 (netpulse_columns_get_id (column), id) == 0)
        return column;   /* the view keeps it alive */
    }
  return NULL;
}

int
netpulse_columns_get_default_width (const char *id)
{
  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    if (g_strcmp0 (columns[i].id, id) == 0)
      return columns[i].width;
  return -1;
}

gboolean
netpulse_columns_prefers_descending (const char *id)
{
  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    if (g_strcmp0 (columns[i].id, id) == 0)
      return columns[i].descending;
  return FALSE;
}
