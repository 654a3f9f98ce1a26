/* netpulse-bpf-maps.c
 *
 * Reading and trimming the kernel's maps, by descriptor: what a sample
 * reads (counters, released sockets, the flow table in batches) and what
 * it deletes (ended flows, with their per-peer charges given back).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-collector"

#include "config.h"

#include <bpf/bpf.h>
#include <errno.h>

#include "netpulse-bpf-maps.h"
#include "netpulse-collector.h"

#define BATCH_SIZE 1024

struct _NetpulseBpfMaps
{
  NetpulseMapFds      fds;
  struct np_flow_key *batch_keys;
  struct np_flow     *batch_values;
};

NetpulseBpfMaps *
netpulse_bpf_maps_new (const NetpulseMapFds *fds)
{
  NetpulseBpfMaps *self = g_new0 (NetpulseBpfMaps, 1);

  self->fds = *fds;
  self->batch_keys = g_new0 (struct np_flow_key, BATCH_SIZE);
  self->batch_values = g_new0 (struct np_flow, BATCH_SIZE);
  return self;
}

void
netpulse_bpf_maps_free (NetpulseBpfMaps *self)
{
  if (self == NULL)
    return;
  g_free (self->batch_keys);
  g_free (self->batch_values);
  g_free (self);
}

void
netpulse_bpf_maps_read_counters (NetpulseBpfMaps *self,
                                 guint64         *counters)
{
  int fd = self->fds.counters;

  for (guint32 i = 0; i < NP_N_COUNTERS; i++)
    {
      guint64 value = 0;

      if (bpf_map_lookup_elem (fd, &i, &value) == 0)
        counters[i] = value;
    }
}

GHashTable *
netpulse_bpf_maps_read_released (NetpulseBpfMaps *self)
{
  GHashTable *released = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  int fd = self->fds.released_socks;
  guint64 key, next, when;
  guint64 *prev = NULL;

  while (bpf_map_get_next_key (fd, prev, &next) == 0)
    {
      key = next;
      if (bpf_map_lookup_elem (fd, &key, &when) == 0)
        g_hash_table_insert (released, g_memdup2 (&key, sizeof key), g_memdup2 (&when, sizeof when));
      prev = &key;
    }
  return released;
}

/* Batched lookups are in every kernel the README supports (5.12; they came
 * in 5.6): there is no one-by-one fallback. */
gboolean
netpulse_bpf_maps_read_flows (NetpulseBpfMaps   *self,
                              NetpulseFlowFunc   func,
                              gpointer           user_data,
                              GError           **error)
{
  int fd = self->fds.flows;
  guint32 in_batch = 0, out_batch = 0;
  gboolean first = TRUE;

  for (;;)
    {
      guint32 count = BATCH_SIZE;
      int err = bpf_map_lookup_batch (fd, first ? NULL : &in_batch, &out_batch,
                                      self->batch_keys, self->batch_values, &count, NULL);
      int errsv = errno;

      if (err != 0 && errsv != ENOENT)
        {
          if (first)
            g_set_error (error, NETPULSE_COLLECTOR_ERROR, NETPULSE_COLLECTOR_ERROR_FAILED,
                         "reading the flow table: %s", g_strerror (errsv));
          return !first;
        }

      for (guint32 i = 0; i < count; i++)
        func (&self->batch_keys[i], &self->batch_values[i], user_data);

      if (err != 0)
        return TRUE;
      in_batch = out_batch;
      first = FALSE;
    }
}

/* Adds one to the count of entries user space freed for @key in @map, the
 * only writer of that map: the kernel's charge() subtracts it. */
static void
add_freed (int         fd,
           const void *key)
{
  guint64 freed = 0;

  bpf_map_lookup_elem (fd, key, &freed);
  freed++;
  if (bpf_map_update_elem (fd, key, &freed, BPF_ANY) != 0)
    g_debug ("Could not record a freed per-peer entry: %s", g_strerror (errno));
}

/* A per-peer entry was deleted from np_flows: its socket and its user may
 * hold one more (see charge() in netpulse.bpf.c). */
static void
release_peer_charge (NetpulseBpfMaps          *self,
                     const struct np_flow_key *key,
                     const struct np_flow     *flow)
{
  if (!flow->per_peer || flow->other_peers)
    return;
  add_freed (self->fds.socket_peers_freed, &key->cookie);
  add_freed (self->fds.uid_peers_freed, &flow->charged_uid);
}

void
netpulse_bpf_maps_delete_flow (NetpulseBpfMaps          *self,
                               const struct np_flow_key *key,
                               const struct np_flow     *flow)
{
  if (bpf_map_delete_elem (self->fds.flows, key) == 0)
    release_peer_charge (self, key, flow);
}

gboolean
netpulse_bpf_maps_take_flow (NetpulseBpfMaps          *self,
                             const struct np_flow_key *key,
                             struct np_flow           *flow)
{
  int fd = self->fds.flows;

  if (bpf_map_lookup_and_delete_elem (fd, key, flow) != 0)
    {
      /* Kernels before 5.14 cannot do both at once for hash maps. */
      if (bpf_map_lookup_elem (fd, key, flow) != 0)
        return FALSE;
      bpf_map_delete_elem (fd, key);
    }
  release_peer_charge (self, key, flow);
  return TRUE;
}

/* Those of TCP flows still within their grace period stay for the next
 * sample. */
void
netpulse_bpf_maps_forget_released (NetpulseBpfMaps *self,
                                   GHashTable      *released,
                                   GHashTable      *keep)
{
  int fd = self->fds.released_socks;
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, released);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (keep, key))
      {
        bpf_map_delete_elem (fd, key);
        /* Its per-peer entries are gone with it: so is what it held. */
        bpf_map_delete_elem (self->fds.socket_peers, key);
        bpf_map_delete_elem (self->fds.socket_peers_freed, key);
      }
}
