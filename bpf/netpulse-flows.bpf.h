/* netpulse-flows.bpf.h — the maps of netpulse.bpf.c and the accounting
 * helpers its programs share: finding or creating a socket's flow, adding
 * what a call moved, reading endpoints and TCP info; the per-peer entries
 * of unconnected UDP are in netpulse-peers.bpf.h.  Included once, by
 * netpulse.bpf.c: the programs and these maps form one object and one
 * skeleton.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#define AF_INET      2
#define AF_INET6     10
#define AF_PACKET    17
#define IPPROTO_TCP  6
#define IPPROTO_UDP  17
#define IPPROTO_MPTCP 262
#define SOCK_STREAM  1
#define SOCK_DGRAM   2
#define SOCK_RAW     3
#define MSG_PEEK     2
#define MSG_ERRQUEUE 0x2000
#define SOCK_DONE_BIT 1         /* enum sock_flags: SOCK_DEAD, SOCK_DONE, … */
#define E2BIG        7
#define EEXIST       17

#define TCP_ESTABLISHED  1
#define TCP_SYN_SENT     2
#define TCP_TIME_WAIT    6
#define TCP_CLOSE        7
#define TCP_LISTEN       10
#define TCP_NEW_SYN_RECV 12

struct {
  __uint (type, BPF_MAP_TYPE_HASH);
  __uint (max_entries, NP_DEFAULT_MAX_FLOWS);
  __type (key, struct np_flow_key);
  __type (value, struct np_flow);
} np_flows SEC (".maps");

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

#include "netpulse-changed.bpf.h"

/* A field of a socket.  The tracepoint and fentry programs are handed the
 * socket as a BTF pointer: a plain load, which the verifier makes one that
 * cannot fault, and no helper call.  The kprobe backend has only the
 * address it stashed: it reads with bpf_probe_read_kernel()
 * (BPF_CORE_READ), as the iterators do.  @btf is a constant in every
 * caller, so that only one of the two is compiled. */
#define NP_SK_READ(btf, ptr, field) ((btf) ? (ptr)->field : BPF_CORE_READ (ptr, field))

/* The socket as struct tcp_sock for NP_SK_READ(): a BTF pointer of that
 * type when @btf (the verifier checks every access against the type it
 * knows; NULL if @sk is not a full TCP socket), a plain cast otherwise. */
static __always_inline struct tcp_sock *
np_tcp_sk (struct sock *sk,
           bool         btf)
{
  return btf ? bpf_skc_to_tcp_sock (sk) : (struct tcp_sock *) sk;
}

/* What a socket is, as the programs account it. */
struct np_sock_class {
  __u16 family;       /* AF_INET, AF_INET6 or AF_PACKET */
  __u8  proto;        /* IP protocol number; IPPROTO_TCP for MPTCP; 0 for AF_PACKET */
  __u8  kind;         /* enum np_sock_kind */
  __u32 just_read;    /* TCP: bytes the read being counted consumed (see init_flow()) */
};

/* Every IPv4/IPv6 socket and every AF_PACKET socket is accounted: TCP,
 * UDP, ICMP ping sockets, SCTP, raw IP sockets of any protocol number,
 * MPTCP (whose protocol number, 262, does not fit a byte: its subflows
 * are TCP). */
static __always_inline bool
classify_sock (struct sock          *sk,
               struct np_sock_class *class,
               bool                  btf)
{
  __u16 fam = NP_SK_READ (btf, sk, __sk_common.skc_family);
  __u16 protocol = NP_SK_READ (btf, sk, sk_protocol);
  __u16 type = NP_SK_READ (btf, sk, sk_type);

  class->family = fam;
  class->kind = NP_SOCK_INET;
  class->just_read = 0;
  if (fam == AF_PACKET)
    {
      class->proto = 0;
      class->kind = NP_SOCK_PACKET;
      return true;
    }
  if (fam != AF_INET && fam != AF_INET6)
    return false;
  if (type == SOCK_RAW)
    class->kind = NP_SOCK_RAW;
  else if (protocol == IPPROTO_MPTCP)
    {
      class->proto = IPPROTO_TCP;
      class->kind = NP_SOCK_MPTCP;
      return true;
    }
  else if (protocol == IPPROTO_TCP && type != SOCK_STREAM)
    return false;
  if (protocol > 255)
    return false;
  class->proto = protocol;
  return true;
}

/* A TCP socket of its own, with TCP states and struct tcp_sock. */
static __always_inline bool
is_tcp (const struct np_sock_class *class)
{
  return class->proto == IPPROTO_TCP && class->kind == NP_SOCK_INET;
}

/* A TCP socket that is a subflow of an MPTCP socket: its bytes are the
 * MPTCP socket's, which is counted (once) at its sendmsg/recvmsg.  Only
 * for sockets that is_tcp(). */
static __always_inline bool
is_mptcp_subflow (struct sock *sk)
{
  struct tcp_sock *tp = (struct tcp_sock *) sk;

  if (!bpf_core_field_exists (tp->is_mptcp))
    return false;
  return BPF_CORE_READ_BITFIELD_PROBED (tp, is_mptcp) != 0;
}

/* A UDP socket, whose unconnected datagrams are counted per peer. */
static __always_inline bool
is_udp (const struct np_sock_class *class)
{
  return class->proto == IPPROTO_UDP && class->kind == NP_SOCK_INET;
}

static __always_inline void
read_endpoints (struct np_flow *flow,
                struct sock    *sk,
                __u16           family)
{
  if (family == AF_PACKET)
    return;       /* no IP endpoints; the flow is the socket */
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
               struct sock    *sk,
               bool            btf)
{
  struct tcp_sock *tp = np_tcp_sk (sk, btf);

  if (!tp)
    return;
  flow->srtt_us = NP_SK_READ (btf, tp, srtt_us) >> 3;
  flow->retrans = NP_SK_READ (btf, tp, total_retrans);
  flow->state = NP_SK_READ (btf, sk, __sk_common.skc_state);
}

static __always_inline __u64
socket_inode (struct sock *sk)
{
  return BPF_CORE_READ (sk, sk_socket, file, f_inode, i_ino);
}

/* The basename of @task's executable, read while the process lives so that
 * it can be named after it has exited (the helper reads /proc later). */
static __always_inline void
read_exe_name (char               *dst,
               struct task_struct *task)
{
  const unsigned char *name = BPF_CORE_READ (task, mm, exe_file, f_path.dentry, d_name.name);

  if (!name || bpf_probe_read_kernel_str (dst, NP_EXE_NAME_LEN, name) < 0)
    dst[0] = '\0';
}

/* The process that is running now: only called from syscall context
 * (send, receive, connect), never from softirq, where "current" is
 * whatever task happened to be interrupted. */
static __always_inline void
set_process (struct np_flow *flow)
{
  __u32 tgid = bpf_get_current_pid_tgid () >> 32;

  if (flow->kernel_sock)
    {
      /* No process owns a kernel socket: the thread that runs it names
       * its subsystem (nfsd, rpciod, …), whoever's call drove it. */
      if (!flow->has_process)
        bpf_get_current_comm (&flow->comm, sizeof flow->comm);
      flow->has_process = NP_OWNER_CALL;
      return;
    }
  if (flow->pid == tgid && flow->has_process == NP_OWNER_CALL)
    return;
  flow->pid = tgid;
  flow->uid = (__u32) bpf_get_current_uid_gid ();
  flow->cgroup_id = bpf_get_current_cgroup_id ();
  bpf_get_current_comm (&flow->comm, sizeof flow->comm);
  read_exe_name (flow->exe_name, (struct task_struct *) bpf_get_current_task ());
  flow->has_process = NP_OWNER_CALL;
}

/* The first state of a new entry of np_flows. */
static __always_inline void
init_flow (struct np_flow              *init,
           struct np_flow_key          *key,
           struct sock                 *sk,
           const struct np_sock_class  *class,
           bool                         partial,
           bool                         per_peer)
{
  init->first_ns = bpf_ktime_get_ns ();
  init->last_ns = init->first_ns;
  init->family = class->family == AF_INET ? 4 : class->family == AF_INET6 ? 6 : 0;
  init->proto = class->proto;
  init->sock_kind = class->kind;
  init->partial = partial;
  init->netns = BPF_CORE_READ (sk, __sk_common.skc_net.net, ns.inum);
  init->ino = socket_inode (sk);
  init->uid = BPF_CORE_READ (sk, sk_uid.val);
  init->kernel_sock = BPF_CORE_READ_BITFIELD_PROBED (sk, sk_kern_sock);
  if (per_peer)
    {
      init->per_peer = 1;
      init->charged_uid = init->uid;
      init->other_peers = key->kind == NP_KEY_OTHER_PEERS;
      __builtin_memcpy (init->raddr, key->peer_addr, NP_ADDR_LEN);
      init->rport = key->peer_port;
    }
  read_endpoints (init, sk, class->family);
  if (is_tcp (class))
    {
      read_tcp_info (init, sk, false);
      /* Counting starts here; a flow created by a read starts before it. */
      init->rx_seq = BPF_CORE_READ ((struct tcp_sock *) sk, copied_seq) - class->just_read;
    }
}

/* Finds the flow of @key or creates it.  A full table is counted in
 * NP_COUNTER_FLOW_OVERFLOW and the event is dropped from accounting rather
 * than being charged to some other flow. */
static __always_inline struct np_flow *
lookup_or_create_flow (struct np_flow_key         *key,
                       struct sock                *sk,
                       const struct np_sock_class *class,
                       bool                        partial,
                       bool                        per_peer)
{
  struct np_flow *flow = bpf_map_lookup_elem (&np_flows, key);
  struct np_flow init = {};
  long err;

  if (flow)
    return flow;

  init_flow (&init, key, sk, class, partial, per_peer);
  err = bpf_map_update_elem (&np_flows, key, &init, BPF_NOEXIST);
  if (err == -E2BIG)
    {
      count_event (NP_COUNTER_FLOW_OVERFLOW);
      return NULL;
    }
  /* -EEXIST: another CPU created it first, which is fine. */
  return bpf_map_lookup_elem (&np_flows, key);
}

#include "netpulse-peers.bpf.h"

/* What the application consumed of a TCP socket's receive queue since
 * the flow last counted: copied_seq's progress.  Every way of reading
 * moves it — recvmsg(), splice() and the kernel's other tcp_read_sock()
 * users, TCP_ZEROCOPY_RECEIVE — and peeks do not, so counting its
 * progress counts each byte once, whichever hook sees it first. */
static __always_inline __u32
tcp_consumed (struct np_flow *flow,
              struct sock    *sk,
              bool            btf)
{
  struct tcp_sock *tp = np_tcp_sk (sk, btf);
  __u32 seq;

  if (!tp)
    return 0;
  seq = NP_SK_READ (btf, tp, copied_seq);

  /* The peer's FIN takes a sequence number, and reading up to it moves
   * copied_seq past it: that is no byte.  SOCK_DONE is set when the FIN
   * arrived (tcp_fin(); not by a reset or shutdown()), rcv_nxt is then one
   * past it, and copied_seq reaches rcv_nxt only by reading the FIN. */
  if ((NP_SK_READ (btf, sk, __sk_common.skc_flags) & (1UL << SOCK_DONE_BIT)) && seq == NP_SK_READ (btf, tp, rcv_nxt))
    seq--;
  __u32 before = (__u32) __atomic_exchange_n (&flow->rx_seq, (__u64) seq, __ATOMIC_RELAXED);
  __s32 delta = (__s32) (seq - before);

  return delta > 0 ? delta : 0;
}

/* The one place where bytes are counted, for every backend; @btf: @sk is
 * a BTF pointer (see NP_SK_READ()). */
static __always_inline void
account (struct sock *sk,
         __u64        cookie,
         long         bytes,
         bool         tx,
         __u64        flags,
         bool         btf)
{
  struct np_flow_key key = {};
  struct np_flow *flow;
  struct np_sock_class class;
  bool per_peer;

  if (!sk || !classify_sock (sk, &class, btf))
    return;

  key.cookie = cookie;
  /* One record per socket: a connected UDP socket's datagrams are the
   * socket's, also when the application names the peer anyway (sendto()
   * to it, recvfrom() asking for the address: glibc's resolver does), and
   * once an unconnected socket connect()s, its per-peer records stop. */
  per_peer = is_udp (&class)
          && take_pending_peer (&key, NP_SK_READ (btf, sk, __sk_common.skc_state) != TCP_ESTABLISHED);
  if (is_udp (&class) && !per_peer
      && NP_SK_READ (btf, sk, __sk_common.skc_dport) == 0 && bytes > 0)
    count_event (NP_COUNTER_UNKNOWN_PEER);

  /* A peek returns bytes that the next read returns again; an error-queue
   * read returns the socket's own sent datagrams quoted in ICMP errors, or
   * zero-copy completions: none of them is received payload. */
  if (bytes <= 0 || (!tx && (flags & (MSG_PEEK | MSG_ERRQUEUE))))
    return;
  if (!tx && is_tcp (&class))
    class.just_read = bytes;

  if (per_peer)
    flow = lookup_or_create_peer_flow (&key, sk, &class);
  else
    flow = lookup_or_create_flow (&key, sk, &class, false, false);
  if (!flow)
    return;

  if (tx)
    {
      __sync_fetch_and_add (&flow->tx_bytes, bytes);
      __sync_fetch_and_add (&flow->tx_calls, 1);
    }
  else
    {
      if (is_tcp (&class))
        bytes = tcp_consumed (flow, sk, btf);
      __sync_fetch_and_add (&flow->rx_bytes, bytes);
      __sync_fetch_and_add (&flow->rx_calls, 1);
    }

  flow->last_ns = bpf_ktime_get_ns ();
  set_process (flow);
  if (flow->lport == 0)
    read_endpoints (flow, sk, class.family);
  if (is_tcp (&class))
    read_tcp_info (flow, sk, btf);
  mark_changed (&key, flow);
}
