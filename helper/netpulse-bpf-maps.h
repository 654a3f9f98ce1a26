/* netpulse-bpf-maps.h — what a sample reads from and deletes in the
 * kernel's maps, by descriptor (no skeleton here: see
 * netpulse-bpf-loader.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

#include <linux/types.h>
#include "netpulse.h"

G_BEGIN_DECLS

typedef struct {
  int flows;               /* np_flows */
  int counters;            /* np_counters */
  int released_socks;      /* np_released_socks */
  int socket_peers;        /* np_socket_peers */
  int socket_peers_freed;  /* np_socket_peers_freed */
  int uid_peers_freed;     /* np_uid_peers_freed */
  int changed;             /* np_changed */
  int harvest;             /* np_harvest */
} NetpulseMapFds;

typedef struct _NetpulseBpfMaps NetpulseBpfMaps;

/* One row of np_flows. */
typedef void (*NetpulseFlowFunc) (const struct np_flow_key *key,
                                  const struct np_flow     *flow,
                                  gpointer                  user_data);

/* The size of np_changed for a flow table of @max_flows entries. */
guint32             netpulse_bpf_maps_changed_ring_bytes (guint32           max_flows);

/* The descriptors stay the loader's. */
NetpulseBpfMaps    *netpulse_bpf_maps_new               (const NetpulseMapFds *fds);
void                netpulse_bpf_maps_free              (NetpulseBpfMaps    *self);

void                netpulse_bpf_maps_read_counters     (NetpulseBpfMaps    *self,
                                                         guint64            *counters);
/* cookie → release time (monotonic ns) of the sockets released since. */
GHashTable         *netpulse_bpf_maps_read_released     (NetpulseBpfMaps    *self);
/* Every row of np_flows, in batches.  Fails only if none could be read. */
gboolean            netpulse_bpf_maps_read_flows        (NetpulseBpfMaps    *self,
                                                         NetpulseFlowFunc    func,
                                                         gpointer            user_data,
                                                         GError            **error);
/* Begins the next harvest: the kernel marks changes in it from now on. */
void                netpulse_bpf_maps_next_harvest      (NetpulseBpfMaps    *self);
/* Moves the keys of np_changed into @keys (struct np_flow_key) and
 * empties it. */
void                netpulse_bpf_maps_take_changed      (NetpulseBpfMaps    *self,
                                                         GArray             *keys);
/* The rows of @keys (struct np_flow_key) that are still in np_flows;
 * @seen (keys → NULL) skips those already read in this sample and is
 * filled. */
void                netpulse_bpf_maps_read_some_flows   (NetpulseBpfMaps    *self,
                                                         GArray             *keys,
                                                         GHashTable         *seen,
                                                         NetpulseFlowFunc    func,
                                                         gpointer            user_data);
/* Whether np_changed could be mapped (else every sample reads every row). */
gboolean            netpulse_bpf_maps_has_changed_ring  (NetpulseBpfMaps    *self);
/* Deletes an ended flow; its per-peer charge is given back. */
void                netpulse_bpf_maps_delete_flow       (NetpulseBpfMaps    *self,
                                                         const struct np_flow_key *key,
                                                         const struct np_flow     *flow);
/* Deletes a flow and gives its final totals in @flow. */
gboolean            netpulse_bpf_maps_take_flow         (NetpulseBpfMaps    *self,
                                                         const struct np_flow_key *key,
                                                         struct np_flow           *flow);
/* Forgets the released sockets of @released that are not in @keep. */
void                netpulse_bpf_maps_forget_released   (NetpulseBpfMaps    *self,
                                                         GHashTable         *released,
                                                         GHashTable         *keep);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetpulseBpfMaps, netpulse_bpf_maps_free)

G_END_DECLS
