/* test-sorted-rows.c — NetpulseSortedRows gives exactly the order and the
 * rows of GtkSortListModel → GtkFilterListModel over the same store,
 * sorter and filter: with the right primary key, a wrong one, none, ties
 * on the key, rows that leave and rows that come, and while inactive.
 * NetpulseRowSlots over it shows the same rows, position by position,
 * announcing only changes of their number, at the end.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "netpulse-connection-store.h"
#include "netpulse-row-filter.h"
#include "netpulse-row-slot.h"
#include "netpulse-row-slots.h"
#include "netpulse-row-sorter.h"
#include "netpulse-sorted-rows.h"

#define SEC G_GUINT64_CONSTANT (1000000000)
#define T0  (G_GUINT64_CONSTANT (1700000000) * SEC)
#define N_ROWS 200

typedef struct {
  NetpulseConnectionStore *store;
  GtkSorter               *sorter;     /* by @key (inverted or not), then id */
  GtkCustomSorter         *key_sorter;
  NetpulseRowFilter       *filter;
  GListModel              *reference;  /* GtkSortListModel → GtkFilterListModel */
  NetpulseSortedRows      *rows;
  NetpulseSortKey          key;
  gboolean                 descending;
  guint                    n_changed;
} Fixture;

static int
by_key (gconstpointer a,
        gconstpointer b,
        gpointer      user_data)
{
  Fixture *fixture = user_data;
  int c = netpulse_row_compare ((gpointer) a, (gpointer) b, fixture->key);

  return fixture->descending ? -c : c;
}

/* Rates with many ties (only 7 values, 0 among them) and totals. */
static NetpulseRecord
make_record (guint64 id,
             guint   round)
{
  NetpulseRecord r;

  memset (&r, 0, sizeof r);
  r.id = id;
  r.pid = 100 + id % 5;
  g_strlcpy (r.comm, id % 2 ? "curl" : "ssh", sizeof r.comm);
  r.proto = 6;
  r.family = 4;
  g_strlcpy (r.laddr, "10.0.0.1", sizeof r.laddr);
  r.lport = 40000 + id;
  /* Some on loopback, which the filter may hide. */
  g_strlcpy (r.raddr, id % 9 == 0 ? "127.0.0.1" : "192.0.2.7", sizeof r.raddr);
  r.rport = 443;
  r.state = 1;
  r.rx_rate = (double) (((id * 7 + round * 3) % 7) * 1000);
  r.tx_rate = (double) ((id * 13 + round) % 50);
  r.rx_bytes = id * 1000 + round;
  r.tx_bytes = 5;
  return r;
}

static void
on_changed (Fixture *fixture)
{
  fixture->n_changed++;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  GtkMultiSorter *multi = gtk_multi_sorter_new ();

  fixture->store = netpulse_connection_store_new ();
  netpulse_connection_store_set_linger_ms (fixture->store, 0);
  fixture->key = NETPULSE_SORT_RX_RATE;
  fixture->descending = TRUE;
  fixture->key_sorter = gtk_custom_sorter_new (by_key, fixture, NULL);
  gtk_multi_sorter_append (multi, g_object_ref (GTK_SORTER (fixture->key_sorter)));
  gtk_multi_sorter_append (multi, netpulse_row_sorter_new (NETPULSE_SORT_ID));
  fixture->sorter = GTK_SORTER (multi);
  fixture->filter = netpulse_row_filter_new ();
  fixture->reference = G_LIST_MODEL (gtk_filter_list_model_new (
    G_LIST_MODEL (gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (fixture->store)),
                                           g_object_ref (fixture->sorter))),
    g_object_ref (GTK_FILTER (fixture->filter))));
  fixture->rows = netpulse_sorted_rows_new (fixture->store, fixture->sorter, GTK_FILTER (fixture->filter));
  g_signal_connect_swapped (fixture->rows, "items-changed", G_CALLBACK (on_changed), fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->rows);
  g_clear_object (&fixture->reference);
  g_clear_object (&fixture->filter);
  g_clear_object (&fixture->sorter);
  g_clear_object (&fixture->key_sorter);
  g_clear_object (&fixture->store);
}

/* One update of rows [first, last), as the window does it. */
static void
update (Fixture         *fixture,
        guint            first,
        guint            last,
        guint            round,
        const guint64   *removed,
        guint            n_removed,
        NetpulseSortKey  primary)
{
  g_autoptr(GArray) records = g_array_new (FALSE, FALSE, sizeof (NetpulseRecord));
  guint n;

  for (guint64 id = first; id < last; id++)
    {
      NetpulseRecord r = make_record (id, round);

      g_array_append_val (records, r);
    }
  netpulse_connection_store_apply (fixture->store, T0 + round * SEC,
                                   (NetpulseRecord *) (gpointer) records->data, records->len,
                                   removed, n_removed);
  n = g_list_model_get_n_items (G_LIST_MODEL (fixture->store));
  for (guint i = 0; i < n; i++)
    netpulse_row_snapshot_sort_keys (NETPULSE_ROW (netpulse_connection_store_peek (fixture->store, i)));
  netpulse_sorted_rows_freeze (fixture->rows);
  gtk_sorter_changed (fixture->sorter, GTK_SORTER_CHANGE_DIFFERENT);
  gtk_filter_changed (GTK_FILTER (fixture->filter), GTK_FILTER_CHANGE_DIFFERENT);
  netpulse_sorted_rows_thaw (fixture->rows, primary, fixture->descending);
}

static void
assert_same_rows (Fixture *fixture)
{
  guint n = g_list_model_get_n_items (fixture->reference);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->rows)), ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) want = g_list_model_get_item (fixture->reference, i);
      g_autoptr(GObject) got = g_list_model_get_item (G_LIST_MODEL (fixture->rows), i);

      g_assert_true (got == want);
    }
}

static void
test_primary_key (Fixture       *fixture,
                  gconstpointer  data)
{
  guint64 gone[] = { 3, 4, 50, 199 };

  update (fixture, 0, N_ROWS, 1, NULL, 0, NETPULSE_SORT_RX_RATE);
  assert_same_rows (fixture);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->rows)), ==, N_ROWS);
  for (guint round = 2; round < 6; round++)
    {
      update (fixture, 0, N_ROWS, round, NULL, 0, NETPULSE_SORT_RX_RATE);
      assert_same_rows (fixture);
    }

  /* Rows that leave leave at once; new rows come in at the thaw. */
  update (fixture, 0, 0, 6, gone, G_N_ELEMENTS (gone), NETPULSE_SORT_RX_RATE);
  update (fixture, 0, 0, 7, NULL, 0, NETPULSE_SORT_RX_RATE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->rows)), ==, N_ROWS - G_N_ELEMENTS (gone));
  assert_same_rows (fixture);
  update (fixture, N_ROWS, N_ROWS + 30, 8, NULL, 0, NETPULSE_SORT_RX_RATE);
  assert_same_rows (fixture);

  /* Loopback hidden: the same rows as the filter model's. */
  netpulse_row_filter_set_include_local (fixture->filter, FALSE);
  update (fixture, 0, N_ROWS, 9, NULL, 0, NETPULSE_SORT_RX_RATE);
  assert_same_rows (fixture);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->rows)), <, N_ROWS + 30 - G_N_ELEMENTS (gone));
}

/* The window guesses the primary key from the column titles: a wrong or
 * missing guess still gives the sorter's order. */
static void
test_wrong_or_no_key (Fixture       *fixture,
                      gconstpointer  data)
{
  update (fixture, 0, N_ROWS, 1, NULL, 0, NETPULSE_SORT_RX_RATE);
  fixture->key = NETPULSE_SORT_TOTAL;
  fixture->descending = FALSE;
  update (fixture, 0, N_ROWS, 2, NULL, 0, NETPULSE_SORT_RX_RATE);
  assert_same_rows (fixture);
  update (fixture, 0, N_ROWS, 3, NULL, 0, NETPULSE_SORT_NONE);
  assert_same_rows (fixture);
  fixture->key = NETPULSE_SORT_PID;
  update (fixture, 0, N_ROWS, 4, NULL, 0, NETPULSE_SORT_TX_RATE);
  assert_same_rows (fixture);

  /* The sorter changing outside an update re-sorts at once. */
  fixture->key = NETPULSE_SORT_TX_RATE;
  gtk_sorter_changed (GTK_SORTER (fixture->key_sorter), GTK_SORTER_CHANGE_DIFFERENT);
  assert_same_rows (fixture);
}

/* An update where nothing moved says nothing; one that moved some rows
 * says it once. */
static void
test_one_signal (Fixture       *fixture,
                 gconstpointer  data)
{
  fixture->key = NETPULSE_SORT_ID;
  update (fixture, 0, N_ROWS, 1, NULL, 0, NETPULSE_SORT_NONE);
  fixture->n_changed = 0;
  update (fixture, 0, N_ROWS, 2, NULL, 0, NETPULSE_SORT_NONE);
  g_assert_cmpuint (fixture->n_changed, ==, 0);
  fixture->key = NETPULSE_SORT_RX_RATE;
  update (fixture, 0, N_ROWS, 3, NULL, 0, NETPULSE_SORT_RX_RATE);
  g_assert_cmpuint (fixture->n_changed, ==, 1);
  assert_same_rows (fixture);
}

/* Not shown, the list neither sorts nor takes new rows; rows that leave
 * the store leave it at once.  Active again, it is the reference's. */
static void
test_inactive (Fixture       *fixture,
               gconstpointer  data)
{
  guint64 gone[] = { 7, 8 };

  update (fixture, 0, N_ROWS, 1, NULL, 0, NETPULSE_SORT_RX_RATE);
  netpulse_sorted_rows_set_active (fixture->rows, FALSE);
  fixture->n_changed = 0;
  update (fixture, 0, N_ROWS + 20, 2, NULL, 0, NETPULSE_SORT_RX_RATE);
  g_assert_cmpuint (fixture->n_changed, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->rows)), ==, N_ROWS);
  update (fixture, 0, 0, 3, gone, G_N_ELEMENTS (gone), NETPULSE_SORT_RX_RATE);
  g_assert_cmpuint (fixture->n_changed, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->rows)), ==, N_ROWS - G_N_ELEMENTS (gone));
  netpulse_sorted_rows_set_active (fixture->rows, TRUE);
  assert_same_rows (fixture);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->rows)), ==, N_ROWS + 20 - G_N_ELEMENTS (gone));
}

typedef struct {
  NetpulseRowSlots *slots;
  GListModel       *rows;
  guint             n_items_changed;
  guint             last_position;
  guint             last_removed;
  guint             last_added;
  guint             n_rows_moved;
  guint             n_moved;
} SlotsWatch;

static void
on_slots_changed (SlotsWatch *watch,
                  guint       position,
                  guint       removed,
                  guint       added)
{
  watch->n_items_changed++;
  watch->last_position = position;
  watch->last_removed = removed;
  watch->last_added = added;
}

static void
on_slot_moved (SlotsWatch *watch)
{
  watch->n_moved++;
}

/* At "rows-moved" every position there is in both shows its row. */
static void
assert_slots_show_rows (SlotsWatch *watch)
{
  guint n = MIN (g_list_model_get_n_items (G_LIST_MODEL (watch->slots)), g_list_model_get_n_items (watch->rows));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NetpulseRowSlot) slot = g_list_model_get_item (G_LIST_MODEL (watch->slots), i);
      g_autoptr(NetpulseRow) row = g_list_model_get_item (watch->rows, i);

      g_assert_true (netpulse_row_slot_get_row (slot) == row);
      g_assert_true (netpulse_row_slot_get_item (slot) == (gpointer) row);
    }
}

static void
on_rows_moved (SlotsWatch *watch)
{
  watch->n_rows_moved++;
  assert_slots_show_rows (watch);
}

static void
test_slots (Fixture       *fixture,
            gconstpointer  data)
{
  guint64 gone[] = { 3, 4, 50 };
  SlotsWatch watch = { 0 };
  guint n;

  /* Upload rates change the order from round to round. */
  fixture->key = NETPULSE_SORT_TX_RATE;
  watch.rows = G_LIST_MODEL (fixture->rows);
  watch.slots = netpulse_row_slots_new (watch.rows);
  g_signal_connect_swapped (watch.slots, "items-changed", G_CALLBACK (on_slots_changed), &watch);
  g_signal_connect_swapped (watch.slots, "rows-moved", G_CALLBACK (on_rows_moved), &watch);

  /* Rows come: slots are appended. */
  update (fixture, 0, N_ROWS, 1, NULL, 0, NETPULSE_SORT_TX_RATE);
  g_assert_cmpuint (watch.n_items_changed, ==, 1);
  g_assert_cmpuint (watch.last_position, ==, 0);
  g_assert_cmpuint (watch.last_added, ==, N_ROWS);
  assert_slots_show_rows (&watch);

  /* A re-sort moves rows through the slots: no items-changed, and each
   * slot whose row changed says so once. */
  for (guint i = 0; i < N_ROWS; i++)
    {
      g_autoptr(NetpulseRowSlot) slot = g_list_model_get_item (G_LIST_MODEL (watch.slots), i);

      netpulse_row_slot_watch (slot, G_CALLBACK (on_slot_moved), &watch);
    }
  watch.n_items_changed = 0;
  update (fixture, 0, N_ROWS, 2, NULL, 0, NETPULSE_SORT_TX_RATE);
  g_assert_cmpuint (watch.n_items_changed, ==, 0);
  g_assert_cmpuint (watch.n_moved, >, 0);
  g_assert_cmpuint (watch.n_moved, <=, N_ROWS);
  assert_slots_show_rows (&watch);

  /* Rows leave: as many slots go, at the end. */
  update (fixture, 0, 0, 3, gone, G_N_ELEMENTS (gone), NETPULSE_SORT_TX_RATE);
  n = g_list_model_get_n_items (G_LIST_MODEL (watch.slots));
  g_assert_cmpuint (n, ==, N_ROWS - G_N_ELEMENTS (gone));
  g_assert_cmpuint (watch.n_items_changed, ==, 1);
  g_assert_cmpuint (watch.last_position, ==, n);
  g_assert_cmpuint (watch.last_removed, ==, G_N_ELEMENTS (gone));
  g_assert_cmpuint (watch.last_added, ==, 0);
  assert_slots_show_rows (&watch);
  g_assert_cmpuint (netpulse_row_slots_find (watch.slots, NETPULSE_ROW (netpulse_connection_store_lookup (fixture->store, 10))),
                    <, n);
  g_assert_cmpuint (netpulse_row_slots_find (watch.slots, NULL), ==, GTK_INVALID_LIST_POSITION);
  g_assert_cmpuint (watch.n_rows_moved, >=, 3);
  g_object_unref (watch.slots);
}

static void
count_call (guint *n)
{
  (*n)++;
}

static GListModel *
no_children (gpointer item,
             gpointer user_data)
{
  return NULL;
}

/* A slot says "moved" to each watcher while watched, and holds the row of
 * the tree row it shows as long as it shows it. */
static void
test_slot_watchers (void)
{
  NetpulseRecord a = make_record (1, 1), b = make_record (2, 1);
  g_autoptr(NetpulseConnection) row_a = netpulse_connection_new (&a, T0);
  g_autoptr(NetpulseConnection) row_b = netpulse_connection_new (&b, T0);
  g_autoptr(GListStore) store = g_list_store_new (NETPULSE_TYPE_CONNECTION);
  g_autoptr(GtkTreeListModel) tree = NULL;
  g_autoptr(NetpulseRowSlot) slot = netpulse_row_slot_new (g_object_ref (row_a));
  GtkTreeListRow *tree_row;
  guint first = 0, second = 0;
  gulong first_id, second_id;

  g_assert_true (netpulse_row_slot_get_row (slot) == NETPULSE_ROW (row_a));
  first_id = netpulse_row_slot_watch (slot, G_CALLBACK (count_call), &first);
  second_id = netpulse_row_slot_watch (slot, G_CALLBACK (count_call), &second);
  netpulse_row_slot_take_item (slot, g_object_ref (row_b));
  netpulse_row_slot_take_item (slot, g_object_ref (row_b));  /* the same: no "moved" */
  g_assert_cmpuint (first, ==, 1);
  g_assert_cmpuint (second, ==, 1);

  netpulse_row_slot_unwatch (slot, &first_id);
  g_assert_cmpuint (first_id, ==, 0);
  netpulse_row_slot_unwatch (slot, &first_id);  /* twice: nothing */
  netpulse_row_slot_take_item (slot, g_object_ref (row_a));
  g_assert_cmpuint (first, ==, 1);
  g_assert_cmpuint (second, ==, 2);
  netpulse_row_slot_unwatch (slot, &second_id);
  netpulse_row_slot_take_item (slot, g_object_ref (row_b));
  g_assert_cmpuint (second, ==, 2);
  g_assert_true (netpulse_row_slot_get_row (slot) == NETPULSE_ROW (row_b));

  /* A tree row: the slot holds its item, and lets go of it for the next. */
  g_list_store_append (store, row_a);
  tree = gtk_tree_list_model_new (g_object_ref (G_LIST_MODEL (store)), FALSE, FALSE, no_children, NULL, NULL);
  tree_row = g_list_model_get_item (G_LIST_MODEL (tree), 0);
  netpulse_row_slot_take_item (slot, tree_row);
  g_assert_true (netpulse_row_slot_get_item (slot) == (gpointer) tree_row);
  g_assert_true (netpulse_row_slot_get_row (slot) == NETPULSE_ROW (row_a));
  g_list_store_remove_all (store);
  g_assert_true (netpulse_row_slot_get_row (slot) == NETPULSE_ROW (row_a));
  netpulse_row_slot_take_item (slot, g_object_ref (row_b));
  g_assert_true (netpulse_row_slot_get_row (slot) == NETPULSE_ROW (row_b));
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/sorted-rows/primary-key", Fixture, NULL, fixture_set_up, test_primary_key, fixture_tear_down);
  g_test_add ("/sorted-rows/wrong-or-no-key", Fixture, NULL, fixture_set_up, test_wrong_or_no_key, fixture_tear_down);
  g_test_add ("/sorted-rows/one-signal", Fixture, NULL, fixture_set_up, test_one_signal, fixture_tear_down);
  g_test_add ("/sorted-rows/inactive", Fixture, NULL, fixture_set_up, test_inactive, fixture_tear_down);
  g_test_add ("/row-slots/follow-rows", Fixture, NULL, fixture_set_up, test_slots, fixture_tear_down);
  g_test_add_func ("/row-slots/watchers", test_slot_watchers);
  return g_test_run ();
}
