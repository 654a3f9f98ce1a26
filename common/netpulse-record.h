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
#include <linux/types.h>

#include "netpulse.h"           /* NP_COMM_LEN, the kernel's */
#include "netpulse-protocol.h"

G_BEGIN_DECLS

#define NETPULSE_RECORD_TYPE      ((const GVariantType *) NETPULSE_RECORD_SIGNATURE)
#define NETPULSE_RECORDS_TYPE     ((const GVariantType *) "a" NETPULSE_RECORD_SIGNATURE)

#define NETPULSE_ADDRSTRLEN 46 /* INET6_ADDRSTRLEN */

/* The bits of the flags field (see NETPULSE_RECORD_FLAG_LIST and the XML).
 * OTHER_PEERS: the socket's peers beyond its cap, counted together: no
 * remote address; the peers field holds how many. */
typedef enum {
#define NETPULSE_RECORD_FLAG_ENUM(NAME, json, bit) NETPULSE_RECORD_##NAME = 1 << bit,
  NETPULSE_RECORD_FLAG_LIST (NETPULSE_RECORD_FLAG_ENUM)
#undef NETPULSE_RECORD_FLAG_ENUM
} NetpulseRecordFlags;

typedef enum {
#define NETPULSE_APP_KIND_ENUM(NAME, json, value) NETPULSE_APP_KIND_##NAME = value,
  NETPULSE_APP_KIND_LIST (NETPULSE_APP_KIND_ENUM)
#undef NETPULSE_APP_KIND_ENUM
} NetpulseAppKind;

/* How each KIND of netpulse-record-fields.h is stored. */
#define NETPULSE_RECORD_DECLARE_U64(name, size)    guint64 name
#define NETPULSE_RECORD_DECLARE_U32(name, size)    guint32 name
#define NETPULSE_RECORD_DECLARE_U16(name, size)    guint16 name
#define NETPULSE_RECORD_DECLARE_U8(name, size)     guint8  name
#define NETPULSE_RECORD_DECLARE_DOUBLE(name, size) double  name
#define NETPULSE_RECORD_DECLARE_COMM(name, size)   char    name[NP_COMM_LEN]
#define NETPULSE_RECORD_DECLARE_ADDR(name, size)   char    name[NETPULSE_ADDRSTRLEN]
#define NETPULSE_RECORD_DECLARE_PROTO(name, size)  guint8  name
#define NETPULSE_RECORD_DECLARE_STATE(name, size)  guint8  name
#define NETPULSE_RECORD_DECLARE_FLAGS(name, size)  guint32 name
#define NETPULSE_RECORD_DECLARE_TEXT(name, size)   char    name[size]
#define NETPULSE_RECORD_DECLARE_APPKIND(name, size) guint8 name
#define NETPULSE_RECORD_DECLARE(kind, name, max) NETPULSE_RECORD_DECLARE_##kind (name, max);

/* One connection, its fields as listed in netpulse-record-fields.h. */
typedef struct {
  NETPULSE_RECORD_FIELDS (NETPULSE_RECORD_DECLARE)
} NetpulseRecord;

/* A field's name and D-Bus type, in the record's order: what the XML must
 * document (tests/unit/test-record.c). */
typedef struct {
  const char *name;
  const char *signature;
} NetpulseRecordField;

const NetpulseRecordField *netpulse_record_get_fields (guint *n_fields);

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

/* The IP protocol number's name: "tcp", "udp", "icmp" (1), "icmp6" (58),
 * "sctp" (132), "ip/N" for any other.  The record's protocol as shown:
 * that name, or "mptcp", "raw/N", "packet" as its flags say. */
const char *netpulse_proto_name             (guint8                proto);
const char *netpulse_record_proto_name      (const NetpulseRecord *record);
/* The protocol number (and the flags RAW, PACKET, MPTCP) of a name
 * netpulse_record_proto_name() gives; FALSE for a name it cannot give. */
gboolean    netpulse_proto_from_name        (const char           *name,
                                             guint8               *proto,
                                             guint32              *flags);
/* "process", "desktop", … (NETPULSE_APP_KIND_LIST); "process" for an
 * unknown value.  netpulse_app_kind_from_name() gives PROCESS for a name
 * it does not know. */
const char *netpulse_app_kind_name          (guint8                kind);
guint8      netpulse_app_kind_from_name     (const char           *name);
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
