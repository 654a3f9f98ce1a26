/* netpulse-seccomp.c — the system calls the helper refuses itself once its
 * kernel programs are attached.
 *
 * A deny list, not an allow list: GLib, GIO, polkit, libbpf and the
 * sanitizers of the test build make system calls that change between
 * versions, and an allow list that misses one breaks the helper in the
 * field.  What is listed is what an attacker who took over the helper
 * would reach for and the helper never does after attach.  Refused calls
 * fail with EPERM (ENOSYS for clone3, see below) instead of killing the
 * process, so that a library probing for a feature sees "not allowed".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-sandbox"
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <linux/bpf.h>
#include <sched.h>
#include <seccomp.h>

#include "netpulse-seccomp.h"

static const char * const refused_syscalls[] = {
  /* File systems and the mount table. */
  "mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
  "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
  /* Kernel modules, a new kernel, rebooting, swap. */
  "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
  "reboot", "swapon", "swapoff",
  /* Other processes' memory and descriptors (CAP_SYS_PTRACE is kept for
   * /proc/PID/fd: these would make it a weapon). */
  "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_getfd",
  "kcmp",
  /* Opening any file by handle, past every directory permission: the
   * classic escape with CAP_DAC_READ_SEARCH, which is kept. */
  "open_by_handle_at", "name_to_handle_at",
  /* Keyrings. */
  "keyctl", "add_key", "request_key",
  /* New namespaces or entering others: the start-up walk is done.  Flags
   * of clone() are filtered below. */
  "setns", "unshare",
  /* Tracing and new kernel programs: everything is attached. */
  "perf_event_open",
  /* Clocks, host name, personality (queries allowed, below). */
  "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
  "sethostname", "setdomainname",
  /* Hardware and accounting. */
  "iopl", "ioperm", "acct", "quotactl", "quotactl_fd", "syslog", "vhangup",
  /* Kernel attack surface the helper never needs: page-fault handling in
   * user space, io_uring (whose operations bypass seccomp). */
  "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
};

/* What sampling does with bpf(): read and delete entries of the maps it
 * holds (writing them is allowed too: they are ours), and run the one
 * iterator it keeps attached (BPF_ITER_CREATE on its link: iter/task_file,
 * which finds the owners of idle sockets).  Every other
 * command (loading programs, creating maps, attaching, pinning, getting
 * descriptors of other programs by id, …) is refused. */
static const int allowed_bpf_commands[] = {
  BPF_MAP_LOOKUP_ELEM,
  BPF_MAP_UPDATE_ELEM,
  BPF_MAP_DELETE_ELEM,
  BPF_MAP_GET_NEXT_KEY,
  BPF_OBJ_GET_INFO_BY_FD,
  BPF_MAP_LOOKUP_AND_DELETE_ELEM,
  BPF_MAP_LOOKUP_BATCH,
  BPF_MAP_LOOKUP_AND_DELETE_BATCH,
  BPF_MAP_UPDATE_BATCH,
  BPF_MAP_DELETE_BATCH,
  BPF_ITER_CREATE,
};

#define MAX_BPF_COMMAND 64

static const guint64 namespace_flags[] = {
  CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
  CLONE_NEWPID, CLONE_NEWNET, 0x00000080 /* CLONE_NEWTIME */,
};

static gboolean
bpf_command_allowed (int command)
{
  for (guint i = 0; i < G_N_ELEMENTS (allowed_bpf_commands); i++)
    if (allowed_bpf_commands[i] == command)
      return TRUE;
  return FALSE;
}

static int
add_rules (scmp_filter_ctx ctx)
{
  const guint32 eperm = SCMP_ACT_ERRNO (EPERM);
  int err;

  for (guint i = 0; i < G_N_ELEMENTS (refused_syscalls); i++)
    {
      int nr = seccomp_syscall_resolve_name (refused_syscalls[i]);

      /* Not a system call on this architecture (umount on x86-64, …). */
      if (nr == __NR_SCMP_ERROR)
        continue;
      if ((err = seccomp_rule_add (ctx, eperm, nr, 0)) != 0)
        return err;
    }

  for (int command = 0; command < MAX_BPF_COMMAND; command++)
    if (!bpf_command_allowed (command) &&
        (err = seccomp_rule_add (ctx, eperm, SCMP_SYS (bpf), 1,
                                 SCMP_A0_32 (SCMP_CMP_EQ, (guint32) command))) != 0)
      return err;
  if ((err = seccomp_rule_add (ctx, eperm, SCMP_SYS (bpf), 1,
                               SCMP_A0_32 (SCMP_CMP_GE, MAX_BPF_COMMAND))) != 0)
    return err;

  /* Threads yes, namespaces no.  clone3() passes its flags in memory,
   * where a filter cannot look: ENOSYS makes glibc fall back to clone(),
   * whose flags are checked (systemd's RestrictNamespaces= does the same). */
  for (guint i = 0; i < G_N_ELEMENTS (namespace_flags); i++)
    if ((err = seccomp_rule_add (ctx, eperm, SCMP_SYS (clone), 1,
                                 SCMP_A0_64 (SCMP_CMP_MASKED_EQ, namespace_flags[i],
                                             namespace_flags[i]))) != 0)
      return err;
  if ((err = seccomp_rule_add (ctx, SCMP_ACT_ERRNO (ENOSYS), SCMP_SYS (clone3), 0)) != 0)
    return err;

  /* personality(0xffffffff) only reads it. */
  if ((err = seccomp_rule_add (ctx, eperm, SCMP_SYS (personality), 1,
                               SCMP_A0_32 (SCMP_CMP_NE, 0xffffffff))) != 0)
    return err;

  return 0;
}

gboolean
netpulse_seccomp_install (GError **error)
{
  scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ALLOW);
  int err;

  if (ctx == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "seccomp_init failed");
      return FALSE;
    }

  /* Every thread at once (the kernel's TSYNC), no_new_privs first (the
   * kernel wants it without CAP_SYS_ADMIN), and foreign system call
   * ABIs (i386 int 0x80, x32) refused wholesale. */
  if ((err = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0 ||
      (err = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 1)) != 0 ||
      (err = seccomp_attr_set (ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO (EPERM))) != 0 ||
      (err = add_rules (ctx)) != 0 ||
      (err = seccomp_load (ctx)) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (-err),
                   "Installing the seccomp filter: %s", g_strerror (-err));
      seccomp_release (ctx);
      return FALSE;
    }

  seccomp_release (ctx);
  return TRUE;
}
