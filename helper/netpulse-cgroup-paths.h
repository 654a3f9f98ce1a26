/* netpulse-cgroup-paths.h — cgroup v2 ids back to their paths
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _NetpulseCgroupPaths NetpulseCgroupPaths;

/* @mount: the cgroup v2 mount point (or a test's tree of directories). */
NetpulseCgroupPaths *netpulse_cgroup_paths_new    (const char          *mount);
void                 netpulse_cgroup_paths_free   (NetpulseCgroupPaths *self);

/* The path below the mount ("/system.slice/cron.service") of the cgroup
 * whose id (its directory's inode number, what bpf_get_current_cgroup_id()
 * gives) is @id, or NULL if no such cgroup is there now.  Valid until the
 * next call. */
const char          *netpulse_cgroup_paths_lookup (NetpulseCgroupPaths *self,
                                                   guint64              id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetpulseCgroupPaths, netpulse_cgroup_paths_free)

G_END_DECLS
