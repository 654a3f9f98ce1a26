/* netpulse-flow-table-partial.c — a friend of netpulse-flow-table.c: what
 * a sample needs when it reads only the flows that changed.  The kernel
 * marks those (np_changed); the table itself knows the others whose
 * records change anyway (rates going back to 0) and when a datagram flow
 * has been idle long enough to end, so that a sample costs what changed,
 * not what is open.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-collector"

#include "config.h"

#include "netpulse-flow-table-private.h"

#define MS_NS G_GUINT64_CONSTANT (1000000)

/* A connection (TCP, MPTCP, SCTP), which ends at its close or release,
 * never by being idle like a datagram socket's flow. */
gboolean
netpulse_flow_table_is_connection (const struct np_flow *flow)
{
  return (flow->proto == IPPROTO_TCP_NUMBER && flow->sock_kind != NP_SOCK_RAW)
      || (flow->proto == IPPROTO_SCTP_NUMBER && flow->sock_kind == NP_SOCK_INET);
}

void
netpulse_flow_table_set_partial (NetpulseFlowTable *self)
{
  self->partial = TRUE;
}

gboolean
netpulse_flow_table_is_nearly_full (NetpulseFlowTable *self)
{
  return (guint64) g_hash_table_size (self->open_flows) * EVICT_HIGH_DEN
       > (guint64) self->rules.max_flows * EVICT_HIGH_NUM;
}

static gint
compare_idle (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  const FlowEntry *x = a, *y = b;

  if (x->idle_last_ns != y->idle_last_ns)
    return x->idle_last_ns < y->idle_last_ns ? -1 : 1;
  return x < y ? -1 : x > y;
}

/* After every take of an open flow: whether its record will change by
 * itself, and where it is in the order of last use. */
void
netpulse_flow_table_track_entry (NetpulseFlowTable    *self,
                                 FlowEntry            *entry,
                                 const struct np_flow *flow)
{
  if (entry->rates.active || entry->record.tx_rate != 0 || entry->record.rx_rate != 0)
    g_hash_table_add (self->settling, entry);
  else
    g_hash_table_remove (self->settling, entry);

  if (flow->per_peer && !entry->in_peer_index)
    {
      GPtrArray *peers = g_hash_table_lookup (self->peer_index, &entry->key.cookie);

      if (peers == NULL)
        {
          peers = g_ptr_array_new ();
          g_hash_table_insert (self->peer_index, g_memdup2 (&entry->key.cookie, sizeof entry->key.cookie), peers);
        }
      g_ptr_array_add (peers, entry);
      entry->in_peer_index = TRUE;
    }
  if (netpulse_flow_table_is_connection (flow))
    return;
  if (entry->idle_iter != NULL && entry->idle_last_ns == flow->last_ns)
    return;
  g_clear_pointer (&entry->idle_iter, g_sequence_remove);
  entry->idle_last_ns = flow->last_ns;
  entry->idle_iter = g_sequence_insert_sorted (self->idle_order, entry, compare_idle, NULL);
}

/* The record changed in this sample: to the end of changed_order, so
 * that a subscriber's changes are the tail of it, however many are open. */
void
netpulse_flow_table_touch_entry (NetpulseFlowTable *self,
                                 FlowEntry         *entry)
{
  entry->changed_generation = self->generation;
  if (entry->changed_link.data != NULL)
    g_queue_unlink (&self->changed_order, &entry->changed_link);
  entry->changed_link.data = entry;
  g_queue_push_tail_link (&self->changed_order, &entry->changed_link);
}

/* The first link of changed_order with a change after @since_generation
 * (NULL: none); the rest of the queue from there changed too. */
GList *
netpulse_flow_table_changed_since (NetpulseFlowTable *self,
                                   guint64            since_generation)
{
  GList *first = NULL;

  for (GList *l = self->changed_order.tail; l != NULL; l = l->prev)
    {
      if (((FlowEntry *) l->data)->changed_generation <= since_generation)
        break;
      first = l;
    }
  return first;
}

void
netpulse_flow_table_untrack_entry (NetpulseFlowTable *self,
                                   FlowEntry         *entry)
{
  if (entry->changed_link.data != NULL)
    g_queue_unlink (&self->changed_order, &entry->changed_link);
  entry->changed_link.data = NULL;
  g_hash_table_remove (self->settling, entry);
  g_hash_table_remove (self->unowned, entry);
  g_clear_pointer (&entry->idle_iter, g_sequence_remove);
  if (entry->in_peer_index)
    {
      GPtrArray *peers = g_hash_table_lookup (self->peer_index, &entry->key.cookie);

      entry->in_peer_index = FALSE;
      g_ptr_array_remove_fast (peers, entry);
      if (peers->len == 0)
        g_hash_table_remove (self->peer_index, &entry->key.cookie);
    }
}

void
netpulse_flow_table_get_peer_keys (NetpulseFlowTable *self,
                                   guint64            cookie,
                                   GArray            *keys)
{
  GPtrArray *peers = g_hash_table_lookup (self->peer_index, &cookie);

  for (guint i = 0; peers != NULL && i < peers->len; i++)
    g_array_append_vals (keys, &((FlowEntry *) g_ptr_array_index (peers, i))->key, 1);
}

void
netpulse_flow_table_get_settling (NetpulseFlowTable *self,
                                  GArray            *keys)
{
  GHashTableIter iter;
  FlowEntry *entry;

  g_hash_table_iter_init (&iter, self->settling);
  while (g_hash_table_iter_next (&iter, (gpointer *) &entry, NULL))
    g_array_append_vals (keys, &entry->key, 1);
}

/* The datagram flows idle for longer than the rules allow, least recently
 * used first, as a sample that reads every row finds them (see
 * netpulse_flow_table_take()): what a flow did since its last take was
 * marked by the kernel and taken in this sample. */
void
netpulse_flow_table_expire_idle (NetpulseFlowTable *self)
{
  guint64 idle_ns = (guint64) self->rules.udp_idle_ms * MS_NS + 1;
  GSequenceIter *iter = g_sequence_get_begin_iter (self->idle_order);

  for (; !g_sequence_iter_is_end (iter); iter = g_sequence_iter_next (iter))
    {
      FlowEntry *entry = g_sequence_get (iter);

      if (self->now_mono_ns <= entry->idle_last_ns || self->now_mono_ns - entry->idle_last_ns < idle_ns)
        break;
      /* taken in this sample: take() judged it already */
      if (entry->seen_generation != self->generation)
        g_array_append_vals (self->actions.to_finish, &entry->key, 1);
    }
}
