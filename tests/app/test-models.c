/* test-models.c — unit tests of the app's models (no display needed):
 * applying update streams to the store, grouping, sorting stability,
 * filtering, formatting, export, replay parsing and the pause buffer.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <locale.h>
#include <string.h>

#include "netpulse-app-finder.h"
#include "netpulse-connection-store.h"
#include "netpulse-export.h"
#include "netpulse-feed.h"
#include "netpulse-format.h"
#include "netpulse-process-model.h"
#include "netpulse-replay-source.h"
#include "netpulse-row-filter.h"
#include "netpulse-row-sorter.h"

#define SEC G_GUINT64_CONSTANT (1000000000)
#define T0  (G_GUINT64_CONSTANT (1700000000) * SEC)

static NetpulseRecord
make_record (guint64     id,
             guint       pid,
             const char *comm,
             double      rx_rate,
             double      tx_rate)
{
  NetpulseRecord r;

  memset (&r, 0, sizeof r);
  r.id = id;
  r.pid = pid;
  g_strlcpy (r.comm, comm, sizeof r.comm);
  r.uid = 1000;
  r.proto = 6;
  r.family = 4;
  g_strlcpy (r.laddr, "10.0.0.1", sizeof r.laddr);
  r.lport = 40000 + id;
  g_snprintf (r.raddr, sizeof r.raddr, "192.0.2.%u", (guint) (id % 250));
  r.rport = 443;
  r.state = 1;
  r.rx_rate = rx_rate;
  r.tx_rate = tx_rate;
  r.rx_bytes = (guint64) (rx_rate * 10);
  r.tx_bytes = (guint64) (tx_rate * 10);
  return r;
}

typedef struct {
  guint signals;
  guint last_position, last_removed, last_added;
} ItemsChanged;

static void
on_items_changed (GListModel   *model,
                  guint         position,
                  guint         removed,
                  guint         added,
                  ItemsChanged *counter)
{
  counter->signals++;
  counter->last_position = position;
  counter->last_removed = removed;
  counter->last_added = added;
}

static void
apply1 (NetpulseConnectionStore *store,
        guint64                  ts,
        const NetpulseRecord    *records,
        guint                    n,
        const guint64           *removed,
        guint                    n_removed)
{
  netpulse_connection_store_apply (store, ts, records, n, removed, n_removed);
}

/* ---- history ---------------------------------------------------------- */

static void
test_history_carry_forward (void)
{
  g_autoptr(NetpulseHistory) h = netpulse_history_new (4);
  double rx[6], tx[6];

  netpulse_history_push (h, 5, 10, 1);
  netpulse_history_push (h, 7, 30, 3);     /* tick 6 had no sample: carries 10 */
  netpulse_history_get (h, 9, 6, rx, tx);  /* ticks 4..9 */

  g_assert_cmpfloat (rx[0], ==, 0);   /* 4: before the first sample */
  g_assert_cmpfloat (rx[1], ==, 10);  /* 5 */
  g_assert_cmpfloat (rx[2], ==, 10);  /* 6: carried */
  g_assert_cmpfloat (rx[3], ==, 30);  /* 7 */
  g_assert_cmpfloat (rx[4], ==, 30);  /* 8: carried past the newest */
  g_assert_cmpfloat (tx[5], ==, 3);   /* 9 */

  /* A long gap wraps the ring completely. */
  netpulse_history_push (h, 100, 7, 7);
  netpulse_history_get (h, 100, 4, rx, tx);
  g_assert_cmpfloat (rx[0], ==, 30);
  g_assert_cmpfloat (rx[3], ==, 7);
}

/* ---- store ------------------------------------------------------------ */

static void
test_store_adds_and_changes (void)
{
  g_autoptr(NetpulseConnectionStore) store = netpulse_connection_store_new ();
  ItemsChanged counter = { 0 };
  NetpulseRecord first[3] = {
    make_record (1, 100, "firefox", 1000, 10),
    make_record (2, 100, "firefox", 2000, 20),
    make_record (3, 200, "ssh", 10, 10),
  };
  NetpulseRecord second[1];
  NetpulseConnection *conn;
  g_autoptr(GObject) item = NULL;

  g_signal_connect (store, "items-changed", G_CALLBACK (on_items_changed), &counter);

  apply1 (store, T0, first, 3, NULL, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 3);
  /* One batched items-changed for the three adds. */
  g_assert_cmpuint (counter.signals, ==, 1);
  g_assert_cmpuint (counter.last_added, ==, 3);
  g_assert_cmpfloat (netpulse_connection_store_get_rx_rate (store), ==, 3010);

  conn = netpulse_connection_store_lookup (store, 2);
  g_assert_nonnull (conn);
  item = g_list_model_get_item (G_LIST_MODEL (store), 1);
  g_assert_true (item == (GObject *) conn);

  /* A change is applied in place: same object, no items-changed. */
  second[0] = make_record (2, 100, "firefox", 5000, 50);
  apply1 (store, T0 + SEC, second, 1, NULL, 0);
  g_assert_cmpuint (counter.signals, ==, 1);
  g_assert_true (netpulse_connection_store_lookup (store, 2) == conn);
  g_assert_cmpfloat (netpulse_row_get_rx_rate (NETPULSE_ROW (conn)), ==, 5000);
  /* Unchanged connections keep their values. */
  g_assert_cmpfloat (netpulse_row_get_rx_rate (NETPULSE_ROW (netpulse_connection_store_lookup (store, 1))), ==, 1000);
  g_assert_cmpfloat (netpulse_connection_store_get_rx_rate (store), ==, 6010);
  g_assert_cmpuint (netpulse_connection_store_get_tick (store), ==, 2);
}

static void
test_store_closes_and_fades (void)
{
  g_autoptr(NetpulseConnectionStore) store = netpulse_connection_store_new ();
  ItemsChanged counter = { 0 };
  NetpulseRecord records[3] = {
    make_record (1, 100, "a", 100, 1),
    make_record (2, 100, "a", 200, 2),
    make_record (3, 100, "a", 300, 3),
  };
  NetpulseRecord final;
  guint64 gone = 3;
  NetpulseRow *row;

  netpulse_connection_store_set_linger_ms (store, 3000);
  apply1 (store, T0, records, 3, NULL, 0);
  g_signal_connect (store, "items-changed", G_CALLBACK (on_items_changed), &counter);

  /* Connection 1 sends its final record; 3 is only named in removed. */
  final = make_record (1, 100, "a", 150, 1);
  final.flags = NETPULSE_RECORD_CLOSED;
  apply1 (store, T0 + SEC, &final, 1, &gone, 1);
  row = NETPULSE_ROW (netpulse_connection_store_lookup (store, 1));
  g_assert_true (netpulse_row_get_closed (row));
  g_assert_cmpfloat (netpulse_row_get_rx_rate (row), ==, 150);  /* final values shown */
  g_assert_true (netpulse_row_get_closed (NETPULSE_ROW (netpulse_connection_store_lookup (store, 3))));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 3);
  g_assert_cmpuint (counter.signals, ==, 0);

  /* Next tick: rates drop to zero and the rows fade. */
  apply1 (store, T0 + 2 * SEC, NULL, 0, NULL, 0);
  g_assert_cmpfloat (netpulse_row_get_rx_rate (row), ==, 0);
  g_assert_cmpfloat (netpulse_row_get_opacity (row), <, 1.0);
  g_assert_cmpfloat (netpulse_connection_store_get_rx_rate (store), ==, 200);

  /* After the linger time both leave, in one items-changed. */
  apply1 (store, T0 + 4 * SEC, NULL, 0, NULL, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  g_assert_cmpuint (counter.signals, ==, 1);
  g_assert_cmpuint (counter.last_position, ==, 0);
  g_assert_cmpuint (counter.last_removed, ==, 3);
  g_assert_cmpuint (counter.last_added, ==, 1);
  g_assert_null (netpulse_connection_store_lookup (store, 1));
  g_assert_nonnull (netpulse_connection_store_lookup (store, 2));
  /* Positions are consistent after compaction. */
  {
    g_autoptr(NetpulseConnection) only = g_list_model_get_item (G_LIST_MODEL (store), 0);
    g_assert_cmpuint (netpulse_connection_get_position (only), ==, 0);
    g_assert_cmpuint (netpulse_row_get_id (NETPULSE_ROW (only)), ==, 2);
  }
}

static void
test_store_gap_snapshot (void)
{
  g_autoptr(NetpulseConnectionStore) store = netpulse_connection_store_new ();
  NetpulseRecord before[3] = {
    make_record (1, 100, "a", 1, 1),
    make_record (2, 100, "a", 2, 2),
    make_record (3, 100, "a", 3, 3),
  };
  NetpulseRecord after[2] = {
    make_record (2, 100, "a", 20, 20),
    make_record (4, 300, "b", 40, 40),
  };

  netpulse_connection_store_set_linger_ms (store, 0);
  apply1 (store, T0, before, 3, NULL, 0);
  /* After a gap: the snapshot is the whole truth. */
  netpulse_connection_store_replace (store, T0 + 5 * SEC, after, 2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 2);
  g_assert_null (netpulse_connection_store_lookup (store, 1));
  g_assert_null (netpulse_connection_store_lookup (store, 3));
  g_assert_cmpfloat (netpulse_row_get_rx_rate (NETPULSE_ROW (netpulse_connection_store_lookup (store, 2))), ==, 20);
  g_assert_nonnull (netpulse_connection_store_lookup (store, 4));
  g_assert_cmpfloat (netpulse_connection_store_get_rx_rate (store), ==, 60);
}

static void
test_store_many (void)
{
  g_autoptr(NetpulseConnectionStore) store = netpulse_connection_store_new ();
  g_autoptr(GArray) records = g_array_new (FALSE, FALSE, sizeof (NetpulseRecord));
  ItemsChanged counter = { 0 };
  NetpulseRecord one;

  for (guint i = 1; i <= 10000; i++)
    {
      NetpulseRecord r = make_record (i, 1000 + i % 50, "worker", i, i);
      g_array_append_val (records, r);
    }
  apply1 (store, T0, (NetpulseRecord *) (gpointer) records->data, records->len, NULL, 0);
  g_signal_connect (store, "items-changed", G_CALLBACK (on_items_changed), &counter);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 10000);

  /* Updating one connection of 10,000 touches the list not at all. */
  one = make_record (5000, 1000, "worker", 1, 1);
  apply1 (store, T0 + SEC, &one, 1, NULL, 0);
  g_assert_cmpuint (counter.signals, ==, 0);
}

/* ---- grouping --------------------------------------------------------- */

static void
test_grouping (void)
{
  g_autoptr(NetpulseConnectionStore) store = netpulse_connection_store_new ();
  g_autoptr(NetpulseProcessModel) groups = netpulse_process_model_new (store);
  NetpulseRecord records[3] = {
    make_record (1, 100, "firefox", 1000, 10),
    make_record (2, 100, "firefox", 2000, 20),
    make_record (3, 200, "ssh", 5, 5),
  };
  NetpulseRecord moved;
  NetpulseProcessGroup *firefox, *ssh;
  guint64 gone = 3;

  netpulse_connection_store_set_linger_ms (store, 0);
  apply1 (store, T0, records, 3, NULL, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (groups)), ==, 2);

  firefox = netpulse_process_model_lookup (groups, 100, "firefox");
  g_assert_nonnull (firefox);
  g_assert_cmpuint (netpulse_process_group_get_n_connections (firefox), ==, 2);
  g_assert_cmpfloat (netpulse_row_get_rx_rate (NETPULSE_ROW (firefox)), ==, 3000);
  g_assert_cmpuint (netpulse_row_get_rx_bytes (NETPULSE_ROW (firefox)), ==, 30000);

  /* Connection 2 now belongs to another process (e.g. passed on a fork). */
  moved = make_record (2, 200, "ssh", 2000, 20);
  apply1 (store, T0 + SEC, &moved, 1, NULL, 0);
  ssh = netpulse_process_model_lookup (groups, 200, "ssh");
  g_assert_cmpuint (netpulse_process_group_get_n_connections (firefox), ==, 1);
  g_assert_cmpuint (netpulse_process_group_get_n_connections (ssh), ==, 2);
  g_assert_cmpfloat (netpulse_row_get_rx_rate (NETPULSE_ROW (firefox)), ==, 1000);
  g_assert_cmpfloat (netpulse_row_get_rx_rate (NETPULSE_ROW (ssh)), ==, 2005);

  /* When its last connection leaves, the group goes. */
  apply1 (store, T0 + 2 * SEC, NULL, 0, &gone, 1);
  gone = 2;
  apply1 (store, T0 + 3 * SEC, NULL, 0, &gone, 1);
  g_assert_null (netpulse_process_model_lookup (groups, 200, "ssh"));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (groups)), ==, 1);
}

/* ---- sorting ---------------------------------------------------------- */

static guint64
id_at (GListModel *model,
       guint       position)
{
  g_autoptr(NetpulseRow) row = g_list_model_get_item (model, position);
  return netpulse_row_get_id (row);
}

/* What the window does each tick: the rows' sort keys take their new
 * values, then the list is sorted again. */
static void
resort (NetpulseConnectionStore *store,
        GtkMultiSorter          *sorter)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (store)); i++)
    {
      g_autoptr(NetpulseRow) row = g_list_model_get_item (G_LIST_MODEL (store), i);

      netpulse_row_snapshot_sort_keys (row);
    }
  gtk_sorter_changed (GTK_SORTER (sorter), GTK_SORTER_CHANGE_DIFFERENT);
}

static void
test_sort_stability (void)
{
  g_autoptr(NetpulseConnectionStore) store = netpulse_connection_store_new ();
  GtkMultiSorter *sorter = gtk_multi_sorter_new ();
  g_autoptr(GtkSortListModel) sorted = NULL;
  g_autoptr(GtkSingleSelection) selection = NULL;
  NetpulseRecord records[5] = {
    make_record (5, 1, "a", 100, 0),
    make_record (3, 1, "a", 300, 0),
    make_record (4, 1, "a", 100, 0),
    make_record (1, 1, "a", 100, 0),
    make_record (2, 1, "a", 200, 0),
  };
  NetpulseRecord change[2];
  guint64 expected[] = { 1, 4, 5, 2, 3 };
  guint64 resorted[] = { 4, 5, 2, 3, 1 };

  gtk_multi_sorter_append (sorter, netpulse_row_sorter_new (NETPULSE_SORT_RX_RATE));
  gtk_multi_sorter_append (sorter, netpulse_row_sorter_new (NETPULSE_SORT_ID));
  sorted = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (store)), GTK_SORTER (sorter));
  selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (sorted)));
  gtk_single_selection_set_autoselect (selection, FALSE);

  apply1 (store, T0, records, 5, NULL, 0);
  /* Ties (100) are ordered by id, so they never swap between ticks. */
  for (guint i = 0; i < 5; i++)
    g_assert_cmpuint (id_at (G_LIST_MODEL (sorted), i), ==, expected[i]);

  gtk_single_selection_set_selected (selection, 3);  /* id 2 */

  /* Ticks that change values but not the order keep it exactly. */
  for (guint t = 1; t < 4; t++)
    {
      change[0] = make_record (4, 1, "a", 100, t);
      apply1 (store, T0 + t * SEC, change, 1, NULL, 0);
      resort (store, sorter);
      for (guint i = 0; i < 5; i++)
        g_assert_cmpuint (id_at (G_LIST_MODEL (sorted), i), ==, expected[i]);
    }

  /* A change that moves rows: the selection follows its connection. */
  change[0] = make_record (1, 1, "a", 999, 0);
  change[1] = make_record (3, 1, "a", 250, 0);
  apply1 (store, T0 + 10 * SEC, change, 2, NULL, 0);
  resort (store, sorter);
  for (guint i = 0; i < 5; i++)
    g_assert_cmpuint (id_at (G_LIST_MODEL (sorted), i), ==, resorted[i]);
  g_assert_cmpuint (netpulse_row_get_id (gtk_single_selection_get_selected_item (selection)), ==, 2);
  g_assert_cmpuint (gtk_single_selection_get_selected (selection), ==, 2);
}

static void
test_sort_keys (void)
{
  NetpulseRecord a = make_record (1, 10, "alpha", 5, 5);
  NetpulseRecord b = make_record (2, 9, "Beta", 5, 5);
  g_autoptr(NetpulseConnection) ca = NULL;
  g_autoptr(NetpulseConnection) cb = NULL;

  g_strlcpy (a.raddr, "10.0.0.9", sizeof a.raddr);
  g_strlcpy (b.raddr, "10.0.0.10", sizeof b.raddr);
  a.rtt_us = 300;
  b.rtt_us = 20;
  ca = netpulse_connection_new (&a, 1);
  cb = netpulse_connection_new (&b, 1);

  g_assert_cmpint (netpulse_row_compare (ca, cb, NETPULSE_SORT_PROCESS), <, 0);   /* case-insensitive */
  g_assert_cmpint (netpulse_row_compare (ca, cb, NETPULSE_SORT_PID), >, 0);
  g_assert_cmpint (netpulse_row_compare (ca, cb, NETPULSE_SORT_REMOTE), <, 0);    /* .9 before .10 */
  g_assert_cmpint (netpulse_row_compare (ca, cb, NETPULSE_SORT_RTT), >, 0);
  g_assert_cmpint (netpulse_row_compare (ca, cb, NETPULSE_SORT_RX_RATE), ==, 0);
}

/* ---- filter ----------------------------------------------------------- */

static void
test_filter (void)
{
  g_autoptr(NetpulseRowFilter) filter = netpulse_row_filter_new ();
  NetpulseRecord r = make_record (7, 4242, "Firefox", 1, 1);
  g_autoptr(NetpulseConnection) conn = NULL;

  r.proto = 17;
  r.rport = 5353;
  conn = netpulse_connection_new (&r, 1);

  g_assert_true (gtk_filter_match (GTK_FILTER (filter), conn));
  netpulse_row_filter_set_search (filter, "fire");
  g_assert_true (gtk_filter_match (GTK_FILTER (filter), conn));
  netpulse_row_filter_set_search (filter, "FIREFOX udp");
  g_assert_true (gtk_filter_match (GTK_FILTER (filter), conn));
  netpulse_row_filter_set_search (filter, "firefox tcp");
  g_assert_false (gtk_filter_match (GTK_FILTER (filter), conn));
  netpulse_row_filter_set_search (filter, "5353");
  g_assert_true (gtk_filter_match (GTK_FILTER (filter), conn));
  netpulse_row_filter_set_search (filter, "192.0.2.7");
  g_assert_true (gtk_filter_match (GTK_FILTER (filter), conn));
  netpulse_row_filter_set_search (filter, "4242");
  g_assert_true (gtk_filter_match (GTK_FILTER (filter), conn));
  netpulse_row_filter_set_search (filter, "  ");
  g_assert_null (netpulse_row_filter_get_search (filter));

  netpulse_connection_mark_closed (conn, T0);
  g_assert_true (gtk_filter_match (GTK_FILTER (filter), conn));
  netpulse_row_filter_set_show_closed (filter, FALSE);
  g_assert_false (gtk_filter_match (GTK_FILTER (filter), conn));
}

/* A hostile name is found by what the cell shows and by its plain part. */
static void
test_filter_escaped_name (void)
{
  g_autoptr(NetpulseRowFilter) filter = netpulse_row_filter_new ();
  NetpulseRecord r = make_record (8, 4343, "\033]0;PWNED\a", 1, 1);
  g_autoptr(NetpulseConnection) conn = netpulse_connection_new (&r, 1);

  netpulse_row_filter_set_search (filter, "pwned");
  g_assert_true (gtk_filter_match (GTK_FILTER (filter), conn));
  netpulse_row_filter_set_search (filter, "\\e]0;PWNED\\a");
  g_assert_true (gtk_filter_match (GTK_FILTER (filter), conn));
  netpulse_row_filter_set_search (filter, "\\e]1");
  g_assert_false (gtk_filter_match (GTK_FILTER (filter), conn));
}

/* ---- formatting ------------------------------------------------------- */

static void
test_format (void)
{
  struct { double rate; gboolean bits; const char *text; } rates[] = {
    { 0, FALSE, "0 B/s" },
    { 999, FALSE, "999 B/s" },
    { 1536, FALSE, "1.5 kB/s" },
    { 2500000, FALSE, "2.5 MB/s" },
    { 1536, TRUE, "12.3 kbit/s" },
    { 125, TRUE, "1.0 kbit/s" },
    { 100, TRUE, "800 bit/s" },
    { -5, FALSE, "0 B/s" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rates); i++)
    {
      g_autofree char *text = netpulse_format_rate (rates[i].rate, rates[i].bits);
      g_assert_cmpstr (text, ==, rates[i].text);
    }

  {
    g_autofree char *a = netpulse_format_rtt (0);
    g_autofree char *b = netpulse_format_rtt (850);
    g_autofree char *c = netpulse_format_rtt (18400);
    g_autofree char *d = netpulse_format_rtt (1200000);
    g_assert_cmpstr (a, ==, "");
    g_assert_cmpstr (b, ==, "850 µs");
    g_assert_cmpstr (c, ==, "18.4 ms");
    g_assert_cmpstr (d, ==, "1.20 s");
  }
  g_assert_cmpstr (netpulse_format_protocol (6, 6, 0), ==, "TCP6");
  g_assert_cmpstr (netpulse_format_protocol (17, 4, 0), ==, "UDP");
  g_assert_cmpstr (netpulse_format_protocol (1, 4, 0), ==, "ICMP");
  g_assert_cmpstr (netpulse_format_protocol (58, 6, 0), ==, "ICMP6");
  g_assert_cmpstr (netpulse_format_protocol (6, 6, NETPULSE_RECORD_MPTCP), ==, "MPTCP6");
  g_assert_cmpstr (netpulse_format_protocol (253, 4, NETPULSE_RECORD_RAW), ==, "RAW/253");
  g_assert_cmpstr (netpulse_format_protocol (0, 0, NETPULSE_RECORD_PACKET), ==, "PACKET");
  g_assert_cmpstr (netpulse_format_state (6, 1), ==, "Established");
  g_assert_cmpstr (netpulse_format_state (17, 0), ==, "");
}

/* ---- export ----------------------------------------------------------- */

static void
test_export (void)
{
  g_autoptr(GListStore) rows = g_list_store_new (NETPULSE_TYPE_ROW);
  NetpulseRecord a = make_record (1, 100, "odd,\"name", 1536.5, 2);
  NetpulseRecord b = make_record (2, 200, "curl", 3, 4);
  g_autoptr(NetpulseConnection) ca = netpulse_connection_new (&a, 1);
  g_autoptr(NetpulseConnection) cb = netpulse_connection_new (&b, 1);
  g_autofree char *csv = NULL;
  g_autofree char *json = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *array;
  JsonObject *first;

  g_list_store_append (rows, cb);
  g_list_store_append (rows, ca);

  csv = netpulse_export_csv (G_LIST_MODEL (rows), NULL);
  lines = g_strsplit (csv, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);   /* header, 2 rows, "" */
  g_assert_true (g_str_has_prefix (lines[0], "kind,process,comm,pid,user,protocol"));
  g_assert_true (g_str_has_prefix (lines[1], "connection,curl,curl,200,"));
  /* Quotes doubled, field quoted; rates with a dot whatever the locale. */
  g_assert_true (g_str_has_prefix (lines[2], "connection,\"odd,\"\"name\",\"odd,\"\"name\",100,"));
  g_assert_nonnull (strstr (lines[2], ",1536.5,2.0,"));
  g_assert_cmpstr (lines[3], ==, "");

  json = netpulse_export_json (G_LIST_MODEL (rows), NULL);
  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  first = json_array_get_object_element (array, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "comm"), ==, "curl");
  g_assert_cmpint (json_object_get_int_member (first, "remote_port"), ==, 443);
  g_assert_cmpstr (json_object_get_string_member (first, "protocol"), ==, "tcp");
  g_assert_cmpfloat (json_object_get_double_member (json_array_get_object_element (array, 1), "rx_rate"), ==, 1536.5);
}

/* Whether @text holds a C0 control other than the line ends of the
 * format, DEL, a C1 control or a bidi control, raw. */
static gboolean
has_raw_control (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        return TRUE;
      if ((c < 0x20 && c != '\n' && c != '\r') || (c >= 0x7f && c < 0xa0) || c == 0x061c ||
          c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
        return TRUE;
    }
  return FALSE;
}

/* The names of issue 9 and spreadsheet formulas: the CSV shows them
 * escaped and inert, the JSON keeps them exactly, as \uXXXX escapes. */
static void
test_export_hostile (void)
{
  static const struct {
    const char *comm;
    const char *csv;     /* the field in the CSV */
  } names[] = {
    { "\033]0;PWNED\a",        "\\e]0;PWNED\\a" },
    { "ab\nFAKE\n1.2.3.4",     "ab\\nFAKE\\n1.2.3.4" },
    { "ok\b\bno\x7f",          "ok\\b\\bno\\x7f" },
    { "c1\xc2\x9b" "2J",        "c1\\u{9b}2J" },
    { "np\u202egpj.exe",       "np\\u{202e}gpj.exe" },
    { "=1+2",                  "\"'=1+2\"" },
    { "+1",                    "\"'+1\"" },
    { "-bash",                 "\"'-bash\"" },
    { "@SUM(A1)",              "\"'@SUM(A1)\"" },
    { "\tx",                   "\\tx" },      /* escaped first: no formula left */
    { "=A1,\"x\"",             "\"'=A1,\"\"x\"\"\"" },
  };
  g_autoptr(GListStore) rows = g_list_store_new (NETPULSE_TYPE_ROW);
  g_autofree char *csv = NULL;
  g_autofree char *json = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *array;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      NetpulseRecord r = make_record (i + 1, 100 + i, names[i].comm, 1, 1);
      g_autoptr(NetpulseConnection) conn = netpulse_connection_new (&r, 1);

      g_list_store_append (rows, conn);
    }

  csv = netpulse_export_csv (G_LIST_MODEL (rows), NULL);
  g_assert_false (has_raw_control (csv));
  lines = g_strsplit (csv, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, G_N_ELEMENTS (names) + 2);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      /* kind, process (the display name), comm, pid */
      g_autofree char *start = g_strdup_printf ("connection,%s,%s,%u,", names[i].csv, names[i].csv, 100 + i);

      if (!g_str_has_prefix (lines[i + 1], start))
        g_error ("CSV line %u is %s, expected it to start with %s", i, lines[i + 1], start);
    }

  json = netpulse_export_json (G_LIST_MODEL (rows), NULL);
  g_assert_false (has_raw_control (json));
  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, G_N_ELEMENTS (names));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);

      g_assert_cmpstr (json_object_get_string_member (object, "comm"), ==, names[i].comm);
      g_assert_cmpstr (json_object_get_string_member (object, "process"), ==, names[i].comm);
    }
}

/* ---- replay ----------------------------------------------------------- */

typedef struct {
  guint    updates;
  guint    records;
  guint    removed;
  guint64  last_ts;
} ReplayCount;

static void
on_replay_update (NetpulseSource *source,
                  guint64         ts,
                  GArray         *changed,
                  GArray         *removed,
                  ReplayCount    *count)
{
  count->updates++;
  count->records += changed->len;
  count->removed += removed->len;
  count->last_ts = ts;
}

static char *
record_line (const NetpulseRecord *r,
             guint64               ts)
{
  g_autoptr(GString) out = g_string_new (NULL);

  netpulse_record_append_json (r, ts, out);
  g_string_append_c (out, '\n');
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_replay (void)
{
  g_autoptr(NetpulseSource) source = netpulse_replay_source_new (NULL, 10);
  NetpulseReplaySource *replay = NETPULSE_REPLAY_SOURCE (source);
  NetpulseRecord a = make_record (1, 100, "a", 1, 1);
  NetpulseRecord b = make_record (2, 100, "a", 2, 2);
  NetpulseRecord c = make_record (1, 100, "a", 3, 3);
  g_autofree char *l1 = record_line (&a, T0);
  g_autofree char *l2 = record_line (&b, T0);
  g_autofree char *l3 = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  ReplayCount count = { 0 };

  c.flags = NETPULSE_RECORD_CLOSED;
  l3 = record_line (&c, T0 + SEC);
  text = g_strconcat (l1, l2, "\n", l3, NULL);

  g_assert_true (netpulse_replay_source_load_data (replay, text, "test", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (netpulse_replay_source_get_n_ticks (replay), ==, 2);

  g_signal_connect (source, "update", G_CALLBACK (on_replay_update), &count);
  g_assert_true (netpulse_replay_source_step (replay));
  g_assert_cmpuint (count.records, ==, 2);
  g_assert_true (netpulse_replay_source_step (replay));
  /* The closed connection's final record, flagged, and no removed id (as
   * the helper sends it). */
  g_assert_cmpuint (count.records, ==, 3);
  g_assert_cmpuint (count.removed, ==, 0);
  g_assert_cmpuint (count.last_ts, ==, T0 + SEC);
  g_assert_false (netpulse_replay_source_step (replay));
  g_assert_cmpuint (netpulse_source_get_state (source), ==, NETPULSE_SOURCE_STATE_FINISHED);

  /* Bad input: a clear error naming the line, nothing loaded. */
  g_clear_pointer (&text, g_free);
  text = g_strconcat (l1, "{not json\n", NULL);
  g_assert_false (netpulse_replay_source_load_data (replay, text, "rec.jsonl", &error));
  g_assert_error (error, NETPULSE_SOURCE_ERROR, NETPULSE_SOURCE_ERROR_BAD_INPUT);
  g_assert_nonnull (strstr (error->message, "rec.jsonl, line 2"));
  /* The earlier recording is still there. */
  g_assert_cmpuint (netpulse_replay_source_get_n_ticks (replay), ==, 2);
}

static void
test_replay_file (void)
{
  const char *srcdir = g_getenv ("NETPULSE_SOURCE_ROOT");
  g_autofree char *path = NULL;
  g_autoptr(NetpulseSource) source = NULL;
  g_autoptr(NetpulseConnectionStore) store = netpulse_connection_store_new ();
  g_autoptr(GError) error = NULL;

  if (srcdir == NULL)
    {
      g_test_skip ("NETPULSE_SOURCE_ROOT is not set");
      return;
    }
  path = g_build_filename (srcdir, "tests", "data", "replay-basic.jsonl", NULL);
  source = netpulse_replay_source_new (path, 10);
  g_assert_true (netpulse_replay_source_load (NETPULSE_REPLAY_SOURCE (source), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (netpulse_replay_source_get_n_ticks (NETPULSE_REPLAY_SOURCE (source)), ==, 8);
}

/* ---- feed and pause --------------------------------------------------- */

static GArray *
record_array (const NetpulseRecord *records,
              guint                 n)
{
  GArray *array = g_array_new (FALSE, FALSE, sizeof (NetpulseRecord));

  g_array_append_vals (array, records, n);
  return array;
}

static void
count_applied (guint *n_applied)
{
  (*n_applied)++;
}

/* Paused, the feed holds updates back (the store does not move) and merges
 * them; resuming applies them in one go: the newest values and the closes. */
static void
test_feed_pause (void)
{
  g_autoptr(NetpulseConnectionStore) store = netpulse_connection_store_new ();
  g_autoptr(NetpulseFeed) feed = netpulse_feed_new (store);
  g_autoptr(NetpulseSource) source = netpulse_replay_source_new ("unused.jsonl", 10);
  NetpulseRecord first[2] = { make_record (1, 1, "a", 10, 0), make_record (2, 1, "a", 20, 0) };
  NetpulseRecord later[1] = { make_record (1, 1, "a", 99, 0) };
  guint64 gone = 2;
  g_autoptr(GArray) first_array = record_array (first, 2);
  g_autoptr(GArray) later_array = record_array (later, 1);
  g_autoptr(GArray) gone_array = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint n_applied = 0;

  g_array_append_val (gone_array, gone);
  netpulse_connection_store_set_linger_ms (store, 0);
  netpulse_feed_set_source (feed, source);
  g_signal_connect_swapped (feed, "applied", G_CALLBACK (count_applied), &n_applied);

  netpulse_source_emit_update (source, T0, first_array, NULL);
  g_assert_cmpuint (n_applied, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 2);

  netpulse_feed_set_paused (feed, TRUE);
  g_assert_false (netpulse_feed_has_pending (feed));
  netpulse_source_emit_update (source, T0 + SEC, later_array, gone_array);
  netpulse_source_emit_update (source, T0 + 2 * SEC, later_array, NULL);
  g_assert_true (netpulse_feed_has_pending (feed));
  g_assert_cmpuint (n_applied, ==, 1);
  g_assert_cmpfloat (netpulse_row_get_rx_rate (NETPULSE_ROW (netpulse_connection_store_lookup (store, 1))), ==, 10);

  netpulse_feed_set_paused (feed, FALSE);
  g_assert_false (netpulse_feed_has_pending (feed));
  g_assert_cmpuint (n_applied, ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  g_assert_cmpfloat (netpulse_row_get_rx_rate (NETPULSE_ROW (netpulse_connection_store_lookup (store, 1))), ==, 99);

  /* A snapshot while paused replaces what was held back; a close after it
   * still leaves. */
  netpulse_feed_set_paused (feed, TRUE);
  netpulse_source_emit_update (source, T0 + 3 * SEC, first_array, NULL);
  netpulse_source_emit_snapshot (source, T0 + 4 * SEC, later_array);
  netpulse_source_emit_update (source, T0 + 5 * SEC, NULL, gone_array);
  netpulse_feed_set_paused (feed, FALSE);
  g_assert_cmpuint (n_applied, ==, 3);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  g_assert_nonnull (netpulse_connection_store_lookup (store, 1));

  /* Another source: nothing reaches the store from the first one. */
  netpulse_feed_set_source (feed, NULL);
  netpulse_source_emit_update (source, T0 + 6 * SEC, first_array, NULL);
  g_assert_cmpuint (n_applied, ==, 3);
}

/* ---- desktop app lookup ----------------------------------------------- */

static void
test_cgroup_parse (void)
{
  struct { const char *cgroup; const char *first; } cases[] = {
    { "0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-org.gnome.Terminal-4242.scope\n",
      "org.gnome.Terminal" },
    { "0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-flatpak-org.mozilla.firefox-1234.scope\n",
      "org.mozilla.firefox" },
    { "0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox\\x2desr-77.scope\n",
      "firefox-esr" },
    { "0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Nautilus@abc.service\n",
      "org.gnome.Nautilus" },
    { "0::/system.slice/sshd.service\n", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(GStrv) ids = netpulse_app_finder_parse_cgroup (cases[i].cgroup);

      if (cases[i].first == NULL)
        g_assert_null (ids[0]);
      else
        {
          g_assert_nonnull (ids[0]);
          g_assert_cmpstr (ids[0], ==, cases[i].first);
        }
    }
  /* The whole name is tried too, for units without a launcher prefix. */
  {
    g_auto(GStrv) ids = netpulse_app_finder_parse_cgroup (cases[3].cgroup);
    g_assert_true (g_strv_contains ((const char * const *) ids, "org.gnome.Nautilus"));
  }
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_setenv ("LANGUAGE", "C", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/history/carry-forward", test_history_carry_forward);
  g_test_add_func ("/store/adds-and-changes", test_store_adds_and_changes);
  g_test_add_func ("/store/closes-and-fades", test_store_closes_and_fades);
  g_test_add_func ("/store/gap-snapshot", test_store_gap_snapshot);
  g_test_add_func ("/store/many", test_store_many);
  g_test_add_func ("/grouping/by-process", test_grouping);
  g_test_add_func ("/sort/stability", test_sort_stability);
  g_test_add_func ("/sort/keys", test_sort_keys);
  g_test_add_func ("/filter/search-and-closed", test_filter);
  g_test_add_func ("/filter/escaped-name", test_filter_escaped_name);
  g_test_add_func ("/format/rates", test_format);
  g_test_add_func ("/export/csv-json", test_export);
  g_test_add_func ("/export/hostile-names", test_export_hostile);
  g_test_add_func ("/replay/parse", test_replay);
  g_test_add_func ("/replay/file", test_replay_file);
  g_test_add_func ("/feed/pause", test_feed_pause);
  g_test_add_func ("/app-finder/cgroup", test_cgroup_parse);

  return g_test_run ();
}
