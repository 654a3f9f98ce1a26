/* netpulse-sandbox.h — what the helper gives up once its kernel programs
 * are attached, and where it agrees to run.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Where systemd says it is the init system (sd_booted()). */
#define NETPULSE_SANDBOX_SYSTEMD_RUNTIME_DIR "/run/systemd/system"
/* The unit the bus must start the service through where systemd runs. */
#define NETPULSE_SANDBOX_UNIT "netpulse-helper.service"

/* Service mode: FALSE with a message for the administrator when systemd
 * runs this system but the helper was started outside its unit (and so
 * outside the unit's sandbox), e.g. by a bus that took the Exec= line of
 * the activation file. */
gboolean netpulse_sandbox_check_activation (GError **error);

/* The capabilities (a mask of CAP_* bits) that sampling needs once the
 * programs are attached: see the .c.  Whether reading maps needs CAP_BPF
 * is tried on a map made for the purpose, not guessed. */
guint64  netpulse_sandbox_capabilities_to_keep (void);

/* Service mode, before anything makes GLib start threads (before the bus
 * connection): starts GLib's worker thread, which blocks every signal and
 * so cannot be reached later, from a thread that already has the sets of
 * @keep. */
void     netpulse_sandbox_prepare_threads  (guint64   keep);

/* Call once the programs are attached and the start-up walk (setns into
 * every network namespace) is done.  Drops, in every thread, every
 * capability not in @keep, sets no_new_privs and installs the seccomp
 * filter. */
gboolean netpulse_sandbox_enter             (guint64   keep,
                                             GError  **error);

G_END_DECLS
