/* netpulse.bpf.c — per-connection byte accounting in the kernel.
 *
 * The hot path (every send and receive) only updates counters in the
 * np_flows hash map; user space reads the map once per tick.  No event is
 * sent per send/receive, so nothing can be dropped at high rates.
 *
 * Three backends count payload bytes; user space loads exactly one, the
 * best the running kernel allows (see helper/netpulse-bpf-loader.c):
 *   fentry      fexit on inet_sendmsg/inet6_sendmsg/inet_recvmsg/inet6_recvmsg
 *   kprobe      kprobe + kretprobe on the same functions
 *   tracepoint  tp_btf sock/sock_send_length and sock/sock_recv_length (6.3+)
 * All of them see the return value: what the kernel accepted or returned to
 * the application, never the requested size.
 *
 * Every IPv4/IPv6 socket (TCP, UDP, ICMP ping, SCTP, raw, MPTCP) and, with
 * the tracepoint backend, every AF_PACKET socket is counted (classify_sock()).
 *
 * Shared by every backend:
 *   tp_btf sock/inet_sock_set_state      TCP state, close, connect() owner
 *   tp_btf tcp/tcp_rcv_space_adjust      TCP reads without recvmsg (splice())
 *   cgroup/sendmsg4|6, cgroup/recvmsg4|6 peer of unconnected UDP datagrams
 *   cgroup/sock_release                  UDP close
 *   iter/tcp, iter/udp                   connections that existed before start
 *   iter/task_file                       owners of sockets no process used yet
 *
 * The maps and the helpers the programs share: netpulse-flows.bpf.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "netpulse-vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "netpulse.h"

char LICENSE[] SEC("license") = "GPL";

#include "netpulse-flows.bpf.h"

/* ---- backend "tracepoint": tp_btf sock_send_length / sock_recv_length ---- */

SEC ("tp_btf/sock_send_length")
int BPF_PROG (np_tp_send, struct sock *sk, int ret, int flags)
{
  account (sk, bpf_get_socket_cookie (sk), ret, true, flags, true);
  return 0;
}

SEC ("tp_btf/sock_recv_length")
int BPF_PROG (np_tp_recv, struct sock *sk, int ret, int flags)
{
  account (sk, bpf_get_socket_cookie (sk), ret, false, flags, true);
  return 0;
}

/* ---- backend "fentry": fexit on the inet send/receive functions ---- */

/* @sock is a BTF pointer, and so is the socket it leads to (a walked
 * pointer, as in the kernel's selftest test_skc_to_unix). */
static __always_inline void
account_socket (struct socket *sock,
                long           ret,
                bool           tx,
                __u64          flags)
{
  struct sock *sk = sock->sk;

  if (sk)
    account (sk, bpf_get_socket_cookie (sk), ret, tx, flags, true);
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
  account (sk, read_cookie (sk), ret, tx, flags, false);
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

/* Whether the application still holds the socket: after CLOSE it can read
 * what arrived before the peer's FIN (the peer closed first, then we shut
 * down our side; an RST after data) until it closes the socket.  Such a
 * flow stays in np_flows in state CLOSE and ends at its release (see
 * np_sock_release), so that those bytes land in the socket's one record.
 * An orphaned socket (closed by the application, or never accepted) has
 * no sk_socket. */
static __always_inline bool
still_readable (struct sock *sk)
{
  return BPF_CORE_READ (sk, sk_socket) != NULL;
}

SEC ("tp_btf/inet_sock_set_state")
int BPF_PROG (np_tcp_state, struct sock *sk, int oldstate, int newstate)
{
  struct np_flow_key key = {};
  struct np_sock_class class = {};
  struct np_flow *flow;

  if (newstate == TCP_LISTEN || oldstate == TCP_LISTEN || newstate == TCP_NEW_SYN_RECV)
    return 0;

  key.cookie = bpf_get_socket_cookie (sk);
  if (newstate == TCP_SYN_SENT || newstate == TCP_ESTABLISHED)
    {
      if (!classify_sock (sk, &class, true) || !is_tcp (&class) || is_mptcp_subflow (sk))
        return 0;
      flow = lookup_or_create_flow (&key, sk, &class, false, false);
    }
  else
    {
      /* Every other transition only updates a flow that exists: such a
       * flow is one of a TCP socket of its own (an MPTCP subflow or a
       * socket of another kind never gets one here), so the socket need
       * not be classified again on the way to CLOSE. */
      flow = bpf_map_lookup_elem (&np_flows, &key);
      if (!flow || flow->proto != IPPROTO_TCP || flow->sock_kind != NP_SOCK_INET)
        return 0;
    }
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
    {
      read_endpoints (flow, sk, class.family);
      /* The receive sequence starts now (at SYN_SENT it was not known yet);
       * nothing can have been read before. */
      flow->rx_seq = BPF_CORE_READ ((struct tcp_sock *) sk, copied_seq);
    }
  read_tcp_info (flow, sk, true);
  flow->state = newstate;
  flow->last_ns = bpf_ktime_get_ns ();
  if (newstate == TCP_CLOSE && !still_readable (sk))
    {
      if (hand_over_closed_flow (&key, flow))
        return 0;     /* out of np_flows: the ring tells its end */
      flow->closed = 1;
    }
  mark_changed (&key, flow);
  return 0;
}

/* ---- shared: TCP reads that bypass recvmsg ---- */

/* tcp_read_sock() — splice() out of a TCP socket, and kernel readers —
 * hands the data over without recvmsg(), so sock_recv_length never sees
 * it.  It ends with tcp_rcv_space_adjust(), after copied_seq moved:
 * count that progress here (recvmsg() calls it too; tcp_consumed() counts
 * each byte once, whichever comes first).  Once per read call, never per
 * packet.  The process is named by its other calls, or by iter/task_file. */
SEC ("tp_btf/tcp_rcv_space_adjust")
int BPF_PROG (np_tcp_read, struct sock *sk)
{
  struct np_flow_key key = { .cookie = bpf_get_socket_cookie (sk) };
  struct np_flow *flow = bpf_map_lookup_elem (&np_flows, &key);
  __u32 bytes;

  if (!flow || flow->proto != IPPROTO_TCP || flow->sock_kind != NP_SOCK_INET)
    return 0;
  bytes = tcp_consumed (flow, sk, true);
  if (bytes == 0)
    return 0;
  __sync_fetch_and_add (&flow->rx_bytes, bytes);
  flow->last_ns = bpf_ktime_get_ns ();
  mark_changed (&key, flow);
  return 0;
}

/* ---- shared: peers of unconnected UDP ---- */

static __always_inline int
stash_peer (struct bpf_sock_addr *ctx,
            bool                  ipv6)
{
  __u64 pid_tgid = bpf_get_current_pid_tgid ();
  struct np_pending_peer peer = {};
  struct np_pending_peer *slot;

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

  /* Only this thread uses its slot: overwrite it where it is. */
  slot = claim_pending_slot (pid_tgid);
  if (!slot)
    slot = bpf_map_lookup_elem (&np_pending_peers, &pid_tgid);
  if (slot)
    __builtin_memcpy (slot, &peer, sizeof peer);
  else if (bpf_map_update_elem (&np_pending_peers, &pid_tgid, &peer, BPF_ANY) != 0)
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

/* UDP (and every other IP socket but TCP: ICMP, raw, SCTP, MPTCP) has
 * no close: the release of the socket is its end.  TCP sockets are
 * recorded too: a socket that reached CLOSE while the application still
 * held it ends here (see still_readable()), and for the others it is a
 * safety net: their state change to CLOSE can be missed (a tracing program
 * does not run nested on a CPU, under heavy churn).  After close() the
 * application's byte counts cannot change any more. */
SEC ("cgroup/sock_release")
int np_sock_release (struct bpf_sock *ctx)
{
  __u64 cookie, now;

  if (ctx->family != AF_INET && ctx->family != AF_INET6)
    return 1;

  cookie = bpf_get_socket_cookie (ctx);
  if (ctx->protocol == IPPROTO_TCP && ctx->type == SOCK_STREAM)
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
  struct np_sock_class class;
  struct np_flow *flow;

  if (!classify_sock (sk, &class, false) || (is_tcp (&class) && is_mptcp_subflow (sk)))
    return;

  flow = lookup_or_create_flow (&key, sk, &class, true, false);
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

/* ---- shared: owners of sockets that no process has used yet ---- */

/* Run by user space while flows without a process exist (see
 * netpulse_bpf_loader_scan_owners()): walks every open file of every
 * process and gives such a flow the process that holds its socket.  An
 * accepted connection reaches ESTABLISHED in softirq, before accept(), and
 * a connection from before start-up was found by iter/tcp: until they
 * move data, this is the only way to learn their owners. */
SEC ("iter/task_file")
int np_iter_task_file (struct bpf_iter__task_file *ctx)
{
  struct file *file = ctx->file;
  struct task_struct *task = ctx->task;
  struct np_flow_key key = {};
  struct np_flow *flow;
  struct socket *sock;
  struct sock *sk;

  if (!file || !task)
    return 0;
  sock = bpf_sock_from_file (file);
  if (!sock)
    return 0;
  sk = BPF_CORE_READ (sock, sk);
  if (!sk)
    return 0;
  /* Read, not generated: a socket without a cookie has no flow of ours
   * (every hook that creates one generates it). */
  key.cookie = BPF_CORE_READ (sk, __sk_common.skc_cookie.counter);
  if (key.cookie == 0)
    return 0;
  flow = bpf_map_lookup_elem (&np_flows, &key);
  if (!flow || flow->has_process)
    return 0;

  flow->pid = BPF_CORE_READ (task, tgid);
  flow->cgroup_id = BPF_CORE_READ (task, cgroups, dfl_cgrp, kn, id);
  BPF_CORE_READ_INTO (&flow->comm, task, comm);
  read_exe_name (flow->exe_name, task);
  if (!flow->ino)
    flow->ino = BPF_CORE_READ (file, f_inode, i_ino);
  flow->has_process = NP_OWNER_SCAN;
  mark_changed (&key, flow);
  return 0;
}
