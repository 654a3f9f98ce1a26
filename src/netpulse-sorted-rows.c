/* netpulse-sorted-rows.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-sorted-rows"

#include "config.h"

#include "netpulse-sorted-rows.h"

/* One row as sorted: its primary key copied out of the row, so that most
 * comparisons read this array only. */
typedef struct {
  double       key;
  guint64      ukey;
  NetpulseRow *row;     /* borrowed: the store holds it */
} Entry;

struct _NetpulseSortedRows
{
  GObject                  parent_instance;

  NetpulseConnectionStore *store;
  GtkSorter               *sorter;
  GtkFilter               *filter;
  /* NetpulseRow in order, borrowed: the store holds them, and this list
   * follows the store's items-changed at once (no reference to take and
   * drop for each row on each update). */
  GPtrArray               *shown;
  GArray                  *entries;  /* Entry: scratch of each sort */
  guint                    frozen;
  gboolean                 dirty;    /* to be sorted and filtered at the thaw */
  gboolean                 inactive; /* not shown: sorted and filtered when active again */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NetpulseSortedRows, netpulse_sorted_rows, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

#define CMP(a, b) (((a) > (b)) - ((a) < (b)))

static GType
get_item_type (GListModel *model)
{
  return NETPULSE_TYPE_CONNECTION;
}

static guint
get_n_items (GListModel *model)
{
  return NETPULSE_SORTED_ROWS (model)->shown->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  NetpulseSortedRows *self = NETPULSE_SORTED_ROWS (model);

  if (position >= self->shown->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->shown, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

/* ---- sorting ---------------------------------------------------------- */

typedef struct {
  GtkSorter       *sorter;
  NetpulseSortKey  primary;
  int              sign;     /* -1 descending */
} SortData;

static int
compare_entries (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  const Entry *ea = a, *eb = b;
  const SortData *data = user_data;
  int c = 0;

  if (data->primary == NETPULSE_SORT_TOTAL)
    c = CMP (ea->ukey, eb->ukey);
  else if (data->primary != NETPULSE_SORT_NONE)
    c = CMP (ea->key, eb->key);
  if (c != 0)
    return c * data->sign;
  /* A tie, or no key known: the whole sorter decides (it compares the
   * primary key again, equal, then the columns sorted by before, then
   * the id), so the order is the sorter's exactly. */
  switch (gtk_sorter_compare (data->sorter, ea->row, eb->row))
    {
    case GTK_ORDERING_SMALLER: return -1;
    case GTK_ORDERING_LARGER:  return 1;
    case GTK_ORDERING_EQUAL:
    default:                   return 0;
    }
}

/* The primary keys that entries carry, else NETPULSE_SORT_NONE. */
static NetpulseSortKey
entry_key (NetpulseSortKey primary)
{
  switch (primary)
    {
    case NETPULSE_SORT_RX_RATE:
    case NETPULSE_SORT_TX_RATE:
    case NETPULSE_SORT_ACTIVITY:
    case NETPULSE_SORT_TOTAL:
      return primary;
    default:
      return NETPULSE_SORT_NONE;
    }
}

/* The keys of the NetpulseRowSorter, as of the last snapshot. */
static void
take_key (Entry           *entry,
          NetpulseRow     *row,
          NetpulseSortKey  primary)
{
  const NetpulseRowSortKeys *keys = netpulse_row_get_sort_keys (row);

  entry->row = row;
  entry->key = 0.0;
  entry->ukey = 0;
  switch (primary)
    {
    case NETPULSE_SORT_RX_RATE:  entry->key = keys->rx_rate; break;
    case NETPULSE_SORT_TX_RATE:  entry->key = keys->tx_rate; break;
    case NETPULSE_SORT_ACTIVITY: entry->key = keys->rx_rate + keys->tx_rate; break;
    case NETPULSE_SORT_TOTAL:    entry->ukey = keys->bytes; break;
    default:                     break;
    }
}

static gboolean
in_order (NetpulseSortedRows *self)
{
  for (guint i = 1; i < self->entries->len; i++)
    if (gtk_sorter_compare (self->sorter, g_array_index (self->entries, Entry, i - 1).row,
                            g_array_index (self->entries, Entry, i).row) == GTK_ORDERING_LARGER)
      return FALSE;
  return TRUE;
}

/* The rows the filter lets through, sorted, into self->entries. */
static void
collect (NetpulseSortedRows *self,
         NetpulseSortKey     primary,
         gboolean            descending)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  gboolean all = self->filter == NULL || gtk_filter_get_strictness (self->filter) == GTK_FILTER_MATCH_ALL;
  SortData data = { self->sorter, entry_key (primary), descending ? -1 : 1 };

  g_array_set_size (self->entries, 0);
  for (guint i = 0; i < n; i++)
    {
      NetpulseRow *row = NETPULSE_ROW (netpulse_connection_store_peek (self->store, i));
      Entry entry;

      if (!all && !gtk_filter_match (self->filter, row))
        continue;
      take_key (&entry, row, data.primary);
      g_array_append_val (self->entries, entry);
    }
  if (self->sorter == NULL)
    return;
  g_qsort_with_data (self->entries->data, self->entries->len, sizeof (Entry), compare_entries, &data);
  /* The primary key comes from what the column titles show, which may
   * lag behind the sorter: the sorter has the last word, one comparison
   * per neighbours. */
  if (data.primary != NETPULSE_SORT_NONE && !in_order (self))
    {
      g_debug ("sorted by a primary key the sorter does not have: sorting by the sorter");
      data.primary = NETPULSE_SORT_NONE;
      g_qsort_with_data (self->entries->data, self->entries->len, sizeof (Entry), compare_entries, &data);
    }
}

/* Puts the new order in place and tells the views the range it changed. */
static void
publish (NetpulseSortedRows *self)
{
  guint old_n = self->shown->len, new_n = self->entries->len;
  guint first = 0, tail = 0;
  GPtrArray *shown = self->shown;

  while (first < old_n && first < new_n &&
         g_ptr_array_index (shown, first) == g_array_index (self->entries, Entry, first).row)
    first++;
  while (tail < old_n - first && tail < new_n - first &&
         g_ptr_array_index (shown, old_n - 1 - tail) == g_array_index (self->entries, Entry, new_n - 1 - tail).row)
    tail++;

  g_ptr_array_set_size (shown, new_n);
  for (guint i = first; i < new_n; i++)
    shown->pdata[i] = g_array_index (self->entries, Entry, i).row;
  g_array_set_size (self->entries, 0);
  if (first < old_n || first < new_n)
    g_list_model_items_changed (G_LIST_MODEL (self), first, old_n - first - tail, new_n - first - tail);
}

static void
rebuild (NetpulseSortedRows *self,
         NetpulseSortKey     primary,
         gboolean            descending)
{
  collect (self, primary, descending);
  publish (self);
}

/* Rows came or went.  Rows that went may be freed once the store's
 * update is over: this list lets go of them at once.  Rows that only came
 * wait for the window's re-sort that follows each update (freeze, thaw),
 * which sorts them in by the primary key. */
static void
on_store_changed (NetpulseSortedRows *self,
                  guint               position,
                  guint               removed,
                  guint               added)
{
  GPtrArray *shown = self->shown;
  guint old_n = shown->len, first = old_n, out = 0;

  self->dirty = TRUE;
  if (removed == 0)
    return;
  for (guint i = 0; i < old_n; i++)
    {
      NetpulseRow *row = g_ptr_array_index (shown, i);

      if (netpulse_connection_store_lookup (self->store, netpulse_row_get_id (row)) != NETPULSE_CONNECTION (row))
        {
          first = MIN (first, i);
          continue;
        }
      shown->pdata[out++] = row;
    }
  g_ptr_array_set_size (shown, out);
  if (out != old_n)
    g_list_model_items_changed (G_LIST_MODEL (self), first, old_n - first, out - first);
}

/* The sorter or the filter changed: by the whole sorter. */
static void
on_changed (NetpulseSortedRows *self)
{
  if (self->frozen > 0 || self->inactive)
    {
      self->dirty = TRUE;
      return;
    }
  rebuild (self, NETPULSE_SORT_NONE, FALSE);
}

/* ---- object ----------------------------------------------------------- */

static void
netpulse_sorted_rows_dispose (GObject *object)
{
  NetpulseSortedRows *self = NETPULSE_SORTED_ROWS (object);

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  if (self->sorter != NULL)
    g_signal_handlers_disconnect_by_data (self->sorter, self);
  if (self->filter != NULL)
    g_signal_handlers_disconnect_by_data (self->filter, self);
  g_clear_object (&self->store);
  g_clear_object (&self->sorter);
  g_clear_object (&self->filter);

  G_OBJECT_CLASS (netpulse_sorted_rows_parent_class)->dispose (object);
}

static void
netpulse_sorted_rows_finalize (GObject *object)
{
  NetpulseSortedRows *self = NETPULSE_SORTED_ROWS (object);

  g_ptr_array_unref (self->shown);
  g_array_unref (self->entries);

  G_OBJECT_CLASS (netpulse_sorted_rows_parent_class)->finalize (object);
}

static void
netpulse_sorted_rows_class_init (NetpulseSortedRowsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = netpulse_sorted_rows_dispose;
  object_class->finalize = netpulse_sorted_rows_finalize;
}

static void
netpulse_sorted_rows_init (NetpulseSortedRows *self)
{
  self->shown = g_ptr_array_new ();
  self->entries = g_array_new (FALSE, FALSE, sizeof (Entry));
}

NetpulseSortedRows *
netpulse_sorted_rows_new (NetpulseConnectionStore *store,
                          GtkSorter               *sorter,
                          GtkFilter               *filter)
{
  NetpulseSortedRows *self;

  g_return_val_if_fail (NETPULSE_IS_CONNECTION_STORE (store), NULL);
  g_return_val_if_fail (sorter == NULL || GTK_IS_SORTER (sorter), NULL);
  g_return_val_if_fail (filter == NULL || GTK_IS_FILTER (filter), NULL);

  self = g_object_new (NETPULSE_TYPE_SORTED_ROWS, NULL);
  self->store = g_object_ref (store);
  g_set_object (&self->sorter, sorter);
  g_set_object (&self->filter, filter);
  g_signal_connect_object (store, "items-changed", G_CALLBACK (on_store_changed), self, G_CONNECT_SWAPPED);
  if (sorter != NULL)
    g_signal_connect_object (sorter, "changed", G_CALLBACK (on_changed), self, G_CONNECT_SWAPPED);
  if (filter != NULL)
    g_signal_connect_object (filter, "changed", G_CALLBACK (on_changed), self, G_CONNECT_SWAPPED);
  rebuild (self, NETPULSE_SORT_NONE, FALSE);
  return self;
}

void
netpulse_sorted_rows_freeze (NetpulseSortedRows *self)
{
  g_return_if_fail (NETPULSE_IS_SORTED_ROWS (self));

  self->frozen++;
}

void
netpulse_sorted_rows_thaw (NetpulseSortedRows *self,
                           NetpulseSortKey     primary,
                           gboolean            descending)
{
  g_return_if_fail (NETPULSE_IS_SORTED_ROWS (self));
  g_return_if_fail (self->frozen > 0);

  if (--self->frozen > 0 || !self->dirty || self->inactive)
    return;
  self->dirty = FALSE;
  rebuild (self, primary, descending);
}

void
netpulse_sorted_rows_set_active (NetpulseSortedRows *self,
                                 gboolean            active)
{
  g_return_if_fail (NETPULSE_IS_SORTED_ROWS (self));

  self->inactive = !active;
  if (!active || !self->dirty || self->frozen > 0)
    return;
  self->dirty = FALSE;
  rebuild (self, NETPULSE_SORT_NONE, FALSE);
}
