/* netpulse-peers.bpf.h — unconnected UDP, counted per peer: the peer
 * the cgroup sendmsg/recvmsg hooks stash for the send/receive hook of the
 * same thread, and the per-peer entries of np_flows with the per-socket
 * and per-user caps that keep one sender from filling the table.
 * Included once, by netpulse-flows.bpf.h, after init_flow() and
 * lookup_or_create_flow(), before account().
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

/* What each socket and each user holds of per-peer entries in np_flows.
 * The kernel charges (atomically); only user space writes the *_freed maps,
 * when it deletes per-peer entries.  See charge() below. */
struct {
  __uint (type, BPF_MAP_TYPE_HASH);
  __uint (max_entries, NP_MAX_PEER_SOCKETS);
  __type (key, __u64);                   /* socket cookie */
  __type (value, struct np_peer_charge);
} np_socket_peers SEC (".maps");

struct {
  __uint (type, BPF_MAP_TYPE_HASH);
  __uint (max_entries, NP_MAX_PEER_SOCKETS);
  __type (key, __u64);
  __type (value, __u64);                 /* entries user space deleted */
} np_socket_peers_freed SEC (".maps");

struct {
  __uint (type, BPF_MAP_TYPE_HASH);
  __uint (max_entries, NP_MAX_PEER_UIDS);
  __type (key, __u32);                   /* sk_uid of the socket */
  __type (value, struct np_peer_charge);
} np_uid_peers SEC (".maps");

struct {
  __uint (type, BPF_MAP_TYPE_HASH);
  __uint (max_entries, NP_MAX_PEER_UIDS);
  __type (key, __u32);
  __type (value, __u64);
} np_uid_peers_freed SEC (".maps");

/* Peers recently counted in an aggregate entry, so that its peer count
 * counts each once (approximately: LRU). */
struct {
  __uint (type, BPF_MAP_TYPE_LRU_HASH);
  __uint (max_entries, NP_MAX_OTHER_PEERS);
  __type (key, struct np_flow_key);
  __type (value, __u8);
} np_other_peers SEC (".maps");

/* The caps, set by user space before load. */
const volatile __u64 np_max_peers_per_socket = NP_DEFAULT_MAX_PEERS_PER_SOCKET;
const volatile __u64 np_max_peers_per_uid = NP_DEFAULT_MAX_FLOWS / NP_DEFAULT_UID_PEERS_DIVISOR;

/* Where the cgroup sendmsg/recvmsg hook leaves a datagram's peer for the
 * send/receive hook that follows in the same thread.  First an array
 * slot, by thread id: claimed (compare-and-swap of its owner) at the
 * stash, given back at the take, and looked up without hashing (the
 * verifier inlines array lookups).  A thread whose slot another thread
 * holds at that moment uses np_pending_peers: one entry per thread,
 * written in place and consumed by clearing its cookie; LRU, so that the
 * entries of threads that have exited make room. */
struct np_pending_slot {
  __u64                  owner;          /* pid_tgid, 0: free */
  struct np_pending_peer peer;
  /* A cache line each: a sender and its receiver often have neighbouring
   * thread ids, and their claims would bounce one line between CPUs. */
  __u8                   pad[64 - 8 - sizeof (struct np_pending_peer)];
};

struct {
  __uint (type, BPF_MAP_TYPE_ARRAY);
  __uint (max_entries, NP_PENDING_SLOTS);
  __type (key, __u32);                   /* thread id % NP_PENDING_SLOTS */
  __type (value, struct np_pending_slot);
} np_pending_slots SEC (".maps");

struct {
  __uint (type, BPF_MAP_TYPE_LRU_HASH);
  __uint (max_entries, NP_MAX_PENDING_PEERS);
  __type (key, __u64);                   /* pid_tgid: one pending datagram per thread */
  __type (value, struct np_pending_peer);
} np_pending_peers SEC (".maps");

static __always_inline struct np_pending_slot *
pending_slot_of (__u64 pid_tgid)
{
  __u32 index = (__u32) pid_tgid & (NP_PENDING_SLOTS - 1);

  return bpf_map_lookup_elem (&np_pending_slots, &index);
}

/* The calling thread's array slot, claimed if free; NULL if another
 * thread holds it. */
static __always_inline struct np_pending_peer *
claim_pending_slot (__u64 pid_tgid)
{
  struct np_pending_slot *slot = pending_slot_of (pid_tgid);

  if (!slot)
    return NULL;
  if (slot->owner != pid_tgid && __sync_val_compare_and_swap (&slot->owner, 0, pid_tgid) != 0)
    return NULL;
  return &slot->peer;
}

/* Creates the entry of one UDP peer; 0, -EEXIST (another CPU was first)
 * or -E2BIG (the table is full). */
static __always_inline long
create_peer_flow (struct np_flow_key         *key,
                  struct sock                *sk,
                  const struct np_sock_class *class)
{
  struct np_flow init = {};

  init_flow (&init, key, sk, class, false, true);
  return bpf_map_update_elem (&np_flows, key, &init, BPF_NOEXIST);
}

/* Charges one per-peer entry to a socket or a user (@key in @charges) if
 * it holds fewer than @cap.  The charge is taken before the check, so that
 * CPUs racing for the last place cannot both get it. */
static __always_inline bool
charge (void  *charges,
        void  *freed,
        void  *key,
        __u64  cap)
{
  struct np_peer_charge zero = {};
  struct np_peer_charge *entry = bpf_map_lookup_elem (charges, key);
  __u64 *freed_count, before;

  if (!entry)
    {
      bpf_map_update_elem (charges, key, &zero, BPF_NOEXIST);
      entry = bpf_map_lookup_elem (charges, key);
      if (!entry)
        return false;      /* the charge map is full: no entry we cannot account for */
    }
  freed_count = bpf_map_lookup_elem (freed, key);
  before = __sync_fetch_and_add (&entry->charged, 1);
  if (before - (freed_count ? *freed_count : 0) < cap)
    return true;
  __sync_fetch_and_add (&entry->charged, -1);
  return false;
}

static __always_inline void
uncharge (void *charges,
          void *key)
{
  struct np_peer_charge *entry = bpf_map_lookup_elem (charges, key);

  if (entry)
    __sync_fetch_and_add (&entry->charged, -1);
}

/* The socket's aggregate entry for peers that did not get one of their
 * own: exact bytes, and the peer counted once in it.  @reason says why
 * (NP_COUNTER_SOCKET_PEER_CAP, …).  A full table is counted in
 * NP_COUNTER_FLOW_OVERFLOW by lookup_or_create_flow(). */
static __always_inline struct np_flow *
other_peers_flow (struct np_flow_key         *peer_key,
                  struct sock                *sk,
                  const struct np_sock_class *class,
                  __u32                       reason)
{
  struct np_flow_key key = { .cookie = peer_key->cookie, .kind = NP_KEY_OTHER_PEERS };
  struct np_flow *flow = lookup_or_create_flow (&key, sk, class, false, true);
  __u8 one = 1;

  if (!flow)
    return NULL;
  count_event (NP_COUNTER_PEERS_AGGREGATED);
  count_event (reason);
  if (bpf_map_update_elem (&np_other_peers, peer_key, &one, BPF_NOEXIST) == 0)
    __sync_fetch_and_add (&flow->peers, 1);
  /* the caller marks the entry it counts in (mark_changed()) */
  *peer_key = key;
  return flow;
}

/* The entry of one peer of an unconnected UDP socket, created only while
 * the socket and its user are within their caps and the table has room;
 * otherwise the socket's aggregate entry. */
static __always_inline struct np_flow *
lookup_or_create_peer_flow (struct np_flow_key         *key,
                            struct sock                *sk,
                            const struct np_sock_class *class)
{
  struct np_flow *flow = bpf_map_lookup_elem (&np_flows, key);
  __u32 uid;
  long err;

  if (flow)
    return flow;

  uid = BPF_CORE_READ (sk, sk_uid.val);
  if (!charge (&np_socket_peers, &np_socket_peers_freed, &key->cookie, np_max_peers_per_socket))
    return other_peers_flow (key, sk, class, NP_COUNTER_SOCKET_PEER_CAP);
  if (!charge (&np_uid_peers, &np_uid_peers_freed, &uid, np_max_peers_per_uid))
    {
      uncharge (&np_socket_peers, &key->cookie);
      return other_peers_flow (key, sk, class, NP_COUNTER_UID_PEER_CAP);
    }

  err = create_peer_flow (key, sk, class);
  if (err == 0)
    return bpf_map_lookup_elem (&np_flows, key);

  /* Not ours: another CPU created it (the charge is its), or no room. */
  uncharge (&np_socket_peers, &key->cookie);
  uncharge (&np_uid_peers, &uid);
  if (err == -EEXIST)
    return bpf_map_lookup_elem (&np_flows, key);
  return other_peers_flow (key, sk, class, NP_COUNTER_PEER_TABLE_FULL);
}

/* For UDP, takes the peer that the cgroup sendmsg/recvmsg hook stashed for
 * this thread and this socket, if any and if @wanted.  The stash is
 * consumed either way so that a failed call, or one on a connected socket,
 * cannot leave a stale peer behind. */
static __always_inline bool
consume_pending_peer (struct np_pending_peer *pending,
                      struct np_flow_key     *key,
                      bool                    wanted)
{
  bool found = false;

  if (pending->cookie == 0)
    return false;
  if (wanted && pending->cookie == key->cookie)
    {
      __builtin_memcpy (key->peer_addr, pending->addr, NP_ADDR_LEN);
      key->peer_port = pending->port;
      found = true;
    }
  pending->cookie = 0;      /* consumed: no socket has cookie 0 */
  return found;
}

static __always_inline bool
take_pending_peer (struct np_flow_key *key,
                   bool                wanted)
{
  __u64 pid_tgid = bpf_get_current_pid_tgid ();
  struct np_pending_slot *slot = pending_slot_of (pid_tgid);
  struct np_pending_peer *pending;
  bool found;

  if (slot && slot->owner == pid_tgid)
    {
      found = consume_pending_peer (&slot->peer, key, wanted);
      /* Given back: only its owner writes a slot it holds. */
      slot->owner = 0;
      return found;
    }
  pending = bpf_map_lookup_elem (&np_pending_peers, &pid_tgid);
  return pending && consume_pending_peer (pending, key, wanted);
}
