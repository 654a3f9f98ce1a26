/* netpulse-collector.c
 *
 * Loads the kernel programs (bpf/netpulse.bpf.c) with the best backend the
 * running kernel allows, and once per sample turns the kernel's flow table
 * into NetpulseRecords: rates over the sample interval, closed flows
 * harvested with their final totals, owners of pid-less sockets found
 * through /proc.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-collector"
#define _GNU_SOURCE

#include "config.h"

#include <bpf/bpf.h>
#include <glib-unix.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>
#include "netpulse.h"
#include "netpulse.skel.h"

#include "netpulse-collector.h"

#define DEFAULT_UDP_IDLE_MS      5000
#define DEFAULT_CLOSED_RETAIN_MS 11000
#define BATCH_SIZE               1024
#define PROC_SCAN_MIN_INTERVAL   (2 * G_USEC_PER_SEC)
/* A released TCP socket whose close the state hook has not reported after
 * this long is reported closed anyway (see np_sock_release). */
#define TCP_RELEASE_GRACE_NS     (G_GUINT64_CONSTANT (2) * 1000000000)
/* When the flow table is fuller than 7/8, per-peer UDP entries idle for at
 * least EVICT_MIN_IDLE_NS are evicted, least recently used first, until it
 * is 3/4 full: room for new connections of everyone.  Busy entries are
 * never evicted (a send in flight could add to a deleted entry). */
#define EVICT_HIGH_NUM           7
#define EVICT_HIGH_DEN           8
#define EVICT_LOW_NUM            3
#define EVICT_LOW_DEN            4
#define EVICT_MIN_IDLE_NS        (G_GUINT64_CONSTANT (1000000000))
/* Where the log of a refused program goes without --verifier-log. */
#define NETPULSE_PRIVATE_DIR       "/run/netpulse"
#define NETPULSE_VERIFIER_LOG_NAME "verifier.log"

#ifndef CAP_PERFMON
# define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
# define CAP_BPF 39
#endif

typedef enum {
  BACKEND_FENTRY,
  BACKEND_KPROBE,
  BACKEND_TRACEPOINT,
  N_BACKENDS
} Backend;

/* Best first.  Program names in netpulse.bpf.c carry the backend in their
 * prefix; programs without one of these prefixes are shared. */
static const struct {
  const char *name;
  const char *prefixes[2];
} backends[N_BACKENDS] = {
  [BACKEND_FENTRY]     = { "fentry",     { "np_fexit_", NULL } },
  [BACKEND_KPROBE]     = { "kprobe",     { "np_kp_", "np_krp_" } },
  [BACKEND_TRACEPOINT] = { "tracepoint", { "np_tp_", NULL } },
};

/* The shared program every backend needs: without TCP states there is no
 * close, and no short-lived connection would ever be reported closed. */
#define REQUIRED_SHARED_PROGRAM "np_tcp_state"

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
  NetpulseRecord     record;
  guint64            prev_tx;
  guint64            prev_rx;
  guint64            changed_generation;
  guint64            seen_generation;
  gint64             closed_at_us;       /* g_get_monotonic_time(), 0 while open */
  Endpoints          endpoints;          /* what record->laddr/raddr were formatted from */
  gboolean           endpoints_valid;
  guint64            ino;
  gboolean           has_process;
} FlowEntry;

struct _NetpulseCollector
{
  GObject                  parent_instance;

  NetpulseCollectorConfig  config;
  char                    *forced_backend;
  char                    *verifier_log_path;

  struct netpulse_bpf     *skel;
  struct ring_buffer      *closed_ring;       /* np_closed_flows */
  gpointer                 current_sample;    /* Sample * while the ring is consumed */
  GArray                  *early_closed;      /* struct np_closed_flow, read from the ring between samples */
  guint                    ring_source_id;
  GPtrArray               *links;             /* struct bpf_link * */
  int                      cgroup_fd;
  Backend                  backend;
  gboolean                 running;
  GPtrArray               *features;          /* char *, NULL-terminated */

  GHashTable              *open_flows;        /* struct np_flow_key * → FlowEntry * */
  GQueue                   closed_flows;      /* FlowEntry *, oldest first */
  guint64                  next_id;
  guint64                  generation;
  guint64                  last_sample_mono_ns;
  guint64                  real_offset_ns;     /* CLOCK_REALTIME - CLOCK_MONOTONIC at start */
  guint64                  timestamp_ns;
  guint64                  ticks;
  guint64                  counters[NP_N_COUNTERS];
  guint64                  idle_evicted;

  GHashTable              *inode_owners;      /* ino → pid, from /proc */
  gint64                   last_proc_scan_us;

  struct np_flow_key      *batch_keys;
  struct np_flow          *batch_values;
};

G_DEFINE_FINAL_TYPE (NetpulseCollector, netpulse_collector, G_TYPE_OBJECT)

G_DEFINE_QUARK (netpulse-collector-error-quark, netpulse_collector_error)

/* libbpf's print callback takes no user data, so the text of the load
 * attempt in progress is collected here.  Only the thread that calls
 * netpulse_collector_start() sets it. */
static __thread GString *libbpf_capture;

static int
libbpf_print (enum libbpf_print_level  level,
              const char              *format,
              va_list                  args)
{
  g_autofree char *text = g_strdup_vprintf (format, args);

  if (libbpf_capture != NULL)
    g_string_append (libbpf_capture, text);
  if (level != LIBBPF_DEBUG)
    g_debug ("libbpf: %s", g_strchomp (text));
  return 0;
}

static guint64
clock_ns (clockid_t clock)
{
  struct timespec ts;

  clock_gettime (clock, &ts);
  return (guint64) ts.tv_sec * G_GUINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static guint
flow_key_hash (gconstpointer key)
{
  const struct np_flow_key *k = key;
  guint hash = g_int64_hash (&k->cookie);

  for (guint i = 0; i < NP_ADDR_LEN; i++)
    hash = hash * 31 + k->peer_addr[i];
  return hash * 31 + k->peer_port;
}

static gboolean
flow_key_equal (gconstpointer a,
                gconstpointer b)
{
  return memcmp (a, b, sizeof (struct np_flow_key)) == 0;
}

static void
netpulse_collector_finalize (GObject *object)
{
  NetpulseCollector *self = (NetpulseCollector *) object;

  netpulse_collector_stop (self);

  g_clear_pointer (&self->open_flows, g_hash_table_unref);
  g_queue_clear_full (&self->closed_flows, g_free);
  g_clear_pointer (&self->inode_owners, g_hash_table_unref);
  g_clear_pointer (&self->features, g_ptr_array_unref);
  g_clear_pointer (&self->links, g_ptr_array_unref);
  g_clear_pointer (&self->forced_backend, g_free);
  g_clear_pointer (&self->verifier_log_path, g_free);
  g_clear_pointer (&self->early_closed, g_array_unref);
  g_clear_pointer (&self->batch_keys, g_free);
  g_clear_pointer (&self->batch_values, g_free);

  G_OBJECT_CLASS (netpulse_collector_parent_class)->finalize (object);
}

static void
netpulse_collector_class_init (NetpulseCollectorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = netpulse_collector_finalize;
}

static void
netpulse_collector_init (NetpulseCollector *self)
{
  self->cgroup_fd = -1;
  self->backend = N_BACKENDS;
  self->links = g_ptr_array_new ();
  self->features = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->features, NULL);
  self->open_flows = g_hash_table_new_full (flow_key_hash, flow_key_equal, NULL, g_free);
  g_queue_init (&self->closed_flows);
  self->inode_owners = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->early_closed = g_array_new (FALSE, FALSE, sizeof (struct np_closed_flow));
  self->batch_keys = g_new0 (struct np_flow_key, BATCH_SIZE);
  self->batch_values = g_new0 (struct np_flow, BATCH_SIZE);
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

  return self;
}

/* ---- start: privileges, BTF, backend ladder ---- */

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

static void
add_feature (NetpulseCollector *self,
             const char        *feature)
{
  for (guint i = 0; i + 1 < self->features->len; i++)
    if (g_str_equal (g_ptr_array_index (self->features, i), feature))
      return;
  /* keep the array NULL-terminated for get_features() */
  g_ptr_array_insert (self->features, self->features->len - 1, g_strdup (feature));
}

static gboolean
program_has_prefix (const char *name,
                    Backend     backend)
{
  for (guint i = 0; i < G_N_ELEMENTS (backends[backend].prefixes); i++)
    if (backends[backend].prefixes[i] != NULL && g_str_has_prefix (name, backends[backend].prefixes[i]))
      return TRUE;
  return FALSE;
}

static gboolean
program_is_backend_specific (const char *name)
{
  for (Backend b = 0; b < N_BACKENDS; b++)
    if (program_has_prefix (name, b))
      return TRUE;
  return FALSE;
}

static void
select_programs (struct netpulse_bpf *skel,
                 Backend              backend,
                 gboolean             with_optional)
{
  struct bpf_program *prog;

  bpf_object__for_each_program (prog, skel->obj)
    {
      const char *name = bpf_program__name (prog);
      gboolean load;

      if (program_is_backend_specific (name))
        load = program_has_prefix (name, backend);
      else
        load = with_optional || g_str_equal (name, REQUIRED_SHARED_PROGRAM);
      bpf_program__set_autoload (prog, load);
    }
}

/* The cgroup v2 mount point, from /proc/self/mounts ("/sys/fs/cgroup" on
 * most desktops, "/sys/fs/cgroup/unified" on hybrid hierarchies). */
static char *
find_cgroup2_mount (void)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/self/mounts", &contents, NULL, NULL))
    return NULL;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], " ", 4);

      if (g_strv_length (fields) >= 3 && g_str_equal (fields[2], "cgroup2"))
        return g_strcompress (fields[1]); /* mounts escapes spaces as \040 */
    }
  return NULL;
}

static gboolean
attach_program (NetpulseCollector   *self,
                struct bpf_program  *prog,
                GError             **error)
{
  struct bpf_link *link;
  enum bpf_prog_type type = bpf_program__type (prog);

  if (type == BPF_PROG_TYPE_CGROUP_SOCK_ADDR || type == BPF_PROG_TYPE_CGROUP_SOCK)
    link = bpf_program__attach_cgroup (prog, self->cgroup_fd);
  else
    link = bpf_program__attach (prog);

  if (link == NULL)
    {
      int errsv = errno;
      g_set_error (error, NETPULSE_COLLECTOR_ERROR, NETPULSE_COLLECTOR_ERROR_FAILED,
                   "attaching %s: %s", bpf_program__name (prog), g_strerror (errsv));
      return FALSE;
    }
  g_ptr_array_add (self->links, link);
  return TRUE;
}

static void
destroy_links (NetpulseCollector *self)
{
  for (guint i = 0; i < self->links->len; i++)
    bpf_link__destroy (g_ptr_array_index (self->links, i));
  g_ptr_array_set_size (self->links, 0);
}

static void
drain_iterator (struct bpf_link *link)
{
  char buf[256];
  int fd = bpf_iter_create (bpf_link__fd (link));

  if (fd < 0)
    return;
  while (read (fd, buf, sizeof buf) > 0)
    ;
  close (fd);
}

/* The inode numbers and one /proc path of every network namespace that
 * some process is in. */
static GHashTable *
find_network_namespaces (void)
{
  GHashTable *namespaces = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      struct stat st;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_strdup_printf ("/proc/%s/ns/net", name);
      if (stat (path, &st) == 0 && !g_hash_table_contains (namespaces, &st.st_ino))
        {
          guint64 ino = st.st_ino;
          g_hash_table_insert (namespaces, g_memdup2 (&ino, sizeof ino), g_steal_pointer (&path));
        }
    }
  return namespaces;
}

/* Runs an iter/ program once in every network namespace: the kernel walks
 * the socket table of the namespace the reader is in, so we enter each in
 * turn (containers, test namespaces) and come back to our own. */
static gboolean
run_iterator (struct bpf_program *prog)
{
  struct bpf_link *link = bpf_program__attach_iter (prog, NULL);
  g_autoptr(GHashTable) namespaces = NULL;
  GHashTableIter iter;
  const guint64 *ino;
  const char *path;
  struct stat own_st;
  int own_netns;

  if (link == NULL)
    return FALSE;

  /* Our own namespace is walked where we are (setns() needs a capability
   * the others need anyway); without a way back, only it is walked. */
  drain_iterator (link);
  own_netns = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (own_netns < 0 || fstat (own_netns, &own_st) != 0)
    {
      if (own_netns >= 0)
        close (own_netns);
      bpf_link__destroy (link);
      return TRUE;
    }

  namespaces = find_network_namespaces ();
  g_hash_table_iter_init (&iter, namespaces);
  while (g_hash_table_iter_next (&iter, (gpointer *) &ino, (gpointer *) &path))
    {
      int fd;

      if (*ino == own_st.st_ino)
        continue;
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        continue;
      if (setns (fd, CLONE_NEWNET) == 0)
        {
          drain_iterator (link);
          if (setns (own_netns, CLONE_NEWNET) != 0)
            g_error ("Cannot return to our own network namespace: %s", g_strerror (errno));
        }
      close (fd);
    }
  close (own_netns);

  bpf_link__destroy (link);
  return TRUE;
}

/* Attaches what was loaded.  Backend programs and the state tracepoint
 * must attach; cgroup hooks are optional features.  Iterators run after
 * everything else is attached, so that nothing falls between the two. */
static gboolean
attach_loaded_programs (NetpulseCollector  *self,
                        GError            **error)
{
  struct bpf_program *prog;

  bpf_object__for_each_program (prog, self->skel->obj)
    {
      const char *name = bpf_program__name (prog);
      enum bpf_prog_type type = bpf_program__type (prog);
      g_autoptr(GError) local_error = NULL;

      if (!bpf_program__autoload (prog) || bpf_program__expected_attach_type (prog) == BPF_TRACE_ITER)
        continue;

      if (type == BPF_PROG_TYPE_CGROUP_SOCK_ADDR || type == BPF_PROG_TYPE_CGROUP_SOCK)
        {
          if (self->cgroup_fd < 0)
            continue;
          if (!attach_program (self, prog, &local_error))
            {
              g_warning ("%s; unconnected UDP peers or UDP close will be missing", local_error->message);
              continue;
            }
          add_feature (self, g_str_has_prefix (name, "np_sock_release") ? "cgroup_sock_release"
                           : g_str_has_prefix (name, "np_kp_") ? "cgroup_sock_create"
                           : "cgroup_sock_addr");
          continue;
        }

      if (!attach_program (self, prog, error))
        return FALSE;
    }

  bpf_object__for_each_program (prog, self->skel->obj)
    {
      if (!bpf_program__autoload (prog) || bpf_program__expected_attach_type (prog) != BPF_TRACE_ITER)
        continue;
      if (run_iterator (prog))
        add_feature (self, g_str_equal (bpf_program__name (prog), "np_iter_tcp") ? "iter_tcp" : "iter_udp");
      else
        g_warning ("Running %s failed: connections from before start-up may be missing",
                   bpf_program__name (prog));
    }

  return TRUE;
}

static void
destroy_skeleton (NetpulseCollector *self)
{
  g_clear_handle_id (&self->ring_source_id, g_source_remove);
  g_clear_pointer (&self->closed_ring, ring_buffer__free);
  destroy_links (self);
  g_clear_pointer (&self->skel, netpulse_bpf__destroy);
}

static int on_closed_flow (void       *ctx,
                           void       *data,
                           size_t      size);

/* The kernel wakes us up between samples only when the ring is half full
 * (heavy churn): keep its records for the next sample, so the ring never
 * fills up and closed flows never have to wait in the flow table. */
static gboolean
on_closed_ring_half_full (int          fd,
                          GIOCondition condition,
                          gpointer     user_data)
{
  NetpulseCollector *self = user_data;

  /* poll, not consume: epoll_wait() clears the readiness of the epoll fd,
   * which would otherwise stay readable and wake us again and again. */
  ring_buffer__poll (self->closed_ring, 0);
  return G_SOURCE_CONTINUE;
}

/* One attempt: open, pick programs, load, attach.  On failure everything
 * of this attempt is undone. */
static gboolean
try_backend (NetpulseCollector  *self,
             Backend             backend,
             gboolean            with_optional,
             GError            **error)
{
  int err;

  self->skel = netpulse_bpf__open ();
  if (self->skel == NULL)
    {
      g_set_error (error, NETPULSE_COLLECTOR_ERROR, NETPULSE_COLLECTOR_ERROR_FAILED,
                   "opening the BPF object: %s", g_strerror (errno));
      return FALSE;
    }

  bpf_map__set_max_entries (self->skel->maps.np_flows, self->config.max_flows);
  bpf_map__set_max_entries (self->skel->maps.np_closed_flows, self->config.closed_ring_bytes);
  self->skel->rodata->np_ring_wakeup_bytes = self->config.closed_ring_bytes / 2;
  self->skel->rodata->np_max_peers_per_socket = self->config.max_peers_per_socket;
  self->skel->rodata->np_max_peers_per_uid = self->config.max_peers_per_uid;
  select_programs (self->skel, backend, with_optional);

  err = netpulse_bpf__load (self->skel);
  if (err != 0)
    {
      g_set_error (error, NETPULSE_COLLECTOR_ERROR, NETPULSE_COLLECTOR_ERROR_FAILED,
                   "loading: %s", g_strerror (-err));
      destroy_skeleton (self);
      return FALSE;
    }

  if (!attach_loaded_programs (self, error))
    {
      destroy_skeleton (self);
      return FALSE;
    }

  self->closed_ring = ring_buffer__new (bpf_map__fd (self->skel->maps.np_closed_flows),
                                        on_closed_flow, self, NULL);
  if (self->closed_ring == NULL)
    {
      g_set_error (error, NETPULSE_COLLECTOR_ERROR, NETPULSE_COLLECTOR_ERROR_FAILED,
                   "mapping the closed-flow ring buffer: %s", g_strerror (errno));
      destroy_skeleton (self);
      return FALSE;
    }
  self->ring_source_id = g_unix_fd_add (ring_buffer__epoll_fd (self->closed_ring), G_IO_IN,
                                        on_closed_ring_half_full, self);

  return TRUE;
}

/* The directory for the default verifier log: the unit's
 * RuntimeDirectory= (systemd names it in $RUNTIME_DIRECTORY), else
 * /run/netpulse.  Made private (0700, ours) if it is not: never the shared
 * /tmp, where anyone could read the log or plant a link in its place.
 * Returns a descriptor of it and its path in @path. */
static int
open_private_dir (const char **path,
                  GError     **error)
{
  const char *dir = g_getenv ("RUNTIME_DIRECTORY");
  struct stat st;
  int fd;

  if (dir == NULL || !g_path_is_absolute (dir))
    dir = NETPULSE_PRIVATE_DIR;
  *path = dir;
  if (mkdir (dir, 0700) != 0 && errno != EEXIST)
    return g_set_error (error, NETPULSE_COLLECTOR_ERROR, NETPULSE_COLLECTOR_ERROR_FAILED,
                        "creating %s: %s", dir, g_strerror (errno)), -1;
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return g_set_error (error, NETPULSE_COLLECTOR_ERROR, NETPULSE_COLLECTOR_ERROR_FAILED,
                        "opening %s: %s", dir, g_strerror (errno)), -1;
  if (fstat (fd, &st) != 0 || st.st_uid != geteuid () ||
      ((st.st_mode & 077) != 0 && fchmod (fd, 0700) != 0))
    {
      close (fd);
      return g_set_error (error, NETPULSE_COLLECTOR_ERROR, NETPULSE_COLLECTOR_ERROR_FAILED,
                          "%s is not a private directory of ours", dir), -1;
    }
  return fd;
}

/* A new file of mode 0600: O_EXCL and O_NOFOLLOW, so that nothing that
 * was there (a link to another file, a file someone else can read) is
 * written through.  Returns its descriptor and its path in @path_out. */
static int
create_log_file (NetpulseCollector  *self,
                 char              **path_out,
                 GError            **error)
{
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  const char *dir;
  int dir_fd, fd;

  if (self->config.verifier_log != NULL)
    {
      fd = open (self->config.verifier_log, flags, 0600);
      if (fd < 0)
        return g_set_error (error, NETPULSE_COLLECTOR_ERROR, NETPULSE_COLLECTOR_ERROR_FAILED,
                            "%s: %s%s", self->config.verifier_log, g_strerror (errno),
                            errno == EEXIST ? " (not overwritten: name a new file)" : ""), -1;
      *path_out = g_strdup (self->config.verifier_log);
      return fd;
    }

  dir_fd = open_private_dir (&dir, error);
  if (dir_fd < 0)
    return -1;
  /* Only root can write the private directory: replacing the last log
   * is safe there. */
  unlinkat (dir_fd, NETPULSE_VERIFIER_LOG_NAME, 0);
  fd = openat (dir_fd, NETPULSE_VERIFIER_LOG_NAME, flags, 0600);
  close (dir_fd);
  if (fd < 0)
    return g_set_error (error, NETPULSE_COLLECTOR_ERROR, NETPULSE_COLLECTOR_ERROR_FAILED,
                        "%s/%s: %s", dir, NETPULSE_VERIFIER_LOG_NAME, g_strerror (errno)), -1;
  *path_out = g_build_filename (dir, NETPULSE_VERIFIER_LOG_NAME, NULL);
  return fd;
}

static gboolean
write_all (int         fd,
           const char *data,
           gsize       len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= n;
    }
  return TRUE;
}

static void
write_load_log (NetpulseCollector *self,
                GString           *log,
                GString           *summary)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  int fd = create_log_file (self, &path, &error);

  if (fd < 0)
    {
      g_warning ("Could not write the verifier log: %s", error->message);
      return;
    }
  /* 0600 whatever the umask. */
  if (fchmod (fd, 0600) != 0 || !write_all (fd, log->str, log->len))
    g_warning ("Could not write the verifier log %s: %s", path, g_strerror (errno));
  close (fd);
  g_string_append_printf (summary, " (libbpf and verifier log, readable by root only: %s)", path);
}

static gboolean
backend_allowed (NetpulseCollector *self,
                 Backend            backend)
{
  return self->forced_backend == NULL || g_str_equal (self->forced_backend, backends[backend].name);
}

static gboolean
load_best_backend (NetpulseCollector  *self,
                   GError            **error)
{
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GString) summary = g_string_new (NULL);

  libbpf_set_print (libbpf_print);
  libbpf_capture = log;

  for (Backend backend = 0; backend < N_BACKENDS; backend++)
    {
      if (!backend_allowed (self, backend))
        continue;

      for (int with_optional = 1; with_optional >= 0; with_optional--)
        {
          g_autoptr(GError) attempt_error = NULL;

          g_string_append_printf (log, "=== backend %s%s\n", backends[backend].name,
                                  with_optional ? "" : " (without optional programs)");
          if (try_backend (self, backend, with_optional, &attempt_error))
            {
              libbpf_capture = NULL;
              self->backend = backend;
              add_feature (self, backends[backend].name);
              return TRUE;
            }
          g_debug ("Backend %s%s: %s", backends[backend].name,
                   with_optional ? "" : " (minimal)", attempt_error->message);
          if (with_optional)
            g_string_append_printf (summary, "%s%s: %s", summary->len ? "; " : "",
                                    backends[backend].name, attempt_error->message);
        }
    }

  libbpf_capture = NULL;
  if (self->forced_backend != NULL && summary->len == 0)
    g_string_append_printf (summary, "unknown backend \"%s\" (fentry, kprobe, tracepoint)",
                            self->forced_backend);
  else
    write_load_log (self, log, summary);

  g_set_error (error, NETPULSE_COLLECTOR_ERROR, NETPULSE_COLLECTOR_ERROR_NO_BACKEND,
               "No set of kernel hooks could be loaded: %s", summary->str);
  return FALSE;
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
}

static void
log_attached (NetpulseCollector *self)
{
  g_autofree char *features = g_strjoinv (", ", (char **) self->features->pdata);

  g_message ("Kernel programs attached: backend %s, flow table %u entries "
             "(per-peer UDP entries: %u per socket, %u per user), features: %s",
             backends[self->backend].name, self->config.max_flows,
             self->config.max_peers_per_socket, self->config.max_peers_per_uid, features);
}

gboolean
netpulse_collector_start (NetpulseCollector  *self,
                          GError            **error)
{
  struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };

  g_return_val_if_fail (NETPULSE_IS_COLLECTOR (self), FALSE);

  if (self->running)
    return TRUE;

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

  /* Kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK. */
  setrlimit (RLIMIT_MEMLOCK, &unlimited);

  g_ptr_array_set_size (self->features, 0);
  g_ptr_array_add (self->features, NULL);
  add_feature (self, "btf");

  open_cgroup_root (self);

  if (!load_best_backend (self, error))
    {
      close_cgroup_fd (self);
      return FALSE;
    }

  self->running = TRUE;
  self->last_sample_mono_ns = clock_ns (CLOCK_MONOTONIC);
  /* Taken once, so that a connection's first-seen time stays the same
   * from one sample to the next. */
  self->real_offset_ns = clock_ns (CLOCK_REALTIME) - self->last_sample_mono_ns;
  log_attached (self);
  return TRUE;
}

void
netpulse_collector_stop (NetpulseCollector *self)
{
  g_return_if_fail (NETPULSE_IS_COLLECTOR (self));

  destroy_skeleton (self);
  close_cgroup_fd (self);
  if (self->running)
    g_message ("Kernel programs detached");
  self->running = FALSE;
  self->backend = N_BACKENDS;
}

gboolean
netpulse_collector_is_running (NetpulseCollector *self)
{
  g_return_val_if_fail (NETPULSE_IS_COLLECTOR (self), FALSE);
  return self->running;
}

/* ---- sampling ---- */

typedef struct {
  NetpulseCollector *self;
  guint64            now_mono_ns;
  guint64            real_offset_ns;    /* CLOCK_REALTIME - CLOCK_MONOTONIC */
  guint64            interval_ns;
  GHashTable        *released;          /* cookie → release time (monotonic ns) */
  GHashTable        *keep_released;     /* cookies still waiting for their TCP close */
  GArray            *to_delete;         /* struct np_closed_flow: closed, delete from the kernel */
  GArray            *idle_udp;          /* struct np_flow_key: idle, take final totals and delete */
  GArray            *evictable;         /* Evictable: idle per-peer entries, in case the table is full */
  guint              table_entries;     /* entries read from np_flows */
} Sample;

typedef struct {
  struct np_flow_key key;
  guint64            last_ns;
} Evictable;

static void
read_counters (NetpulseCollector *self)
{
  int fd = bpf_map__fd (self->skel->maps.np_counters);

  for (guint32 i = 0; i < NP_N_COUNTERS; i++)
    {
      guint64 value = 0;

      if (bpf_map_lookup_elem (fd, &i, &value) == 0)
        self->counters[i] = value;
    }
}

static GHashTable *
read_released_sockets (NetpulseCollector *self)
{
  GHashTable *released = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  int fd = bpf_map__fd (self->skel->maps.np_released_socks);
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

/* Forgets the released sockets that were dealt with in this sample; those
 * of TCP flows still within their grace period stay for the next one. */
static void
forget_released_sockets (NetpulseCollector *self,
                         GHashTable        *released,
                         GHashTable        *keep)
{
  int fd = bpf_map__fd (self->skel->maps.np_released_socks);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, released);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (keep, key))
      {
        bpf_map_delete_elem (fd, key);
        /* Its per-peer entries are gone with it: so is what it held. */
        bpf_map_delete_elem (bpf_map__fd (self->skel->maps.np_socket_peers), key);
        bpf_map_delete_elem (bpf_map__fd (self->skel->maps.np_socket_peers_freed), key);
      }
}

/* Whether the flow is over: closed by the kernel, or its socket released
 * (at once for UDP; for TCP after a grace period, see np_sock_release). */
static gboolean
flow_has_ended (Sample                   *sample,
                const struct np_flow_key *key,
                const struct np_flow     *flow)
{
  const guint64 *released_ns = g_hash_table_lookup (sample->released, &key->cookie);

  if (flow->closed)
    return TRUE;
  if (released_ns == NULL)
    return FALSE;
  if (flow->proto != 6)
    return TRUE;
  if (sample->now_mono_ns > *released_ns && sample->now_mono_ns - *released_ns > TCP_RELEASE_GRACE_NS)
    return TRUE;

  g_hash_table_add (sample->keep_released, g_memdup2 (&key->cookie, sizeof key->cookie));
  return FALSE;
}

static void
format_flow_addresses (NetpulseRecord       *record,
                       const struct np_flow *flow)
{
  static const guint8 zero[NP_ADDR_LEN];

  netpulse_format_address (flow->family, flow->laddr, record->laddr);
  if (memcmp (flow->raddr, zero, sizeof zero) == 0 && flow->rport == 0)
    record->raddr[0] = '\0';
  else
    netpulse_format_address (flow->family, flow->raddr, record->raddr);
  record->lport = flow->lport;
  record->rport = flow->rport;
}

static void
update_endpoints (FlowEntry            *entry,
                  const struct np_flow *flow)
{
  Endpoints now;

  memset (&now, 0, sizeof now); /* padding too: the struct is compared with memcmp() */
  now.lport = flow->lport;
  now.rport = flow->rport;
  now.family = flow->family;
  memcpy (now.laddr, flow->laddr, sizeof now.laddr);
  memcpy (now.raddr, flow->raddr, sizeof now.raddr);
  if (entry->endpoints_valid && memcmp (&now, &entry->endpoints, sizeof now) == 0)
    return;

  format_flow_addresses (&entry->record, flow);
  entry->endpoints = now;
  entry->endpoints_valid = TRUE;
}

static gboolean
update_record (FlowEntry            *entry,
               const struct np_flow *flow,
               const Sample         *sample,
               gboolean              closed)
{
  NetpulseRecord *r = &entry->record;
  NetpulseRecord before = *r;

  r->tx_bytes = flow->tx_bytes;
  r->rx_bytes = flow->rx_bytes;
  r->tx_packets = flow->tx_calls;
  r->rx_packets = flow->rx_calls;
  r->tx_rate = netpulse_compute_rate (entry->prev_tx, flow->tx_bytes, sample->interval_ns);
  r->rx_rate = netpulse_compute_rate (entry->prev_rx, flow->rx_bytes, sample->interval_ns);
  entry->prev_tx = flow->tx_bytes;
  entry->prev_rx = flow->rx_bytes;

  r->proto = flow->proto;
  r->family = flow->family;
  r->state = flow->proto == 6 ? flow->state : 0;
  r->rtt_us = flow->srtt_us;
  r->retrans = flow->retrans;
  r->peers = flow->peers;
  r->netns = flow->netns;
  r->first_seen_ns = flow->first_ns + sample->real_offset_ns;
  r->last_seen_ns = flow->last_ns + sample->real_offset_ns;
  update_endpoints (entry, flow);

  entry->ino = flow->ino;
  entry->has_process = flow->has_process;
  if (flow->has_process)
    {
      r->pid = flow->pid;
      r->uid = flow->uid;
      r->cgroup_id = flow->cgroup_id;
      g_strlcpy (r->comm, flow->comm, sizeof r->comm);
    }
  else if (r->pid == 0)
    r->uid = flow->uid;

  r->flags = (flow->partial ? NETPULSE_RECORD_PARTIAL : 0)
           | (flow->per_peer ? NETPULSE_RECORD_PER_PEER : 0)
           | (flow->other_peers ? NETPULSE_RECORD_OTHER_PEERS : 0)
           | (closed ? NETPULSE_RECORD_CLOSED : 0);

  return memcmp (&before, r, sizeof before) != 0;
}

static FlowEntry *
ensure_entry (NetpulseCollector        *self,
              const struct np_flow_key *key)
{
  FlowEntry *entry = g_hash_table_lookup (self->open_flows, key);

  if (entry == NULL)
    {
      entry = g_new0 (FlowEntry, 1);
      entry->key = *key;
      entry->record.id = ++self->next_id;
      g_hash_table_insert (self->open_flows, &entry->key, entry);
    }
  return entry;
}

static void
close_entry (NetpulseCollector *self,
             FlowEntry         *entry)
{
  entry->record.flags |= NETPULSE_RECORD_CLOSED;
  entry->record.tx_rate = 0;
  entry->record.rx_rate = 0;
  entry->changed_generation = self->generation;
  entry->closed_at_us = g_get_monotonic_time ();
  g_hash_table_steal (self->open_flows, &entry->key);
  g_queue_push_tail (&self->closed_flows, entry);
}

static void
take_kernel_flow (Sample                   *sample,
                  const struct np_flow_key *key,
                  const struct np_flow     *flow)
{
  NetpulseCollector *self = sample->self;
  FlowEntry *entry = ensure_entry (self, key);
  gboolean closed = flow_has_ended (sample, key, flow);
  gboolean idle_udp = !closed && flow->proto == 17
                    && sample->now_mono_ns > flow->last_ns
                    && sample->now_mono_ns - flow->last_ns > (guint64) self->config.udp_idle_ms * G_GUINT64_CONSTANT (1000000);
  gboolean is_new = entry->seen_generation == 0;

  entry->seen_generation = self->generation;
  sample->table_entries++;
  if (!closed && !idle_udp && flow->per_peer && !flow->other_peers
      && sample->now_mono_ns > flow->last_ns && sample->now_mono_ns - flow->last_ns >= EVICT_MIN_IDLE_NS)
    {
      Evictable candidate = { .key = *key, .last_ns = flow->last_ns };
      g_array_append_val (sample->evictable, candidate);
    }

  /* Final totals of an idle UDP flow are taken when it is deleted (see
   * finish_idle_udp_flows()), so that no byte counted in between is lost. */
  if (idle_udp)
    {
      g_array_append_vals (sample->idle_udp, key, 1);
      return;
    }

  if (update_record (entry, flow, sample, FALSE) || is_new)
    entry->changed_generation = self->generation;

  if (closed)
    {
      struct np_closed_flow deleted = { .key = *key, .flow = *flow };

      g_array_append_val (sample->to_delete, deleted);
      close_entry (self, entry);
    }
}

/* A TCP connection that the kernel handed over at close, with its final
 * totals (see hand_over_closed_flow() in netpulse.bpf.c). */
static int
on_closed_flow (void   *ctx,
                void   *data,
                size_t  size)
{
  NetpulseCollector *self = ctx;
  const struct np_closed_flow *closed = data;
  Sample *sample = self->current_sample;
  FlowEntry *entry;

  if (size < sizeof *closed)
    return 0;
  if (sample == NULL)
    {
      g_array_append_vals (self->early_closed, closed, 1);
      return 0;
    }

  entry = ensure_entry (self, &closed->key);
  entry->seen_generation = self->generation;
  update_record (entry, &closed->flow, sample, TRUE);
  close_entry (self, entry);
  return 0;
}

/* Read after the table: a flow closed while the table was read is in the
 * ring by now, so no connection looks vanished when it has in fact closed. */
static void
read_closed_ring (Sample *sample)
{
  NetpulseCollector *self = sample->self;

  self->current_sample = sample;
  for (guint i = 0; i < self->early_closed->len; i++)
    on_closed_flow (self, &g_array_index (self->early_closed, struct np_closed_flow, i),
                    sizeof (struct np_closed_flow));
  g_array_set_size (self->early_closed, 0);
  ring_buffer__consume (self->closed_ring);
  self->current_sample = NULL;
}

static gboolean
read_flows_batched (Sample *sample)
{
  NetpulseCollector *self = sample->self;
  int fd = bpf_map__fd (self->skel->maps.np_flows);
  guint32 in_batch = 0, out_batch = 0;
  gboolean first = TRUE;

  for (;;)
    {
      guint32 count = BATCH_SIZE;
      int err = bpf_map_lookup_batch (fd, first ? NULL : &in_batch, &out_batch,
                                      self->batch_keys, self->batch_values, &count, NULL);
      int errsv = errno;

      if (err != 0 && errsv != ENOENT)
        return first ? FALSE : TRUE;

      for (guint32 i = 0; i < count; i++)
        take_kernel_flow (sample, &self->batch_keys[i], &self->batch_values[i]);

      if (err != 0)
        return TRUE;
      in_batch = out_batch;
      first = FALSE;
    }
}

/* For kernels without batch lookups (before 5.6). */
static void
read_flows_one_by_one (Sample *sample)
{
  int fd = bpf_map__fd (sample->self->skel->maps.np_flows);
  struct np_flow_key key, next;
  struct np_flow_key *prev = NULL;
  struct np_flow flow;

  while (bpf_map_get_next_key (fd, prev, &next) == 0)
    {
      key = next;
      if (bpf_map_lookup_elem (fd, &key, &flow) == 0)
        take_kernel_flow (sample, &key, &flow);
      prev = &key;
    }
}

/* Adds one to the count of entries user space freed for @key in @map, the
 * only writer of that map: the kernel's charge() subtracts it. */
static void
add_freed (struct bpf_map *map,
           const void     *key)
{
  int fd = bpf_map__fd (map);
  guint64 freed = 0;

  bpf_map_lookup_elem (fd, key, &freed);
  freed++;
  if (bpf_map_update_elem (fd, key, &freed, BPF_ANY) != 0)
    g_debug ("Could not record a freed per-peer entry: %s", g_strerror (errno));
}

/* A per-peer entry was deleted from np_flows: its socket and its user may
 * hold one more (see charge() in netpulse.bpf.c). */
static void
release_peer_charge (NetpulseCollector        *self,
                     const struct np_flow_key *key,
                     const struct np_flow     *flow)
{
  if (!flow->per_peer || flow->other_peers)
    return;
  add_freed (self->skel->maps.np_socket_peers_freed, &key->cookie);
  add_freed (self->skel->maps.np_uid_peers_freed, &flow->charged_uid);
}

static void
delete_closed_flows (Sample *sample)
{
  NetpulseCollector *self = sample->self;
  int fd = bpf_map__fd (self->skel->maps.np_flows);

  for (guint i = 0; i < sample->to_delete->len; i++)
    {
      const struct np_closed_flow *deleted = &g_array_index (sample->to_delete, struct np_closed_flow, i);

      if (bpf_map_delete_elem (fd, &deleted->key) == 0)
        release_peer_charge (self, &deleted->key, &deleted->flow);
    }
}

static int
compare_last_used (gconstpointer a,
                   gconstpointer b)
{
  const Evictable *x = a, *y = b;

  return x->last_ns < y->last_ns ? -1 : x->last_ns > y->last_ns;
}

/* The table is nearly full: idle per-peer entries make room first, the
 * least recently used first.  They are finished like idle UDP flows (final
 * totals, reported closed). */
static void
evict_idle_peers (Sample *sample)
{
  NetpulseCollector *self = sample->self;
  guint64 high = (guint64) self->config.max_flows * EVICT_HIGH_NUM / EVICT_HIGH_DEN;
  guint64 low = (guint64) self->config.max_flows * EVICT_LOW_NUM / EVICT_LOW_DEN;
  guint64 entries = sample->table_entries - sample->to_delete->len - sample->idle_udp->len;
  guint n;

  if (entries <= high)
    return;
  g_array_sort (sample->evictable, compare_last_used);
  n = MIN (sample->evictable->len, entries - low);
  for (guint i = 0; i < n; i++)
    g_array_append_vals (sample->idle_udp, &g_array_index (sample->evictable, Evictable, i).key, 1);
  self->idle_evicted += n;
  if (n > 0)
    g_debug ("Flow table %" G_GUINT64_FORMAT "/%u full: evicted %u idle per-peer entries",
             entries, self->config.max_flows, n);
}

static void
finish_idle_udp_flows (Sample *sample)
{
  NetpulseCollector *self = sample->self;
  int fd = bpf_map__fd (self->skel->maps.np_flows);

  for (guint i = 0; i < sample->idle_udp->len; i++)
    {
      const struct np_flow_key *key = &g_array_index (sample->idle_udp, struct np_flow_key, i);
      FlowEntry *entry = g_hash_table_lookup (self->open_flows, key);
      struct np_flow flow;

      if (bpf_map_lookup_and_delete_elem (fd, key, &flow) != 0)
        {
          /* Kernels before 5.14 cannot do both at once for hash maps. */
          if (bpf_map_lookup_elem (fd, key, &flow) != 0)
            continue;
          bpf_map_delete_elem (fd, key);
        }
      release_peer_charge (self, key, &flow);
      update_record (entry, &flow, sample, TRUE);
      close_entry (self, entry);
    }
}

/* Flows that vanished from the kernel table without being closed (someone
 * else deleted them): report them closed rather than keep them forever. */
static void
close_vanished_flows (NetpulseCollector *self)
{
  GHashTableIter iter;
  FlowEntry *entry;
  g_autoptr(GPtrArray) vanished = g_ptr_array_new ();

  g_hash_table_iter_init (&iter, self->open_flows);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (entry->seen_generation != self->generation)
      g_ptr_array_add (vanished, entry);

  for (guint i = 0; i < vanished->len; i++)
    close_entry (self, g_ptr_array_index (vanished, i));
}

static void
prune_closed_flows (NetpulseCollector *self)
{
  gint64 horizon = g_get_monotonic_time () - (gint64) self->config.closed_retain_ms * 1000;
  FlowEntry *entry;

  while ((entry = g_queue_peek_head (&self->closed_flows)) != NULL && entry->closed_at_us < horizon)
    g_free (g_queue_pop_head (&self->closed_flows));
}

/* ---- owners of sockets that no process has used since we started ---- */

static guint64
socket_inode_of_fd (const char *fd_path)
{
  char target[64];
  ssize_t len = readlink (fd_path, target, sizeof target - 1);

  if (len <= 8)
    return 0;
  target[len] = '\0';
  if (!g_str_has_prefix (target, "socket:["))
    return 0;
  return g_ascii_strtoull (target + 8, NULL, 10);
}

static void
scan_proc_for_socket_owners (NetpulseCollector *self)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *pid_name;

  g_hash_table_remove_all (self->inode_owners);
  if (proc == NULL)
    return;

  while ((pid_name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *fd_dir_path = NULL;
      g_autoptr(GDir) fd_dir = NULL;
      const char *fd_name;
      guint64 pid = g_ascii_strtoull (pid_name, NULL, 10);

      if (pid == 0)
        continue;
      fd_dir_path = g_strdup_printf ("/proc/%s/fd", pid_name);
      fd_dir = g_dir_open (fd_dir_path, 0, NULL);
      if (fd_dir == NULL)
        continue;

      while ((fd_name = g_dir_read_name (fd_dir)) != NULL)
        {
          g_autofree char *fd_path = g_build_filename (fd_dir_path, fd_name, NULL);
          guint64 ino = socket_inode_of_fd (fd_path);

          if (ino != 0)
            g_hash_table_insert (self->inode_owners, g_memdup2 (&ino, sizeof ino), GUINT_TO_POINTER (pid));
        }
    }
}

static void
read_comm (guint32  pid,
           char    *comm,
           gsize    size)
{
  g_autofree char *path = g_strdup_printf ("/proc/%u/comm", pid);
  g_autofree char *contents = NULL;

  if (g_file_get_contents (path, &contents, NULL, NULL))
    g_strlcpy (comm, g_strchomp (contents), size);
}

static void
resolve_owners (NetpulseCollector *self)
{
  g_autoptr(GPtrArray) unresolved = g_ptr_array_new ();
  g_autoptr(GHashTable) comms = NULL;         /* pid → comm */
  GHashTableIter iter;
  FlowEntry *entry;
  gint64 now = g_get_monotonic_time ();

  g_hash_table_iter_init (&iter, self->open_flows);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (!entry->has_process && entry->record.pid == 0 && entry->ino != 0)
      g_ptr_array_add (unresolved, entry);

  if (unresolved->len == 0 || now - self->last_proc_scan_us < PROC_SCAN_MIN_INTERVAL)
    return;

  self->last_proc_scan_us = now;
  scan_proc_for_socket_owners (self);

  /* A process often owns many of them (a server at start-up): read each
   * process's name once, not once per socket. */
  comms = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  for (guint i = 0; i < unresolved->len; i++)
    {
      guint pid;
      char *comm;

      entry = g_ptr_array_index (unresolved, i);
      pid = GPOINTER_TO_UINT (g_hash_table_lookup (self->inode_owners, &entry->ino));
      if (pid == 0)
        continue;
      comm = g_hash_table_lookup (comms, GUINT_TO_POINTER (pid));
      if (comm == NULL)
        {
          comm = g_malloc0 (sizeof entry->record.comm);
          read_comm (pid, comm, sizeof entry->record.comm);
          g_hash_table_insert (comms, GUINT_TO_POINTER (pid), comm);
        }
      entry->record.pid = pid;
      g_strlcpy (entry->record.comm, comm, sizeof entry->record.comm);
      entry->changed_generation = self->generation;
    }
  g_hash_table_remove_all (self->inode_owners);
}

gboolean
netpulse_collector_sample (NetpulseCollector  *self,
                           GError            **error)
{
  g_autoptr(GHashTable) released = NULL;
  g_autoptr(GHashTable) keep_released = NULL;
  g_autoptr(GArray) to_delete = NULL;
  g_autoptr(GArray) idle_udp = NULL;
  g_autoptr(GArray) evictable = NULL;
  guint64 now_real;
  Sample sample;

  g_return_val_if_fail (NETPULSE_IS_COLLECTOR (self), FALSE);

  if (!self->running)
    {
      g_set_error (error, NETPULSE_COLLECTOR_ERROR, NETPULSE_COLLECTOR_ERROR_FAILED,
                   "The collector is not running");
      return FALSE;
    }

  self->generation++;
  self->ticks++;

  /* Released sockets first: a flow whose socket is in this set can no
   * longer change, so its totals read below are final. */
  released = read_released_sockets (self);
  keep_released = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  to_delete = g_array_new (FALSE, FALSE, sizeof (struct np_closed_flow));
  idle_udp = g_array_new (FALSE, FALSE, sizeof (struct np_flow_key));
  evictable = g_array_new (FALSE, FALSE, sizeof (Evictable));

  sample.self = self;
  sample.now_mono_ns = clock_ns (CLOCK_MONOTONIC);
  now_real = clock_ns (CLOCK_REALTIME);
  sample.real_offset_ns = self->real_offset_ns;
  sample.interval_ns = sample.now_mono_ns - self->last_sample_mono_ns;
  sample.released = released;
  sample.keep_released = keep_released;
  sample.to_delete = to_delete;
  sample.idle_udp = idle_udp;
  sample.evictable = evictable;
  sample.table_entries = 0;

  read_counters (self);
  if (!read_flows_batched (&sample))
    read_flows_one_by_one (&sample);

  read_closed_ring (&sample);
  delete_closed_flows (&sample);
  evict_idle_peers (&sample);
  finish_idle_udp_flows (&sample);
  forget_released_sockets (self, released, keep_released);
  close_vanished_flows (self);
  resolve_owners (self);
  prune_closed_flows (self);

  self->last_sample_mono_ns = sample.now_mono_ns;
  self->timestamp_ns = now_real;
  return TRUE;
}

guint64
netpulse_collector_get_generation (NetpulseCollector *self)
{
  g_return_val_if_fail (NETPULSE_IS_COLLECTOR (self), 0);
  return self->generation;
}

guint64
netpulse_collector_get_timestamp (NetpulseCollector *self)
{
  g_return_val_if_fail (NETPULSE_IS_COLLECTOR (self), 0);
  return self->timestamp_ns;
}

void
netpulse_collector_foreach_changed (NetpulseCollector  *self,
                                    guint64             since_generation,
                                    NetpulseRecordFunc  func,
                                    gpointer            user_data)
{
  GHashTableIter iter;
  FlowEntry *entry;

  g_return_if_fail (NETPULSE_IS_COLLECTOR (self));
  g_return_if_fail (func != NULL);

  g_hash_table_iter_init (&iter, self->open_flows);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (since_generation == 0 || entry->changed_generation > since_generation)
      func (&entry->record, user_data);

  for (GList *l = self->closed_flows.head; l != NULL; l = l->next)
    {
      entry = l->data;
      if (entry->changed_generation > since_generation)
        func (&entry->record, user_data);
    }
}

void
netpulse_collector_foreach_open (NetpulseCollector  *self,
                                 NetpulseRecordFunc  func,
                                 gpointer            user_data)
{
  GHashTableIter iter;
  FlowEntry *entry;

  g_return_if_fail (NETPULSE_IS_COLLECTOR (self));
  g_return_if_fail (func != NULL);

  g_hash_table_iter_init (&iter, self->open_flows);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    func (&entry->record, user_data);
}

const char *
netpulse_collector_get_backend (NetpulseCollector *self)
{
  g_return_val_if_fail (NETPULSE_IS_COLLECTOR (self), "none");
  return self->backend < N_BACKENDS ? backends[self->backend].name : "none";
}

const char * const *
netpulse_collector_get_features (NetpulseCollector *self)
{
  g_return_val_if_fail (NETPULSE_IS_COLLECTOR (self), NULL);
  return (const char * const *) self->features->pdata;
}

GVariant *
netpulse_collector_get_counters (NetpulseCollector *self)
{
  GVariantBuilder builder;

  g_return_val_if_fail (NETPULSE_IS_COLLECTOR (self), NULL);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{st}"));
  g_variant_builder_add (&builder, "{st}", "flow-overflow", self->counters[NP_COUNTER_FLOW_OVERFLOW]);
  g_variant_builder_add (&builder, "{st}", "peer-overflow", self->counters[NP_COUNTER_PEER_OVERFLOW]);
  g_variant_builder_add (&builder, "{st}", "release-overflow", self->counters[NP_COUNTER_RELEASE_OVERFLOW]);
  g_variant_builder_add (&builder, "{st}", "unknown-peer", self->counters[NP_COUNTER_UNKNOWN_PEER]);
  g_variant_builder_add (&builder, "{st}", "closed-ring-full", self->counters[NP_COUNTER_CLOSED_RING_FULL]);
  g_variant_builder_add (&builder, "{st}", "peers-aggregated", self->counters[NP_COUNTER_PEERS_AGGREGATED]);
  g_variant_builder_add (&builder, "{st}", "socket-peer-cap", self->counters[NP_COUNTER_SOCKET_PEER_CAP]);
  g_variant_builder_add (&builder, "{st}", "uid-peer-cap", self->counters[NP_COUNTER_UID_PEER_CAP]);
  g_variant_builder_add (&builder, "{st}", "peer-table-full", self->counters[NP_COUNTER_PEER_TABLE_FULL]);
  g_variant_builder_add (&builder, "{st}", "idle-evicted", self->idle_evicted);
  g_variant_builder_add (&builder, "{st}", "ticks", self->ticks);
  g_variant_builder_add (&builder, "{st}", "flows", (guint64) g_hash_table_size (self->open_flows));
  g_variant_builder_add (&builder, "{st}", "max-flows", (guint64) self->config.max_flows);
  g_variant_builder_add (&builder, "{st}", "closed-ring-bytes", (guint64) self->config.closed_ring_bytes);
  g_variant_builder_add (&builder, "{st}", "max-peers-per-socket", (guint64) self->config.max_peers_per_socket);
  g_variant_builder_add (&builder, "{st}", "max-peers-per-uid", (guint64) self->config.max_peers_per_uid);
  return g_variant_builder_end (&builder);
}
