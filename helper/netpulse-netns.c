/* netpulse-netns.c
 *
 * The kernel's socket iterators walk the socket table of the namespace
 * the reader is in: to take in the connections of containers and test
 * namespaces, we enter each in turn and come back to our own.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-collector"
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netpulse-netns.h"

static void
add_namespace (GHashTable *namespaces,
               char       *path)
{
  struct stat st;
  guint64 ino;

  if (stat (path, &st) != 0 || g_hash_table_contains (namespaces, &(guint64) { st.st_ino }))
    {
      g_free (path);
      return;
    }
  ino = st.st_ino;
  g_hash_table_insert (namespaces, g_memdup2 (&ino, sizeof ino), path);
}

/* The inode numbers and one path of every network namespace that some
 * process is in, or that `ip netns` keeps (/run/netns): a namespace no
 * process is in can still have sockets, held by processes elsewhere
 * (created there, then setns() back) — those exist before start-up too. */
static GHashTable *
find_network_namespaces (void)
{
  GHashTable *namespaces = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  g_autoptr(GDir) named = g_dir_open ("/run/netns", 0, NULL);
  const char *name;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    if (g_ascii_isdigit (name[0]))
      add_namespace (namespaces, g_strdup_printf ("/proc/%s/ns/net", name));
  while (named != NULL && (name = g_dir_read_name (named)) != NULL)
    add_namespace (namespaces, g_build_filename ("/run/netns", name, NULL));
  return namespaces;
}

static void
call_inside (const char        *path,
             int                own_netns,
             NetpulseNetnsFunc  func,
             gpointer           user_data)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return;
  if (setns (fd, CLONE_NEWNET) == 0)
    {
      func (user_data);
      if (setns (own_netns, CLONE_NEWNET) != 0)
        g_error ("Cannot return to our own network namespace: %s", g_strerror (errno));
    }
  close (fd);
}

void
netpulse_netns_foreach (NetpulseNetnsFunc func,
                        gpointer          user_data)
{
  g_autoptr(GHashTable) namespaces = NULL;
  GHashTableIter iter;
  const guint64 *ino;
  const char *path;
  struct stat own_st;
  int own_netns;

  /* Our own namespace is done where we are (setns() needs a capability
   * the others need anyway); without a way back, only it is done. */
  func (user_data);
  own_netns = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (own_netns < 0 || fstat (own_netns, &own_st) != 0)
    {
      if (own_netns >= 0)
        close (own_netns);
      return;
    }

  namespaces = find_network_namespaces ();
  g_hash_table_iter_init (&iter, namespaces);
  while (g_hash_table_iter_next (&iter, (gpointer *) &ino, (gpointer *) &path))
    if (*ino != own_st.st_ino)
      call_inside (path, own_netns, func, user_data);
  close (own_netns);
}
