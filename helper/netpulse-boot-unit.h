/* netpulse-boot-unit.h — starting the helper at boot while it records:
 * netpulse-recorder.target linked into multi-user.target.wants.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define NETPULSE_BOOT_UNIT_NAME "netpulse-recorder.target"

/* Links (@enabled) or unlinks ROOT/etc/systemd/system/multi-user.target.wants/
 * netpulse-recorder.target → SYSTEMD_SYSTEM_UNIT_DIR/netpulse-recorder.target,
 * as `systemctl enable|disable` would, when systemd is the init system
 * (ROOT/run/systemd/system exists); without systemd nothing is done and
 * *@done is FALSE.  @root: "/" but for tests. */
gboolean netpulse_boot_unit_set_enabled (const char  *root,
                                         gboolean     enabled,
                                         gboolean    *done,
                                         GError     **error);
/* Whether the link is there (FALSE without systemd). */
gboolean netpulse_boot_unit_is_enabled  (const char  *root);

G_END_DECLS
