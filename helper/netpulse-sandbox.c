/* netpulse-sandbox.c — least privilege for the helper.
 *
 * Loading and attaching the kernel programs needs most of root (see the
 * systemd unit for which capability serves which step); reading their
 * maps afterwards needs almost nothing.  Once the collector has started —
 * programs attached, the start-up walk of existing sockets through every
 * network namespace done — the helper keeps, in every thread:
 *
 *   CAP_SYS_PTRACE       readlink() of /proc/PID/fd/N and /proc/PID/exe of
 *                        other users' and of non-dumpable processes (a
 *                        ptrace access check): which process owns a socket
 *                        that nobody has used since monitoring began
 *                        (where iter/task_file is missing), and which
 *                        executable a connection's process runs
 *   CAP_DAC_READ_SEARCH  listing /proc/PID/fd, a directory of mode 0500
 *                        owned by the process's user, for the same lookup
 *   CAP_BPF              only where the kernel wants it for every bpf()
 *                        command on the maps the helper already holds:
 *                        before Linux 6.5 with kernel.unprivileged_bpf_disabled
 *                        set, which Debian and most distributions do.  Tried
 *                        with the capability lowered, not guessed from the
 *                        kernel version.
 *
 * and nothing else: no CAP_SYS_ADMIN (setns() was for the walk), no
 * CAP_NET_ADMIN or CAP_PERFMON (attaching), no
 * CAP_SETPCAP (used for this very drop).  Each was checked by removing it
 * and running the helper tests: without CAP_SYS_PTRACE or
 * CAP_DAC_READ_SEARCH the owner of a socket another user opened before
 * monitoring began stays unknown (pid 0).
 *
 * The collector then stays loaded for the rest of the helper's life (it
 * could not be loaded again), and a seccomp filter refuses what none of
 * this needs (netpulse-seccomp.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-sandbox"
#define _GNU_SOURCE

#include "config.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "netpulse-all-threads.h"
#include "netpulse-sandbox.h"
#include "netpulse-seccomp.h"

#ifndef CAP_BPF
# define CAP_BPF 39
#endif

#define CAP_BIT(cap) (G_GUINT64_CONSTANT (1) << (cap))

/* ---- where the service may run ---- */

/* The cgroup of this process ends in the unit's name when systemd started
 * it as that unit: "0::/system.slice/netpulse-helper.service" (and
 * "1:name=systemd:…" on hybrid hierarchies).  $INVOCATION_ID would not do:
 * a bus daemon started by systemd hands its own down to what it spawns. */
static gboolean
started_as_unit (void)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/self/cgroup", &contents, NULL, NULL))
    return FALSE;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *path = strrchr (lines[i], ':');

      if (path != NULL && g_str_has_suffix (path + 1, "/" NETPULSE_SANDBOX_UNIT))
        return TRUE;
    }
  return FALSE;
}

gboolean
netpulse_sandbox_check_activation (GError **error)
{
  if (!g_file_test (NETPULSE_SANDBOX_SYSTEMD_RUNTIME_DIR, G_FILE_TEST_IS_DIR))
    return TRUE;     /* no systemd: the helper sandboxes itself */

  if (started_as_unit ())
    return TRUE;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
               _("systemd runs this system (%s exists), but the helper was not started as %s, "
                 "whose sandbox it relies on. Let the system bus start it through systemd "
                 "(SystemdService= in the D-Bus activation file), or run "
                 "“systemctl start %s”."),
               NETPULSE_SANDBOX_SYSTEMD_RUNTIME_DIR, NETPULSE_SANDBOX_UNIT, NETPULSE_SANDBOX_UNIT);
  return FALSE;
}

/* ---- after attach ---- */

static void
set_effective (struct __user_cap_data_struct *data,
               int                            cap,
               gboolean                       on)
{
  if (on)
    data[cap / 32].effective |= 1u << (cap % 32);
  else
    data[cap / 32].effective &= ~(1u << (cap % 32));
}

/* Makes a one-entry map, and reads it with CAP_BPF and CAP_SYS_ADMIN (its
 * stand-in on old kernels) lowered from the calling thread's effective
 * set, then raises them again: they stay permitted until the real drop.
 * Without the privilege to make a map at all (not root), the question does
 * not arise: the helper will not load anything either. */
static gboolean
reading_maps_needs_cap_bpf (void)
{
  struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct saved[2] = { { 0 } }, lowered[2];
  guint32 next_key;
  int map_fd, ret, errsv;

  map_fd = bpf_map_create (BPF_MAP_TYPE_ARRAY, "np_cap_probe", sizeof (guint32), sizeof (guint32), 1, NULL);
  if (map_fd < 0)
    return FALSE;

  if (syscall (SYS_capget, &header, saved) != 0)
    {
      close (map_fd);
      return TRUE;
    }
  memcpy (lowered, saved, sizeof lowered);
  set_effective (lowered, CAP_BPF, FALSE);
  set_effective (lowered, CAP_SYS_ADMIN, FALSE);
  if (syscall (SYS_capset, &header, lowered) != 0)
    {
      close (map_fd);
      return TRUE;
    }

  ret = bpf_map_get_next_key (map_fd, NULL, &next_key);
  errsv = errno;

  if (syscall (SYS_capset, &header, saved) != 0)
    g_warning ("Could not raise CAP_BPF again: %s", g_strerror (errno));
  close (map_fd);
  return ret != 0 && errsv == EPERM;
}

guint64
netpulse_sandbox_capabilities_to_keep (void)
{
  guint64 keep = CAP_BIT (CAP_SYS_PTRACE) | CAP_BIT (CAP_DAC_READ_SEARCH);

  if (reading_maps_needs_cap_bpf ())
    keep |= CAP_BIT (CAP_BPF);
  return keep;
}

static gpointer
start_worker_with (gpointer data)
{
  const guint64 *keep = data;

  netpulse_all_threads_limit_this_thread (*keep);
  /* GTask's class_init attaches its pool manager to GLib's worker context,
   * which starts the "gmain" thread (with every signal blocked) from this
   * one: it inherits these sets. */
  g_type_class_unref (g_type_class_ref (G_TYPE_TASK));
  return NULL;
}

void
netpulse_sandbox_prepare_threads (guint64 keep)
{
  g_thread_join (g_thread_new ("np-sandbox", start_worker_with, &keep));
}

static char *
describe_capabilities (guint64 caps)
{
  static const struct { int cap; const char *name; } names[] = {
    { CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH" },
    { CAP_SYS_PTRACE, "CAP_SYS_PTRACE" },
    { CAP_BPF, "CAP_BPF" },
  };
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (caps & CAP_BIT (names[i].cap))
      g_string_append_printf (text, "%s%s", text->len ? " " : "", names[i].name);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

gboolean
netpulse_sandbox_enter (guint64   keep,
                        GError  **error)
{
  g_autofree char *kept = NULL;

  if (!netpulse_all_threads_limit_capabilities (keep, error))
    return FALSE;
  if (!netpulse_seccomp_install (error))
    return FALSE;

  kept = describe_capabilities (keep);
  g_message ("Privileges dropped in every thread: capabilities kept: %s "
             "(CapEff=CapPrm=CapBnd=%016" G_GINT64_MODIFIER "x); no_new_privs; seccomp filter",
             kept, keep);
  return TRUE;
}
