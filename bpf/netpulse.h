/* netpulse.h — the record layout shared by the kernel programs (bpf/) and
 * the collector (helper/).  Everything here must compile both with
 * clang -target bpf (where only the vmlinux types exist) and with the
 * host compiler (where <linux/types.h> provides the __uN types).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#define NP_COMM_LEN 16
#define NP_ADDR_LEN 16

/* Default size of the flow table; the collector may change it before load
 * (--max-flows).  Each entry costs sizeof(struct np_flow_key) +
 * sizeof(struct np_flow) + hash overhead (~240 bytes), all preallocated. */
#define NP_DEFAULT_MAX_FLOWS 65536

/* Pending peer addresses of unconnected UDP sends/receives, keyed by thread. */
#define NP_MAX_PENDING_PEERS 16384

/* UDP sockets released since the last harvest, waiting for user space. */
#define NP_MAX_RELEASED_SOCKS 16384

enum np_flow_flags {
  NP_FLOW_CLOSED      = 1 << 0, /* socket closed: final totals, harvest and delete */
  NP_FLOW_PARTIAL     = 1 << 1, /* existed before the collector started */
  NP_FLOW_PER_PEER    = 1 << 2, /* unconnected UDP: one entry per remote peer */
  NP_FLOW_HAS_PROCESS = 1 << 3, /* pid/comm/uid came from a process context */
};

/* Indices into the np_counters array map. */
enum np_counter {
  NP_COUNTER_FLOW_OVERFLOW = 0,   /* a new flow did not fit into np_flows */
  NP_COUNTER_PEER_OVERFLOW,       /* np_pending_peers was full */
  NP_COUNTER_RELEASE_OVERFLOW,    /* np_released_socks was full */
  NP_COUNTER_UNKNOWN_PEER,        /* unconnected UDP traffic whose peer was not seen */
  NP_N_COUNTERS,
};

/* Key of np_flows.  For connected sockets (all TCP, connected UDP) the peer
 * fields are zero: one entry per socket.  For unconnected UDP the peer is
 * part of the key, so every remote peer gets its own entry. */
struct np_flow_key {
  __u64 cookie;             /* bpf_get_socket_cookie() of the socket */
  __u8  peer_addr[NP_ADDR_LEN];
  __u16 peer_port;          /* host byte order */
  __u16 pad[3];
};

struct np_flow {
  /* counters, updated atomically on the hot path */
  __u64 tx_bytes;           /* payload bytes the application handed to send*() and the kernel accepted */
  __u64 rx_bytes;           /* payload bytes returned by recv*() (MSG_PEEK excluded) */
  __u64 tx_calls;
  __u64 rx_calls;

  __u64 first_ns;           /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
  __u64 last_ns;
  __u64 cgroup_id;
  __u64 ino;                /* socket inode, lets user space find the owner of pid-less flows */

  __u32 pid;                /* tgid of the last process that sent or received */
  __u32 uid;
  __u32 netns;              /* network namespace inode number */
  __u32 srtt_us;            /* TCP smoothed RTT in microseconds */
  __u32 retrans;            /* TCP total retransmitted segments */
  __u32 flags;              /* enum np_flow_flags */

  __u8  laddr[NP_ADDR_LEN]; /* IPv4 in the first 4 bytes, IPv6 as 16 bytes */
  __u8  raddr[NP_ADDR_LEN];
  __u16 lport;              /* host byte order */
  __u16 rport;              /* host byte order */
  __u8  family;             /* 4 or 6 (the socket's family: v4-mapped peers stay 6) */
  __u8  proto;              /* IPPROTO_TCP or IPPROTO_UDP */
  __u8  state;              /* TCP state as in include/net/tcp_states.h, 0 for UDP */
  __u8  pad;

  char  comm[NP_COMM_LEN];
};

/* Record written by the iter/tcp and iter/udp programs for sockets that
 * existed before start-up (bpf_seq_write()). */
struct np_iter_record {
  struct np_flow_key key;
  struct np_flow     flow;
};
