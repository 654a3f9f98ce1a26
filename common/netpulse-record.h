/* netpulse-record.h — one connection as user space sees it.
 *
 * The same record travels from the collector (helper/) over D-Bus (see
 * data/io.github.netpulse.Helper1.xml) to netpulsectl and the app, and is
 * written and read as one JSON object per line (standalone mode, recorded
 * streams for tests).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The D-Bus struct signature of one record, see the introspection XML. */
#define NETPULSE_RECORD_SIGNATURE "(tusuyysqsqyttttdduututtu)"
#define NETPULSE_RECORD_TYPE      ((const GVariantType *) NETPULSE_RECORD_SIGNATURE)
#define NETPULSE_RECORDS_TYPE     ((const GVariantType *) "a" NETPULSE_RECORD_SIGNATURE)

#define NETPULSE_ADDRSTRLEN 46 /* INET6_ADDRSTRLEN */

typedef enum {
  NETPULSE_RECORD_CLOSED   = 1 << 0,
  NETPULSE_RECORD_PARTIAL  = 1 << 1,
  NETPULSE_RECORD_PER_PEER = 1 << 2,
  /* The socket's peers beyond its cap, counted together: no remote
   * address; retrans holds the number of peers (see the XML). */
  NETPULSE_RECORD_OTHER_PEERS = 1 << 3,
} NetpulseRecordFlags;

typedef struct {
  guint64 id;
  guint32 pid;
  char    comm[16];
  guint32 uid;
  guint8  proto;                       /* 6 = TCP, 17 = UDP */
  guint8  family;                      /* 4 or 6 */
  char    laddr[NETPULSE_ADDRSTRLEN];
  guint16 lport;
  char    raddr[NETPULSE_ADDRSTRLEN];
  guint16 rport;
  guint8  state;                       /* TCP state, 0 for UDP */
  guint64 tx_bytes;
  guint64 rx_bytes;
  guint64 tx_packets;
  guint64 rx_packets;
  double  tx_rate;                     /* bytes/s over the last tick */
  double  rx_rate;
  guint32 rtt_us;
  guint32 retrans;
  guint64 cgroup_id;
  guint32 netns;
  guint64 first_seen_ns;               /* ns since the Unix epoch */
  guint64 last_seen_ns;
  guint32 flags;                       /* NetpulseRecordFlags */
} NetpulseRecord;

GVariant   *netpulse_record_to_variant      (const NetpulseRecord *record);
gboolean    netpulse_record_from_variant    (NetpulseRecord       *record,
                                             GVariant             *variant,
                                             GError              **error);

/* One JSON object, no trailing newline, appended to @out.  @ts_ns is the
 * sample time (ns since the epoch) written as "ts_ns".  Strings are written
 * by netpulse_text_append_json_string(): valid, exact and safe to print. */
void        netpulse_record_append_json     (const NetpulseRecord *record,
                                             guint64               ts_ns,
                                             GString              *out);
/* Parses one line written by netpulse_record_append_json(); @ts_ns may be NULL. */
gboolean    netpulse_record_parse_json      (NetpulseRecord       *record,
                                             const char           *line,
                                             guint64              *ts_ns,
                                             GError              **error);

const char *netpulse_proto_name             (guint8                proto);
/* "ESTABLISHED", "SYN_SENT", … ; "" for 0 (UDP). */
const char *netpulse_tcp_state_name         (guint8                state);
guint8      netpulse_tcp_state_from_name    (const char           *name);

/* Text form of an address as the kernel stores it: @family 4 uses the first
 * four bytes, 6 all sixteen.  Writes into @buf (NETPULSE_ADDRSTRLEN). */
const char *netpulse_format_address         (guint8                family,
                                             const guint8         *addr,
                                             char                 *buf);
/* "127.0.0.1:80", "[::1]:443", "*" when the address is empty. */
char       *netpulse_format_endpoint        (const char           *addr,
                                             guint16               port);

/* The remote end of @record: its endpoint, or "(N other peers)" for the
 * aggregate of a socket's peers beyond the cap (NETPULSE_RECORD_OTHER_PEERS). */
char       *netpulse_format_remote          (const NetpulseRecord *record);

/* Rate over an interval; 0 when the interval is empty or the counter went
 * backwards (a new connection reused the key). */
double      netpulse_compute_rate           (guint64               previous,
                                             guint64               current,
                                             guint64               interval_ns);

G_END_DECLS
