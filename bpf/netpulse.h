/* netpulse.h — the record layout shared by the kernel programs (bpf/) and
 * the collector (helper/).  Everything here must compile both with
 * clang -target bpf (where only the vmlinux types exist) and with the
 * host compiler (where <linux/types.h> provides the __uN types).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#define NP_COMM_LEN 16
/* The basename of the executable, as the kernel's dentry names it: what a
 * plain process is named by (app_id) once it has exited and /proc no longer
 * tells.  Longer names are cut; the live path from /proc is not. */
#define NP_EXE_NAME_LEN 32
#define NP_ADDR_LEN 16

/* Default size of the flow table; the collector may change it before load
 * (--max-flows).  Each entry costs sizeof(struct np_flow_key) +
 * sizeof(struct np_flow) + hash overhead (~240 bytes), all preallocated. */
#define NP_DEFAULT_MAX_FLOWS 65536

/* Fairness of the flow table (see account() in netpulse.bpf.c): how many
 * per-peer entries (unconnected UDP, keyed by cookie + peer) one socket and
 * one user may hold.  Peers beyond a socket's cap are counted in one
 * aggregate entry of that socket (key kind NP_KEY_OTHER_PEERS).  The
 * collector may change both before load (--max-peers-per-socket,
 * --max-peers-per-uid); the per-uid default is max_flows / 8. */
#define NP_DEFAULT_MAX_PEERS_PER_SOCKET 1024
#define NP_DEFAULT_UID_PEERS_DIVISOR    8

/* Sockets and users with per-peer entries whose charges are tracked. */
#define NP_MAX_PEER_SOCKETS 65536
#define NP_MAX_PEER_UIDS    4096

/* Recently seen peers of aggregate entries, to count them (LRU, so a peer
 * not seen for long may count twice). */
#define NP_MAX_OTHER_PEERS 16384

/* Pending peer addresses of unconnected UDP sends/receives, keyed by thread. */
#define NP_MAX_PENDING_PEERS 16384
/* Their array slots, one per thread id modulo this (a power of two); a
 * thread whose slot another holds uses np_pending_peers. */
#define NP_PENDING_SLOTS 4096

/* Final records of closed TCP connections (struct np_closed_flow), so that
 * np_flows only holds open ones even under heavy connection churn. */
#define NP_CLOSED_RING_BYTES (8 * 1024 * 1024)

/* TCP and UDP sockets released since the last harvest, waiting for user
 * space (~80 bytes each, preallocated). */
#define NP_MAX_RELEASED_SOCKS 65536

/* Which flows changed since user space last harvested them: a flow's key
 * goes into the ring np_changed when it first changes after a harvest
 * began.  User space counts harvests in np_harvest[0]; a flow
 * remembers in which one it was marked, so a busy flow costs one
 * comparison per call and an idle one nothing at all. */
#define NP_HARVEST_KEY 0
/* Room for NP_DEFAULT_MAX_FLOWS / 4 keys (8 bytes of header each), a power
 * of 2; user space sizes it for its table (netpulse-bpf-maps.c). */
#define NP_CHANGED_RING_BYTES (1024 * 1024)

/* Indices into the np_counters array map. */
enum np_counter {
  NP_COUNTER_FLOW_OVERFLOW = 0,   /* a new flow did not fit into np_flows */
  NP_COUNTER_PEER_OVERFLOW,       /* np_pending_peers was full */
  NP_COUNTER_RELEASE_OVERFLOW,    /* np_released_socks was full */
  NP_COUNTER_UNKNOWN_PEER,        /* unconnected UDP traffic whose peer was not seen */
  NP_COUNTER_CLOSED_RING_FULL,    /* a TCP close did not fit np_closed_flows: harvested from np_flows instead */
  NP_COUNTER_PEERS_AGGREGATED,    /* a datagram counted in its socket's "other peers" entry */
  NP_COUNTER_SOCKET_PEER_CAP,     /* of those: the socket held its cap of per-peer entries */
  NP_COUNTER_UID_PEER_CAP,        /* of those: the user held its cap of per-peer entries */
  NP_COUNTER_PEER_TABLE_FULL,     /* of those: np_flows (or a charge map) had no room for the peer */
  NP_COUNTER_CHANGED_OVERFLOW,    /* np_changed was full: the next sample reads the whole table */
  NP_N_COUNTERS,
};

/* What kind of socket a flow is, beside its protocol number: an
 * ordinary socket of its protocol (TCP, UDP, ICMP ping sockets, SCTP),
 * a raw IP socket (SOCK_RAW, any protocol number), an AF_PACKET socket,
 * or an MPTCP socket (its subflows are TCP; the socket is counted once).
 * The same values as NETPULSE_SOCK_KIND_LIST (common/netpulse-record-fields.h). */
enum np_sock_kind {
  NP_SOCK_INET = 0,
  NP_SOCK_RAW = 1,
  NP_SOCK_PACKET = 2,
  NP_SOCK_MPTCP = 3,
};

/* Key of np_flows.  For connected sockets (all TCP, connected UDP) the peer
 * fields are zero: one entry per socket.  For unconnected UDP the peer is
 * part of the key, so every remote peer gets its own entry. */
struct np_flow_key {
  __u64 cookie;             /* bpf_get_socket_cookie() of the socket */
  __u8  peer_addr[NP_ADDR_LEN];
  __u16 peer_port;          /* host byte order */
  __u16 kind;               /* NP_KEY_FLOW, or NP_KEY_OTHER_PEERS (peer fields zero) */
  __u16 pad[2];
};

enum np_key_kind {
  NP_KEY_FLOW = 0,
  NP_KEY_OTHER_PEERS = 1,   /* the socket's peers beyond its cap, together */
};

/* What one socket or one user holds of per-peer entries: the kernel adds
 * to "charged" (atomically), user space writes "freed" in a map of its own
 * (np_*_peers_freed) when it deletes entries; the difference is held. */
struct np_peer_charge {
  __u64 charged;
};

/* np_flow.has_process: the owner came from the process's own call (send,
 * receive, connect), or from an owner scan (iter/task_file) of a socket no
 * process had used yet.  A scan sees a process as it is at that moment: a
 * child forked a moment before still has its parent's name, so the
 * process's first call takes its name, cgroup and executable again. */
#define NP_OWNER_CALL 1
#define NP_OWNER_SCAN 2

struct np_flow {
  /* counters, updated atomically on the hot path */
  __u64 tx_bytes;           /* payload bytes the application handed to send*() and the kernel accepted */
  __u64 rx_bytes;           /* payload bytes returned by recv*() (MSG_PEEK, MSG_ERRQUEUE excluded) */
  __u64 tx_calls;
  __u64 rx_calls;

  __u64 first_ns;           /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
  __u64 last_ns;
  __u64 cgroup_id;
  __u64 ino;                /* socket inode, lets user space find the owner of pid-less flows */
  __u64 rx_seq;             /* TCP: copied_seq up to which rx_bytes counts (see tcp_consumed());
                             * 64 bits for the atomic exchange of BPF's base instruction set */

  __u32 pid;                /* tgid of the last process that sent or received */
  __u32 uid;
  __u32 netns;              /* network namespace inode number */
  __u32 srtt_us;            /* TCP smoothed RTT in microseconds */
  __u32 retrans;            /* TCP total retransmitted segments */

  __u8  laddr[NP_ADDR_LEN]; /* IPv4 in the first 4 bytes, IPv6 as 16 bytes */
  __u8  raddr[NP_ADDR_LEN];
  __u16 lport;              /* host byte order */
  __u16 rport;              /* host byte order */
  __u8  family;             /* 4 or 6 (the socket's family: v4-mapped peers stay 6), 0 for AF_PACKET */
  __u8  proto;              /* IP protocol number (IPPROTO_TCP for MPTCP, 0 for AF_PACKET) */
  __u8  state;              /* TCP state as in include/net/tcp_states.h, 0 for UDP */
  /* One byte per flag rather than a bit field: different CPUs set them
   * (close in softirq, process info in syscall context) and plain stores
   * of separate bytes cannot lose each other's update. */
  __u8  closed;             /* socket closed: final totals, harvest and delete */
  __u8  partial;            /* existed before the collector started */
  __u8  per_peer;           /* unconnected UDP: one entry per remote peer */
  __u8  has_process;        /* 0, NP_OWNER_CALL or NP_OWNER_SCAN: where pid/comm/uid came from */
  __u8  other_peers;        /* aggregate of a socket's peers beyond its cap (NP_KEY_OTHER_PEERS) */
  __u8  sock_kind;          /* enum np_sock_kind: how to read proto */
  __u8  kernel_sock;        /* a kernel socket (NFS, SMB, …): no process owns it; comm names the thread */
  __u32 charged_uid;        /* per-peer entry: the user it is charged to (sk_uid at creation) */
  __u32 peers;              /* aggregate: distinct peers counted in it (see NP_MAX_OTHER_PEERS) */
  __u32 marked_harvest;     /* the harvest (np_harvest) in which the flow's key went into np_changed */

  char  comm[NP_COMM_LEN];
  char  exe_name[NP_EXE_NAME_LEN]; /* basename of the executable of pid, "" for kernel threads */
};

/* One record of np_closed_flows: the flow's key and its final state. */
struct np_closed_flow {
  struct np_flow_key key;
  struct np_flow     flow;
};

/* Peer address of an unconnected UDP send or receive, stashed by the
 * cgroup sendmsg/recvmsg hooks for the send/receive hook that follows in
 * the same thread. */
struct np_pending_peer {
  __u64 cookie;
  __u8  addr[NP_ADDR_LEN];
  __u16 port;
  __u16 pad[3];
};
