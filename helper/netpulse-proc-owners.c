/* netpulse-proc-owners.c
 *
 * A socket that existed before the collector started, or that was
 * accepted and has not moved data yet, has no pid in the kernel's flow:
 * its owner is whoever holds it open.  Where the kernel takes iter/task_file
 * that walk runs in the kernel (netpulse_bpf_loader_scan_owners()), which
 * finds accepted sockets too; otherwise the inodes of sockets from before
 * start-up are looked up in /proc/PID/fd.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-collector"

#include "config.h"

#include <unistd.h>

#include "netpulse-proc-owners.h"

#define PROC_SCAN_MIN_INTERVAL   (2 * G_USEC_PER_SEC)
/* The kernel's walk: at most once a second, and while the same flows stay
 * without an owner (a kernel socket, a connection nobody accepted yet)
 * only every second sample; new ones are looked for at the next sample. */
#define KERNEL_SCAN_MIN_INTERVAL (G_USEC_PER_SEC)
#define KERNEL_SCAN_EVERY_TICKS  2

struct _NetpulseProcOwners
{
  NetpulseOwnerLookup  lookup;
  GHashTable          *inode_owners;      /* ino → pid, from /proc */
  GHashTable          *comms;             /* pid → comm, this scan */
  gint64               last_scan_us;

  NetpulseKernelScanFunc kernel_scan;
  gpointer             kernel_scan_data;
  gint64               last_kernel_scan_us;
  guint                ticks_since_kernel_scan;
  guint                unowned_at_kernel_scan;
};

void
netpulse_proc_owners_set_kernel_scan (NetpulseProcOwners     *self,
                                      NetpulseKernelScanFunc  func,
                                      gpointer                user_data)
{
  self->kernel_scan = func;
  self->kernel_scan_data = user_data;
}

/* TRUE when the kernel's walk is there (whether it ran now or not). */
static gboolean
kernel_scan (NetpulseProcOwners *self,
             guint               n_unowned)
{
  gint64 now = g_get_monotonic_time ();
  gboolean newcomers = n_unowned > self->unowned_at_kernel_scan;

  if (self->kernel_scan == NULL)
    return FALSE;
  self->ticks_since_kernel_scan++;
  if (n_unowned == 0)
    {
      self->unowned_at_kernel_scan = 0;
      return TRUE;
    }
  if (now - self->last_kernel_scan_us < KERNEL_SCAN_MIN_INTERVAL
      || (!newcomers && self->ticks_since_kernel_scan < KERNEL_SCAN_EVERY_TICKS))
    {
      /* fewer than before: some were found or closed, the rest are not new */
      self->unowned_at_kernel_scan = MIN (self->unowned_at_kernel_scan, n_unowned);
      return TRUE;
    }
  if (!self->kernel_scan (self->kernel_scan_data))
    {
      self->kernel_scan = NULL;
      return FALSE;
    }
  self->last_kernel_scan_us = now;
  self->ticks_since_kernel_scan = 0;
  self->unowned_at_kernel_scan = n_unowned;
  return TRUE;
}

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
scan_fds_of (NetpulseProcOwners *self,
             const char         *pid_name,
             guint64             pid)
{
  g_autofree char *fd_dir_path = g_strdup_printf ("/proc/%s/fd", pid_name);
  g_autoptr(GDir) fd_dir = g_dir_open (fd_dir_path, 0, NULL);
  const char *fd_name;

  while (fd_dir != NULL && (fd_name = g_dir_read_name (fd_dir)) != NULL)
    {
      g_autofree char *fd_path = g_build_filename (fd_dir_path, fd_name, NULL);
      guint64 ino = socket_inode_of_fd (fd_path);

      if (ino != 0)
        g_hash_table_insert (self->inode_owners, g_memdup2 (&ino, sizeof ino), GUINT_TO_POINTER (pid));
    }
}

static gboolean
owners_scan (gpointer user_data,
             guint    n_unowned)
{
  NetpulseProcOwners *self = user_data;
  gint64 now = g_get_monotonic_time ();
  g_autoptr(GDir) proc = NULL;
  const char *pid_name;

  /* The kernel gives the flows their owners itself: nothing to look up. */
  if (kernel_scan (self, n_unowned))
    return FALSE;
  if (n_unowned == 0 || now - self->last_scan_us < PROC_SCAN_MIN_INTERVAL)
    return FALSE;
  self->last_scan_us = now;

  g_hash_table_remove_all (self->inode_owners);
  proc = g_dir_open ("/proc", 0, NULL);
  while (proc != NULL && (pid_name = g_dir_read_name (proc)) != NULL)
    {
      guint64 pid = g_ascii_strtoull (pid_name, NULL, 10);

      if (pid != 0)
        scan_fds_of (self, pid_name, pid);
    }
  return TRUE;
}

static char *
read_comm (guint32 pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%u/comm", pid);
  g_autofree char *contents = NULL;
  char *comm = g_malloc0 (NP_COMM_LEN);

  if (g_file_get_contents (path, &contents, NULL, NULL))
    g_strlcpy (comm, g_strchomp (contents), NP_COMM_LEN);
  return comm;
}

static gboolean
owners_lookup (gpointer  user_data,
               guint64   ino,
               guint32  *pid,
               char     *comm)
{
  NetpulseProcOwners *self = user_data;
  const char *name;

  *pid = GPOINTER_TO_UINT (g_hash_table_lookup (self->inode_owners, &ino));
  if (*pid == 0)
    return FALSE;

  /* A process often owns many of them (a server at start-up): read each
   * process's name once, not once per socket. */
  name = g_hash_table_lookup (self->comms, GUINT_TO_POINTER (*pid));
  if (name == NULL)
    {
      name = read_comm (*pid);
      g_hash_table_insert (self->comms, GUINT_TO_POINTER (*pid), (char *) name);
    }
  g_strlcpy (comm, name, NP_COMM_LEN);
  return TRUE;
}

static void
owners_done (gpointer user_data)
{
  NetpulseProcOwners *self = user_data;

  g_hash_table_remove_all (self->inode_owners);
  g_hash_table_remove_all (self->comms);
}

NetpulseProcOwners *
netpulse_proc_owners_new (void)
{
  NetpulseProcOwners *self = g_new0 (NetpulseProcOwners, 1);

  self->inode_owners = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->comms = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->lookup = (NetpulseOwnerLookup) {
    .scan = owners_scan,
    .lookup = owners_lookup,
    .done = owners_done,
    .user_data = self,
  };
  return self;
}

void
netpulse_proc_owners_free (NetpulseProcOwners *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->inode_owners);
  g_hash_table_unref (self->comms);
  g_free (self);
}

const NetpulseOwnerLookup *
netpulse_proc_owners_get_lookup (NetpulseProcOwners *self)
{
  return &self->lookup;
}
