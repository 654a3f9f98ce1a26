/* netpulse-flow-table.c
 *
 * The accounting rules, apart from the kernel: rows of np_flows become
 * NetpulseRecords with rates over the sample interval; a flow that ended
 * (closed, its socket released, UDP idle, evicted) is reported closed once
 * with its final totals and kept visible for a while; the kernel is told
 * which entries to drop.  Fed by netpulse-collector.c, tested on synthetic
 * flows by tests/unit/test-flow-table.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-collector"

#include "config.h"

#include <string.h>

#include "netpulse-flow-rates.h"
#include "netpulse-flow-table.h"
#include "netpulse-flow-table-private.h"

/* A released TCP socket whose close the state hook has not reported after
 * this long is reported closed anyway (see np_sock_release). */
#define TCP_RELEASE_GRACE_NS     (G_GUINT64_CONSTANT (2) * 1000000000)

guint
netpulse_flow_key_hash (gconstpointer key)
{
  const struct np_flow_key *k = key;
  guint hash = g_int64_hash (&k->cookie);

  for (guint i = 0; i < NP_ADDR_LEN; i++)
    hash = hash * 31 + k->peer_addr[i];
  return hash * 31 + k->peer_port;
}

gboolean
netpulse_flow_key_equal (gconstpointer a,
                         gconstpointer b)
{
  return memcmp (a, b, sizeof (struct np_flow_key)) == 0;
}

static void
flow_entry_free (NetpulseFlowTable *self,
                 FlowEntry         *entry)
{
  netpulse_flow_rates_clear (&entry->rates);
  netpulse_flow_identities_release (self->identities, entry->identity);
  netpulse_slab_release (self->entries, entry);
}

NetpulseFlowTable *
netpulse_flow_table_new (const NetpulseFlowRules *rules)
{
  NetpulseFlowTable *self = g_new0 (NetpulseFlowTable, 1);

  g_assert (rules != NULL);

  self->rules = *rules;
  self->entries = netpulse_slab_new (sizeof (FlowEntry));
  self->identities = netpulse_flow_identities_new ();
  self->open_flows = g_hash_table_new (netpulse_flow_key_hash, netpulse_flow_key_equal);
  g_queue_init (&self->closed_flows);
  g_queue_init (&self->changed_order);
  self->queued_closed = g_array_new (FALSE, FALSE, sizeof (struct np_closed_flow));
  self->evictable = g_array_new (FALSE, FALSE, sizeof (Evictable));
  self->actions.to_delete = g_array_new (FALSE, FALSE, sizeof (struct np_closed_flow));
  self->actions.to_finish = g_array_new (FALSE, FALSE, sizeof (struct np_flow_key));
  self->actions.keep_released = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->settling = g_hash_table_new (NULL, NULL);
  self->unowned = g_hash_table_new (NULL, NULL);
  self->idle_order = g_sequence_new (NULL);
  self->peer_index = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  netpulse_rate_clock_init (&self->rate_clock);
  return self;
}

void
netpulse_flow_table_free (NetpulseFlowTable *self)
{
  GHashTableIter iter;
  gpointer entry;

  if (self == NULL)
    return;
  g_hash_table_unref (self->settling);
  g_hash_table_unref (self->unowned);
  g_sequence_free (self->idle_order);
  g_hash_table_unref (self->peer_index);
  g_hash_table_iter_init (&iter, self->open_flows);
  while (g_hash_table_iter_next (&iter, NULL, &entry))
    flow_entry_free (self, entry);
  g_hash_table_unref (self->open_flows);
  while ((entry = g_queue_pop_head (&self->closed_flows)) != NULL)
    flow_entry_free (self, entry);
  netpulse_slab_free (self->entries);
  netpulse_flow_identities_free (self->identities);
  g_array_unref (self->queued_closed);
  g_array_unref (self->evictable);
  g_array_unref (self->actions.to_delete);
  g_array_unref (self->actions.to_finish);
  g_hash_table_unref (self->actions.keep_released);
  g_free (self);
}

void
netpulse_flow_table_set_clock_offset (NetpulseFlowTable *self,
                                      guint64            real_offset_ns)
{
  self->real_offset_ns = real_offset_ns;
}

void
netpulse_flow_table_set_rate_rules (NetpulseFlowTable *self,
                                    guint64            min_interval_ns,
                                    guint64            max_window_ns)
{
  netpulse_rate_clock_set_rules (&self->rate_clock, min_interval_ns, max_window_ns);
}

static void
reset_sample (NetpulseFlowTable *self)
{
  self->released = NULL;
  self->table_entries = 0;
  self->partial = FALSE;
  g_array_set_size (self->evictable, 0);
  g_array_set_size (self->actions.to_delete, 0);
  g_array_set_size (self->actions.to_finish, 0);
  g_hash_table_remove_all (self->actions.keep_released);
}

void
netpulse_flow_table_begin (NetpulseFlowTable *self,
                           guint64            now_mono_ns,
                           guint64            interval_ns,
                           GHashTable        *released)
{
  g_assert (self != NULL);
  g_assert (released != NULL);

  reset_sample (self);
  self->generation++;
  self->now_mono_ns = now_mono_ns;
  self->released = released;
  netpulse_rate_clock_begin (&self->rate_clock, now_mono_ns, interval_ns);
}

void
netpulse_flow_table_cancel (NetpulseFlowTable *self)
{
  g_assert (self != NULL);
  g_assert (self->table_entries == 0);

  reset_sample (self);
  self->generation--;
  netpulse_rate_clock_cancel (&self->rate_clock);
}

/* Whether the flow is over: closed by the kernel, or its socket released
 * (at once for UDP; for TCP after a grace period, see np_sock_release). */
/* A TCP socket of its own, with TCP states (not MPTCP, not raw). */
static gboolean
flow_is_tcp (const struct np_flow *flow)
{
  return flow->proto == IPPROTO_TCP_NUMBER && flow->sock_kind == NP_SOCK_INET;
}

static guint32
sock_kind_flags (const struct np_flow *flow)
{
  switch (flow->sock_kind)
    {
    case NP_SOCK_RAW:    return NETPULSE_RECORD_RAW;
    case NP_SOCK_PACKET: return NETPULSE_RECORD_PACKET;
    case NP_SOCK_MPTCP:  return NETPULSE_RECORD_MPTCP;
    default:             return 0;
    }
}

static gboolean
flow_has_ended (NetpulseFlowTable        *self,
                const struct np_flow_key *key,
                const struct np_flow     *flow)
{
  const guint64 *released_ns = g_hash_table_lookup (self->released, &key->cookie);

  if (flow->closed)
    return TRUE;
  if (released_ns == NULL)
    return FALSE;
  /* A TCP socket already in CLOSE that the application held on to (see
   * still_readable() in netpulse.bpf.c) ends with its release. */
  if (!flow_is_tcp (flow) || flow->state == TCP_CLOSE_NUMBER)
    return TRUE;
  if (self->now_mono_ns > *released_ns && self->now_mono_ns - *released_ns > TCP_RELEASE_GRACE_NS)
    return TRUE;

  g_hash_table_add (self->actions.keep_released, g_memdup2 (&key->cookie, sizeof key->cookie));
  return FALSE;
}

static void
format_flow_addresses (NetpulseFlowRecord   *record,
                       const struct np_flow *flow)
{
  static const guint8 zero[NP_ADDR_LEN];

  record->lport = flow->lport;
  record->rport = flow->rport;
  if (flow->family == 0)
    {
      /* AF_PACKET: no IP addresses */
      record->laddr[0] = record->raddr[0] = '\0';
      return;
    }
  netpulse_format_address (flow->family, flow->laddr, record->laddr);
  if (memcmp (flow->raddr, zero, sizeof zero) == 0 && flow->rport == 0)
    record->raddr[0] = '\0';
  else
    netpulse_format_address (flow->family, flow->raddr, record->raddr);
}

static void
update_endpoints (FlowEntry            *entry,
                  const struct np_flow *flow)
{
  Endpoints now;

  memset (&now, 0, sizeof now); /* padding too: the struct is compared with memcmp() */
  now.lport = flow->lport;
  now.rport = flow->rport;
  now.family = flow->family;
  memcpy (now.laddr, flow->laddr, sizeof now.laddr);
  memcpy (now.raddr, flow->raddr, sizeof now.raddr);
  if (entry->endpoints_valid && memcmp (&now, &entry->endpoints, sizeof now) == 0)
    return;

  format_flow_addresses (&entry->record, flow);
  entry->endpoints = now;
  entry->endpoints_valid = TRUE;
}

/* Returns whether the record changed. */
static gboolean
update_record (NetpulseFlowTable    *self,
               FlowEntry            *entry,
               const struct np_flow *flow,
               gboolean              closed)
{
  NetpulseFlowRecord *r = &entry->record;
  NetpulseFlowRecord before = *r;
  const NetpulseFlowIdentity *identity_before = entry->identity;
  gboolean averages_changed = netpulse_flow_rates_update (&entry->rates, &self->rate_clock, flow,
                                                          closed, &r->tx_rate, &r->rx_rate);

  r->tx_bytes = flow->tx_bytes;
  r->rx_bytes = flow->rx_bytes;
  r->tx_packets = flow->tx_calls;
  r->rx_packets = flow->rx_calls;

  r->proto = flow->proto;
  r->family = flow->family;
  r->state = flow_is_tcp (flow) ? flow->state : 0;
  r->rtt_us = flow->srtt_us;
  r->retrans = flow->retrans;
  r->netns = flow->netns;
  r->first_seen_ns = flow->first_ns + self->real_offset_ns;
  r->last_seen_ns = flow->last_ns + self->real_offset_ns;
  update_endpoints (entry, flow);
  netpulse_flow_table_update_owner (self, entry, flow);

  r->flags = (flow->partial ? NETPULSE_RECORD_PARTIAL : 0)
           | (flow->per_peer ? NETPULSE_RECORD_PER_PEER : 0)
           | (flow->other_peers ? NETPULSE_RECORD_OTHER_PEERS : 0)
           | sock_kind_flags (flow)
           | (closed ? NETPULSE_RECORD_CLOSED : 0);
  r->peers = flow->peers;

  return averages_changed || entry->identity != identity_before || memcmp (&before, r, sizeof before) != 0;
}

static FlowEntry *
ensure_entry (NetpulseFlowTable        *self,
              const struct np_flow_key *key)
{
  FlowEntry *entry = g_hash_table_lookup (self->open_flows, key);

  if (entry == NULL)
    {
      entry = netpulse_slab_alloc0 (self->entries);
      entry->key = *key;
      entry->record.id = ++self->next_id;
      g_hash_table_insert (self->open_flows, &entry->key, entry);
    }
  return entry;
}

/* A flow closed in this sample keeps this tick's rates in its final
 * record: a connection that moved all its bytes within one tick (a
 * download of 11 MB in 127 ms) was there, and the sum of rate × tick over
 * its records is its bytes.  One that vanished was not read this tick: its
 * rates are the previous tick's, and go to 0.  The smoothed rates are
 * over either way. */
static void
close_entry_full (NetpulseFlowTable *self,
                  FlowEntry         *entry,
                  gboolean           read_this_tick)
{
  entry->record.flags |= NETPULSE_RECORD_CLOSED;
  if (!read_this_tick)
    entry->record.tx_rate = entry->record.rx_rate = 0;
  entry->record.tx_rate_avg = entry->record.rx_rate_avg = 0;
  netpulse_flow_rates_clear (&entry->rates);
  entry->changed_generation = self->generation;
  entry->closed_at_us = g_get_monotonic_time ();
  netpulse_flow_table_untrack_entry (self, entry);
  g_hash_table_steal (self->open_flows, &entry->key);
  g_queue_push_tail (&self->closed_flows, entry);
}

static void
close_entry (NetpulseFlowTable *self,
             FlowEntry         *entry)
{
  close_entry_full (self, entry, TRUE);
}

static gboolean
idle_for (NetpulseFlowTable    *self,
          const struct np_flow *flow,
          guint64               ns)
{
  return self->now_mono_ns > flow->last_ns && self->now_mono_ns - flow->last_ns >= ns;
}

void
netpulse_flow_table_take (NetpulseFlowTable        *self,
                          const struct np_flow_key *key,
                          const struct np_flow     *flow)
{
  FlowEntry *entry = ensure_entry (self, key);
  gboolean closed = flow_has_ended (self, key, flow);
  gboolean idle_udp = !closed && !netpulse_flow_table_is_connection (flow)
                    && idle_for (self, flow, (guint64) self->rules.udp_idle_ms * G_GUINT64_CONSTANT (1000000) + 1);
  gboolean is_new = entry->seen_generation == 0;

  entry->seen_generation = self->generation;
  self->table_entries++;
  if (!closed && !idle_udp && flow->per_peer && !flow->other_peers && idle_for (self, flow, EVICT_MIN_IDLE_NS))
    {
      Evictable candidate = { .key = *key, .last_ns = flow->last_ns };
      g_array_append_val (self->evictable, candidate);
    }

  /* Final totals of an idle UDP flow are taken when it is deleted (see
   * netpulse_flow_table_finish()), so that no byte counted in between is
   * lost. */
  if (idle_udp)
    {
      g_array_append_vals (self->actions.to_finish, key, 1);
      return;
    }

  if (update_record (self, entry, flow, FALSE) || is_new)
    netpulse_flow_table_touch_entry (self, entry);
  netpulse_flow_table_track_entry (self, entry, flow);

  if (closed)
    {
      struct np_closed_flow deleted = { .key = *key, .flow = *flow };

      g_array_append_val (self->actions.to_delete, deleted);
      close_entry (self, entry);
    }
}

void
netpulse_flow_table_queue_closed (NetpulseFlowTable           *self,
                                  const struct np_closed_flow *closed)
{
  g_array_append_vals (self->queued_closed, closed, 1);
}

/* After the table: a flow closed while the table was read is in the ring
 * by now, so no connection looks vanished when it has in fact closed. */
void
netpulse_flow_table_take_closed (NetpulseFlowTable *self)
{
  for (guint i = 0; i < self->queued_closed->len; i++)
    {
      const struct np_closed_flow *closed = &g_array_index (self->queued_closed, struct np_closed_flow, i);
      FlowEntry *entry = ensure_entry (self, &closed->key);

      entry->seen_generation = self->generation;
      update_record (self, entry, &closed->flow, TRUE);
      close_entry (self, entry);
    }
  g_array_set_size (self->queued_closed, 0);
}

const NetpulseFlowActions *
netpulse_flow_table_plan (NetpulseFlowTable *self)
{
  if (self->partial)
    netpulse_flow_table_expire_idle (self);
  else
    netpulse_flow_table_evict_idle_peers (self);
  return &self->actions;
}

void
netpulse_flow_table_finish (NetpulseFlowTable        *self,
                            const struct np_flow_key *key,
                            const struct np_flow     *flow)
{
  FlowEntry *entry = g_hash_table_lookup (self->open_flows, key);

  if (entry == NULL)
    return;
  update_record (self, entry, flow, TRUE);
  close_entry (self, entry);
}

/* Flows that vanished from the kernel table without being closed (someone
 * else deleted them): report them closed rather than keep them forever. */
static void
close_vanished_flows (NetpulseFlowTable *self)
{
  g_autoptr(GPtrArray) vanished = g_ptr_array_new ();
  GHashTableIter iter;
  FlowEntry *entry;

  g_hash_table_iter_init (&iter, self->open_flows);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (entry->seen_generation != self->generation)
      g_ptr_array_add (vanished, entry);

  for (guint i = 0; i < vanished->len; i++)
    close_entry_full (self, g_ptr_array_index (vanished, i), FALSE);
}

static void
prune_closed_flows (NetpulseFlowTable *self)
{
  gint64 horizon = g_get_monotonic_time () - (gint64) self->rules.closed_retain_ms * 1000;
  FlowEntry *entry;

  while ((entry = g_queue_peek_head (&self->closed_flows)) != NULL && entry->closed_at_us < horizon)
    flow_entry_free (self, g_queue_pop_head (&self->closed_flows));
}

void
netpulse_flow_table_end (NetpulseFlowTable         *self,
                         const NetpulseOwnerLookup *owners)
{
  if (!self->partial)
    close_vanished_flows (self);
  if (owners != NULL)
    netpulse_flow_table_resolve_owners (self, owners);
  prune_closed_flows (self);
  reset_sample (self);
}

guint64
netpulse_flow_table_get_generation (NetpulseFlowTable *self)
{
  return self->generation;
}

guint
netpulse_flow_table_get_n_open (NetpulseFlowTable *self)
{
  return g_hash_table_size (self->open_flows);
}

guint64
netpulse_flow_table_get_idle_evicted (NetpulseFlowTable *self)
{
  return self->idle_evicted;
}

/* The whole record of @entry, its smoothed rates as of now. */
static void
report_open (NetpulseFlowTable  *self,
             const FlowEntry    *entry,
             guint64             window_ns,
             NetpulseRecordFunc  func,
             gpointer            user_data)
{
  NetpulseRecord record;

  netpulse_flow_record_expand (&entry->record, entry->identity, &record);
  netpulse_flow_rates_fill (&entry->rates, &self->rate_clock, window_ns, &record);
  func (&record, user_data);
}

/* @since_generation 0: every open record. */
static void
foreach_open_changed (NetpulseFlowTable  *self,
                      guint64             since_generation,
                      guint64             window_ns,
                      NetpulseRecordFunc  func,
                      gpointer            user_data)
{
  GHashTableIter iter;
  FlowEntry *entry;

  if (since_generation != 0)
    {
      /* the changed ones only, without looking at the others */
      for (GList *l = netpulse_flow_table_changed_since (self, since_generation); l != NULL; l = l->next)
        report_open (self, l->data, window_ns, func, user_data);
      return;
    }
  g_hash_table_iter_init (&iter, self->open_flows);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    report_open (self, entry, window_ns, func, user_data);
}

/* A closed record as of now: the rates of the tick it closed in only in
 * that tick's frame; reported later (a snapshot, a frame that covers
 * several ticks), it moves nothing any more. */
static void
report_closed (NetpulseFlowTable  *self,
               const FlowEntry    *entry,
               NetpulseRecordFunc  func,
               gpointer            user_data)
{
  NetpulseRecord record;

  netpulse_flow_record_expand (&entry->record, entry->identity, &record);
  if (entry->changed_generation != self->generation)
    record.tx_rate = record.rx_rate = 0;
  func (&record, user_data);
}

void
netpulse_flow_table_foreach_changed (NetpulseFlowTable  *self,
                                     guint64             since_generation,
                                     guint64             window_ns,
                                     NetpulseRecordFunc  func,
                                     gpointer            user_data)
{
  foreach_open_changed (self, since_generation, window_ns, func, user_data);
  for (GList *l = self->closed_flows.head; l != NULL; l = l->next)
    {
      const FlowEntry *entry = l->data;

      if (entry->changed_generation > since_generation)
        report_closed (self, entry, func, user_data);
    }
}

void
netpulse_flow_table_foreach_open (NetpulseFlowTable  *self,
                                  guint64             window_ns,
                                  NetpulseRecordFunc  func,
                                  gpointer            user_data)
{
  foreach_open_changed (self, 0, window_ns, func, user_data);
}
