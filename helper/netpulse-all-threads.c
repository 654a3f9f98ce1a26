/* netpulse-all-threads.c — capability sets applied to every thread.
 *
 * Linux keeps capabilities, securebits and no_new_privs per thread, and
 * capset() only changes the calling thread.  glibc does the same dance for
 * setuid() with a signal of its own; libpsx (libcap) offers it for any
 * system call, but only reaches threads created through its
 * pthread_create() wrapper, and GLib's threads are created inside
 * libglib.  So this file does what both do: the calling thread changes
 * its own sets, then sends every other thread of /proc/self/task a
 * queued real-time signal whose handler makes the same system calls there,
 * and waits for each to answer.  /proc/self/task/TID/status is read back
 * afterwards; a thread created meanwhile by a thread that had not yet
 * changed (it inherits the old sets) shows up in that pass and gets the
 * signal too, until every thread listed has the new sets.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-sandbox"
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "netpulse-all-threads.h"

/* Rounds of "signal the threads that are not done, read them back". */
#define MAX_PASSES 20
/* A thread that got the signal answers in microseconds; one that has not
 * after this long is looked at again in the next pass. */
#define ANSWER_TIMEOUT_US (2 * G_USEC_PER_SEC)

/* Root regains no capability through execve() (NOROOT), uid changes do
 * not touch them (NO_SETUID_FIXUP), nothing can be raised into the
 * ambient set — and none of these can be undone. */
#define SECUREBITS (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |                       \
                    SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |     \
                    SECBIT_KEEP_CAPS_LOCKED |                                   \
                    SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

typedef struct
{
  guint64 keep;
  int     last_cap;
  int     signal;
  gint    n_answered;      /* atomic */
  gint    first_errno;     /* atomic, 0 = none */
} Request;

/* The whole change, in the calling thread.  Only raw system calls: this
 * also runs in a signal handler.  Returns 0 or an errno. */
static int
apply_here (const Request *request)
{
  struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2] = { { 0 } };
  long bits;

  /* The bounding set and the securebits need CAP_SETPCAP: before capset(). */
  for (int cap = 0; cap <= request->last_cap; cap++)
    {
      if (request->keep & (G_GUINT64_CONSTANT (1) << cap))
        continue;
      if (syscall (SYS_prctl, PR_CAPBSET_READ, cap, 0, 0, 0) != 1)
        continue;
      if (syscall (SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
        return errno;
    }

  bits = syscall (SYS_prctl, PR_GET_SECUREBITS, 0, 0, 0, 0);
  if (bits < 0)
    return errno;
  if ((bits & SECUREBITS) != SECUREBITS &&
      syscall (SYS_prctl, PR_SET_SECUREBITS, bits | SECUREBITS, 0, 0, 0) != 0)
    return errno;

  if (syscall (SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
    return errno;

  data[0].effective = data[0].permitted = (guint32) request->keep;
  data[1].effective = data[1].permitted = (guint32) (request->keep >> 32);
  if (syscall (SYS_capset, &header, data) != 0)
    return errno;

  if (syscall (SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return errno;
  return 0;
}

static void
on_request_signal (int        signum,
                   siginfo_t *info,
                   void      *context)
{
  Request *request;
  int saved_errno = errno;
  int err;

  /* Only our own queued requests carry a pointer. */
  if (info->si_code != SI_QUEUE || info->si_pid != getpid ())
    return;

  request = info->si_value.sival_ptr;
  err = apply_here (request);
  if (err != 0)
    g_atomic_int_compare_and_exchange (&request->first_errno, 0, err);
  g_atomic_int_inc (&request->n_answered);
  errno = saved_errno;
}

static int
read_last_cap (void)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents ("/proc/sys/kernel/cap_last_cap", &text, NULL, NULL))
    return CAP_LAST_CAP;
  return (int) g_ascii_strtoll (text, NULL, 10);
}

typedef enum {
  THREAD_GONE,
  THREAD_DONE,
  THREAD_TODO,
  THREAD_BLOCKS_SIGNAL,
} ThreadState;

/* What /proc says about one thread: does it have the sets asked for? */
static ThreadState
thread_state (const char    *tid,
              const Request *request,
              char         **name)
{
  g_autofree char *path = g_strdup_printf ("/proc/self/task/%s/status", tid);
  g_autofree char *text = NULL;
  g_autofree char *keep = g_strdup_printf ("%016" G_GINT64_MODIFIER "x", request->keep);
  g_auto(GStrv) lines = NULL;
  guint matched = 0;
  guint64 blocked = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return THREAD_GONE;

  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *value = strchr (lines[i], '\t');

      if (value == NULL)
        continue;
      value++;
      if (g_str_has_prefix (lines[i], "Name:") && name != NULL)
        *name = g_strdup (value);
      else if (g_str_has_prefix (lines[i], "SigBlk:"))
        blocked = g_ascii_strtoull (value, NULL, 16);
      else if (g_str_has_prefix (lines[i], "CapInh:") || g_str_has_prefix (lines[i], "CapAmb:"))
        matched += g_str_equal (value, "0000000000000000");
      else if (g_str_has_prefix (lines[i], "CapPrm:") || g_str_has_prefix (lines[i], "CapEff:") ||
               g_str_has_prefix (lines[i], "CapBnd:"))
        matched += g_str_equal (value, keep);
      else if (g_str_has_prefix (lines[i], "NoNewPrivs:"))
        matched += g_str_equal (value, "1");
    }

  if (matched == 6)
    return THREAD_DONE;
  if (blocked & (G_GUINT64_CONSTANT (1) << (request->signal - 1)))
    return THREAD_BLOCKS_SIGNAL;
  return THREAD_TODO;
}

static gboolean
send_request (pid_t    tid,
              Request *request)
{
  siginfo_t info = { 0 };

  info.si_signo = request->signal;
  info.si_code = SI_QUEUE;
  info.si_pid = getpid ();
  info.si_uid = getuid ();
  info.si_value.sival_ptr = request;
  return syscall (SYS_rt_tgsigqueueinfo, getpid (), tid, request->signal, &info) == 0;
}

/* One pass over /proc/self/task.  Returns the number of requests sent
 * (0: every thread is done), or -1 with @error. */
static int
signal_pending_threads (Request  *request,
                        GError  **error)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) local_error = NULL;
  pid_t self_tid = gettid ();
  const char *tid_name;
  int sent = 0;

  dir = g_dir_open ("/proc/self/task", 0, &local_error);
  if (dir == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "Cannot list the helper's threads: %s", local_error->message);
      return -1;
    }

  while ((tid_name = g_dir_read_name (dir)) != NULL)
    {
      pid_t tid = (pid_t) g_ascii_strtoll (tid_name, NULL, 10);
      g_autofree char *name = NULL;

      switch (thread_state (tid_name, request, &name))
        {
        case THREAD_GONE:
        case THREAD_DONE:
          break;
        case THREAD_BLOCKS_SIGNAL:
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "Thread %d (%s) blocks the signal that drops its capabilities "
                       "(a GLib worker started by g_unix_signal_add() or a child watch?)",
                       tid, name ? name : "?");
          return -1;
        case THREAD_TODO:
          if (tid == self_tid)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "The calling thread did not get the sets asked for");
              return -1;
            }
          if (send_request (tid, request))
            sent++;
          break;
        }
    }
  return sent;
}

static void
wait_for_answers (Request *request,
                  int      expected)
{
  gint64 deadline = g_get_monotonic_time () + ANSWER_TIMEOUT_US;

  while (g_atomic_int_get (&request->n_answered) < expected && g_get_monotonic_time () < deadline)
    g_usleep (200);
}

gboolean
netpulse_all_threads_limit_capabilities (guint64   keep,
                                         GError  **error)
{
  struct sigaction action = { 0 };
  /* On the heap: see the end. */
  Request *request = g_new0 (Request, 1);
  int expected = 0;
  int err;
  gboolean ok = FALSE;

  request->keep = keep;
  request->last_cap = MIN (read_last_cap (), 63);
  request->signal = SIGRTMIN;

  action.sa_sigaction = on_request_signal;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset (&action.sa_mask);
  if (sigaction (request->signal, &action, NULL) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "sigaction: %s", g_strerror (errno));
      g_free (request);
      return FALSE;
    }

  err = apply_here (request);
  if (err != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
                   "Dropping capabilities: %s", g_strerror (err));
      goto out;
    }

  for (int pass = 0; pass < MAX_PASSES; pass++)
    {
      int sent = signal_pending_threads (request, error);

      if (sent < 0)
        goto out;
      if (g_atomic_int_get (&request->first_errno) != 0)
        break;
      if (sent == 0)
        {
          ok = TRUE;
          goto out;
        }
      expected += sent;
      wait_for_answers (request, expected);
    }

  err = g_atomic_int_get (&request->first_errno);
  g_set_error (error, G_IO_ERROR, err ? g_io_error_from_errno (err) : G_IO_ERROR_TIMED_OUT,
               "Dropping capabilities in the helper's other threads: %s",
               err ? g_strerror (err) : "some thread did not answer");

out:
  /* A request that arrives late finds nothing to do: ignore the signal. */
  action.sa_handler = SIG_IGN;
  action.sa_flags = 0;
  sigaction (request->signal, &action, NULL);
  /* A signal already queued to a thread that has not run its handler yet
   * still points at @request: free it only once every answer is in, and
   * otherwise let it go (a few bytes, on a path that ends in an error). */
  wait_for_answers (request, expected);
  if (g_atomic_int_get (&request->n_answered) >= expected)
    g_free (request);
  return ok;
}

/* Best effort: without CAP_SETPCAP (not root) the bounding set and the
 * securebits stay, and capabilities the thread does not have are not
 * asked for. */
void
netpulse_all_threads_limit_this_thread (guint64 keep)
{
  struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2] = { { 0 } };
  Request request = { 0 };
  int err;

  request.keep = keep;
  request.last_cap = MIN (read_last_cap (), 63);
  if (syscall (SYS_capget, &header, data) == 0)
    request.keep &= data[0].permitted | ((guint64) data[1].permitted << 32);
  if (!(data[CAP_SETPCAP / 32].effective & (1u << (CAP_SETPCAP % 32))))
    {
      /* Only what needs no privilege. */
      data[0].effective = data[0].permitted = (guint32) request.keep;
      data[1].effective = data[1].permitted = (guint32) (request.keep >> 32);
      data[0].inheritable = data[1].inheritable = 0;
      syscall (SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
      syscall (SYS_capset, &header, data);
      syscall (SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      return;
    }
  err = apply_here (&request);
  if (err != 0)
    g_debug ("Could not limit the capabilities of thread %d: %s", gettid (), g_strerror (err));
}

int
netpulse_all_threads_block_quit_signals (void)
{
  sigset_t mask;

  sigemptyset (&mask);
  sigaddset (&mask, SIGTERM);
  sigaddset (&mask, SIGINT);
  if (pthread_sigmask (SIG_BLOCK, &mask, NULL) != 0)
    return -1;
  return signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}
