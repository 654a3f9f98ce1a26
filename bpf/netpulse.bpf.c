/* netpulse.bpf.c — per-connection byte accounting in the kernel.
 *
 * The hot path (every send and receive) only updates counters in the
 * np_flows hash map; user space reads the map once per tick.  No event is
 * sent per send/receive, so nothing can be dropped at high rates.
 *
 * Three backends count payload bytes; user space loads exactly one, the
 * best the running kernel allows (see netpulse-collector.c):
 *   fentry      fexit on inet_sendmsg/inet6_sendmsg/inet_recvmsg/inet6_recvmsg
 *   kprobe      kprobe + kretprobe on the same functions
 *   tracepoint  tp_btf sock/sock_send_length and sock/sock_recv_length (6.3+)
 * All of them see the return value: what the kernel accepted or returned to
 * the application, never the requested size.
 *
 * Shared by every backend:
 *   tp_btf sock/inet_sock_set_state      TCP state, close, connect() owner
 *   cgroup/sendmsg4|6, cgroup/recvmsg4|6 peer of unconnected UDP datagrams
 *   cgroup/sock_release                  UDP close
 *   iter/tcp, iter/udp                   connections that existed before start
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "netpulse-vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "netpulse.h"

#define AF_INET      2
#define AF_INET6     10
#define IPPROTO_TCP  6
#define IPPROTO_UDP  17
#define SOCK_STREAM  1
#define SOCK_DGRAM   2
#define MSG_PEEK     2
#define E2BIG        7
#define EEXIST       17

#define TCP_ESTABLISHED  1
#define TCP_SYN_SENT     2
#define TCP_TIME_WAIT    6
#define TCP_CLOSE        7
#define TCP_LISTEN       10
#define TCP_NEW_SYN_RECV 12

char LICENSE[] SEC("license") = "GPL";

struct {
  __uint (type, BPF_MAP_TYPE_HASH);
  __uint (max_entries, NP_DEFAULT_MAX_FLOWS);
  __type (key, struct np_flow_key);
  __type (value, struct np_flow);
} np_flows SEC (".maps");

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

struct {
  __uint (type, BPF_MAP_TYPE_HASH);
  __uint (max_entries, NP_MAX_PENDING_PEERS);
  __type (key, __u64);                   /* pid_tgid: one pending datagram per thread */
  __type (value, struct np_pending_peer);
} np_pending_peers SEC (".maps");

struct {
  __uint (type, BPF_MAP_TYPE_HASH);
  __uint (max_entries, NP_MAX_RELEASED_SOCKS);
  __type (key, __u64);                   /* socket cookie */
  __type (value, __u64);                 /* bpf_ktime_get_ns() at release */
} np_released_socks SEC (".maps");

struct {
  __uint (type, BPF_MAP_TYPE_RINGBUF);
  __uint (max_entries, NP_CLOSED_RING_BYTES);  /* user space may resize it before load */
} np_closed_flows SEC (".maps");

/* Half the ring's size, set by user space with the size: more unread data
 * than this wakes user space up between its samples. */
const volatile __u64 np_ring_wakeup_bytes = NP_CLOSED_RING_BYTES / 2;

/* kprobe backend: arguments of the function entry, for the return probe. */
struct np_kprobe_args {
  struct sock *sk;
  __u64 flags;
};

struct {
  __uint (type, BPF_MAP_TYPE_HASH);
  __uint (max_entries, NP_MAX_PENDING_PEERS);
  __type (key, __u64);
  __type (value, struct np_kprobe_args);
} np_kprobe_args SEC (".maps");

struct {
  __uint (type, BPF_MAP_TYPE_ARRAY);
  __uint (max_entries, NP_N_COUNTERS);
  __type (key, __u32);
  __type (value, __u64);
} np_counters SEC (".maps");

static __always_inline void
count_event (__u32 counter)
{
  __u64 *value = bpf_map_lookup_elem (&np_counters, &counter);

  if (value)
    __sync_fetch_and_add (value, 1);
}

/* Only IPv4/IPv6 TCP and UDP sockets are accounted. */
static __always_inline bool
classify_sock (struct sock *sk,
               __u16       *family,
               __u8        *proto)
{
  __u16 fam = BPF_CORE_READ (sk, __sk_common.skc_family);
  __u16 protocol = BPF_CORE_READ (sk, sk_protocol);
  __u16 type = BPF_CORE_READ (sk, sk_type);

  if (fam != AF_INET && fam != AF_INET6)
    return false;
  if (protocol == IPPROTO_TCP && type == SOCK_STREAM)
    *proto = IPPROTO_TCP;
  else if (protocol == IPPROTO_UDP && type == SOCK_DGRAM)
    *proto = IPPROTO_UDP;
  else
    return false;

  *family = fam;
  return true;
}

static __always_inline void
read_endpoints (struct np_flow *flow,
                struct sock    *sk,
                __u16           family)
{
  if (family == AF_INET)
    {
      __be32 saddr = BPF_CORE_READ (sk, __sk_common.skc_rcv_saddr);
      __be32 daddr = BPF_CORE_READ (sk, __sk_common.skc_daddr);

      __builtin_memcpy (flow->laddr, &saddr, 4);
      if (!flow->per_peer)
        __builtin_memcpy (flow->raddr, &daddr, 4);
    }
  else
    {
      BPF_CORE_READ_INTO (&flow->laddr, sk, __sk_common.skc_v6_rcv_saddr);
      if (!flow->per_peer)
        BPF_CORE_READ_INTO (&flow->raddr, sk, __sk_common.skc_v6_daddr);
    }

  flow->lport = BPF_CORE_READ (sk, __sk_common.skc_num);
  if (!flow->per_peer)
    flow->rport = bpf_ntohs (BPF_CORE_READ (sk, __sk_common.skc_dport));
}

static __always_inline void
read_tcp_info (struct np_flow *flow,
               struct sock    *sk)
{
  struct tcp_sock *tp = (struct tcp_sock *) sk;

  flow->srtt_us = BPF_CORE_READ (tp, srtt_us) >> 3;
  flow->retrans = BPF_CORE_READ (tp, total_retrans);
  flow->state = BPF_CORE_READ (sk, __sk_common.skc_state);
}

static __always_inline __u64
socket_inode (struct sock *sk)
{
  return BPF_CORE_READ (sk, sk_socket, file, f_inode, i_ino);
}

/* The process that is running now: only called from syscall context
 * (send, receive, connect), never from softirq, where "current" is
 * whatever task happened to be interrupted. */
static __always_inline void
set_process (struct np_flow *flow)
{
  __u32 tgid = bpf_get_current_pid_tgid () >> 32;

  if (flow->pid == tgid && flow->has_process)
    return;
  flow->pid = tgid;
  flow->uid = (__u32) bpf_get_current_uid_gid ();
  flow->cgroup_id = bpf_get_current_cgroup_id ();
  bpf_get_current_comm (&flow->comm, sizeof flow->comm);
  flow->has_process = 1;
}

/* The first state of a new entry of np_flows. */
static __always_inline void
init_flow (struct np_flow     *init,
           struct np_flow_key *key,
           struct sock        *sk,
           __u16               family,
           __u8                proto,
           bool                partial,
           bool                per_peer)
{
  init->first_ns = bpf_ktime_get_ns ();
  init->last_ns = init->first_ns;
  init->family = family == AF_INET ? 4 : 6;
  init->proto = proto;
  init->partial = partial;
  init->netns = BPF_CORE_READ (sk, __sk_common.skc_net.net, ns.inum);
  init->ino = socket_inode (sk);
  init->uid = BPF_CORE_READ (sk, sk_uid.val);
  if (per_peer)
    {
      init->per_peer = 1;
      init->charged_uid = init->uid;
      init->other_peers = key->kind == NP_KEY_OTHER_PEERS;
      __builtin_memcpy (init->raddr, key->peer_addr, NP_ADDR_LEN);
      init->rport = key->peer_port;
    }
  read_endpoints (init, sk, family);
  if (proto == IPPROTO_TCP)
    read_tcp_info (init, sk);
}

/* Finds the flow of @key or creates it.  A full table is counted in
 * NP_COUNTER_FLOW_OVERFLOW and the event is dropped from accounting rather
 * than being charged to some other flow. */
static __always_inline struct np_flow *
lookup_or_create_flow (struct np_flow_key *key,
                       struct sock        *sk,
                       __u16               family,
                       __u8                proto,
                       bool                partial,
                       bool                per_peer)
{
  struct np_flow *flow = bpf_map_lookup_elem (&np_flows, key);
  struct np_flow init = {};
  long err;

  if (flow)
    return flow;

  init_flow (&init, key, sk, family, proto, partial, per_peer);
  err = bpf_map_update_elem (&np_flows, key, &init, BPF_NOEXIST);
  if (err == -E2BIG)
    {
      count_event (NP_COUNTER_FLOW_OVERFLOW);
      return NULL;
    }
  /* -EEXIST: another CPU created it first, which is fine. */
  return bpf_map_lookup_elem (&np_flows, key);
}

/* Creates the entry of one UDP peer; 0, -EEXIST (another CPU was first)
 * or -E2BIG (the table is full). */
static __always_inline long
create_peer_flow (struct np_flow_key *key,
                  struct sock        *sk,
                  __u16               family)
{
  struct np_flow init = {};

  init_flow (&init, key, sk, family, IPPROTO_UDP, false, true);
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
other_peers_flow (struct np_flow_key *peer_key,
                  struct sock        *sk,
                  __u16               family,
                  __u32               reason)
{
  struct np_flow_key key = { .cookie = peer_key->cookie, .kind = NP_KEY_OTHER_PEERS };
  struct np_flow *flow = lookup_or_create_flow (&key, sk, family, IPPROTO_UDP, false, true);
  __u8 one = 1;

  if (!flow)
    return NULL;
  count_event (NP_COUNTER_PEERS_AGGREGATED);
  count_event (reason);
  if (bpf_map_update_elem (&np_other_peers, peer_key, &one, BPF_NOEXIST) == 0)
    __sync_fetch_and_add (&flow->peers, 1);
  return flow;
}

/* The entry of one peer of an unconnected UDP socket, created only while
 * the socket and its user are within their caps and the table has room;
 * otherwise the socket's aggregate entry. */
static __always_inline struct np_flow *
lookup_or_create_peer_flow (struct np_flow_key *key,
                            struct sock        *sk,
                            __u16               family)
{
  struct np_flow *flow = bpf_map_lookup_elem (&np_flows, key);
  __u32 uid;
  long err;

  if (flow)
    return flow;

  uid = BPF_CORE_READ (sk, sk_uid.val);
  if (!charge (&np_socket_peers, &np_socket_peers_freed, &key->cookie, np_max_peers_per_socket))
    return other_peers_flow (key, sk, family, NP_COUNTER_SOCKET_PEER_CAP);
  if (!charge (&np_uid_peers, &np_uid_peers_freed, &uid, np_max_peers_per_uid))
    {
      uncharge (&np_socket_peers, &key->cookie);
      return other_peers_flow (key, sk, family, NP_COUNTER_UID_PEER_CAP);
    }

  err = create_peer_flow (key, sk, family);
  if (err == 0)
    return bpf_map_lookup_elem (&np_flows, key);

  /* Not ours: another CPU created it (the charge is its), or no room. */
  uncharge (&np_socket_peers, &key->cookie);
  uncharge (&np_uid_peers, &uid);
  if (err == -EEXIST)
    return bpf_map_lookup_elem (&np_flows, key);
  return other_peers_flow (key, sk, family, NP_COUNTER_PEER_TABLE_FULL);
}

/* For UDP, takes the peer that the cgroup sendmsg/recvmsg hook stashed for
 * this thread and this socket, if any.  The stash is consumed either way so
 * that a failed call cannot leave a stale peer behind. */
static __always_inline bool
take_pending_peer (struct np_flow_key *key)
{
  __u64 pid_tgid = bpf_get_current_pid_tgid ();
  struct np_pending_peer *pending = bpf_map_lookup_elem (&np_pending_peers, &pid_tgid);
  bool found = false;

  if (!pending)
    return false;
  if (pending->cookie == key->cookie)
    {
      __builtin_memcpy (key->peer_addr, pending->addr, NP_ADDR_LEN);
      key->peer_port = pending->port;
      found = true;
    }
  bpf_map_delete_elem (&np_pending_peers, &pid_tgid);
  return found;
}

/* The one place where bytes are counted, for every backend. */
static __always_inline void
account (struct sock *sk,
         __u64        cookie,
         long         bytes,
         bool         tx,
         __u64        flags)
{
  struct np_flow_key key = {};
  struct np_flow *flow;
  bool per_peer;
  __u16 family;
  __u8 proto;

  if (!sk || !classify_sock (sk, &family, &proto))
    return;

  key.cookie = cookie;
  per_peer = proto == IPPROTO_UDP && take_pending_peer (&key);
  if (proto == IPPROTO_UDP && !per_peer
      && BPF_CORE_READ (sk, __sk_common.skc_dport) == 0 && bytes > 0)
    count_event (NP_COUNTER_UNKNOWN_PEER);

  if (bytes <= 0 || (!tx && (flags & MSG_PEEK)))
    return;

  if (per_peer)
    flow = lookup_or_create_peer_flow (&key, sk, family);
  else
    flow = lookup_or_create_flow (&key, sk, family, proto, false, false);
  if (!flow)
    return;

  if (tx)
    {
      __sync_fetch_and_add (&flow->tx_bytes, bytes);
      __sync_fetch_and_add (&flow->tx_calls, 1);
    }
  else
    {
      __sync_fetch_and_add (&flow->rx_bytes, bytes);
      __sync_fetch_and_add (&flow->rx_calls, 1);
    }

  flow->last_ns = bpf_ktime_get_ns ();
  set_process (flow);
  if (flow->lport == 0)
    read_endpoints (flow, sk, family);
  if (proto == IPPROTO_TCP)
    read_tcp_info (flow, sk);
}

/* ---- backend "tracepoint": tp_btf sock_send_length / sock_recv_length ---- */

SEC ("tp_btf/sock_send_length")
int BPF_PROG (np_tp_send, struct sock *sk, int ret, int flags)
{
  account (sk, bpf_get_socket_cookie (sk), ret, true, flags);
  return 0;
}

SEC ("tp_btf/sock_recv_length")
int BPF_PROG (np_tp_recv, struct sock *sk, int ret, int flags)
{
  account (sk, bpf_get_socket_cookie (sk), ret, false, flags);
  return 0;
}

/* ---- backend "fentry": fexit on the inet send/receive functions ---- */

static __always_inline void
account_socket (struct socket *sock,
                long           ret,
                bool           tx,
                __u64          flags)
{
  struct sock *sk = sock->sk;

  if (sk)
    account (sk, bpf_get_socket_cookie (sk), ret, tx, flags);
}

SEC ("fexit/inet_sendmsg")
int BPF_PROG (np_fexit_inet_sendmsg, struct socket *sock, struct msghdr *msg, size_t size, int ret)
{
  account_socket (sock, ret, true, 0);
  return 0;
}

SEC ("fexit/inet6_sendmsg")
int BPF_PROG (np_fexit_inet6_sendmsg, struct socket *sock, struct msghdr *msg, size_t size, int ret)
{
  account_socket (sock, ret, true, 0);
  return 0;
}

SEC ("fexit/inet_recvmsg")
int BPF_PROG (np_fexit_inet_recvmsg, struct socket *sock, struct msghdr *msg, size_t size, int flags, int ret)
{
  account_socket (sock, ret, false, flags);
  return 0;
}

SEC ("fexit/inet6_recvmsg")
int BPF_PROG (np_fexit_inet6_recvmsg, struct socket *sock, struct msghdr *msg, size_t size, int flags, int ret)
{
  account_socket (sock, ret, false, flags);
  return 0;
}

/* ---- backend "kprobe": entry probe stashes the socket, return probe counts ---- */

/* kprobe programs may not call bpf_get_socket_cookie(); the cookie is read
 * from the socket instead.  It is generated lazily: cgroup/sock_create (loaded
 * with this backend), the state hook and the cgroup sendmsg hooks generate it
 * early.  Should it still be 0, the socket's address stands in, tagged with
 * the top bit so that it cannot collide with a real cookie. */
static __always_inline __u64
read_cookie (struct sock *sk)
{
  __u64 cookie = BPF_CORE_READ (sk, __sk_common.skc_cookie.counter);

  return cookie ? cookie : ((__u64) sk) | (1ULL << 63);
}

static __always_inline int
kprobe_enter (struct socket *sock,
              __u64          flags)
{
  __u64 pid_tgid = bpf_get_current_pid_tgid ();
  struct np_kprobe_args args = {};

  args.sk = BPF_CORE_READ (sock, sk);
  args.flags = flags;
  bpf_map_update_elem (&np_kprobe_args, &pid_tgid, &args, BPF_ANY);
  return 0;
}

static __always_inline int
kprobe_return (long ret,
               bool tx)
{
  __u64 pid_tgid = bpf_get_current_pid_tgid ();
  struct np_kprobe_args *args = bpf_map_lookup_elem (&np_kprobe_args, &pid_tgid);
  struct sock *sk;
  __u64 flags;

  if (!args)
    return 0;
  sk = args->sk;
  flags = args->flags;
  bpf_map_delete_elem (&np_kprobe_args, &pid_tgid);
  account (sk, read_cookie (sk), ret, tx, flags);
  return 0;
}

SEC ("kprobe/inet_sendmsg")
int BPF_KPROBE (np_kp_inet_sendmsg, struct socket *sock)
{
  return kprobe_enter (sock, 0);
}

SEC ("kprobe/inet6_sendmsg")
int BPF_KPROBE (np_kp_inet6_sendmsg, struct socket *sock)
{
  return kprobe_enter (sock, 0);
}

SEC ("kprobe/inet_recvmsg")
int BPF_KPROBE (np_kp_inet_recvmsg, struct socket *sock, struct msghdr *msg, size_t size, int flags)
{
  return kprobe_enter (sock, flags);
}

SEC ("kprobe/inet6_recvmsg")
int BPF_KPROBE (np_kp_inet6_recvmsg, struct socket *sock, struct msghdr *msg, size_t size, int flags)
{
  return kprobe_enter (sock, flags);
}

SEC ("kretprobe/inet_sendmsg")
int BPF_KRETPROBE (np_krp_inet_sendmsg, int ret)
{
  return kprobe_return (ret, true);
}

SEC ("kretprobe/inet6_sendmsg")
int BPF_KRETPROBE (np_krp_inet6_sendmsg, int ret)
{
  return kprobe_return (ret, true);
}

SEC ("kretprobe/inet_recvmsg")
int BPF_KRETPROBE (np_krp_inet_recvmsg, int ret)
{
  return kprobe_return (ret, false);
}

SEC ("kretprobe/inet6_recvmsg")
int BPF_KRETPROBE (np_krp_inet6_recvmsg, int ret)
{
  return kprobe_return (ret, false);
}

/* Generates the socket cookie at creation, so that read_cookie() finds it. */
SEC ("cgroup/sock_create")
int np_kp_sock_create (struct bpf_sock *ctx)
{
  bpf_get_socket_cookie (ctx);
  return 1;
}

/* ---- shared: TCP state changes ---- */

/* Moves a closed flow out of np_flows into the ring buffer, so that under
 * heavy churn the table only holds open connections.  After CLOSE no byte
 * can be added any more, so the copy is final.  When the ring is full the
 * flow stays in the table, marked closed, and user space harvests it there:
 * nothing is lost either way.  Returns whether the ring took it. */
static __always_inline bool
hand_over_closed_flow (struct np_flow_key *key,
                       struct np_flow     *flow)
{
  struct np_closed_flow *record = bpf_ringbuf_reserve (&np_closed_flows, sizeof *record, 0);

  if (!record)
    {
      count_event (NP_COUNTER_CLOSED_RING_FULL);
      return false;
    }
  record->key = *key;
  __builtin_memcpy (&record->flow, flow, sizeof record->flow);
  record->flow.closed = 1;
  /* User space reads the ring once per tick; it is only woken up in
   * between when the ring is half full, never per record. */
  bpf_ringbuf_submit (record, bpf_ringbuf_query (&np_closed_flows, BPF_RB_AVAIL_DATA) > np_ring_wakeup_bytes
                              ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
  /* Not marked closed in the table: user space reads the table before the
   * ring, so a flow is closed once, from the ring, even if the table still
   * showed it in between. */
  bpf_map_delete_elem (&np_flows, key);
  /* close() released the socket just before: its safety-net entry (see
   * np_sock_release) is not needed any more. */
  bpf_map_delete_elem (&np_released_socks, &key->cookie);
  return true;
}

SEC ("tp_btf/inet_sock_set_state")
int BPF_PROG (np_tcp_state, struct sock *sk, int oldstate, int newstate)
{
  struct np_flow_key key = {};
  struct np_flow *flow;
  __u16 family;
  __u8 proto;

  if (!classify_sock (sk, &family, &proto) || proto != IPPROTO_TCP)
    return 0;
  if (newstate == TCP_LISTEN || oldstate == TCP_LISTEN)
    return 0;

  key.cookie = bpf_get_socket_cookie (sk);
  if (newstate == TCP_SYN_SENT || newstate == TCP_ESTABLISHED)
    flow = lookup_or_create_flow (&key, sk, family, proto, false, false);
  else
    flow = bpf_map_lookup_elem (&np_flows, &key);
  if (!flow)
    return 0;

  /* connect() runs in the calling process: the one owner we know for sure.
   * The passive side reaches ESTABLISHED in softirq; accept() + the first
   * read or write name its owner later. */
  if (newstate == TCP_SYN_SENT)
    set_process (flow);

  /* The source port of connect() is only known once ESTABLISHED, and on
   * the way to CLOSE the kernel releases the port: read the endpoints while
   * they are valid and keep them from then on. */
  if (newstate == TCP_ESTABLISHED)
    read_endpoints (flow, sk, family);
  read_tcp_info (flow, sk);
  flow->state = newstate;
  flow->last_ns = bpf_ktime_get_ns ();
  if (newstate == TCP_CLOSE && !hand_over_closed_flow (&key, flow))
    flow->closed = 1;
  return 0;
}

/* ---- shared: peers of unconnected UDP ---- */

static __always_inline int
stash_peer (struct bpf_sock_addr *ctx,
            bool                  ipv6)
{
  __u64 pid_tgid = bpf_get_current_pid_tgid ();
  struct np_pending_peer peer = {};

  if (ctx->type != SOCK_DGRAM)
    return 1;

  peer.cookie = bpf_get_socket_cookie (ctx);
  peer.port = bpf_ntohs ((__u16) ctx->user_port);
  if (ipv6)
    {
      peer.addr[0] = 0; /* the verifier wants the whole struct written */
      *(__u32 *) &peer.addr[0] = ctx->user_ip6[0];
      *(__u32 *) &peer.addr[4] = ctx->user_ip6[1];
      *(__u32 *) &peer.addr[8] = ctx->user_ip6[2];
      *(__u32 *) &peer.addr[12] = ctx->user_ip6[3];
    }
  else if (ctx->family == AF_INET6)
    {
      /* A v4 destination on a v6 socket: keep the socket's family and write
       * it v4-mapped, as the kernel does. */
      peer.addr[10] = 0xff;
      peer.addr[11] = 0xff;
      *(__u32 *) &peer.addr[12] = ctx->user_ip4;
    }
  else
    {
      *(__u32 *) &peer.addr[0] = ctx->user_ip4;
    }

  if (bpf_map_update_elem (&np_pending_peers, &pid_tgid, &peer, BPF_ANY) != 0)
    count_event (NP_COUNTER_PEER_OVERFLOW);
  return 1;
}

SEC ("cgroup/sendmsg4")
int np_sendmsg4 (struct bpf_sock_addr *ctx)
{
  return stash_peer (ctx, false);
}

SEC ("cgroup/sendmsg6")
int np_sendmsg6 (struct bpf_sock_addr *ctx)
{
  return stash_peer (ctx, true);
}

SEC ("cgroup/recvmsg4")
int np_recvmsg4 (struct bpf_sock_addr *ctx)
{
  return stash_peer (ctx, false);
}

SEC ("cgroup/recvmsg6")
int np_recvmsg6 (struct bpf_sock_addr *ctx)
{
  return stash_peer (ctx, true);
}

/* ---- shared: socket release ---- */

/* UDP has no close: the release of the socket is its end.  TCP sockets are
 * recorded too, as a safety net: their state change to CLOSE can be missed
 * (a tracing program does not run nested on a CPU, under heavy churn), and
 * after close() the application's byte counts cannot change any more. */
SEC ("cgroup/sock_release")
int np_sock_release (struct bpf_sock *ctx)
{
  __u64 cookie, now;

  if ((ctx->protocol != IPPROTO_UDP && ctx->protocol != IPPROTO_TCP)
      || (ctx->family != AF_INET && ctx->family != AF_INET6))
    return 1;

  cookie = bpf_get_socket_cookie (ctx);
  if (ctx->protocol == IPPROTO_TCP)
    {
      /* Only a TCP flow still open needs the safety net; the ones already
       * handed over at CLOSE would only crowd the map under churn. */
      struct np_flow_key key = { .cookie = cookie };

      if (!bpf_map_lookup_elem (&np_flows, &key))
        return 1;
    }

  now = bpf_ktime_get_ns ();
  if (bpf_map_update_elem (&np_released_socks, &cookie, &now, BPF_ANY) != 0)
    count_event (NP_COUNTER_RELEASE_OVERFLOW);
  return 1;
}

/* ---- shared: connections that existed before start-up ---- */

static __always_inline void
adopt_existing (struct sock *sk,
                __u64        cookie,
                __u32        uid)
{
  struct np_flow_key key = { .cookie = cookie };
  struct np_flow *flow;
  __u16 family;
  __u8 proto;

  if (!classify_sock (sk, &family, &proto))
    return;

  flow = lookup_or_create_flow (&key, sk, family, proto, true, false);
  if (flow && !flow->has_process)
    flow->uid = uid;
}

SEC ("iter/tcp")
int np_iter_tcp (struct bpf_iter__tcp *ctx)
{
  struct sock_common *skc = ctx->sk_common;
  __u8 state;

  if (!skc)
    return 0;

  /* Listening, time-wait and request sockets are not connections with a
   * socket of their own (and only share struct sock_common). */
  state = BPF_CORE_READ (skc, skc_state);
  if (state == TCP_LISTEN || state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV || state == TCP_CLOSE)
    return 0;

  adopt_existing ((struct sock *) skc, bpf_get_socket_cookie (skc), ctx->uid);
  return 0;
}

SEC ("iter/udp")
int np_iter_udp (struct bpf_iter__udp *ctx)
{
  struct udp_sock *udp_sk = ctx->udp_sk;
  struct sock *sk = (struct sock *) udp_sk;

  if (!udp_sk)
    return 0;

  /* Only connected UDP sockets have a single peer to show; unconnected
   * ones appear per peer as soon as they move data. */
  if (BPF_CORE_READ (sk, __sk_common.skc_dport) == 0)
    return 0;

  adopt_existing (sk, bpf_get_socket_cookie (udp_sk), ctx->uid);
  return 0;
}
