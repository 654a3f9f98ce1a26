/* netpulse-metrics-textfile.c — the atomic write of netpulse.prom.
 *
 * node_exporter reads every *.prom file of its directory at each scrape;
 * a file being written would give it half a page (and a parse error for
 * the whole textfile collector).  So the page goes to a temporary file
 * whose name does not end in .prom (the collector skips it), is synced,
 * then renamed over the old one; the directory is synced too so that the
 * rename survives a power cut.
 *
 * The helper runs as root, the directory is an administrator's choice
 * (the configure action): still, nothing is followed — the directory is
 * opened once with O_DIRECTORY and every name is relative to it, the
 * temporary file is created with O_EXCL | O_NOFOLLOW — so that a symbolic
 * link planted there cannot make the helper write elsewhere.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-metrics"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixoutputstream.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netpulse-metrics-textfile.h"

#define TEMPORARY_NAME "." NETPULSE_METRICS_TEXTFILE_NAME ".tmp"

static gboolean
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *what,
                 const char  *dir)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "%s in %s: %s", what, dir, g_strerror (saved_errno));
  return FALSE;
}

gboolean
netpulse_metrics_textfile_check_dir (const char  *dir,
                                     GError     **error)
{
  struct stat st;

  if (dir == NULL || !g_path_is_absolute (dir))
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "The textfile directory must be an absolute path"), FALSE;
  if (stat (dir, &st) != 0)
    {
      int saved = errno;

      return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                          "Cannot use %s: %s", dir, g_strerror (saved)), FALSE;
    }
  if (!S_ISDIR (st.st_mode))
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "%s is not a directory", dir), FALSE;
  return TRUE;
}

/* All of @text, then on disk; @fd is closed. */
static gboolean
write_synced (int          fd,
              const char  *text,
              const char  *dir,
              GError     **error)
{
  g_autoptr(GOutputStream) out = g_unix_output_stream_new (fd, TRUE);

  /* Readable by node_exporter, whatever the helper's umask. */
  if (fchmod (fd, 0644) != 0 || !g_output_stream_write_all (out, text, strlen (text), NULL, NULL, error))
    return error != NULL && *error != NULL ? FALSE
                                           : set_errno_error (error, errno, "Cannot write " TEMPORARY_NAME, dir);
  if (fsync (fd) != 0)
    return set_errno_error (error, errno, "Cannot sync " TEMPORARY_NAME, dir);
  return g_output_stream_close (out, NULL, error);
}

gboolean
netpulse_metrics_textfile_write (const char  *dir,
                                 const char  *text,
                                 GError     **error)
{
  int dir_fd, fd;

  dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    return set_errno_error (error, errno, "Cannot open the directory", dir);

  /* Left over by a crash between create and rename: ours to remove. */
  if (unlinkat (dir_fd, TEMPORARY_NAME, 0) != 0 && errno != ENOENT)
    {
      int saved = errno;

      close (dir_fd);
      return set_errno_error (error, saved, "Cannot remove " TEMPORARY_NAME, dir);
    }
  fd = openat (dir_fd, TEMPORARY_NAME, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      int saved = errno;

      close (dir_fd);
      return set_errno_error (error, saved, "Cannot create " TEMPORARY_NAME, dir);
    }
  if (!write_synced (fd, text, dir, error) ||
      (renameat (dir_fd, TEMPORARY_NAME, dir_fd, NETPULSE_METRICS_TEXTFILE_NAME) != 0 &&
       !set_errno_error (error, errno, "Cannot rename " TEMPORARY_NAME " to " NETPULSE_METRICS_TEXTFILE_NAME, dir)))
    {
      unlinkat (dir_fd, TEMPORARY_NAME, 0);
      close (dir_fd);
      return FALSE;
    }
  /* The rename itself, on disk. */
  fsync (dir_fd);
  close (dir_fd);
  return TRUE;
}
