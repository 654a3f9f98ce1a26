/* test-flow-rates.c — the per-tick and smoothed rates of the flow table
 * (netpulse-flow-rates.c) on synthetic flows, with exact figures.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <string.h>

#include "netpulse-flow-table.h"

#define SEC  (G_GUINT64_CONSTANT (1000000000))
#define MB   (G_GUINT64_CONSTANT (1000000))

typedef struct {
  NetpulseFlowTable *table;
  GHashTable        *released;
  guint64            now_ns;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  static const NetpulseFlowRules rules = {
    .max_flows = 1024,
    .udp_idle_ms = 5000,
    .closed_retain_ms = 60000,
  };

  f->table = netpulse_flow_table_new (&rules);
  f->released = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  f->now_ns = 1000 * SEC;
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  netpulse_flow_table_free (f->table);
  g_hash_table_unref (f->released);
}

static struct np_flow_key
key_of (guint64 cookie)
{
  struct np_flow_key key;

  memset (&key, 0, sizeof key);
  key.cookie = cookie;
  return key;
}

/* A TCP connection that the sampler sees at every tick. */
static struct np_flow
tcp_flow (void)
{
  struct np_flow flow;

  memset (&flow, 0, sizeof flow);
  flow.family = 4;
  flow.proto = 6;
  flow.state = 1;
  flow.pid = 4242;
  flow.has_process = 1;
  return flow;
}

static void
collect (const NetpulseRecord *record,
         gpointer              user_data)
{
  g_array_append_vals (user_data, record, 1);
}

/* One whole sample of one flow @interval_ns after the previous one. */
static void
tick (Fixture                  *f,
      guint64                   interval_ns,
      const struct np_flow_key *key,
      const struct np_flow     *flow)
{
  f->now_ns += interval_ns;
  netpulse_flow_table_begin (f->table, f->now_ns, interval_ns, f->released);
  netpulse_flow_table_take (f->table, key, flow);
  netpulse_flow_table_take_closed (f->table);
  netpulse_flow_table_plan (f->table);
  netpulse_flow_table_end (f->table, NULL);
}

/* The flow's record if it changed in the last sample, as seen through a
 * @window_ns window. */
static gboolean
last_changed (Fixture        *f,
              guint64         window_ns,
              NetpulseRecord *out)
{
  g_autoptr(GArray) records = g_array_new (FALSE, FALSE, sizeof (NetpulseRecord));

  netpulse_flow_table_foreach_changed (f->table, netpulse_flow_table_get_generation (f->table) - 1,
                                       window_ns, collect, records);
  g_assert_cmpuint (records->len, <=, 1);
  if (records->len == 1)
    *out = g_array_index (records, NetpulseRecord, 0);
  return records->len == 1;
}

/* curl --limit-rate 2M as the kernel sees it: 0 B/s four ticks in five,
 * 10 MB in the fifth.  The per-tick rate says exactly that; the 5 s average
 * reads 2 MB/s on every tick from the first full window on. */
static void
test_rates_bursty (Fixture       *f,
                   gconstpointer  data)
{
  struct np_flow_key key = key_of (20);
  struct np_flow flow = tcp_flow ();
  NetpulseRecord r;

  netpulse_flow_table_set_rate_rules (f->table, SEC / 2, 5 * SEC);
  f->now_ns -= SEC;
  flow.first_ns = f->now_ns;
  for (guint k = 1; k <= 30; k++)
    {
      gboolean burst = k % 5 == 1;

      if (burst)
        flow.rx_bytes += 10 * MB;
      tick (f, SEC, &key, &flow);
      g_assert_true (last_changed (f, 5 * SEC, &r));
      g_assert_cmpuint (r.rx_bytes, ==, (k + 4) / 5 * 10 * MB);
      g_assert_cmpfloat (r.rx_rate, ==, burst ? 10.0 * MB : 0.0);
      if (k >= 5)
        g_assert_cmpfloat_with_epsilon (r.rx_rate_avg, 2.0 * MB, 1e-6);
      g_assert_cmpfloat (r.tx_rate_avg, ==, 0.0);
    }
}

/* The first sample after the programs were loaded comes 3 ms after the
 * start: no rate from it.  The next covers the whole 1.003 s; a sample 3 ms
 * after that keeps its rates, and the one after covers the time since the
 * last with rates. */
static void
test_rates_no_spike (Fixture       *f,
                     gconstpointer  data)
{
  const guint64 ms = SEC / 1000;
  struct np_flow_key key = key_of (21);
  struct np_flow flow = tcp_flow ();
  NetpulseRecord r;

  flow.rx_bytes = 2000;
  flow.first_ns = f->now_ns;
  netpulse_flow_table_set_rate_rules (f->table, SEC / 2, 5 * SEC);
  tick (f, 3 * ms, &key, &flow);
  g_assert_true (last_changed (f, 5 * SEC, &r));
  g_assert_cmpuint (r.rx_bytes, ==, 2000);
  g_assert_cmpfloat (r.rx_rate, ==, 0.0);
  g_assert_cmpfloat (r.rx_rate_avg, ==, 0.0);

  flow.rx_bytes += 95000;
  tick (f, SEC, &key, &flow);
  g_assert_true (last_changed (f, 5 * SEC, &r));
  g_assert_cmpfloat_with_epsilon (r.rx_rate, 97000.0 / 1.003, 1e-6);
  g_assert_cmpfloat_with_epsilon (r.rx_rate_avg, 97000.0 / 1.003, 1e-6);

  flow.rx_bytes += 300;
  tick (f, 3 * ms, &key, &flow);
  g_assert_true (last_changed (f, 5 * SEC, &r));
  g_assert_cmpfloat_with_epsilon (r.rx_rate, 97000.0 / 1.003, 1e-6);

  flow.rx_bytes += 95000;
  tick (f, SEC - 3 * ms, &key, &flow);
  g_assert_true (last_changed (f, 5 * SEC, &r));
  g_assert_cmpfloat_with_epsilon (r.rx_rate, 95300.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (r.rx_rate_avg, 192300.0 / 2.003, 1e-6);
}

/* One history, any window up to the largest: 1000 B/s for 20 s, then
 * 5000 B/s for 2 s. */
static void
test_rates_windows (Fixture       *f,
                    gconstpointer  data)
{
  struct np_flow_key key = key_of (22);
  struct np_flow flow = tcp_flow ();
  NetpulseRecord r;

  netpulse_flow_table_set_rate_rules (f->table, SEC / 2, 10 * SEC);
  flow.first_ns = f->now_ns;
  for (guint k = 0; k < 22; k++)
    {
      flow.tx_bytes += k < 20 ? 1000 : 5000;
      tick (f, SEC, &key, &flow);
    }

  g_assert_true (last_changed (f, 1 * SEC, &r));
  g_assert_cmpfloat_with_epsilon (r.tx_rate_avg, 5000.0, 1e-9);
  g_assert_true (last_changed (f, 5 * SEC, &r));
  g_assert_cmpfloat_with_epsilon (r.tx_rate_avg, (3 * 1000.0 + 2 * 5000.0) / 5, 1e-9);
  g_assert_true (last_changed (f, 10 * SEC, &r));
  g_assert_cmpfloat_with_epsilon (r.tx_rate_avg, (8 * 1000.0 + 2 * 5000.0) / 10, 1e-9);
  g_assert_cmpfloat (r.tx_rate, ==, 5000.0);
}

/* A flow whose average is 0 and that does not move is not reported, for
 * any time; when it moves again its window starts at the window's start
 * (it was idle until the previous sample), not at its last sample. */
static void
test_rates_idle (Fixture       *f,
                 gconstpointer  data)
{
  struct np_flow_key key = key_of (23);
  struct np_flow flow = tcp_flow ();
  NetpulseRecord r;

  netpulse_flow_table_set_rate_rules (f->table, SEC / 2, 5 * SEC);
  flow.first_ns = f->now_ns;
  flow.rx_bytes = MB;
  tick (f, SEC, &key, &flow);
  for (guint k = 0; k < 5; k++)
    tick (f, SEC, &key, &flow);
  g_assert_true (last_changed (f, 5 * SEC, &r));     /* 5 s later, the last decay: 0 */
  g_assert_cmpfloat (r.rx_rate_avg, ==, 0.0);
  for (guint k = 0; k < 100; k++)
    {
      tick (f, SEC, &key, &flow);
      g_assert_false (last_changed (f, 5 * SEC, &r));
    }

  flow.rx_bytes += MB;
  tick (f, SEC, &key, &flow);
  g_assert_true (last_changed (f, 5 * SEC, &r));
  g_assert_cmpfloat (r.rx_rate, ==, 1.0 * MB);
  g_assert_cmpfloat_with_epsilon (r.rx_rate_avg, MB / 5.0, 1e-9);
  g_assert_true (last_changed (f, 2 * SEC, &r));
  g_assert_cmpfloat_with_epsilon (r.rx_rate_avg, MB / 2.0, 1e-9);
}

/* A flow the kernel first counted 0.4 s after the previous sample: the
 * per-tick rate is over the tick, the average since it was first counted. */
static void
test_rates_young (Fixture       *f,
                  gconstpointer  data)
{
  struct np_flow_key key = key_of (24);
  struct np_flow flow = tcp_flow ();
  NetpulseRecord r;

  netpulse_flow_table_set_rate_rules (f->table, SEC / 2, 5 * SEC);
  flow.first_ns = f->now_ns + 4 * SEC / 10;
  flow.tx_bytes = 400000;
  tick (f, SEC, &key, &flow);
  g_assert_true (last_changed (f, 5 * SEC, &r));
  g_assert_cmpfloat (r.tx_rate, ==, 400000.0);
  g_assert_cmpfloat_with_epsilon (r.tx_rate_avg, 400000.0 / 0.6, 1e-6);
}

/* A sample that could not read the kernel is undone: the next one has the
 * rates of the whole time since the last good one. */
static void
test_rates_cancel (Fixture       *f,
                   gconstpointer  data)
{
  struct np_flow_key key = key_of (26);
  struct np_flow flow = tcp_flow ();
  NetpulseRecord r;

  netpulse_flow_table_set_rate_rules (f->table, SEC / 2, 5 * SEC);
  flow.first_ns = f->now_ns;
  flow.tx_bytes = 1000;
  tick (f, SEC, &key, &flow);
  netpulse_flow_table_begin (f->table, f->now_ns + SEC, SEC, f->released);
  netpulse_flow_table_cancel (f->table);
  flow.tx_bytes = 5000;
  tick (f, 2 * SEC, &key, &flow);
  g_assert_true (last_changed (f, 5 * SEC, &r));
  g_assert_cmpfloat_with_epsilon (r.tx_rate, 2000.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (r.tx_rate_avg, 5000.0 / 3, 1e-9);
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/flow-rates/bursty", test_rates_bursty);
  ADD ("/flow-rates/no-spike", test_rates_no_spike);
  ADD ("/flow-rates/windows", test_rates_windows);
  ADD ("/flow-rates/idle", test_rates_idle);
  ADD ("/flow-rates/young", test_rates_young);
  ADD ("/flow-rates/cancel", test_rates_cancel);

  return g_test_run ();
}
