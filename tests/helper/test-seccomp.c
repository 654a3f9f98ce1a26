/* test-seccomp.c — the helper's seccomp filter (helper/netpulse-seccomp.c),
 * installed for real in a child process: each refused call gets EPERM (or
 * ENOSYS for clone3) where the same call without the filter does not,
 * also in a thread that existed before (TSYNC); what sampling needs still
 * works.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE

#include <glib.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netpulse-seccomp.h"

/* errno of a raw system call, 0 if it succeeded. */
#define ERRNO_OF(call) ((call) < 0 ? errno : 0)

static int
try_ptrace_traceme (void)
{
  return ERRNO_OF (ptrace (PTRACE_TRACEME, 0, NULL, NULL));
}

static gpointer
ptrace_in_thread (gpointer data)
{
  GAsyncQueue *go = data;

  /* Waits until the main thread has installed the filter. */
  g_async_queue_pop (go);
  return GINT_TO_POINTER (try_ptrace_traceme ());
}

static int
try_clone_newuser (void)
{
  long pid = syscall (SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0);

  if (pid == 0)
    _exit (0);
  if (pid > 0)
    {
      waitpid (pid, NULL, 0);
      return 0;
    }
  return errno;
}

static gpointer
nothing (gpointer data)
{
  return data;
}

/* In the child: everything the test checks, as a bit mask of failures. */
static int
check_filtered (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncQueue) go = g_async_queue_new ();
  GThread *early = g_thread_new ("early", ptrace_in_thread, g_async_queue_ref (go));
  union bpf_attr attr = { 0 };
  int failures = 0, err;

  if (!netpulse_seccomp_install (&error))
    {
      g_printerr ("install: %s\n", error->message);
      return 1;
    }
  g_async_queue_push (go, GINT_TO_POINTER (1));
  g_async_queue_unref (go);

#define EXPECT(what, got, want) \
  if ((err = (got)) != (want)) { g_printerr ("%s: errno %d (%s), expected %d\n", what, err, g_strerror (err), want); failures |= 2; }

  EXPECT ("ptrace(TRACEME)", try_ptrace_traceme (), EPERM);
  EXPECT ("ptrace(TRACEME) in a thread from before", GPOINTER_TO_INT (g_thread_join (early)), EPERM);
  EXPECT ("unshare(0)", ERRNO_OF (unshare (0)), EPERM);
  EXPECT ("setns(-1)", ERRNO_OF (setns (-1, 0)), EPERM);
  EXPECT ("clone(CLONE_NEWUSER)", try_clone_newuser (), EPERM);
  EXPECT ("clone3", ERRNO_OF (syscall (SYS_clone3, NULL, 0)), ENOSYS);
  EXPECT ("keyctl", ERRNO_OF (syscall (SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 0)), EPERM);
  EXPECT ("personality(PER_LINUX32)", ERRNO_OF (personality (PER_LINUX32)), EPERM);
  EXPECT ("perf_event_open", ERRNO_OF (syscall (SYS_perf_event_open, NULL, 0, -1, -1, 0)), EPERM);
  EXPECT ("bpf(BPF_PROG_LOAD)", ERRNO_OF (syscall (SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr)), EPERM);
  EXPECT ("bpf(BPF_MAP_CREATE)", ERRNO_OF (syscall (SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr)), EPERM);
  EXPECT ("bpf(1000)", ERRNO_OF (syscall (SYS_bpf, 1000, &attr, sizeof attr)), EPERM);
  EXPECT ("open_by_handle_at", ERRNO_OF (syscall (SYS_open_by_handle_at, -1, NULL, 0)), EPERM);

  /* Still allowed: a query of the personality, a lookup in a map (here no
   * map: EBADF, not EPERM), threads. */
  if (personality (0xffffffff) < 0)
    {
      g_printerr ("personality query refused\n");
      failures |= 4;
    }
  attr.map_fd = -1;
  EXPECT ("bpf(BPF_MAP_LOOKUP_ELEM) on no map", ERRNO_OF (syscall (SYS_bpf, BPF_MAP_LOOKUP_ELEM, &attr, sizeof attr)), EBADF);
  g_thread_join (g_thread_new ("after", nothing, NULL));
#undef EXPECT
  return failures;
}

/* The same calls without the filter fail differently or not at all: the
 * errnos above come from the filter. */
static void
test_unfiltered (void)
{
  union bpf_attr attr = { 0 };

  g_assert_cmpint (ERRNO_OF (setns (-1, 0)), ==, EBADF);
  g_assert_cmpint (ERRNO_OF (unshare (0)), ==, 0);
  g_assert_cmpint (ERRNO_OF (syscall (SYS_clone3, NULL, 0)), !=, ENOSYS);
  g_assert_cmpint (ERRNO_OF (syscall (SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 0)), !=, EPERM);
  attr.map_fd = -1;
  g_assert_cmpint (ERRNO_OF (syscall (SYS_bpf, BPF_MAP_LOOKUP_ELEM, &attr, sizeof attr)), ==, EBADF);
  if (geteuid () == 0)
    g_assert_cmpint (ERRNO_OF (syscall (SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr)), !=, EPERM);
}

static void
test_filtered (void)
{
  int status;
  pid_t pid = fork ();

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    _exit (check_filtered ());
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/seccomp/unfiltered", test_unfiltered);
  g_test_add_func ("/seccomp/filtered", test_filtered);
  return g_test_run ();
}
