/* netpulse-all-threads.h — the same capability sets in every thread of the
 * process.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Gives every thread of the process exactly @keep (a mask of CAP_*
 * numbers) as its effective, permitted and bounding sets, empty
 * inheritable and ambient sets, locked securebits that stop root from
 * regaining capabilities through execve(), and no_new_privs.
 *
 * Capabilities belong to threads in Linux, and GLib's threads (gdbus,
 * the thread pools) already exist when the helper drops them.  A thread
 * that blocks the signal used for this and does not have the sets yet is
 * an error rather than left privileged: see
 * netpulse_all_threads_block_quit_signals() and
 * netpulse_sandbox_prepare_threads(). */
gboolean netpulse_all_threads_limit_capabilities (guint64   keep,
                                                  GError  **error);

/* The same sets, in the calling thread only, as far as it can; for a
 * thread that then makes GLib start its worker thread: see
 * netpulse_sandbox_prepare_threads(). */
void     netpulse_all_threads_limit_this_thread  (guint64   keep);

/* Blocks SIGTERM and SIGINT in the calling thread, which every thread
 * created later inherits, and returns a signalfd that reports them.  Call
 * it first thing in main(), before any thread exists, and use it instead
 * of g_unix_signal_add(): that starts GLib's "gmain" thread with every
 * signal blocked, and no signal could reach it to drop its capabilities.
 * Returns -1 with errno on failure. */
int      netpulse_all_threads_block_quit_signals (void);

G_END_DECLS
