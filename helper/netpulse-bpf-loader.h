/* netpulse-bpf-loader.h — the kernel side of the collector: loads and
 * attaches bpf/netpulse.bpf.c with the best backend, and hands over the
 * closes of its ring.  The only user of the skeleton.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

#include <linux/types.h>
#include "netpulse.h"

#include "netpulse-bpf-maps.h"
#include "netpulse-collector.h"

G_BEGIN_DECLS

typedef struct _NetpulseBpfLoader NetpulseBpfLoader;

/* A TCP close handed over through the np_closed_flows ring. */
typedef void (*NetpulseClosedFunc) (const struct np_closed_flow *closed,
                                    gpointer                     user_data);

/* @config has its defaults filled in and outlives the loader. */
NetpulseBpfLoader  *netpulse_bpf_loader_new             (const NetpulseCollectorConfig *config,
                                                         NetpulseClosedFunc             on_closed,
                                                         gpointer                       user_data);
void                netpulse_bpf_loader_free            (NetpulseBpfLoader  *self);

/* Tries the backends best first (only config->backend if set), each with
 * the optional programs and then without; cgroup programs attach to
 * @cgroup_fd (-1: none). */
gboolean            netpulse_bpf_loader_load            (NetpulseBpfLoader  *self,
                                                         int                 cgroup_fd,
                                                         GError            **error);
void                netpulse_bpf_loader_unload          (NetpulseBpfLoader  *self);
/* "fentry", "kprobe", "tracepoint", or "none" while nothing is loaded. */
const char         *netpulse_bpf_loader_get_backend     (NetpulseBpfLoader  *self);
/* What the load found working, NULL-terminated: "btf", cgroup and
 * iterator programs that attached, the backend. */
const char * const *netpulse_bpf_loader_get_features    (NetpulseBpfLoader  *self);

/* Hands every close waiting in the ring to the on_closed function. */
void                netpulse_bpf_loader_read_closed     (NetpulseBpfLoader  *self);
/* Runs iter/task_file once: flows without a process get the one that holds
 * their socket, from the next sample on.  FALSE when the kernel did not
 * take that program. */
gboolean            netpulse_bpf_loader_scan_owners     (NetpulseBpfLoader  *self);
/* The maps a sample reads and trims (see netpulse-bpf-maps.h), while
 * loaded. */
void                netpulse_bpf_loader_get_map_fds     (NetpulseBpfLoader  *self,
                                                         NetpulseMapFds     *fds);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetpulseBpfLoader, netpulse_bpf_loader_free)

G_END_DECLS
