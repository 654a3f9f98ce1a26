/* netpulse-flow-table.h — the accounting rules: the kernel's flows (rows of
 * np_flows and closes from np_closed_flows) merged into NetpulseRecords,
 * generation by generation.  No libbpf here: whoever reads the kernel feeds
 * the rows in, and the table says which entries the kernel should drop.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

#include <linux/types.h>
#include "netpulse.h"

#include "netpulse-record.h"

G_BEGIN_DECLS

typedef struct _NetpulseFlowTable NetpulseFlowTable;

/* @record is put together for the call (the table keeps a flow's identity
 * apart, shared): valid only until the function returns. */
typedef void (*NetpulseRecordFunc) (const NetpulseRecord *record,
                                    gpointer              user_data);

/* How owners of pid-less sockets are found (see netpulse-proc-owners.h):
 * scan() is told every sample how many flows lack an owner (0 too) and
 * says whether lookups may run now and prepares them, lookup() gives the
 * pid and name (NP_COMM_LEN) of socket inode @ino, done() ends them. */
typedef struct {
  gboolean (*scan)   (gpointer  user_data,
                      guint     n_unowned);
  gboolean (*lookup) (gpointer  user_data,
                      guint64   ino,
                      guint32  *pid,
                      char     *comm);
  void     (*done)   (gpointer  user_data);
  gpointer   user_data;
} NetpulseOwnerLookup;

/* Fills the identity fields of @record (exe, cmdline, unit, app_id,
 * app_kind) for process @pid, named @comm, running the executable named
 * @exe_name (NULL: not known; see netpulse-app-identity.h). */
typedef void (*NetpulseIdentityFunc) (guint32         pid,
                                      const char     *comm,
                                      const char     *exe_name,
                                      NetpulseRecord *record,
                                      gpointer        user_data);

typedef struct {
  guint   max_flows;          /* size of the kernel flow table (eviction watermarks) */
  guint   udp_idle_ms;        /* UDP flow idle this long → finished */
  guint   closed_retain_ms;   /* closed records stay visible this long */
  /* Whenever a flow's process is (re)learnt, identity() names it; a flow
   * keeps that identity until another process moves its data (also after
   * its process exited).  NULL: the identity fields stay empty. */
  NetpulseIdentityFunc identity;
  gpointer             identity_data;
} NetpulseFlowRules;

/* What one sample asks of the kernel once the rows are in. */
typedef struct {
  GArray     *to_delete;      /* struct np_closed_flow: ended, delete from np_flows */
  GArray     *to_finish;      /* struct np_flow_key: idle or evicted, take final totals and delete */
  GHashTable *keep_released;  /* cookies whose release waits for their TCP close */
} NetpulseFlowActions;

/* For hash tables of struct np_flow_key. */
guint              netpulse_flow_key_hash               (gconstpointer              key);
gboolean           netpulse_flow_key_equal              (gconstpointer              a,
                                                         gconstpointer              b);

NetpulseFlowTable *netpulse_flow_table_new              (const NetpulseFlowRules   *rules);
void               netpulse_flow_table_free             (NetpulseFlowTable         *self);
/* CLOCK_REALTIME - CLOCK_MONOTONIC, for the records' times: taken once per
 * start, so that a connection's first-seen time stays the same. */
void               netpulse_flow_table_set_clock_offset (NetpulseFlowTable         *self,
                                                         guint64                    real_offset_ns);

/* Rates (netpulse-flow-rates.h): no rate is computed over less than
 * @min_interval_ns (the helper passes half its tick), and a flow is reported
 * while its average over @max_window_ns (the largest smoothing window
 * subscribed) is not 0.  Defaults: 50 ms, NETPULSE_WINDOW_DEFAULT_MS. */
void               netpulse_flow_table_set_rate_rules   (NetpulseFlowTable         *self,
                                                         guint64                    min_interval_ns,
                                                         guint64                    max_window_ns);

/* One sample: begin, take every row of np_flows, take the closes, plan,
 * finish what the plan named, end.  @released maps cookie → release time
 * (monotonic ns) of sockets released since (see np_sock_release); it is
 * borrowed until end. */
void               netpulse_flow_table_begin            (NetpulseFlowTable         *self,
                                                         guint64                    now_mono_ns,
                                                         guint64                    interval_ns,
                                                         GHashTable                *released);
/* Undoes begin when the kernel table could not be read at all. */
void               netpulse_flow_table_cancel           (NetpulseFlowTable         *self);
void               netpulse_flow_table_take             (NetpulseFlowTable         *self,
                                                         const struct np_flow_key  *key,
                                                         const struct np_flow      *flow);
/* After begin(): this sample takes only the flows that changed (the keys
 * the kernel marked, see mark_changed() in bpf/), those get_settling()
 * gives and those of released sockets.  A flow not taken is unchanged, so
 * end() closes none as vanished, and idle datagram flows are found by the
 * table's own order of their last use. */
void               netpulse_flow_table_set_partial      (NetpulseFlowTable         *self);
/* Appends the keys (struct np_flow_key) of the flows whose records change
 * without the kernel changing them: rates on their way back to 0. */
void               netpulse_flow_table_get_settling     (NetpulseFlowTable         *self,
                                                         GArray                    *keys);
/* Appends the keys of the per-peer flows of socket @cookie in the table:
 * with the keys the kernel marked since, all its rows (a released socket's
 * end, without reading the whole kernel table). */
void               netpulse_flow_table_get_peer_keys    (NetpulseFlowTable         *self,
                                                         guint64                    cookie,
                                                         GArray                    *keys);
/* Whether the table is full enough for evictions, which look at every flow:
 * such a sample must read the whole kernel table. */
gboolean           netpulse_flow_table_is_nearly_full   (NetpulseFlowTable         *self);
/* A TCP close handed over with its final totals.  Queued at any time (the
 * ring is read between samples too) and merged by take_closed(). */
void               netpulse_flow_table_queue_closed     (NetpulseFlowTable         *self,
                                                         const struct np_closed_flow *closed);
void               netpulse_flow_table_take_closed      (NetpulseFlowTable         *self);
/* The kernel entries to delete; evicts idle per-peer entries when the
 * table is nearly full.  Owned by the table until end. */
const NetpulseFlowActions *netpulse_flow_table_plan     (NetpulseFlowTable         *self);
/* The final totals of an entry of to_finish, read as it was deleted. */
void               netpulse_flow_table_finish           (NetpulseFlowTable         *self,
                                                         const struct np_flow_key  *key,
                                                         const struct np_flow      *flow);
/* Closes what vanished from the kernel, finds owners of pid-less sockets
 * through @owners (NULL: never), forgets old closed records. */
void               netpulse_flow_table_end              (NetpulseFlowTable         *self,
                                                         const NetpulseOwnerLookup *owners);

guint64            netpulse_flow_table_get_generation   (NetpulseFlowTable         *self);
guint              netpulse_flow_table_get_n_open       (NetpulseFlowTable         *self);
guint64            netpulse_flow_table_get_idle_evicted (NetpulseFlowTable         *self);

/* The records (changed after @since_generation, or open), their smoothed
 * rates over @window_ns (the caller's smoothing window). */
void               netpulse_flow_table_foreach_changed  (NetpulseFlowTable         *self,
                                                         guint64                    since_generation,
                                                         guint64                    window_ns,
                                                         NetpulseRecordFunc         func,
                                                         gpointer                   user_data);
void               netpulse_flow_table_foreach_open     (NetpulseFlowTable         *self,
                                                         guint64                    window_ns,
                                                         NetpulseRecordFunc         func,
                                                         gpointer                   user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetpulseFlowTable, netpulse_flow_table_free)

G_END_DECLS
