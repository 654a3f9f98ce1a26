/* netpulse-bpf-loader.c
 *
 * Loads the kernel programs (bpf/netpulse.bpf.c) with the best backend the
 * running kernel allows, and reads and trims their maps for the collector.
 * Programs are named by skeleton member, never by name or prefix, so that
 * renaming one in netpulse.bpf.c fails to compile here instead of quietly
 * moving it to another backend (libbpf-tools' biosnoop.c does the same).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-collector"

#include "config.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <glib-unix.h>
#include <unistd.h>

#include "netpulse.skel.h"

#include "netpulse-bpf-loader.h"
#include "netpulse-bpf-maps.h"
#include "netpulse-netns.h"
#include "netpulse-verifier-log.h"

typedef enum {
  BACKEND_FENTRY,
  BACKEND_KPROBE,
  BACKEND_TRACEPOINT,
  N_BACKENDS
} Backend;

/* Best first. */
static const char * const backend_names[N_BACKENDS] = {
  [BACKEND_FENTRY]     = "fentry",
  [BACKEND_KPROBE]     = "kprobe",
  [BACKEND_TRACEPOINT] = "tracepoint",
};

typedef enum {
  HOOK_REQUIRED,   /* must attach, or the backend fails */
  HOOK_CGROUP,     /* on the cgroup v2 root; optional */
  HOOK_TRACING,    /* a tracing program that counts more; optional */
  HOOK_ITERATOR,   /* run once in every namespace after the rest attached */
  HOOK_OWNERS,     /* iter/task_file, kept attached: run while flows lack an owner */
} HookKind;

/* What an attempt loads besides a backend's required hooks, most first:
 * a kernel that refuses iter/task_file (before 5.11: no
 * bpf_sock_from_file()) keeps the cgroup hooks and the socket walks. */
typedef enum {
  TIER_MINIMAL,
  TIER_OPTIONAL,
  TIER_OWNERS,
} Tier;

typedef struct {
  struct bpf_program *prog;
  HookKind            kind;
  const char         *feature;   /* reported when it works; NULL for required hooks */
} Hook;

struct _NetpulseBpfLoader
{
  const NetpulseCollectorConfig *config;
  NetpulseClosedFunc             on_closed;
  gpointer                       user_data;

  struct netpulse_bpf           *skel;
  GArray                        *hooks;       /* Hook, of the loaded skeleton */
  struct ring_buffer            *closed_ring; /* np_closed_flows */
  guint                          ring_source_id;
  GPtrArray                     *links;       /* struct bpf_link * */
  struct bpf_link               *owners_link; /* iter/task_file, one of links; NULL if none */
  int                            cgroup_fd;
  Backend                        backend;
  GPtrArray                     *features;    /* char *, NULL-terminated */

};

/* libbpf's print callback takes no user data, so the text of the load
 * attempt in progress is collected here.  Only the thread that calls
 * netpulse_bpf_loader_load() sets it. */
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

NetpulseBpfLoader *
netpulse_bpf_loader_new (const NetpulseCollectorConfig *config,
                         NetpulseClosedFunc             on_closed,
                         gpointer                       user_data)
{
  NetpulseBpfLoader *self = g_new0 (NetpulseBpfLoader, 1);

  self->config = config;
  self->on_closed = on_closed;
  self->user_data = user_data;
  self->hooks = g_array_new (FALSE, FALSE, sizeof (Hook));
  self->links = g_ptr_array_new ();
  self->cgroup_fd = -1;
  self->backend = N_BACKENDS;
  self->features = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->features, NULL);
  return self;
}

void
netpulse_bpf_loader_free (NetpulseBpfLoader *self)
{
  if (self == NULL)
    return;
  netpulse_bpf_loader_unload (self);
  g_array_unref (self->hooks);
  g_ptr_array_unref (self->links);
  g_ptr_array_unref (self->features);
  g_free (self);
}

static void
add_feature (NetpulseBpfLoader *self,
             const char        *feature)
{
  for (guint i = 0; i + 1 < self->features->len; i++)
    if (g_str_equal (g_ptr_array_index (self->features, i), feature))
      return;
  /* keep the array NULL-terminated for get_features() */
  g_ptr_array_insert (self->features, self->features->len - 1, g_strdup (feature));
}

static void
add_hook (GArray             *hooks,
          struct bpf_program *prog,
          HookKind            kind,
          const char         *feature)
{
  Hook hook = { prog, kind, feature };

  g_array_append_val (hooks, hook);
}

/* The programs of @backend.  The TCP state tracepoint is in every one:
 * without TCP states there is no close, and no short-lived connection
 * would ever be reported closed. */
static void
collect_hooks (struct netpulse_bpf *skel,
               Backend              backend,
               Tier                 tier,
               GArray              *hooks)
{
  typeof (skel->progs) *p = &skel->progs;

  add_hook (hooks, p->np_tcp_state, HOOK_REQUIRED, NULL);
  switch (backend)
    {
    case BACKEND_FENTRY:
      add_hook (hooks, p->np_fexit_inet_sendmsg, HOOK_REQUIRED, NULL);
      add_hook (hooks, p->np_fexit_inet6_sendmsg, HOOK_REQUIRED, NULL);
      add_hook (hooks, p->np_fexit_inet_recvmsg, HOOK_REQUIRED, NULL);
      add_hook (hooks, p->np_fexit_inet6_recvmsg, HOOK_REQUIRED, NULL);
      break;
    case BACKEND_KPROBE:
      add_hook (hooks, p->np_kp_inet_sendmsg, HOOK_REQUIRED, NULL);
      add_hook (hooks, p->np_kp_inet6_sendmsg, HOOK_REQUIRED, NULL);
      add_hook (hooks, p->np_kp_inet_recvmsg, HOOK_REQUIRED, NULL);
      add_hook (hooks, p->np_kp_inet6_recvmsg, HOOK_REQUIRED, NULL);
      add_hook (hooks, p->np_krp_inet_sendmsg, HOOK_REQUIRED, NULL);
      add_hook (hooks, p->np_krp_inet6_sendmsg, HOOK_REQUIRED, NULL);
      add_hook (hooks, p->np_krp_inet_recvmsg, HOOK_REQUIRED, NULL);
      add_hook (hooks, p->np_krp_inet6_recvmsg, HOOK_REQUIRED, NULL);
      /* gives each socket its cookie at creation, for read_cookie() */
      add_hook (hooks, p->np_kp_sock_create, HOOK_CGROUP, "cgroup_sock_create");
      break;
    case BACKEND_TRACEPOINT:
      add_hook (hooks, p->np_tp_send, HOOK_REQUIRED, NULL);
      add_hook (hooks, p->np_tp_recv, HOOK_REQUIRED, NULL);
      break;
    case N_BACKENDS:
    default:
      g_assert_not_reached ();
    }
  if (tier == TIER_MINIMAL)
    return;
  add_hook (hooks, p->np_sendmsg4, HOOK_CGROUP, "cgroup_sock_addr");
  add_hook (hooks, p->np_sendmsg6, HOOK_CGROUP, "cgroup_sock_addr");
  add_hook (hooks, p->np_recvmsg4, HOOK_CGROUP, "cgroup_sock_addr");
  add_hook (hooks, p->np_recvmsg6, HOOK_CGROUP, "cgroup_sock_addr");
  add_hook (hooks, p->np_sock_release, HOOK_CGROUP, "cgroup_sock_release");
  add_hook (hooks, p->np_tcp_read, HOOK_TRACING, "tcp_read_sock");
  add_hook (hooks, p->np_iter_tcp, HOOK_ITERATOR, "iter_tcp");
  add_hook (hooks, p->np_iter_udp, HOOK_ITERATOR, "iter_udp");
  /* after the socket walks: it names what they found */
  if (tier == TIER_OWNERS)
    add_hook (hooks, p->np_iter_task_file, HOOK_OWNERS, "iter_task_file");
}

/* Only the hooks of this attempt are loaded: every other program is
 * switched off, new ones included until they are named above. */
static void
select_programs (NetpulseBpfLoader *self,
                 Backend            backend,
                 Tier               tier)
{
  struct bpf_program *prog;

  g_array_set_size (self->hooks, 0);
  collect_hooks (self->skel, backend, tier, self->hooks);
  bpf_object__for_each_program (prog, self->skel->obj)
    bpf_program__set_autoload (prog, FALSE);
  for (guint i = 0; i < self->hooks->len; i++)
    bpf_program__set_autoload (g_array_index (self->hooks, Hook, i).prog, TRUE);
}

static gboolean
attach_program (NetpulseBpfLoader   *self,
                const Hook          *hook,
                GError             **error)
{
  struct bpf_link *link;

  if (hook->kind == HOOK_CGROUP)
    link = bpf_program__attach_cgroup (hook->prog, self->cgroup_fd);
  else
    link = bpf_program__attach (hook->prog);

  if (link == NULL)
    {
      int errsv = errno;
      g_set_error (error, NETPULSE_COLLECTOR_ERROR, NETPULSE_COLLECTOR_ERROR_FAILED,
                   "attaching %s: %s", bpf_program__name (hook->prog), g_strerror (errsv));
      return FALSE;
    }
  g_ptr_array_add (self->links, link);
  return TRUE;
}

static void
destroy_links (NetpulseBpfLoader *self)
{
  for (guint i = 0; i < self->links->len; i++)
    bpf_link__destroy (g_ptr_array_index (self->links, i));
  g_ptr_array_set_size (self->links, 0);
}

static gboolean
run_iterator_link (struct bpf_link *link)
{
  char buf[256];
  int fd = bpf_iter_create (bpf_link__fd (link));

  if (fd < 0)
    return FALSE;
  while (read (fd, buf, sizeof buf) > 0)
    ;
  close (fd);
  return TRUE;
}

static void
drain_iterator (gpointer user_data)
{
  run_iterator_link (user_data);
}

/* Runs an iter/ program once in every network namespace: the kernel walks
 * the socket table of the namespace the reader is in. */
static gboolean
run_iterator (struct bpf_program *prog)
{
  struct bpf_link *link = bpf_program__attach_iter (prog, NULL);

  if (link == NULL)
    return FALSE;
  netpulse_netns_foreach (drain_iterator, link);
  bpf_link__destroy (link);
  return TRUE;
}

static void
attach_owners_iterator (NetpulseBpfLoader *self,
                        const Hook        *hook)
{
  self->owners_link = bpf_program__attach_iter (hook->prog, NULL);
  if (self->owners_link == NULL)
    {
      g_warning ("Attaching %s failed: owners of idle sockets are found in /proc instead",
                 bpf_program__name (hook->prog));
      return;
    }
  g_ptr_array_add (self->links, self->owners_link);
  add_feature (self, hook->feature);
  /* The connections from before start-up have their owners in the first
   * sample already. */
  netpulse_bpf_loader_scan_owners (self);
}

gboolean
netpulse_bpf_loader_scan_owners (NetpulseBpfLoader *self)
{
  if (self->owners_link == NULL)
    return FALSE;
  /* The task iterator walks the tasks of the reader's pid namespace: ours. */
  if (run_iterator_link (self->owners_link))
    return TRUE;
  g_warning ("Running iter/task_file failed (%s): owners of idle sockets are found in /proc instead",
             g_strerror (errno));
  self->owners_link = NULL;    /* still in links, destroyed with them */
  return FALSE;
}

/* Attaches what was loaded.  Backend programs and the state tracepoint
 * must attach; cgroup hooks are optional features.  Iterators run after
 * everything else is attached, so that nothing falls between the two. */
static gboolean
attach_hooks (NetpulseBpfLoader  *self,
              GError            **error)
{
  for (guint i = 0; i < self->hooks->len; i++)
    {
      const Hook *hook = &g_array_index (self->hooks, Hook, i);
      g_autoptr(GError) local_error = NULL;

      if (hook->kind == HOOK_REQUIRED && !attach_program (self, hook, error))
        return FALSE;
      if (hook->kind != HOOK_TRACING && (hook->kind != HOOK_CGROUP || self->cgroup_fd < 0))
        continue;
      if (attach_program (self, hook, &local_error))
        add_feature (self, hook->feature);
      else
        g_warning ("%s; %s will be missing", local_error->message,
                   hook->kind == HOOK_TRACING ? "TCP data read with splice()" : "unconnected UDP peers or UDP close");
    }

  for (guint i = 0; i < self->hooks->len; i++)
    {
      const Hook *hook = &g_array_index (self->hooks, Hook, i);

      if (hook->kind == HOOK_OWNERS)
        {
          attach_owners_iterator (self, hook);
          continue;
        }
      if (hook->kind != HOOK_ITERATOR)
        continue;
      if (run_iterator (hook->prog))
        add_feature (self, hook->feature);
      else
        g_warning ("Running %s failed: connections from before start-up may be missing",
                   bpf_program__name (hook->prog));
    }

  return TRUE;
}

static void
destroy_skeleton (NetpulseBpfLoader *self)
{
  g_clear_handle_id (&self->ring_source_id, g_source_remove);
  g_clear_pointer (&self->closed_ring, ring_buffer__free);
  destroy_links (self);
  self->owners_link = NULL;
  g_array_set_size (self->hooks, 0);
  g_clear_pointer (&self->skel, netpulse_bpf__destroy);
}

/* A TCP connection that the kernel handed over at close, with its final
 * totals (see hand_over_closed_flow() in netpulse.bpf.c). */
static int
on_closed_flow (void   *ctx,
                void   *data,
                size_t  size)
{
  NetpulseBpfLoader *self = ctx;

  if (size >= sizeof (struct np_closed_flow))
    self->on_closed (data, self->user_data);
  return 0;
}

/* The kernel wakes us up between samples only when the ring is half full
 * (heavy churn): keep its records for the next sample, so the ring never
 * fills up and closed flows never have to wait in the flow table. */
static gboolean
on_closed_ring_half_full (int          fd,
                          GIOCondition condition,
                          gpointer     user_data)
{
  NetpulseBpfLoader *self = user_data;

  /* poll, not consume: epoll_wait() clears the readiness of the epoll fd,
   * which would otherwise stay readable and wake us again and again. */
  ring_buffer__poll (self->closed_ring, 0);
  return G_SOURCE_CONTINUE;
}

static void
configure_skeleton (NetpulseBpfLoader *self)
{
  const NetpulseCollectorConfig *config = self->config;

  bpf_map__set_max_entries (self->skel->maps.np_flows, config->max_flows);
  bpf_map__set_max_entries (self->skel->maps.np_changed, netpulse_bpf_maps_changed_ring_bytes (config->max_flows));
  bpf_map__set_max_entries (self->skel->maps.np_closed_flows, config->closed_ring_bytes);
  self->skel->rodata->np_ring_wakeup_bytes = config->closed_ring_bytes / 2;
  self->skel->rodata->np_max_peers_per_socket = config->max_peers_per_socket;
  self->skel->rodata->np_max_peers_per_uid = config->max_peers_per_uid;
}

/* One attempt: open, pick programs, load, attach.  On failure everything
 * of this attempt is undone. */
static gboolean
try_backend (NetpulseBpfLoader  *self,
             Backend             backend,
             Tier                tier,
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

  configure_skeleton (self);
  select_programs (self, backend, tier);

  err = netpulse_bpf__load (self->skel);
  if (err != 0)
    {
      g_set_error (error, NETPULSE_COLLECTOR_ERROR, NETPULSE_COLLECTOR_ERROR_FAILED,
                   "loading: %s", g_strerror (-err));
      destroy_skeleton (self);
      return FALSE;
    }

  if (!attach_hooks (self, error))
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

static gboolean
backend_allowed (NetpulseBpfLoader *self,
                 Backend            backend)
{
  return self->config->backend == NULL || g_str_equal (self->config->backend, backend_names[backend]);
}

/* What an attempt found is forgotten with it: only the attempt that
 * loaded says what works. */
static void
reset_features (NetpulseBpfLoader *self)
{
  g_ptr_array_set_size (self->features, 0);
  g_ptr_array_add (self->features, NULL);
  /* CO-RE needs the kernel's BTF: the collector checked it is there. */
  add_feature (self, "btf");
}

static gboolean
try_backends (NetpulseBpfLoader *self,
              GString           *log,
              GString           *summary)
{
  for (Backend backend = 0; backend < N_BACKENDS; backend++)
    {
      if (!backend_allowed (self, backend))
        continue;

      for (int tier = TIER_OWNERS; tier >= TIER_MINIMAL; tier--)
        {
          static const char * const tier_names[] = {
            [TIER_MINIMAL] = " (without optional programs)",
            [TIER_OPTIONAL] = " (without iter/task_file)",
            [TIER_OWNERS] = "",
          };
          g_autoptr(GError) attempt_error = NULL;

          reset_features (self);
          g_string_append_printf (log, "=== backend %s%s\n", backend_names[backend], tier_names[tier]);
          if (try_backend (self, backend, tier, &attempt_error))
            {
              self->backend = backend;
              add_feature (self, backend_names[backend]);
              return TRUE;
            }
          g_debug ("Backend %s%s: %s", backend_names[backend], tier_names[tier], attempt_error->message);
          if (tier == TIER_OWNERS)
            g_string_append_printf (summary, "%s%s: %s", summary->len ? "; " : "",
                                    backend_names[backend], attempt_error->message);
        }
    }
  return FALSE;
}

gboolean
netpulse_bpf_loader_load (NetpulseBpfLoader  *self,
                          int                 cgroup_fd,
                          GError            **error)
{
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GString) summary = g_string_new (NULL);
  gboolean loaded;

  g_assert (self->skel == NULL);

  self->cgroup_fd = cgroup_fd;
  reset_features (self);

  libbpf_set_print (libbpf_print);
  libbpf_capture = log;
  loaded = try_backends (self, log, summary);
  libbpf_capture = NULL;
  if (loaded)
    return TRUE;

  if (self->config->backend != NULL && summary->len == 0)
    g_string_append_printf (summary, "unknown backend \"%s\" (fentry, kprobe, tracepoint)",
                            self->config->backend);
  else
    netpulse_verifier_log_write (self->config->verifier_log, log, summary);

  g_set_error (error, NETPULSE_COLLECTOR_ERROR, NETPULSE_COLLECTOR_ERROR_NO_BACKEND,
               "No set of kernel hooks could be loaded: %s", summary->str);
  return FALSE;
}

void
netpulse_bpf_loader_unload (NetpulseBpfLoader *self)
{
  destroy_skeleton (self);
  self->cgroup_fd = -1;
  self->backend = N_BACKENDS;
}

const char *
netpulse_bpf_loader_get_backend (NetpulseBpfLoader *self)
{
  return self->backend < N_BACKENDS ? backend_names[self->backend] : "none";
}

const char * const *
netpulse_bpf_loader_get_features (NetpulseBpfLoader *self)
{
  return (const char * const *) self->features->pdata;
}

void
netpulse_bpf_loader_read_closed (NetpulseBpfLoader *self)
{
  ring_buffer__consume (self->closed_ring);
}

void
netpulse_bpf_loader_get_map_fds (NetpulseBpfLoader *self,
                                 NetpulseMapFds    *fds)
{
  g_assert (self->skel != NULL);

  fds->flows = bpf_map__fd (self->skel->maps.np_flows);
  fds->counters = bpf_map__fd (self->skel->maps.np_counters);
  fds->released_socks = bpf_map__fd (self->skel->maps.np_released_socks);
  fds->socket_peers = bpf_map__fd (self->skel->maps.np_socket_peers);
  fds->socket_peers_freed = bpf_map__fd (self->skel->maps.np_socket_peers_freed);
  fds->uid_peers_freed = bpf_map__fd (self->skel->maps.np_uid_peers_freed);
  fds->changed = bpf_map__fd (self->skel->maps.np_changed);
  fds->harvest = bpf_map__fd (self->skel->maps.np_harvest);
}
