/* netpulse-changed.bpf.h — which flows changed since user space last
 * harvested them (see NP_HARVEST_KEY in netpulse.h): the ring of their keys
 * and the mark every program that changes a flow sets.  Included once, by
 * netpulse-flows.bpf.h, after count_event().
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

/* Keys of the flows changed since the harvest in np_harvest began (see
 * NP_HARVEST_KEY), one struct np_flow_key each: user space reads only
 * those rows of np_flows.  A ring, not a set: user space consumes what is
 * there, however large np_flows is.  Sized by user space (a quarter of
 * np_flows' entries; NP_CHANGED_RING_BYTES for the default). */
struct {
  __uint (type, BPF_MAP_TYPE_RINGBUF);
  __uint (max_entries, NP_CHANGED_RING_BYTES);
} np_changed SEC (".maps");

struct {
  __uint (type, BPF_MAP_TYPE_ARRAY);
  __uint (max_entries, 1);
  __type (key, __u32);
  __type (value, __u64);                 /* the harvest user space is in */
} np_harvest SEC (".maps");

/* Puts @key into np_changed, once per harvest: called after every change
 * of a flow that a record shows.  User space takes the keys, begins the
 * next harvest, then reads the flows they name: whatever changed before
 * the mark is seen by that read (the counters are atomic, and the mark
 * comes after every change), and a change after it is marked again, in
 * the next harvest.
 * A full np_changed is counted: user space then reads the whole table. */
static __always_inline void
mark_changed (const struct np_flow_key *key,
              struct np_flow           *flow)
{
  __u32 zero = NP_HARVEST_KEY;
  __u64 *harvest = bpf_map_lookup_elem (&np_harvest, &zero);
  __u32 now;

  if (!harvest)
    return;
  now = (__u32) *harvest;
  if (flow->marked_harvest == now)
    return;
  flow->marked_harvest = now;
  if (bpf_ringbuf_output (&np_changed, (void *) key, sizeof *key, BPF_RB_NO_WAKEUP) != 0)
    count_event (NP_COUNTER_CHANGED_OVERFLOW);
}
