/* netpulse-proc-owners.h — owners of sockets that no process has used
 * since we started, found by inode in /proc/PID/fd.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

#include "netpulse-flow-table.h"

G_BEGIN_DECLS

typedef struct _NetpulseProcOwners NetpulseProcOwners;

/* Runs the kernel's walk of open files (netpulse_bpf_loader_scan_owners());
 * FALSE when there is none. */
typedef gboolean (*NetpulseKernelScanFunc) (gpointer user_data);

NetpulseProcOwners        *netpulse_proc_owners_new        (void);
void                       netpulse_proc_owners_free       (NetpulseProcOwners *self);
/* The lookup for netpulse_flow_table_end(): the kernel's walk when there
 * is one (at most once a second), else a scan of /proc at most every two
 * seconds, each process's name read once per scan. */
const NetpulseOwnerLookup *netpulse_proc_owners_get_lookup (NetpulseProcOwners *self);
void                       netpulse_proc_owners_set_kernel_scan (NetpulseProcOwners     *self,
                                                                 NetpulseKernelScanFunc  func,
                                                                 gpointer                user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetpulseProcOwners, netpulse_proc_owners_free)

G_END_DECLS
