/* test-flow-table.c — the collector's accounting rules on synthetic kernel
 * flows, without root or a kernel: records, closes, per-peer aggregates,
 * eviction of idle per-peer entries, owners found by inode (the rates:
 * test-flow-rates.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <string.h>

#include "netpulse-flow-table.h"

#define SEC         (G_GUINT64_CONSTANT (1000000000))
#define START_NS    (1000 * SEC)
#define OFFSET_NS   (G_GUINT64_CONSTANT (1700000000) * SEC)

typedef struct {
  NetpulseFlowTable *table;
  GHashTable        *released;   /* cookie → release time */
  guint64            now_ns;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  const NetpulseFlowRules *rules = data;

  f->table = netpulse_flow_table_new (rules);
  netpulse_flow_table_set_clock_offset (f->table, OFFSET_NS);
  f->released = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  f->now_ns = START_NS;
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  netpulse_flow_table_free (f->table);
  g_hash_table_unref (f->released);
}

static const NetpulseFlowRules default_rules = {
  .max_flows = 1024,
  .udp_idle_ms = 5000,
  .closed_retain_ms = 60000,
};

/* Eviction watermarks: above 7 entries, down to 6. */
static const NetpulseFlowRules small_rules = {
  .max_flows = 8,
  .udp_idle_ms = 60000,
  .closed_retain_ms = 60000,
};

static struct np_flow_key
key_of (guint64 cookie,
        guint16 peer_port)
{
  struct np_flow_key key;

  memset (&key, 0, sizeof key);
  key.cookie = cookie;
  key.peer_port = peer_port;
  return key;
}

static struct np_flow
tcp_flow (guint64 tx,
          guint64 rx)
{
  struct np_flow flow;

  memset (&flow, 0, sizeof flow);
  flow.tx_bytes = tx;
  flow.rx_bytes = rx;
  flow.tx_calls = 3;
  flow.rx_calls = 2;
  flow.first_ns = START_NS - 5 * SEC;
  flow.last_ns = START_NS - SEC / 10;
  flow.pid = 4242;
  flow.uid = 1000;
  flow.netns = 4026531840u;
  flow.srtt_us = 250;
  flow.retrans = 1;
  flow.cgroup_id = 77;
  flow.ino = 555;
  memcpy (flow.laddr, (guint8[]) { 127, 0, 0, 1 }, 4);
  memcpy (flow.raddr, (guint8[]) { 127, 0, 0, 2 }, 4);
  flow.lport = 40000;
  flow.rport = 443;
  flow.family = 4;
  flow.proto = 6;
  flow.state = 1;
  flow.has_process = 1;
  g_strlcpy (flow.comm, "curl", sizeof flow.comm);
  return flow;
}

static struct np_flow
udp_peer_flow (guint64 last_ns,
               guint16 rport)
{
  struct np_flow flow = tcp_flow (100, 0);

  flow.proto = 17;
  flow.state = 0;
  flow.srtt_us = 0;
  flow.retrans = 0;
  flow.per_peer = 1;
  flow.rport = rport;
  flow.last_ns = last_ns;
  return flow;
}

/* One sample with the given rows, nothing asked of a kernel; returns
 * what the plan asked (valid until the next sample). */
static void
sample (Fixture                   *f,
        const struct np_flow_key  *keys,
        const struct np_flow      *flows,
        guint                      n,
        guint                     *n_to_delete,
        guint                     *n_to_finish)
{
  const NetpulseFlowActions *actions;

  netpulse_flow_table_begin (f->table, f->now_ns, SEC, f->released);
  for (guint i = 0; i < n; i++)
    netpulse_flow_table_take (f->table, &keys[i], &flows[i]);
  netpulse_flow_table_take_closed (f->table);
  actions = netpulse_flow_table_plan (f->table);
  if (n_to_delete != NULL)
    *n_to_delete = actions->to_delete->len;
  if (n_to_finish != NULL)
    *n_to_finish = actions->to_finish->len;
}

static void
collect (const NetpulseRecord *record,
         gpointer              user_data)
{
  g_array_append_vals (user_data, record, 1);
}

static GArray *
changed_since (Fixture *f,
               guint64  generation)
{
  GArray *records = g_array_new (FALSE, FALSE, sizeof (NetpulseRecord));

  netpulse_flow_table_foreach_changed (f->table, generation, 5 * SEC, collect, records);
  return records;
}

static void
test_tcp_record (Fixture       *f,
                 gconstpointer  data)
{
  struct np_flow_key key = key_of (1, 0);
  struct np_flow flow = tcp_flow (1000, 500);
  g_autoptr(GArray) records = NULL;
  const NetpulseRecord *r;
  guint n_delete, n_finish;

  sample (f, &key, &flow, 1, &n_delete, &n_finish);
  netpulse_flow_table_end (f->table, NULL);
  g_assert_cmpuint (n_delete, ==, 0);
  g_assert_cmpuint (n_finish, ==, 0);
  g_assert_cmpuint (netpulse_flow_table_get_generation (f->table), ==, 1);
  g_assert_cmpuint (netpulse_flow_table_get_n_open (f->table), ==, 1);

  records = changed_since (f, 0);
  g_assert_cmpuint (records->len, ==, 1);
  r = &g_array_index (records, NetpulseRecord, 0);
  g_assert_cmpuint (r->id, ==, 1);
  g_assert_cmpuint (r->pid, ==, 4242);
  g_assert_cmpstr (r->comm, ==, "curl");
  g_assert_cmpuint (r->uid, ==, 1000);
  g_assert_cmpuint (r->proto, ==, 6);
  g_assert_cmpuint (r->family, ==, 4);
  g_assert_cmpstr (r->laddr, ==, "127.0.0.1");
  g_assert_cmpuint (r->lport, ==, 40000);
  g_assert_cmpstr (r->raddr, ==, "127.0.0.2");
  g_assert_cmpuint (r->rport, ==, 443);
  g_assert_cmpuint (r->state, ==, 1);
  g_assert_cmpuint (r->tx_bytes, ==, 1000);
  g_assert_cmpuint (r->rx_bytes, ==, 500);
  g_assert_cmpuint (r->tx_packets, ==, 3);
  g_assert_cmpuint (r->rx_packets, ==, 2);
  g_assert_cmpfloat (r->tx_rate, ==, 1000.0);   /* from 0, over one second */
  g_assert_cmpfloat (r->rx_rate, ==, 500.0);
  g_assert_cmpuint (r->rtt_us, ==, 250);
  g_assert_cmpuint (r->retrans, ==, 1);
  g_assert_cmpuint (r->cgroup_id, ==, 77);
  g_assert_cmpuint (r->netns, ==, 4026531840u);
  g_assert_cmpuint (r->first_seen_ns, ==, START_NS - 5 * SEC + OFFSET_NS);
  g_assert_cmpuint (r->last_seen_ns, ==, START_NS - SEC / 10 + OFFSET_NS);
  g_assert_cmpuint (r->flags, ==, 0);

  /* More traffic: a rate over the interval, the same record. */
  f->now_ns += SEC;
  flow.tx_bytes = 3000;
  sample (f, &key, &flow, 1, NULL, NULL);
  netpulse_flow_table_end (f->table, NULL);
  g_clear_pointer (&records, g_array_unref);
  records = changed_since (f, 1);
  g_assert_cmpuint (records->len, ==, 1);
  r = &g_array_index (records, NetpulseRecord, 0);
  g_assert_cmpuint (r->id, ==, 1);
  g_assert_cmpfloat (r->tx_rate, ==, 2000.0);
  g_assert_cmpfloat (r->rx_rate, ==, 0.0);

  /* Nothing new: reported while its 5 s average decays (bytes since the
   * window's start, or since the kernel first counted it 5 s before the
   * first sample), the last time with 0, then no more. */
  for (guint i = 0; i < 5; i++)
    {
      static const double tx_avg[] = { 3000.0 / 7, 3000.0 / 8, 3000.0 / 9, 2000.0 / 5, 0.0 };
      static const double rx_avg[] = { 500.0 / 7, 500.0 / 8, 500.0 / 9, 0.0, 0.0 };

      f->now_ns += SEC;
      sample (f, &key, &flow, 1, NULL, NULL);
      netpulse_flow_table_end (f->table, NULL);
      g_clear_pointer (&records, g_array_unref);
      records = changed_since (f, 2 + i);
      g_assert_cmpuint (records->len, ==, 1);
      r = &g_array_index (records, NetpulseRecord, 0);
      g_assert_cmpfloat (r->tx_rate, ==, 0.0);
      g_assert_cmpfloat_with_epsilon (r->tx_rate_avg, tx_avg[i], 1e-9);
      g_assert_cmpfloat_with_epsilon (r->rx_rate_avg, rx_avg[i], 1e-9);
    }
  f->now_ns += SEC;
  sample (f, &key, &flow, 1, NULL, NULL);
  netpulse_flow_table_end (f->table, NULL);
  g_clear_pointer (&records, g_array_unref);
  records = changed_since (f, 7);
  g_assert_cmpuint (records->len, ==, 0);
  g_assert_cmpuint (netpulse_flow_table_get_generation (f->table), ==, 8);
}

static void
test_ring_close (Fixture       *f,
                 gconstpointer  data)
{
  struct np_flow_key key = key_of (2, 0);
  struct np_flow flow = tcp_flow (10, 20);
  struct np_closed_flow closed;
  g_autoptr(GArray) records = NULL;
  const NetpulseRecord *r;
  guint n_delete;

  sample (f, &key, &flow, 1, NULL, NULL);
  netpulse_flow_table_end (f->table, NULL);

  /* Handed over between samples with its final totals: the kernel deleted
   * it, so the next sample has no row for it. */
  closed.key = key;
  closed.flow = tcp_flow (4321, 1234);
  closed.flow.state = 7;
  netpulse_flow_table_queue_closed (f->table, &closed);
  f->now_ns += SEC;
  sample (f, NULL, NULL, 0, &n_delete, NULL);
  netpulse_flow_table_end (f->table, NULL);
  g_assert_cmpuint (n_delete, ==, 0);
  g_assert_cmpuint (netpulse_flow_table_get_n_open (f->table), ==, 0);

  records = changed_since (f, 1);
  g_assert_cmpuint (records->len, ==, 1);
  r = &g_array_index (records, NetpulseRecord, 0);
  g_assert_cmpuint (r->id, ==, 1);
  g_assert_cmpuint (r->flags, ==, NETPULSE_RECORD_CLOSED);
  g_assert_cmpuint (r->tx_bytes, ==, 4321);
  g_assert_cmpuint (r->rx_bytes, ==, 1234);
  g_assert_cmpuint (r->state, ==, 7);
  /* The final record has the rates of the tick it closed in: what it
   * moved since the last sample, over one second. */
  g_assert_cmpfloat (r->tx_rate, ==, 4311.0);
  g_assert_cmpfloat (r->rx_rate, ==, 1214.0);
  g_assert_cmpfloat (r->tx_rate_avg, ==, 0.0);

  /* Reported once: nothing changed after; asked for again (a snapshot),
   * it moves nothing any more. */
  f->now_ns += SEC;
  sample (f, NULL, NULL, 0, NULL, NULL);
  netpulse_flow_table_end (f->table, NULL);
  g_clear_pointer (&records, g_array_unref);
  records = changed_since (f, 2);
  g_assert_cmpuint (records->len, ==, 0);
  g_clear_pointer (&records, g_array_unref);
  records = changed_since (f, 0);
  g_assert_cmpuint (records->len, ==, 1);
  r = &g_array_index (records, NetpulseRecord, 0);
  g_assert_cmpuint (r->tx_bytes, ==, 4321);
  g_assert_cmpfloat (r->tx_rate, ==, 0.0);
  g_assert_cmpfloat (r->rx_rate, ==, 0.0);
}

static void
test_closed_in_table (Fixture       *f,
                      gconstpointer  data)
{
  struct np_flow_key key = key_of (3, 0);
  struct np_flow flow = tcp_flow (10, 20);
  g_autoptr(GArray) records = NULL;
  guint n_delete;

  flow.closed = 1;
  sample (f, &key, &flow, 1, &n_delete, NULL);
  g_assert_cmpuint (n_delete, ==, 1);
  g_assert_true (memcmp (&g_array_index (netpulse_flow_table_plan (f->table)->to_delete,
                                         struct np_closed_flow, 0).key, &key, sizeof key) == 0);
  netpulse_flow_table_end (f->table, NULL);
  records = changed_since (f, 0);
  g_assert_cmpuint (records->len, ==, 1);
  g_assert_cmpuint (g_array_index (records, NetpulseRecord, 0).flags, ==, NETPULSE_RECORD_CLOSED);
  g_assert_cmpuint (g_array_index (records, NetpulseRecord, 0).tx_bytes, ==, 10);
}

static void
test_udp_idle (Fixture       *f,
               gconstpointer  data)
{
  struct np_flow_key key = key_of (4, 0);
  struct np_flow flow = udp_peer_flow (START_NS, 53);
  struct np_flow final;
  g_autoptr(GArray) records = NULL;
  guint n_finish;

  flow.per_peer = 0;
  sample (f, &key, &flow, 1, NULL, &n_finish);
  netpulse_flow_table_end (f->table, NULL);
  g_assert_cmpuint (n_finish, ==, 0);

  /* Idle 5 s exactly is not idle; a nanosecond more is. */
  f->now_ns = START_NS + 5 * SEC;
  sample (f, &key, &flow, 1, NULL, &n_finish);
  netpulse_flow_table_end (f->table, NULL);
  g_assert_cmpuint (n_finish, ==, 0);

  f->now_ns = START_NS + 5 * SEC + 1;
  sample (f, &key, &flow, 1, NULL, &n_finish);
  g_assert_cmpuint (n_finish, ==, 1);
  /* Its final totals are those read as it was deleted. */
  final = flow;
  final.tx_bytes = 150;
  netpulse_flow_table_finish (f->table, &key, &final);
  netpulse_flow_table_end (f->table, NULL);
  g_assert_cmpuint (netpulse_flow_table_get_n_open (f->table), ==, 0);
  records = changed_since (f, 2);
  g_assert_cmpuint (records->len, ==, 1);
  g_assert_cmpuint (g_array_index (records, NetpulseRecord, 0).flags, ==, NETPULSE_RECORD_CLOSED);
  g_assert_cmpuint (g_array_index (records, NetpulseRecord, 0).tx_bytes, ==, 150);
  g_assert_cmpuint (g_array_index (records, NetpulseRecord, 0).proto, ==, 17);
  g_assert_cmpuint (g_array_index (records, NetpulseRecord, 0).state, ==, 0);
}

static void
release (Fixture *f,
         guint64  cookie,
         guint64  when_ns)
{
  g_hash_table_insert (f->released, g_memdup2 (&cookie, sizeof cookie), g_memdup2 (&when_ns, sizeof when_ns));
}

static void
test_released (Fixture       *f,
               gconstpointer  data)
{
  struct np_flow_key keys[2] = { key_of (5, 0), key_of (6, 0) };
  struct np_flow flows[2] = { tcp_flow (1, 1), udp_peer_flow (START_NS, 53) };
  guint64 cookie = 5;
  guint n_delete;

  flows[1].per_peer = 0;
  /* A UDP socket's release ends its flow at once; a TCP one waits for its
   * close for two seconds. */
  release (f, 5, START_NS - SEC);
  release (f, 6, START_NS - SEC);
  sample (f, keys, flows, 2, &n_delete, NULL);
  g_assert_cmpuint (n_delete, ==, 1);
  g_assert_true (g_hash_table_contains (netpulse_flow_table_plan (f->table)->keep_released, &cookie));
  netpulse_flow_table_end (f->table, NULL);
  g_assert_cmpuint (netpulse_flow_table_get_n_open (f->table), ==, 1);

  f->now_ns = START_NS + SEC + 1;
  g_hash_table_remove (f->released, &keys[1].cookie);
  sample (f, keys, flows, 1, &n_delete, NULL);
  g_assert_cmpuint (n_delete, ==, 1);
  g_assert_false (g_hash_table_contains (netpulse_flow_table_plan (f->table)->keep_released, &cookie));
  netpulse_flow_table_end (f->table, NULL);
  g_assert_cmpuint (netpulse_flow_table_get_n_open (f->table), ==, 0);
}

static void
test_other_peers (Fixture       *f,
                  gconstpointer  data)
{
  struct np_flow_key key = key_of (7, 0);
  struct np_flow flow = udp_peer_flow (START_NS, 0);
  g_autoptr(GArray) records = NULL;
  const NetpulseRecord *r;

  key.kind = NP_KEY_OTHER_PEERS;
  flow.per_peer = 1;
  flow.other_peers = 1;
  flow.peers = 7;
  memset (flow.raddr, 0, sizeof flow.raddr);
  sample (f, &key, &flow, 1, NULL, NULL);
  netpulse_flow_table_end (f->table, NULL);

  records = changed_since (f, 0);
  g_assert_cmpuint (records->len, ==, 1);
  r = &g_array_index (records, NetpulseRecord, 0);
  g_assert_cmpuint (r->flags, ==, NETPULSE_RECORD_PER_PEER | NETPULSE_RECORD_OTHER_PEERS);
  g_assert_cmpuint (r->peers, ==, 7);
  g_assert_cmpuint (r->retrans, ==, 0);      /* UDP: none, and no longer a slot for the peers */
  g_assert_cmpstr (r->raddr, ==, "");
  g_assert_cmpuint (r->rport, ==, 0);
}

static void
test_evict_idle_peers (Fixture       *f,
                       gconstpointer  data)
{
  struct np_flow_key keys[8];
  struct np_flow flows[8];
  const NetpulseFlowActions *actions;

  /* Eight per-peer entries in a table of eight: idle a second or more,
   * the oldest last_ns for port 107. One busy entry is never evicted. */
  for (guint i = 0; i < 8; i++)
    {
      keys[i] = key_of (8, 100 + i);
      flows[i] = udp_peer_flow (START_NS - 2 * SEC - (guint64) i * SEC, 100 + i);
    }
  flows[7].last_ns = START_NS;   /* busy */
  sample (f, keys, flows, 8, NULL, NULL);
  actions = netpulse_flow_table_plan (f->table);
  /* 8 > 7: evicted down to 6, least recently used first. */
  g_assert_cmpuint (actions->to_finish->len, ==, 2);
  g_assert_cmpuint (g_array_index (actions->to_finish, struct np_flow_key, 0).peer_port, ==, 106);
  g_assert_cmpuint (g_array_index (actions->to_finish, struct np_flow_key, 1).peer_port, ==, 105);
  for (guint i = 0; i < 2; i++)
    {
      const struct np_flow_key *key = &g_array_index (actions->to_finish, struct np_flow_key, i);
      netpulse_flow_table_finish (f->table, key, &flows[key->peer_port - 100]);
    }
  netpulse_flow_table_end (f->table, NULL);
  g_assert_cmpuint (netpulse_flow_table_get_idle_evicted (f->table), ==, 2);
  g_assert_cmpuint (netpulse_flow_table_get_n_open (f->table), ==, 6);

  /* At 7 of 8 nothing more is evicted. */
  f->now_ns += SEC;
  sample (f, keys, flows, 6, NULL, NULL);
  netpulse_flow_table_take (f->table, &keys[7], &flows[7]);
  g_assert_cmpuint (netpulse_flow_table_plan (f->table)->to_finish->len, ==, 0);
  netpulse_flow_table_end (f->table, NULL);
  g_assert_cmpuint (netpulse_flow_table_get_idle_evicted (f->table), ==, 2);
}

static void
test_vanished (Fixture       *f,
               gconstpointer  data)
{
  struct np_flow_key key = key_of (9, 0);
  struct np_flow flow = tcp_flow (1, 2);
  g_autoptr(GArray) records = NULL;

  sample (f, &key, &flow, 1, NULL, NULL);
  netpulse_flow_table_end (f->table, NULL);
  f->now_ns += SEC;
  sample (f, NULL, NULL, 0, NULL, NULL);
  netpulse_flow_table_end (f->table, NULL);
  g_assert_cmpuint (netpulse_flow_table_get_n_open (f->table), ==, 0);
  records = changed_since (f, 1);
  g_assert_cmpuint (records->len, ==, 1);
  g_assert_cmpuint (g_array_index (records, NetpulseRecord, 0).flags, ==, NETPULSE_RECORD_CLOSED);
}

typedef struct {
  gboolean allow;
  guint    scans, lookups, dones, unowned;
} FakeOwners;

static gboolean
fake_scan (gpointer user_data,
           guint    n_unowned)
{
  FakeOwners *o = user_data;

  o->unowned = n_unowned;
  o->scans++;
  return o->allow;
}

static gboolean
fake_lookup (gpointer  user_data,
             guint64   ino,
             guint32  *pid,
             char     *comm)
{
  FakeOwners *o = user_data;

  o->lookups++;
  if (ino != 555)
    return FALSE;
  *pid = 99;
  g_strlcpy (comm, "sshd", NP_COMM_LEN);
  return TRUE;
}

static void
fake_done (gpointer user_data)
{
  ((FakeOwners *) user_data)->dones++;
}

static void
test_owners (Fixture       *f,
             gconstpointer  data)
{
  struct np_flow_key keys[2] = { key_of (10, 0), key_of (11, 0) };
  struct np_flow flows[2] = { tcp_flow (1, 2), tcp_flow (1, 2) };
  FakeOwners fake = { FALSE, 0, 0, 0, 0 };
  NetpulseOwnerLookup lookup = { fake_scan, fake_lookup, fake_done, &fake };
  g_autoptr(GArray) records = NULL;

  /* Existing sockets no process has touched: no pid, an inode. */
  for (guint i = 0; i < 2; i++)
    {
      flows[i].has_process = 0;
      flows[i].pid = 0;
      flows[i].comm[0] = '\0';
      flows[i].partial = 1;
    }
  flows[1].ino = 556;

  sample (f, keys, flows, 2, NULL, NULL);
  netpulse_flow_table_end (f->table, &lookup);
  g_assert_cmpuint (fake.scans, ==, 1);
  g_assert_cmpuint (fake.unowned, ==, 2);
  g_assert_cmpuint (fake.lookups, ==, 0);   /* not now */

  fake.allow = TRUE;
  f->now_ns += SEC;
  sample (f, keys, flows, 2, NULL, NULL);
  netpulse_flow_table_end (f->table, &lookup);
  g_assert_cmpuint (fake.lookups, ==, 2);
  g_assert_cmpuint (fake.dones, ==, 1);

  /* Both changed (their rates fell to 0); only one was found. */
  records = changed_since (f, 1);
  g_assert_cmpuint (records->len, ==, 2);
  for (guint i = 0; i < records->len; i++)
    {
      const NetpulseRecord *r = &g_array_index (records, NetpulseRecord, i);

      g_assert_cmpuint (r->pid, ==, r->id == 1 ? 99 : 0);
      g_assert_cmpstr (r->comm, ==, r->id == 1 ? "sshd" : "");
      g_assert_cmpuint (r->uid, ==, 1000);
      g_assert_cmpuint (r->flags, ==, NETPULSE_RECORD_PARTIAL);
    }

  /* Resolved ones are not looked up again. */
  f->now_ns += SEC;
  sample (f, keys, flows, 2, NULL, NULL);
  netpulse_flow_table_end (f->table, &lookup);
  g_assert_cmpuint (fake.lookups, ==, 3);
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  struct np_flow_key key = key_of (12, 0);
  struct np_flow flow = tcp_flow (1, 2);

  sample (f, &key, &flow, 1, NULL, NULL);
  netpulse_flow_table_end (f->table, NULL);
  netpulse_flow_table_begin (f->table, f->now_ns + SEC, SEC, f->released);
  netpulse_flow_table_cancel (f->table);
  g_assert_cmpuint (netpulse_flow_table_get_generation (f->table), ==, 1);
  g_assert_cmpuint (netpulse_flow_table_get_n_open (f->table), ==, 1);
}

#define ADD(path, rules, func) \
  g_test_add (path, Fixture, rules, fixture_set_up, func, fixture_tear_down)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/flow-table/tcp-record", &default_rules, test_tcp_record);
  ADD ("/flow-table/ring-close", &default_rules, test_ring_close);
  ADD ("/flow-table/closed-in-table", &default_rules, test_closed_in_table);
  ADD ("/flow-table/udp-idle", &default_rules, test_udp_idle);
  ADD ("/flow-table/released", &default_rules, test_released);
  ADD ("/flow-table/other-peers", &default_rules, test_other_peers);
  ADD ("/flow-table/evict-idle-peers", &small_rules, test_evict_idle_peers);
  ADD ("/flow-table/vanished", &default_rules, test_vanished);
  ADD ("/flow-table/owners", &default_rules, test_owners);
  ADD ("/flow-table/cancel", &default_rules, test_cancel);

  return g_test_run ();
}
