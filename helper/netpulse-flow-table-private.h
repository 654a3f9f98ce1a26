/* netpulse-flow-table-private.h — the flow table's entries, shared by
 * netpulse-flow-table.c (merging kernel flows into records) and its friend
 * netpulse-flow-table-owners.c (who owns a flow, and making room).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-flow-rates.h"
#include "netpulse-flow-record.h"
#include "netpulse-flow-table.h"
#include "netpulse-slab.h"

G_BEGIN_DECLS

/* When the flow table is fuller than 7/8, per-peer UDP entries idle for at
 * least EVICT_MIN_IDLE_NS are evicted, least recently used first, until it
 * is 3/4 full: room for new connections of everyone.  Busy entries are
 * never evicted (a send in flight could add to a deleted entry). */
#define EVICT_HIGH_NUM           7
#define EVICT_HIGH_DEN           8
#define EVICT_LOW_NUM            3
#define EVICT_LOW_DEN            4
#define EVICT_MIN_IDLE_NS        (G_GUINT64_CONSTANT (1000000000))

#define IPPROTO_TCP_NUMBER 6
#define IPPROTO_UDP_NUMBER 17
#define IPPROTO_SCTP_NUMBER 132
#define TCP_CLOSE_NUMBER   7

/* The raw endpoints of a flow: formatting addresses is most of a sample's
 * work, so it is only done when they change. */
typedef struct {
  guint8  laddr[NP_ADDR_LEN];
  guint8  raddr[NP_ADDR_LEN];
  guint16 lport;
  guint16 rport;
  guint8  family;
} Endpoints;

typedef struct {
  struct np_flow_key key;
  NetpulseFlowRecord record;             /* the record but its identity */
  NetpulseFlowIdentity *identity;         /* the rest: shared, NULL until learnt */
  NetpulseFlowRates  rates;              /* per-tick and smoothed (netpulse-flow-rates.c) */
  guint64            changed_generation;
  guint64            seen_generation;
  gint64             closed_at_us;       /* g_get_monotonic_time(), 0 while open */
  Endpoints          endpoints;          /* what record->laddr/raddr were formatted from */
  gboolean           endpoints_valid;
  guint64            ino;
  gboolean           has_process;
  GList              changed_link;       /* in changed_order while open */
  GSequenceIter     *idle_iter;          /* in idle_order: a datagram flow */
  gboolean           in_peer_index;      /* a per-peer flow, in peer_index */
  guint64            idle_last_ns;       /* the kernel's last_ns it is ordered by */
} FlowEntry;

typedef struct {
  struct np_flow_key key;
  guint64            last_ns;
} Evictable;

struct _NetpulseFlowTable
{
  NetpulseFlowRules    rules;
  guint64              real_offset_ns;

  NetpulseSlab        *entries;           /* where every FlowEntry lives */
  NetpulseFlowIdentities *identities;     /* those of the entries */
  GHashTable          *open_flows;        /* struct np_flow_key * → FlowEntry * */
  GQueue               closed_flows;      /* FlowEntry *, oldest first */
  GArray              *queued_closed;     /* struct np_closed_flow, from the ring */
  guint64              next_id;
  guint64              generation;
  guint64              idle_evicted;
  NetpulseRateClock    rate_clock;
  GHashTable          *settling;          /* FlowEntry *: rates not back to 0 yet */
  GHashTable          *unowned;           /* FlowEntry *: no process known */
  GQueue               changed_order;     /* FlowEntry * of open flows, least recently changed first */
  GHashTable          *peer_index;        /* cookie → GPtrArray of its per-peer FlowEntry * */
  GSequence           *idle_order;        /* FlowEntry * of open datagram flows, least recently used first */

  /* the sample in progress */
  guint64              now_mono_ns;
  GHashTable          *released;          /* borrowed: cookie → release time */
  GArray              *evictable;         /* Evictable */
  guint                table_entries;     /* rows taken from np_flows */
  gboolean             partial;           /* only changed rows are taken */
  NetpulseFlowActions  actions;
};

/* netpulse-flow-table-owners.c */
void netpulse_flow_table_update_owner     (NetpulseFlowTable         *self,
                                           FlowEntry                 *entry,
                                           const struct np_flow      *flow);
void netpulse_flow_table_resolve_owners   (NetpulseFlowTable         *self,
                                           const NetpulseOwnerLookup *owners);
void netpulse_flow_table_evict_idle_peers (NetpulseFlowTable         *self);

/* netpulse-flow-table-partial.c */
gboolean netpulse_flow_table_is_connection (const struct np_flow     *flow);
void netpulse_flow_table_track_entry      (NetpulseFlowTable         *self,
                                           FlowEntry                 *entry,
                                           const struct np_flow      *flow);
void netpulse_flow_table_untrack_entry    (NetpulseFlowTable         *self,
                                           FlowEntry                 *entry);
void netpulse_flow_table_touch_entry      (NetpulseFlowTable         *self,
                                           FlowEntry                 *entry);
GList *netpulse_flow_table_changed_since  (NetpulseFlowTable         *self,
                                           guint64                    since_generation);
void netpulse_flow_table_expire_idle      (NetpulseFlowTable         *self);

G_END_DECLS
