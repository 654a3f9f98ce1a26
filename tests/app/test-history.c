/* test-history.c — unit tests of what a graph draws: the robust scale
 * (no lone spike, no start-up sample sets it; a peak that scrolled out no
 * longer counts) and whose history a row keeps when the helper's table
 * comes again (the same instance keeps it, another clears it).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <string.h>

#include "netpulse-connection-store.h"
#include "netpulse-feed.h"
#include "netpulse-history.h"
#include "netpulse-replay-source.h"
#include "netpulse-row-sorter.h"

#define SEC G_GUINT64_CONSTANT (1000000000)
#define T0  (G_GUINT64_CONSTANT (1700000000) * SEC)

static void
test_robust_peak (void)
{
  double rx[6] = { 1e8, 100, 120, 110, 5e7, 90 };
  double tx[6] = { 0, 10, 20, 130, 0, 0 };
  double two[4] = { 100, 900, 900, 100 };
  double zero[4] = { 0 };

  /* The start-up sample (0) is left out, the lone spike (4) does not
   * count: the scale is the largest of the rest, 130 (upload of 3). */
  g_assert_cmpfloat (netpulse_history_robust_peak (rx, tx, 6, 0), ==, 130);
  /* Without the skip, the start-up sample is the lone spike and the other
   * one (5e7) is the second largest. */
  g_assert_cmpfloat (netpulse_history_robust_peak (rx, tx, 6, G_MAXUINT), ==, 5e7);
  /* Two samples at a level are real traffic. */
  g_assert_cmpfloat (netpulse_history_robust_peak (two, zero, 4, G_MAXUINT), ==, 900);
  /* The window moved: the peaks scrolled out, the scale follows at once. */
  g_assert_cmpfloat (netpulse_history_robust_peak (two + 2, zero, 2, G_MAXUINT), ==, 100);
  g_assert_cmpfloat (netpulse_history_robust_peak (zero, zero, 4, G_MAXUINT), ==, 0);
}

static void
test_first_tick (void)
{
  g_autoptr(NetpulseHistory) history = netpulse_history_new (4);

  g_assert_cmpuint (netpulse_history_get_first_tick (history), ==, G_MAXUINT64);
  netpulse_history_push (history, 7, 1, 1);
  netpulse_history_push (history, 9, 2, 2);
  g_assert_cmpuint (netpulse_history_get_first_tick (history), ==, 7);
  netpulse_history_clear (history);
  g_assert_cmpuint (netpulse_history_get_first_tick (history), ==, G_MAXUINT64);
}

static NetpulseRecord
record (guint64 id,
        double  rx_rate,
        guint64 rx_bytes)
{
  NetpulseRecord r;

  memset (&r, 0, sizeof r);
  r.id = id;
  r.pid = 100 + id;
  g_strlcpy (r.comm, id == 1 ? "busy" : "idle", sizeof r.comm);
  r.proto = 6;
  r.family = 4;
  g_strlcpy (r.laddr, "10.0.0.1", sizeof r.laddr);
  g_strlcpy (r.raddr, "10.0.0.2", sizeof r.raddr);
  r.lport = 40000 + id;
  r.rport = 443;
  r.rx_rate = rx_rate;
  r.rx_bytes = rx_bytes;
  return r;
}

static void
emit_snapshot (NetpulseSource       *source,
               guint64               ts,
               const NetpulseRecord *records,
               guint                 n)
{
  g_autoptr(GArray) array = g_array_new (FALSE, FALSE, sizeof (NetpulseRecord));

  g_array_append_vals (array, records, n);
  netpulse_source_emit_snapshot (source, ts, array);
}

/* The rx samples of connection @id up to the store's tick. */
static double
rx_sum (NetpulseConnectionStore *store,
        guint64                  id)
{
  NetpulseRow *row = NETPULSE_ROW (netpulse_connection_store_lookup (store, id));
  double rx[NETPULSE_ROW_HISTORY_LENGTH], tx[NETPULSE_ROW_HISTORY_LENGTH];
  double sum = 0;

  g_assert_nonnull (row);
  netpulse_history_get (netpulse_row_get_history (row), netpulse_connection_store_get_tick (store),
                        NETPULSE_ROW_HISTORY_LENGTH, rx, tx);
  for (guint i = 0; i < NETPULSE_ROW_HISTORY_LENGTH; i++)
    sum += rx[i];
  return sum;
}

static void
test_feed_instance (void)
{
  g_autoptr(NetpulseConnectionStore) store = netpulse_connection_store_new ();
  g_autoptr(NetpulseFeed) feed = netpulse_feed_new (store);
  g_autoptr(NetpulseSource) source = netpulse_replay_source_new ("unused.jsonl", 10);
  /* id 1 busy, id 2 idle (0 bytes). */
  NetpulseRecord first[2] = { record (1, 1000, 1000), record (2, 0, 0) };
  /* The same helper again (a new subscription): the same ids. */
  NetpulseRecord again[2] = { record (1, 500, 1500), record (2, 0, 0) };
  /* A new helper: ids start again, and 1 is now the idle one. */
  NetpulseRecord restarted[2] = { record (1, 0, 0), record (2, 700, 700) };

  netpulse_feed_set_source (feed, source);
  netpulse_source_set_instance (source, ":1.10");
  emit_snapshot (source, T0, first, 2);
  g_assert_cmpfloat (rx_sum (store, 1), ==, 1000);

  emit_snapshot (source, T0 + SEC, again, 2);
  /* Kept: 1000 then 500, and the total went on. */
  g_assert_cmpfloat (rx_sum (store, 1), ==, 1500);
  g_assert_cmpuint (netpulse_row_get_rx_bytes (NETPULSE_ROW (netpulse_connection_store_lookup (store, 1))), ==, 1500);
  g_assert_cmpuint (netpulse_connection_store_get_tick (store), ==, 2);

  /* Another instance: connection 1 is idle now and draws nothing of the
   * old busy one's; the table starts again at tick 1. */
  netpulse_source_set_instance (source, ":1.17");
  emit_snapshot (source, T0 + 2 * SEC, restarted, 2);
  g_assert_cmpfloat (rx_sum (store, 1), ==, 0);
  g_assert_cmpfloat (rx_sum (store, 2), ==, 700);
  g_assert_cmpuint (netpulse_connection_store_get_tick (store), ==, 1);

  /* Unknown: nothing can be kept. */
  netpulse_source_set_instance (source, NULL);
  emit_snapshot (source, T0 + 3 * SEC, first, 2);
  g_assert_cmpfloat (rx_sum (store, 1), ==, 1000);
  g_assert_cmpfloat (rx_sum (store, 2), ==, 0);
}

/* The sorter sees the values of the last snapshot only: an update in
 * between (which GTK may meet while inserting a new row by binary search
 * among rows sorted before it) cannot make it contradict itself. */
static void
test_sort_snapshot (void)
{
  NetpulseRecord a = record (1, 100, 100);
  NetpulseRecord b = record (2, 200, 200);
  g_autoptr(NetpulseConnection) ca = netpulse_connection_new (&a, 1);
  g_autoptr(NetpulseConnection) cb = netpulse_connection_new (&b, 1);
  NetpulseRecord faster = record (1, 900, 1000);

  g_assert_cmpint (netpulse_row_compare (ca, cb, NETPULSE_SORT_RX_RATE), <, 0);
  netpulse_connection_update (ca, &faster, 2);
  /* Shown at once, sorted by only after the snapshot. */
  g_assert_cmpfloat (netpulse_row_get_rx_rate (NETPULSE_ROW (ca)), ==, 900);
  g_assert_cmpint (netpulse_row_compare (ca, cb, NETPULSE_SORT_RX_RATE), <, 0);
  g_assert_cmpint (netpulse_row_compare (ca, cb, NETPULSE_SORT_TOTAL), <, 0);
  netpulse_row_snapshot_sort_keys (NETPULSE_ROW (ca));
  g_assert_cmpint (netpulse_row_compare (ca, cb, NETPULSE_SORT_RX_RATE), >, 0);
  g_assert_cmpint (netpulse_row_compare (ca, cb, NETPULSE_SORT_TOTAL), >, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/history/robust-peak", test_robust_peak);
  g_test_add_func ("/history/first-tick", test_first_tick);
  g_test_add_func ("/feed/instance", test_feed_instance);
  g_test_add_func ("/sort/snapshot", test_sort_snapshot);

  return g_test_run ();
}
