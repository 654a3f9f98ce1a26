/* netpulse-boot-unit.c — the "recording is enabled through a
 * systemd unit that netpulsectl/the app switch on; on machines without
 * systemd it runs under whatever starts it".
 *
 * SetRecording is the one switch: the helper, already root and allowed to
 * write exactly this directory by its unit (ReadWritePaths=), makes the
 * same link `systemctl enable netpulse-recorder.target` would.  No daemon
 * reload is needed: the link only matters at the next boot (this boot's
 * helper is running already, and does not idle out while recording).
 * Done by the helper rather than by the client so that the app needs no
 * second privileged path and the on-disk setting and the boot link never
 * disagree for long: each SetRecording sets both.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-history"

#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "netpulse-boot-unit.h"

static char *
wants_link (const char *root)
{
  return g_build_filename (root, "etc", "systemd", "system", "multi-user.target.wants",
                           NETPULSE_BOOT_UNIT_NAME, NULL);
}

static gboolean
systemd_runs (const char *root)
{
  g_autofree char *marker = g_build_filename (root, "run", "systemd", "system", NULL);

  return g_file_test (marker, G_FILE_TEST_IS_DIR);
}

static gboolean
set_errno_error (GError     **error,
                 const char  *what,
                 const char  *path)
{
  int saved = errno;

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
               "Cannot %s %s: %s", what, path, g_strerror (saved));
  return FALSE;
}

gboolean
netpulse_boot_unit_set_enabled (const char  *root,
                                gboolean     enabled,
                                gboolean    *done,
                                GError     **error)
{
  g_autofree char *link = wants_link (root);
  g_autofree char *target = g_build_filename (SYSTEMD_SYSTEM_UNIT_DIR, NETPULSE_BOOT_UNIT_NAME, NULL);
  g_autofree char *current = NULL;

  *done = FALSE;
  if (!systemd_runs (root))
    return TRUE;
  current = g_file_read_link (link, NULL);
  if (!enabled)
    {
      if (g_unlink (link) != 0 && errno != ENOENT)
        return set_errno_error (error, "remove", link);
      *done = TRUE;
      return TRUE;
    }
  if (g_strcmp0 (current, target) == 0)
    {
      *done = TRUE;
      return TRUE;
    }
  /* A link of ours to another place (an older install) is replaced;
   * anything that is not a link is an administrator's: left alone. */
  if (current != NULL && g_unlink (link) != 0)
    return set_errno_error (error, "replace", link);
  if (g_file_test (link, G_FILE_TEST_EXISTS) && current == NULL)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                        "%s exists and is not a link: not replaced", link), FALSE;
  if (symlink (target, link) != 0)
    return set_errno_error (error, "create", link);
  *done = TRUE;
  return TRUE;
}

gboolean
netpulse_boot_unit_is_enabled (const char *root)
{
  g_autofree char *link = wants_link (root);
  g_autofree char *current = NULL;

  if (!systemd_runs (root))
    return FALSE;
  current = g_file_read_link (link, NULL);
  return current != NULL;
}
