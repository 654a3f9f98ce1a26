/* netpulse-cgroup-paths.c
 *
 * A process that exited before the helper read /proc/PID/cgroup leaves
 * its flow only the cgroup id the kernel saw (bpf_get_current_cgroup_id()).
 * On cgroup v2 that id is the inode number of the cgroup's directory, so
 * walking the hierarchy gives the path back, and with it the application
 * (app-*.scope, a container, a service) the process belonged to — as long
 * as the cgroup itself still exists, which it does for services,
 * containers and desktop applications with other processes left.
 *
 * The walk is cheap (a desktop has a few hundred cgroups) but not free,
 * so an unknown id rescans at most once per RESCAN_INTERVAL_US, and the
 * tree is bounded in depth and size against a hostile hierarchy.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-collector"

#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netpulse-cgroup-paths.h"

#define RESCAN_INTERVAL_US  G_USEC_PER_SEC
#define MAX_DEPTH           32
#define MAX_CGROUPS         65536

struct _NetpulseCgroupPaths
{
  char       *mount;
  GHashTable *paths;            /* guint64 id → char *path */
  gint64      last_scan_us;
  gboolean    scanned;
};

NetpulseCgroupPaths *
netpulse_cgroup_paths_new (const char *mount)
{
  NetpulseCgroupPaths *self = g_new0 (NetpulseCgroupPaths, 1);

  g_assert (mount != NULL);
  self->mount = g_strdup (mount);
  self->paths = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  return self;
}

void
netpulse_cgroup_paths_free (NetpulseCgroupPaths *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->paths);
  g_free (self->mount);
  g_free (self);
}

static void
add_path (NetpulseCgroupPaths *self,
          guint64              id,
          const char          *path)
{
  g_hash_table_replace (self->paths, g_memdup2 (&id, sizeof id), g_strdup (*path ? path : "/"));
}

/* Takes @dir_fd.  @path: the directory's path below the mount, "" for the
 * mount itself. */
static void
scan_dir (NetpulseCgroupPaths *self,
          int                  dir_fd,
          const char          *path,
          guint                depth)
{
  DIR *dir = fdopendir (dir_fd);
  struct dirent *entry;

  if (dir == NULL)
    {
      close (dir_fd);
      return;
    }
  while ((entry = readdir (dir)) != NULL && g_hash_table_size (self->paths) < MAX_CGROUPS)
    {
      g_autofree char *child = NULL;
      struct stat st;
      int child_fd;

      if (entry->d_type != DT_DIR || g_str_equal (entry->d_name, ".") || g_str_equal (entry->d_name, ".."))
        continue;
      child_fd = openat (dirfd (dir), entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (child_fd < 0)
        continue;
      if (fstat (child_fd, &st) < 0 || depth >= MAX_DEPTH)
        {
          close (child_fd);
          continue;
        }
      child = g_strconcat (path, "/", entry->d_name, NULL);
      add_path (self, (guint64) st.st_ino, child);
      scan_dir (self, child_fd, child, depth + 1);
    }
  closedir (dir);
}

static void
rescan (NetpulseCgroupPaths *self)
{
  int root_fd = open (self->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat st;

  g_hash_table_remove_all (self->paths);
  if (root_fd < 0)
    return;
  if (fstat (root_fd, &st) == 0)
    add_path (self, (guint64) st.st_ino, "");
  scan_dir (self, root_fd, "", 0);
}

const char *
netpulse_cgroup_paths_lookup (NetpulseCgroupPaths *self,
                              guint64              id)
{
  const char *path;
  gint64 now;

  g_assert (self != NULL);

  if (id == 0)
    return NULL;
  if ((path = g_hash_table_lookup (self->paths, &id)) != NULL)
    return path;
  now = g_get_monotonic_time ();
  if (self->scanned && now - self->last_scan_us < RESCAN_INTERVAL_US)
    return NULL;
  self->scanned = TRUE;
  self->last_scan_us = now;
  rescan (self);
  return g_hash_table_lookup (self->paths, &id);
}
