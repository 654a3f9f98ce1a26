/* test-flow-table-partial.c — samples that take only the flows the kernel
 * marked changed (netpulse-flow-table-partial.c): what is not taken stays
 * open and unchanged, idle datagram flows still end on time, a moving
 * flow is read again until its rates are back to 0, and a released
 * socket's per-peer rows are known without reading the whole table.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <string.h>

#include "netpulse-flow-table.h"

#define SEC      (G_GUINT64_CONSTANT (1000000000))
#define T0       (500 * SEC)

static const NetpulseFlowRules rules = {
  .max_flows = 1024,
  .udp_idle_ms = 5000,
  .closed_retain_ms = 60000,
};

typedef struct {
  NetpulseFlowTable *table;
  GHashTable        *released;
} Partial;

static void
partial_set_up (Partial       *p,
                gconstpointer  data)
{
  p->table = netpulse_flow_table_new (&rules);
  p->released = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
}

static void
partial_tear_down (Partial       *p,
                   gconstpointer  data)
{
  netpulse_flow_table_free (p->table);
  g_hash_table_unref (p->released);
}

static struct np_flow
datagram_flow (guint64 tx,
               guint64 last_ns,
               gboolean per_peer)
{
  struct np_flow flow;

  memset (&flow, 0, sizeof flow);
  flow.tx_bytes = tx;
  flow.tx_calls = 1;
  flow.first_ns = T0 - SEC;
  flow.last_ns = last_ns;
  flow.family = 4;
  flow.proto = 17;
  flow.per_peer = per_peer;
  flow.has_process = 1;
  flow.pid = 77;
  return flow;
}

/* begin, take @n rows, plan: the number of rows to finish */
static guint
tick (Partial                  *p,
      guint64                   now_ns,
      gboolean                  partial,
      const struct np_flow_key *keys,
      const struct np_flow     *flows,
      guint                     n)
{
  netpulse_flow_table_begin (p->table, now_ns, SEC, p->released);
  if (partial)
    netpulse_flow_table_set_partial (p->table);
  for (guint i = 0; i < n; i++)
    netpulse_flow_table_take (p->table, &keys[i], &flows[i]);
  netpulse_flow_table_take_closed (p->table);
  return netpulse_flow_table_plan (p->table)->to_finish->len;
}

static void
count_record (const NetpulseRecord *record,
              gpointer              user_data)
{
  (*(guint *) user_data)++;
}

static guint
n_changed_since (Partial *p,
                 guint64  generation)
{
  guint n = 0;

  netpulse_flow_table_foreach_changed (p->table, generation, 5 * SEC, count_record, &n);
  return n;
}

static void
test_untaken_stay (Partial       *p,
                   gconstpointer  data)
{
  struct np_flow_key keys[2] = { { .cookie = 1 }, { .cookie = 2 } };
  struct np_flow flows[2] = { datagram_flow (10, T0, FALSE), datagram_flow (20, T0, FALSE) };

  tick (p, T0, FALSE, keys, flows, 2);
  netpulse_flow_table_end (p->table, NULL);
  g_assert_cmpuint (n_changed_since (p, 1), ==, 0);

  /* only the second changed: the first is neither closed nor reported */
  flows[1].tx_bytes = 25;
  flows[1].last_ns = T0 + SEC / 2;
  tick (p, T0 + SEC, TRUE, &keys[1], &flows[1], 1);
  netpulse_flow_table_end (p->table, NULL);
  g_assert_cmpuint (netpulse_flow_table_get_n_open (p->table), ==, 2);
  g_assert_cmpuint (n_changed_since (p, 1), ==, 1);
}

static void
test_idle_in_order (Partial       *p,
                    gconstpointer  data)
{
  struct np_flow_key keys[2] = { { .cookie = 3 }, { .cookie = 4 } };
  struct np_flow flows[2] = { datagram_flow (10, T0 - 2 * SEC, FALSE), datagram_flow (20, T0, FALSE) };
  const NetpulseFlowActions *actions;

  tick (p, T0, FALSE, keys, flows, 2);
  netpulse_flow_table_end (p->table, NULL);

  /* 5 s idle is not idle yet; a nanosecond more is, without being read */
  g_assert_cmpuint (tick (p, T0 + 3 * SEC, TRUE, NULL, NULL, 0), ==, 0);
  netpulse_flow_table_end (p->table, NULL);
  g_assert_cmpuint (tick (p, T0 + 3 * SEC + 1, TRUE, NULL, NULL, 0), ==, 1);
  actions = netpulse_flow_table_plan (p->table);
  g_assert_cmpuint (g_array_index (actions->to_finish, struct np_flow_key, 0).cookie, ==, 3);
  flows[0].tx_bytes = 11;       /* what the deletion read */
  netpulse_flow_table_finish (p->table, &keys[0], &flows[0]);
  netpulse_flow_table_end (p->table, NULL);
  g_assert_cmpuint (netpulse_flow_table_get_n_open (p->table), ==, 1);
  g_assert_cmpuint (tick (p, T0 + 5 * SEC + 1, TRUE, NULL, NULL, 0), ==, 1);
  netpulse_flow_table_end (p->table, NULL);
}

static void
test_settling (Partial       *p,
               gconstpointer  data)
{
  struct np_flow_key key = { .cookie = 5 };
  struct np_flow flow = datagram_flow (10, T0, FALSE);
  g_autoptr(GArray) keys = g_array_new (FALSE, FALSE, sizeof (struct np_flow_key));
  guint64 t = T0;

  tick (p, t, FALSE, &key, &flow, 1);
  netpulse_flow_table_end (p->table, NULL);
  flow.tx_bytes = 1000;
  flow.last_ns = t + SEC / 2;
  t += SEC;
  tick (p, t, TRUE, &key, &flow, 1);
  netpulse_flow_table_end (p->table, NULL);

  /* read again, unchanged, while its rates fall back to 0 */
  for (guint i = 0; i < 30; i++)
    {
      g_array_set_size (keys, 0);
      netpulse_flow_table_get_settling (p->table, keys);
      if (keys->len == 0)
        break;
      g_assert_cmpuint (g_array_index (keys, struct np_flow_key, 0).cookie, ==, 5);
      flow.last_ns = t;   /* keep it from idling out */
      t += SEC;
      tick (p, t, TRUE, &key, &flow, 1);
      netpulse_flow_table_end (p->table, NULL);
    }
  g_assert_cmpuint (keys->len, ==, 0);
  g_assert_cmpuint (netpulse_flow_table_get_n_open (p->table), ==, 1);
}

static void
test_peer_keys (Partial       *p,
                gconstpointer  data)
{
  struct np_flow_key keys[3] = { { .cookie = 7, .peer_port = 53 }, { .cookie = 7, .peer_port = 54 },
                                 { .cookie = 8, .peer_port = 53 } };
  struct np_flow flows[3] = { datagram_flow (1, T0, TRUE), datagram_flow (2, T0, TRUE), datagram_flow (3, T0, TRUE) };
  g_autoptr(GArray) found = g_array_new (FALSE, FALSE, sizeof (struct np_flow_key));
  guint64 cookie = 7, when = T0;

  tick (p, T0, FALSE, keys, flows, 3);
  netpulse_flow_table_end (p->table, NULL);
  netpulse_flow_table_get_peer_keys (p->table, 7, found);
  g_assert_cmpuint (found->len, ==, 2);

  /* released: its rows end when taken, and leave the index */
  g_hash_table_insert (p->released, g_memdup2 (&cookie, sizeof cookie), g_memdup2 (&when, sizeof when));
  tick (p, T0 + SEC, TRUE, (struct np_flow_key *) found->data, flows, found->len);
  g_assert_cmpuint (netpulse_flow_table_plan (p->table)->to_delete->len, ==, 2);
  netpulse_flow_table_end (p->table, NULL);
  g_array_set_size (found, 0);
  netpulse_flow_table_get_peer_keys (p->table, 7, found);
  g_assert_cmpuint (found->len, ==, 0);
  g_assert_cmpuint (netpulse_flow_table_get_n_open (p->table), ==, 1);
}

#define ADD(path, func) \
  g_test_add (path, Partial, NULL, partial_set_up, func, partial_tear_down)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/flow-table-partial/untaken-stay", test_untaken_stay);
  ADD ("/flow-table-partial/idle-in-order", test_idle_in_order);
  ADD ("/flow-table-partial/settling", test_settling);
  ADD ("/flow-table-partial/peer-keys", test_peer_keys);

  return g_test_run ();
}
