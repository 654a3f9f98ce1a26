/* netpulse-verifier-log.c
 *
 * When no backend loads, libbpf's and the verifier's text goes to a file
 * only root can read: it names kernel addresses and program internals.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-collector"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netpulse-verifier-log.h"

/* Where the log of a refused program goes without --verifier-log. */
#define NETPULSE_PRIVATE_DIR       "/run/netpulse"
#define NETPULSE_VERIFIER_LOG_NAME "verifier.log"

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
    return g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                        "creating %s: %s", dir, g_strerror (errno)), -1;
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                        "opening %s: %s", dir, g_strerror (errno)), -1;
  if (fstat (fd, &st) != 0 || st.st_uid != geteuid () ||
      ((st.st_mode & 077) != 0 && fchmod (fd, 0700) != 0))
    {
      close (fd);
      return g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                          "%s is not a private directory of ours", dir), -1;
    }
  return fd;
}

/* A new file of mode 0600: O_EXCL and O_NOFOLLOW, so that nothing that
 * was there (a link to another file, a file someone else can read) is
 * written through.  Returns its descriptor and its path in @path_out. */
static int
create_log_file (const char  *path,
                 char       **path_out,
                 GError     **error)
{
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  const char *dir;
  int dir_fd, fd;

  if (path != NULL)
    {
      fd = open (path, flags, 0600);
      if (fd < 0)
        return g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                            "%s: %s%s", path, g_strerror (errno),
                            errno == EEXIST ? " (not overwritten: name a new file)" : ""), -1;
      *path_out = g_strdup (path);
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
    return g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
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

void
netpulse_verifier_log_write (const char *path,
                             GString    *log,
                             GString    *summary)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *written = NULL;
  int fd = create_log_file (path, &written, &error);

  if (fd < 0)
    {
      g_warning ("Could not write the verifier log: %s", error->message);
      return;
    }
  /* 0600 whatever the umask. */
  if (fchmod (fd, 0600) != 0 || !write_all (fd, log->str, log->len))
    g_warning ("Could not write the verifier log %s: %s", written, g_strerror (errno));
  close (fd);
  g_string_append_printf (summary, " (libbpf and verifier log, readable by root only: %s)", written);
}
