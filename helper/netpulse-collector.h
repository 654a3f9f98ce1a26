/* netpulse-collector.h — loads the kernel programs and turns their maps into
 * per-connection records, once per tick.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "netpulse-flow-table.h"   /* NetpulseRecordFunc */
#include "netpulse-record.h"

G_BEGIN_DECLS

#define NETPULSE_COLLECTOR_ERROR (netpulse_collector_error_quark ())

typedef enum {
  NETPULSE_COLLECTOR_ERROR_NOT_PERMITTED,   /* not root / no CAP_BPF + CAP_PERFMON */
  NETPULSE_COLLECTOR_ERROR_NO_BTF,          /* the kernel has no BTF */
  NETPULSE_COLLECTOR_ERROR_NO_BACKEND,      /* no set of hooks could be loaded and attached */
  NETPULSE_COLLECTOR_ERROR_FAILED,
} NetpulseCollectorError;

typedef struct {
  guint        max_flows;        /* size of the kernel flow table; 0 = default */
  guint        max_peers_per_socket; /* per-peer UDP entries one socket may hold; 0 = default 1024 */
  guint        max_peers_per_uid;    /* per-peer UDP entries one user may hold; 0 = default max_flows / 8 */
  guint        closed_ring_bytes;/* ring of closed TCP flows: power of two ≥ page size; 0 = default */
  guint        udp_idle_ms;      /* UDP flow idle this long → reported closed; 0 = default 5000 */
  guint        closed_retain_ms; /* closed records stay visible this long; 0 = default 11000 */
  const char  *backend;          /* force "fentry", "kprobe" or "tracepoint"; NULL = best available */
  const char  *verifier_log;     /* where a rejected program's verifier log goes (a new file, 0600);
                                  * NULL = verifier.log in $RUNTIME_DIRECTORY or /run/netpulse (0700) */
} NetpulseCollectorConfig;

#define NETPULSE_TYPE_COLLECTOR (netpulse_collector_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseCollector, netpulse_collector, NETPULSE, COLLECTOR, GObject)

GQuark             netpulse_collector_error_quark        (void);

NetpulseCollector *netpulse_collector_new                (const NetpulseCollectorConfig *config);

/* Probes the kernel, loads and attaches the best backend, and takes in the
 * connections that already exist.  Logs the backend chosen. */
gboolean           netpulse_collector_start              (NetpulseCollector  *self,
                                                          GError            **error);
/* Detaches and unloads everything; records are kept. */
void               netpulse_collector_stop               (NetpulseCollector  *self);
gboolean           netpulse_collector_is_running         (NetpulseCollector  *self);

/* Reads the kernel maps once (batched), updates the records, computes rates
 * over the time since the previous sample, harvests closed flows.  Each call
 * is one generation. */
gboolean           netpulse_collector_sample             (NetpulseCollector  *self,
                                                          GError            **error);

/* The generation of the last sample, starting at 1. */
guint64            netpulse_collector_get_generation     (NetpulseCollector  *self);
/* Wall-clock time of the last sample, ns since the epoch. */
guint64            netpulse_collector_get_timestamp      (NetpulseCollector  *self);

/* Rates: the helper samples every @tick_ms (no rate is computed over less
 * than half of it), and the largest smoothing window subscribed is
 * @max_window_ms (flows are reported while their average over it decays). */
void               netpulse_collector_set_rate_rules     (NetpulseCollector  *self,
                                                          guint               tick_ms,
                                                          guint               max_window_ms);

/* Calls @func for each record that changed in a generation after
 * @since_generation — closed records included (flag CLOSED) for as long as
 * they are retained.  @since_generation 0 gives every record.  The
 * smoothed rates are averages over @window_ms. */
void               netpulse_collector_foreach_changed    (NetpulseCollector  *self,
                                                          guint64             since_generation,
                                                          guint               window_ms,
                                                          NetpulseRecordFunc  func,
                                                          gpointer            user_data);
/* Calls @func for every open connection (the snapshot). */
void               netpulse_collector_foreach_open       (NetpulseCollector  *self,
                                                          guint               window_ms,
                                                          NetpulseRecordFunc  func,
                                                          gpointer            user_data);

/* "tracepoint", "fentry", "kprobe", or "none" before start. */
const char        *netpulse_collector_get_backend        (NetpulseCollector  *self);
/* NULL-terminated list of what the load found working: "btf", the
 * backend, the cgroup and iterator programs that attached (see the XML). */
const char * const *netpulse_collector_get_features      (NetpulseCollector  *self);
/* a{st}: "flow-overflow", "peer-overflow", "release-overflow",
 * "unknown-peer", "closed-ring-full", "peers-aggregated", "socket-peer-cap",
 * "uid-peer-cap", "peer-table-full", "idle-evicted", "ticks", "flows",
 * "max-flows", "closed-ring-bytes", "max-peers-per-socket", "max-peers-per-uid"
 * (documented in data/io.github.netpulse.Helper1.xml). */
GVariant          *netpulse_collector_get_counters       (NetpulseCollector  *self);

G_END_DECLS
