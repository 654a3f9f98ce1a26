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
#include <bpf/libbpf.h>
#include <errno.h>
#include <unistd.h>

#include "netpulse-bpf-maps.h"
#include "netpulse-collector.h"

#define BATCH_SIZE 1024

struct _NetpulseBpfMaps
{
  NetpulseMapFds      fds;
  struct np_flow_key *batch_keys;
  struct np_flow     *batch_values;
  struct ring_buffer *changed_ring;       /* np_changed */
  GArray             *changed_keys;       /* while it is consumed */
};

static int
on_changed_key (void   *ctx,
                void   *data,
                size_t  size)
{
  NetpulseBpfMaps *self = ctx;

  if (size == sizeof (struct np_flow_key))
    g_array_append_vals (self->changed_keys, data, 1);
  return 0;
}

/* np_changed holds a key (and its 8-byte header) for a quarter of the
 * entries of np_flows: a flow is marked once per harvest, and should more
 * change in one, the next sample reads the whole table (as every sample
 * did before).  A power of 2 of pages, as ring buffers must be; mapped
 * into the helper (twice), so not bigger than that. */
guint32
netpulse_bpf_maps_changed_ring_bytes (guint32 max_flows)
{
  guint64 wanted = (guint64) max_flows / 4 * (sizeof (struct np_flow_key) + 8);
  guint64 bytes = NP_CHANGED_RING_BYTES;

  while (bytes < wanted && bytes < G_MAXUINT32 / 2 + 1)
    bytes *= 2;
  while (bytes / 2 >= wanted && bytes / 2 >= (guint64) sysconf (_SC_PAGESIZE))
    bytes /= 2;
  return (guint32) bytes;
}

NetpulseBpfMaps *
netpulse_bpf_maps_new (const NetpulseMapFds *fds)
{
  NetpulseBpfMaps *self = g_new0 (NetpulseBpfMaps, 1);

  self->fds = *fds;
  self->batch_keys = g_new0 (struct np_flow_key, BATCH_SIZE);
  self->batch_values = g_new0 (struct np_flow, BATCH_SIZE);
  self->changed_ring = ring_buffer__new (fds->changed, on_changed_key, self, NULL);
  if (self->changed_ring == NULL)
    g_warning ("Mapping the ring of changed flows: %s", g_strerror (errno));
  return self;
}

void
netpulse_bpf_maps_free (NetpulseBpfMaps *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->changed_ring, ring_buffer__free);
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

void
netpulse_bpf_maps_next_harvest (NetpulseBpfMaps *self)
{
  guint32 key = NP_HARVEST_KEY;
  guint64 harvest = 0;

  bpf_map_lookup_elem (self->fds.harvest, &key, &harvest);
  harvest++;
  if (bpf_map_update_elem (self->fds.harvest, &key, &harvest, BPF_ANY) != 0)
    g_warning ("Could not begin a harvest: %s", g_strerror (errno));
}

void
netpulse_bpf_maps_take_changed (NetpulseBpfMaps *self,
                                GArray          *keys)
{
  if (self->changed_ring == NULL)
    return;
  self->changed_keys = keys;
  if (ring_buffer__consume (self->changed_ring) < 0)
    g_warning ("Reading the changed flows: %s", g_strerror (errno));
  self->changed_keys = NULL;
}

void
netpulse_bpf_maps_read_some_flows (NetpulseBpfMaps  *self,
                                   GArray           *keys,
                                   GHashTable       *seen,
                                   NetpulseFlowFunc  func,
                                   gpointer          user_data)
{
  for (guint i = 0; i < keys->len; i++)
    {
      struct np_flow_key *key = &g_array_index (keys, struct np_flow_key, i);

      if (!g_hash_table_add (seen, key))
        continue;
      /* Gone: closed into the ring, or deleted by a sample. */
      if (bpf_map_lookup_elem (self->fds.flows, key, self->batch_values) == 0)
        func (key, self->batch_values, user_data);
    }
}

gboolean
netpulse_bpf_maps_has_changed_ring (NetpulseBpfMaps *self)
{
  return self->changed_ring != NULL;
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
