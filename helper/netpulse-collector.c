/* netpulse-collector.c
 *
 * The collector: checks that the kernel programs can be loaded, has
 * netpulse-bpf-loader.c load them, and once per sample feeds the kernel's
 * flows to netpulse-flow-table.c (the accounting rules) and carries out
 * what it asks of the kernel.  Owners of pid-less sockets come from
 * netpulse-proc-owners.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-collector"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixmounts.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "netpulse-app-identity.h"
#include "netpulse-bpf-loader.h"
#include "netpulse-bpf-maps.h"
#include "netpulse-collector.h"
#include "netpulse-flow-table.h"
#include "netpulse-proc-owners.h"
#include "netpulse-sample-names.h"

#define DEFAULT_UDP_IDLE_MS      5000
/* A sample reads only the rows the kernel marked changed; every minute one
 * reads them all, for rows someone else deleted from the kernel's table. */
#define FULL_SAMPLE_INTERVAL_NS  (G_GUINT64_CONSTANT (60) * 1000000000)
#define DEFAULT_CLOSED_RETAIN_MS 11000
/* Processes whose identity is cached (a few hundred bytes each). */
#define APP_IDENTITY_MAX_ENTRIES 4096

#ifndef CAP_PERFMON
# define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
# define CAP_BPF 39
#endif

struct _NetpulseCollector
{
  GObject                  parent_instance;

  NetpulseCollectorConfig  config;
  char                    *forced_backend;
  char                    *verifier_log_path;

  NetpulseBpfLoader       *loader;
  NetpulseBpfMaps         *maps;              /* while running */
  NetpulseFlowTable       *table;
  NetpulseProcOwners      *owners;
  NetpulseAppIdentity     *identity;
  int                      cgroup_fd;
  gboolean                 running;

  guint64                  last_sample_mono_ns;
  guint64                  last_full_mono_ns;  /* the last sample that read every row; 0: none yet */
  guint64                  timestamp_ns;
  guint64                  counters[NP_N_COUNTERS];
  NetpulseSampleNames     *named;             /* processes named in this sample */
  GArray                  *keys;              /* struct np_flow_key: rows a partial sample reads */
  GHashTable              *seen;              /* of keys: read in this sample */
};

G_DEFINE_FINAL_TYPE (NetpulseCollector, netpulse_collector, G_TYPE_OBJECT)

G_DEFINE_QUARK (netpulse-collector-error-quark, netpulse_collector_error)

static guint64
clock_ns (clockid_t clock)
{
  struct timespec ts;

  clock_gettime (clock, &ts);
  return (guint64) ts.tv_sec * G_GUINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static void
netpulse_collector_finalize (GObject *object)
{
  NetpulseCollector *self = (NetpulseCollector *) object;

  netpulse_collector_stop (self);

  g_clear_pointer (&self->loader, netpulse_bpf_loader_free);
  g_clear_pointer (&self->table, netpulse_flow_table_free);
  g_clear_pointer (&self->owners, netpulse_proc_owners_free);
  g_clear_pointer (&self->identity, netpulse_app_identity_free);
  g_clear_pointer (&self->keys, g_array_unref);
  g_clear_pointer (&self->named, netpulse_sample_names_free);
  g_clear_pointer (&self->seen, g_hash_table_unref);
  g_clear_pointer (&self->forced_backend, g_free);
  g_clear_pointer (&self->verifier_log_path, g_free);

  G_OBJECT_CLASS (netpulse_collector_parent_class)->finalize (object);
}

static void
netpulse_collector_class_init (NetpulseCollectorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = netpulse_collector_finalize;
}

static gboolean
scan_owners_in_kernel (gpointer user_data)
{
  NetpulseCollector *self = user_data;

  return self->running && netpulse_bpf_loader_scan_owners (self->loader);
}

static void
netpulse_collector_init (NetpulseCollector *self)
{
  self->cgroup_fd = -1;
  self->keys = g_array_new (FALSE, FALSE, sizeof (struct np_flow_key));
  self->named = netpulse_sample_names_new ();
  self->seen = g_hash_table_new (netpulse_flow_key_hash, netpulse_flow_key_equal);
  self->owners = netpulse_proc_owners_new ();
  self->identity = netpulse_app_identity_new ("/proc", APP_IDENTITY_MAX_ENTRIES);
  netpulse_proc_owners_set_kernel_scan (self->owners, scan_owners_in_kernel, self);
}

static void
fill_identity (guint32         pid,
               const char     *comm,
               const char     *exe_name,
               NetpulseRecord *record,
               gpointer        user_data)
{
  NetpulseCollector *self = user_data;

  if (netpulse_sample_names_fill (self->named, pid, comm, record))
    return;
  /* Named the same for the rest of the sample: a server's 50,000 flows
   * cost one look at /proc, not 50,000. */
  if (netpulse_app_identity_fill (self->identity, pid, comm, exe_name, record))
    netpulse_sample_names_add (self->named, pid, comm, record);
}

/* Closes come from the ring between samples too: the table keeps them for
 * the next one. */
static void
on_closed_flow (const struct np_closed_flow *closed,
                gpointer                     user_data)
{
  NetpulseCollector *self = user_data;

  netpulse_flow_table_queue_closed (self->table, closed);
}

NetpulseCollector *
netpulse_collector_new (const NetpulseCollectorConfig *config)
{
  NetpulseCollector *self = g_object_new (NETPULSE_TYPE_COLLECTOR, NULL);

  if (config != NULL)
    self->config = *config;
  if (self->config.max_flows == 0)
    self->config.max_flows = NP_DEFAULT_MAX_FLOWS;
  if (self->config.closed_ring_bytes == 0)
    self->config.closed_ring_bytes = NP_CLOSED_RING_BYTES;
  if (self->config.max_peers_per_socket == 0)
    self->config.max_peers_per_socket = NP_DEFAULT_MAX_PEERS_PER_SOCKET;
  if (self->config.max_peers_per_uid == 0)
    self->config.max_peers_per_uid = MAX (self->config.max_flows / NP_DEFAULT_UID_PEERS_DIVISOR, 1);
  if (self->config.udp_idle_ms == 0)
    self->config.udp_idle_ms = DEFAULT_UDP_IDLE_MS;
  if (self->config.closed_retain_ms == 0)
    self->config.closed_retain_ms = DEFAULT_CLOSED_RETAIN_MS;

  /* Own the strings: the caller's config may not outlive us. */
  self->forced_backend = g_strdup (self->config.backend);
  self->config.backend = self->forced_backend;
  self->verifier_log_path = g_strdup (self->config.verifier_log);
  self->config.verifier_log = self->verifier_log_path;

  self->loader = netpulse_bpf_loader_new (&self->config, on_closed_flow, self);
  self->table = netpulse_flow_table_new (&(NetpulseFlowRules) {
    .max_flows = self->config.max_flows,
    .udp_idle_ms = self->config.udp_idle_ms,
    .closed_retain_ms = self->config.closed_retain_ms,
    .identity = fill_identity,
    .identity_data = self,
  });

  return self;
}

/* ---- start: privileges, BTF, cgroup root ---- */

static gboolean
has_bpf_capabilities (void)
{
  struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
  struct __user_cap_data_struct data[2] = { 0 };

  if (geteuid () == 0)
    return TRUE;
  if (syscall (SYS_capget, &header, data) != 0)
    return FALSE;
  return (data[CAP_BPF / 32].effective & (1u << (CAP_BPF % 32)))
      && (data[CAP_PERFMON / 32].effective & (1u << (CAP_PERFMON % 32)));
}

static gboolean
check_can_load (GError **error)
{
  if (!has_bpf_capabilities ())
    {
      g_set_error (error, NETPULSE_COLLECTOR_ERROR, NETPULSE_COLLECTOR_ERROR_NOT_PERMITTED,
                   "Loading the kernel programs needs root, or CAP_BPF and CAP_PERFMON");
      return FALSE;
    }

  if (!g_file_test ("/sys/kernel/btf/vmlinux", G_FILE_TEST_EXISTS))
    {
      g_set_error (error, NETPULSE_COLLECTOR_ERROR, NETPULSE_COLLECTOR_ERROR_NO_BTF,
                   "The kernel has no BTF (/sys/kernel/btf/vmlinux is missing); "
                   "Netpulse needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
      return FALSE;
    }
  return TRUE;
}

/* The cgroup v2 mount point ("/sys/fs/cgroup" on most desktops,
 * "/sys/fs/cgroup/unified" on hybrid hierarchies). */
static char *
find_cgroup2_mount (void)
{
  GList *mounts = g_unix_mounts_get (NULL);
  char *found = NULL;

  for (GList *l = mounts; l != NULL; l = l->next)
    if (found == NULL && g_strcmp0 (g_unix_mount_get_fs_type (l->data), "cgroup2") == 0)
      found = g_strdup (g_unix_mount_get_mount_path (l->data));
  g_list_free_full (mounts, (GDestroyNotify) g_unix_mount_free);
  return found;
}

static void
close_cgroup_fd (NetpulseCollector *self)
{
  if (self->cgroup_fd >= 0)
    close (self->cgroup_fd);
  self->cgroup_fd = -1;
}

static void
open_cgroup_root (NetpulseCollector *self)
{
  g_autofree char *mount = find_cgroup2_mount ();

  if (mount == NULL)
    {
      g_warning ("No cgroup v2 mount found: unconnected UDP peers and UDP close will be missing");
      return;
    }
  self->cgroup_fd = open (mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (self->cgroup_fd < 0)
    g_warning ("Opening %s: %s", mount, g_strerror (errno));
  else
    g_debug ("cgroup v2 root: %s", mount);
  netpulse_app_identity_set_cgroup_mount (self->identity, mount);
}

static void
log_attached (NetpulseCollector *self)
{
  g_autofree char *features = g_strjoinv (", ", (char **) netpulse_bpf_loader_get_features (self->loader));

  g_message ("Kernel programs attached: backend %s, flow table %u entries "
             "(per-peer UDP entries: %u per socket, %u per user), features: %s",
             netpulse_bpf_loader_get_backend (self->loader), self->config.max_flows,
             self->config.max_peers_per_socket, self->config.max_peers_per_uid, features);
}

/* libbpf (1.0 and later, Debian has 1.1) raises RLIMIT_MEMLOCK itself on
 * the kernels that still charge maps to it, before 5.11. */
gboolean
netpulse_collector_start (NetpulseCollector  *self,
                          GError            **error)
{
  NetpulseMapFds fds;

  g_return_val_if_fail (NETPULSE_IS_COLLECTOR (self), FALSE);

  if (self->running)
    return TRUE;
  if (!check_can_load (error))
    return FALSE;

  open_cgroup_root (self);
  if (!netpulse_bpf_loader_load (self->loader, self->cgroup_fd, error))
    {
      close_cgroup_fd (self);
      return FALSE;
    }

  netpulse_bpf_loader_get_map_fds (self->loader, &fds);
  self->maps = netpulse_bpf_maps_new (&fds);
  self->running = TRUE;
  self->last_full_mono_ns = 0;
  self->last_sample_mono_ns = clock_ns (CLOCK_MONOTONIC);
  netpulse_flow_table_set_clock_offset (self->table, clock_ns (CLOCK_REALTIME) - self->last_sample_mono_ns);
  log_attached (self);
  return TRUE;
}

void
netpulse_collector_stop (NetpulseCollector *self)
{
  g_return_if_fail (NETPULSE_IS_COLLECTOR (self));

  g_clear_pointer (&self->maps, netpulse_bpf_maps_free);
  netpulse_bpf_loader_unload (self->loader);
  close_cgroup_fd (self);
  if (self->running)
    g_message ("Kernel programs detached");
  self->running = FALSE;
}

gboolean
netpulse_collector_is_running (NetpulseCollector *self)
{
  g_return_val_if_fail (NETPULSE_IS_COLLECTOR (self), FALSE);
  return self->running;
}

/* ---- sampling ---- */

static void
take_kernel_flow (const struct np_flow_key *key,
                  const struct np_flow     *flow,
                  gpointer                  user_data)
{
  netpulse_flow_table_take (user_data, key, flow);
}

/* What the table asks of the kernel: ended flows deleted, idle and
 * evicted ones deleted with their final totals, released sockets that
 * were dealt with forgotten. */
static void
trim_kernel_tables (NetpulseCollector *self,
                    GHashTable        *released)
{
  const NetpulseFlowActions *actions = netpulse_flow_table_plan (self->table);

  for (guint i = 0; i < actions->to_delete->len; i++)
    {
      const struct np_closed_flow *deleted = &g_array_index (actions->to_delete, struct np_closed_flow, i);

      netpulse_bpf_maps_delete_flow (self->maps, &deleted->key, &deleted->flow);
    }

  for (guint i = 0; i < actions->to_finish->len; i++)
    {
      const struct np_flow_key *key = &g_array_index (actions->to_finish, struct np_flow_key, i);
      struct np_flow flow;

      if (netpulse_bpf_maps_take_flow (self->maps, key, &flow))
        netpulse_flow_table_finish (self->table, key, &flow);
    }

  netpulse_bpf_maps_forget_released (self->maps, released, actions->keep_released);
}

/* Whether this sample must read every row of np_flows rather than the
 * changed ones: the first, one a minute (rows deleted behind our back),
 * after np_changed overflowed and when evictions may be due. */
static gboolean
needs_full_sample (NetpulseCollector *self,
                   guint64            now_mono,
                   guint64            changed_overflow_before)
{
  return self->last_full_mono_ns == 0 || now_mono - self->last_full_mono_ns >= FULL_SAMPLE_INTERVAL_NS
      || self->counters[NP_COUNTER_CHANGED_OVERFLOW] != changed_overflow_before
      || !netpulse_bpf_maps_has_changed_ring (self->maps)
      || netpulse_flow_table_is_nearly_full (self->table);
}

/* The rows the kernel marked changed, those whose records change anyway
 * and those of released sockets: a per-peer socket's rows are those the
 * table holds and those created since, whose keys were marked before the
 * socket was released, so they are among the keys taken. */
static void
read_changed_flows (NetpulseCollector *self,
                    GHashTable        *released)
{
  GHashTableIter iter;
  gpointer cookie;

  netpulse_flow_table_get_settling (self->table, self->keys);
  g_hash_table_iter_init (&iter, released);
  while (g_hash_table_iter_next (&iter, &cookie, NULL))
    {
      struct np_flow_key key = { .cookie = *(guint64 *) cookie };

      g_array_append_val (self->keys, key);
      netpulse_flow_table_get_peer_keys (self->table, key.cookie, self->keys);
    }
  netpulse_bpf_maps_read_some_flows (self->maps, self->keys, self->seen, take_kernel_flow, self->table);
  netpulse_flow_table_set_partial (self->table);
}

/* Reads the flows: the changed ones, or all.  The keys the kernel marked
 * are taken before the next harvest begins and the rows read after, so a
 * change is in this sample or marked for the next one (see
 * mark_changed()). */
static gboolean
read_flows (NetpulseCollector  *self,
            GHashTable         *released,
            guint64             now_mono,
            GError            **error)
{
  guint64 changed_overflow = self->counters[NP_COUNTER_CHANGED_OVERFLOW];
  gboolean full;

  g_array_set_size (self->keys, 0);
  g_hash_table_remove_all (self->seen);
  netpulse_bpf_maps_read_counters (self->maps, self->counters);
  netpulse_bpf_maps_take_changed (self->maps, self->keys);
  netpulse_bpf_maps_next_harvest (self->maps);
  /* More marked keys than half the open flows (churn: most of them closed
   * already): one batched read of the table is cheaper than a lookup each. */
  full = needs_full_sample (self, now_mono, changed_overflow)
      || self->keys->len > netpulse_flow_table_get_n_open (self->table) / 2 + 64;
  if (!full)
    {
      read_changed_flows (self, released);
      return TRUE;
    }
  if (!netpulse_bpf_maps_read_flows (self->maps, take_kernel_flow, self->table, error))
    return FALSE;
  self->last_full_mono_ns = now_mono;
  return TRUE;
}

gboolean
netpulse_collector_sample (NetpulseCollector  *self,
                           GError            **error)
{
  g_autoptr(GHashTable) released = NULL;
  guint64 now_mono, now_real;

  g_return_val_if_fail (NETPULSE_IS_COLLECTOR (self), FALSE);

  if (!self->running)
    {
      g_set_error (error, NETPULSE_COLLECTOR_ERROR, NETPULSE_COLLECTOR_ERROR_FAILED,
                   "The collector is not running");
      return FALSE;
    }

  /* Released sockets first: a flow whose socket is in this set can no
   * longer change, so its totals read below are final. */
  released = netpulse_bpf_maps_read_released (self->maps);
  now_mono = clock_ns (CLOCK_MONOTONIC);
  now_real = clock_ns (CLOCK_REALTIME);
  netpulse_flow_table_begin (self->table, now_mono, now_mono - self->last_sample_mono_ns, released);

  if (!read_flows (self, released, now_mono, error))
    {
      netpulse_flow_table_cancel (self->table);
      return FALSE;
    }

  /* Read after the table: a flow closed while the table was read is in
   * the ring by now. */
  netpulse_bpf_loader_read_closed (self->loader);
  netpulse_flow_table_take_closed (self->table);
  trim_kernel_tables (self, released);
  netpulse_flow_table_end (self->table, netpulse_proc_owners_get_lookup (self->owners));
  /* the next sample looks again: a pid may be another process by then */
  netpulse_sample_names_clear (self->named);

  self->last_sample_mono_ns = now_mono;
  self->timestamp_ns = now_real;
  return TRUE;
}

guint64
netpulse_collector_get_generation (NetpulseCollector *self)
{
  g_return_val_if_fail (NETPULSE_IS_COLLECTOR (self), 0);
  return netpulse_flow_table_get_generation (self->table);
}

guint64
netpulse_collector_get_timestamp (NetpulseCollector *self)
{
  g_return_val_if_fail (NETPULSE_IS_COLLECTOR (self), 0);
  return self->timestamp_ns;
}

#define MS_TO_NS(ms) ((guint64) (ms) * G_GUINT64_CONSTANT (1000000))

void
netpulse_collector_set_rate_rules (NetpulseCollector *self,
                                   guint              tick_ms,
                                   guint              max_window_ms)
{
  g_return_if_fail (NETPULSE_IS_COLLECTOR (self));
  g_return_if_fail (max_window_ms > 0);

  netpulse_flow_table_set_rate_rules (self->table, MS_TO_NS (tick_ms) / 2, MS_TO_NS (max_window_ms));
}

void
netpulse_collector_foreach_changed (NetpulseCollector  *self,
                                    guint64             since_generation,
                                    guint               window_ms,
                                    NetpulseRecordFunc  func,
                                    gpointer            user_data)
{
  g_return_if_fail (NETPULSE_IS_COLLECTOR (self));
  g_return_if_fail (func != NULL);

  netpulse_flow_table_foreach_changed (self->table, since_generation, MS_TO_NS (window_ms), func, user_data);
}

void
netpulse_collector_foreach_open (NetpulseCollector  *self,
                                 guint               window_ms,
                                 NetpulseRecordFunc  func,
                                 gpointer            user_data)
{
  g_return_if_fail (NETPULSE_IS_COLLECTOR (self));
  g_return_if_fail (func != NULL);

  netpulse_flow_table_foreach_open (self->table, MS_TO_NS (window_ms), func, user_data);
}

const char *
netpulse_collector_get_backend (NetpulseCollector *self)
{
  g_return_val_if_fail (NETPULSE_IS_COLLECTOR (self), "none");
  return netpulse_bpf_loader_get_backend (self->loader);
}

const char * const *
netpulse_collector_get_features (NetpulseCollector *self)
{
  g_return_val_if_fail (NETPULSE_IS_COLLECTOR (self), NULL);
  return netpulse_bpf_loader_get_features (self->loader);
}

GVariant *
netpulse_collector_get_counters (NetpulseCollector *self)
{
  static const struct {
    const char       *name;
    enum np_counter   counter;
  } kernel_counters[] = {
    { "flow-overflow", NP_COUNTER_FLOW_OVERFLOW },
    { "peer-overflow", NP_COUNTER_PEER_OVERFLOW },
    { "release-overflow", NP_COUNTER_RELEASE_OVERFLOW },
    { "unknown-peer", NP_COUNTER_UNKNOWN_PEER },
    { "closed-ring-full", NP_COUNTER_CLOSED_RING_FULL },
    { "peers-aggregated", NP_COUNTER_PEERS_AGGREGATED },
    { "socket-peer-cap", NP_COUNTER_SOCKET_PEER_CAP },
    { "uid-peer-cap", NP_COUNTER_UID_PEER_CAP },
    { "peer-table-full", NP_COUNTER_PEER_TABLE_FULL },
    { "changed-overflow", NP_COUNTER_CHANGED_OVERFLOW },
  };
  GVariantBuilder builder;

  g_return_val_if_fail (NETPULSE_IS_COLLECTOR (self), NULL);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{st}"));
  for (guint i = 0; i < G_N_ELEMENTS (kernel_counters); i++)
    g_variant_builder_add (&builder, "{st}", kernel_counters[i].name, self->counters[kernel_counters[i].counter]);
  g_variant_builder_add (&builder, "{st}", "idle-evicted", netpulse_flow_table_get_idle_evicted (self->table));
  /* one tick, one generation */
  g_variant_builder_add (&builder, "{st}", "ticks", netpulse_flow_table_get_generation (self->table));
  g_variant_builder_add (&builder, "{st}", "flows", (guint64) netpulse_flow_table_get_n_open (self->table));
  g_variant_builder_add (&builder, "{st}", "max-flows", (guint64) self->config.max_flows);
  g_variant_builder_add (&builder, "{st}", "closed-ring-bytes", (guint64) self->config.closed_ring_bytes);
  g_variant_builder_add (&builder, "{st}", "max-peers-per-socket", (guint64) self->config.max_peers_per_socket);
  g_variant_builder_add (&builder, "{st}", "max-peers-per-uid", (guint64) self->config.max_peers_per_uid);
  return g_variant_builder_end (&builder);
}
