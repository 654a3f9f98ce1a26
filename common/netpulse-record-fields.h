/* netpulse-record-fields.h — the fields of a connection record, once.
 *
 * NETPULSE_RECORD_FIELDS (F) calls F (KIND, name, json_max) for each field,
 * in the order of the D-Bus struct.  From this one list come the C struct
 * (netpulse-record.h), the GVariant signature (netpulse-protocol.h), the
 * conversions to and from GVariant and JSON with the JSON range checks
 * (netpulse-record.c), and the order in which the introspection XML
 * documents the fields (tests/unit/test-record.c compares them).
 *
 * Adding a field: one line here, its documentation in
 * data/io.github.netpulse.Helper1.xml (with the RecordSignature annotation
 * and the frame type there), and the code that fills it (the collector).
 * A new field goes at the end: the JSON member order follows this list.
 *
 * A KIND says how a field is stored and written:
 *   U64 U32 U16 U8   unsigned integers: "t" "u" "q" "y", JSON numbers that
 *                    must lie in 0 … json_max (json-glib reads integers as
 *                    gint64, hence G_MAXINT64 for the 64-bit ones)
 *   DOUBLE           "d", a JSON number written with one decimal
 *   COMM             "s", char[NP_COMM_LEN], made valid UTF-8 for D-Bus
 *   TEXT             "s", char[json_max] (json_max is the array's size,
 *                    the terminating NUL included), made valid UTF-8
 *   ADDR             "s", char[NETPULSE_ADDRSTRLEN], an address in text form
 *   PROTO            "y", JSON the protocol's name (netpulse_record_proto_name():
 *                    "tcp", "udp", "icmp", "icmp6", "sctp", "mptcp", "raw/N",
 *                    "packet", "ip/N" for any other protocol number)
 *   APPKIND          "y", JSON the kind's name (NETPULSE_APP_KIND_LIST)
 *   STATE            "y", JSON the TCP state's name ("" for 0)
 *   FLAGS            "u", JSON one boolean per NETPULSE_RECORD_FLAG_LIST bit
 *
 * The TEXT and APPKIND fields are a process's identity: the helper's flow
 * table holds them once for all the flows that share them
 * (helper/netpulse-flow-record.h), the other fields per flow.
 *
 * Only preprocessor definitions, no includes: netpulse-protocol.h is
 * usable without GLib.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#define NETPULSE_RECORD_FIELDS(F) \
  F (U64,    id,            G_MAXINT64)   /* stable id for the connection's lifetime */ \
  F (U32,    pid,           G_MAXUINT32)  /* process (tgid) that last moved data; 0 if unknown */ \
  F (COMM,   comm,          0)            /* that process's command name */ \
  F (U32,    uid,           G_MAXUINT32) \
  F (PROTO,  proto,         0)            /* IP protocol number; RAW, PACKET, MPTCP flags say more */ \
  F (U8,     family,        6)            /* 4 or 6 */ \
  F (ADDR,   laddr,         0) \
  F (U16,    lport,         G_MAXUINT16) \
  F (ADDR,   raddr,         0)            /* "" if none */ \
  F (U16,    rport,         G_MAXUINT16) \
  F (STATE,  state,         0)            /* TCP state, 0 for UDP */ \
  F (U64,    tx_bytes,      G_MAXINT64) \
  F (U64,    rx_bytes,      G_MAXINT64) \
  F (U64,    tx_packets,    G_MAXINT64) \
  F (U64,    rx_packets,    G_MAXINT64) \
  F (DOUBLE, tx_rate,       0)            /* bytes/s over the last tick */ \
  F (DOUBLE, rx_rate,       0) \
  F (U32,    rtt_us,        G_MAXUINT32) \
  F (U32,    retrans,       G_MAXUINT32) \
  F (U64,    cgroup_id,     G_MAXINT64) \
  F (U32,    netns,         G_MAXUINT32) \
  F (U64,    first_seen_ns, G_MAXINT64)   /* ns since the Unix epoch */ \
  F (U64,    last_seen_ns,  G_MAXINT64) \
  F (FLAGS,  flags,         0)            /* NetpulseRecordFlags */ \
  F (U32,    peers,         G_MAXUINT32)  /* distinct peers of an "other peers" record */ \
  F (TEXT,   exe,           256)          /* /proc/PID/exe of that process, "" if unknown */ \
  F (TEXT,   cmdline,       257)          /* its arguments joined by spaces, ≤ 256 bytes */ \
  F (TEXT,   unit,          128)          /* systemd unit of its cgroup, "" if none */ \
  F (TEXT,   app_id,        128)          /* the application it belongs to */ \
  F (APPKIND, app_kind,     0)            /* how app_id was found: NetpulseAppKind */ \
  F (DOUBLE, tx_rate_avg,   0)            /* bytes/s over the subscription's window */ \
  F (DOUBLE, rx_rate_avg,   0)

/* The bits of the FLAGS field: G (NAME, json_name, bit). */
#define NETPULSE_RECORD_FLAG_LIST(G) \
  G (CLOSED,      closed,      0) \
  G (PARTIAL,     partial,     1) \
  G (PER_PEER,    per_peer,    2) \
  G (OTHER_PEERS, other_peers, 3) \
  G (RAW,         raw,         4) \
  G (PACKET,      packet,      5) \
  G (MPTCP,       mptcp,       6)

/* The kinds of application identity: G (NAME, json_name, value).
 * PROCESS: no better identity than the executable (app_id is its basename);
 * DESKTOP: an app-*.scope / app-*.service of a desktop session (app_id is
 * its application id); FLATPAK: a Flatpak sandbox (its Flatpak id); SNAP:
 * a snap (the snap's name); CONTAINER: a docker/podman/containerd scope
 * (the short container id); SERVICE: a system or user .service (the unit
 * name without ".service"); KERNEL: a kernel socket, no process. */
#define NETPULSE_APP_KIND_LIST(G) \
  G (PROCESS,   process,   0) \
  G (DESKTOP,   desktop,   1) \
  G (FLATPAK,   flatpak,   2) \
  G (SNAP,      snap,      3) \
  G (CONTAINER, container, 4) \
  G (SERVICE,   service,   5) \
  G (KERNEL,    kernel,    6)

#define NETPULSE_RECORD_SIG_U64     "t"
#define NETPULSE_RECORD_SIG_U32     "u"
#define NETPULSE_RECORD_SIG_U16     "q"
#define NETPULSE_RECORD_SIG_U8      "y"
#define NETPULSE_RECORD_SIG_DOUBLE  "d"
#define NETPULSE_RECORD_SIG_COMM    "s"
#define NETPULSE_RECORD_SIG_TEXT    "s"
#define NETPULSE_RECORD_SIG_APPKIND "y"
#define NETPULSE_RECORD_SIG_ADDR    "s"
#define NETPULSE_RECORD_SIG_PROTO   "y"
#define NETPULSE_RECORD_SIG_STATE   "y"
#define NETPULSE_RECORD_SIG_FLAGS   "u"

#define NETPULSE_RECORD_FIELD_SIGNATURE(kind, name, max) NETPULSE_RECORD_SIG_##kind
