/* netpulse-app-identity.h — the identity of a process (exe, command line,
 * systemd unit, application), read from /proc/PID and named by
 * common/netpulse-app-id.h, cached per process: a pid together with its
 * start time (field 22 of /proc/PID/stat), so that a reused pid is never
 * taken for the process that had it before.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

#include "netpulse-record.h"

G_BEGIN_DECLS

typedef struct _NetpulseAppIdentity NetpulseAppIdentity;

/* @proc_root: "/proc" (tests may point elsewhere); at most @max_entries
 * processes are cached. */
NetpulseAppIdentity *netpulse_app_identity_new   (const char          *proc_root,
                                                  guint                max_entries);
void                 netpulse_app_identity_free  (NetpulseAppIdentity *self);

/* Fills the identity fields of @record (exe, cmdline, unit, app_id,
 * app_kind) for process @pid.  A process that has gone gives what the
 * cache still knows of it, or an identity from @exe_name (the basename of
 * its executable as the kernel saw it while it ran; NULL or "" if not
 * known) and @comm alone; returns whether it came from the live process or
 * the cache. */
gboolean             netpulse_app_identity_fill  (NetpulseAppIdentity *self,
                                                  guint32              pid,
                                                  const char          *comm,
                                                  const char          *exe_name,
                                                  NetpulseRecord      *record);

/* Where the cgroup v2 hierarchy is mounted: a process that has gone is
 * then named by the cgroup its record's cgroup_id names, if it still
 * exists.  NULL: not known. */
void                 netpulse_app_identity_set_cgroup_mount (NetpulseAppIdentity *self,
                                                             const char          *mount);

guint                netpulse_app_identity_get_size (NetpulseAppIdentity *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetpulseAppIdentity, netpulse_app_identity_free)

G_END_DECLS
