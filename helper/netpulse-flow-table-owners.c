/* netpulse-flow-table-owners.c — a friend of netpulse-flow-table.c: which
 * process (and application) owns a flow, and making room in a full table.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-collector"

#include "config.h"

#include <string.h>

#include "netpulse-flow-table-private.h"

static void
set_identity (NetpulseFlowTable    *self,
              FlowEntry            *entry,
              const NetpulseRecord *named)
{
  NetpulseFlowIdentity *identity = netpulse_flow_identities_intern (self->identities, named);

  netpulse_flow_identities_release (self->identities, entry->identity);
  entry->identity = identity;
}

/* Named when (re)learnt: the flow keeps the identity its last process had.
 * @exe_name: the executable's basename as the kernel saw it, or NULL. */
static void
learn_identity (NetpulseFlowTable *self,
                FlowEntry         *entry,
                const char        *exe_name)
{
  const NetpulseFlowRecord *r = &entry->record;
  NetpulseRecord named;

  if (self->rules.identity == NULL || r->pid == 0)
    return;
  /* What identity() may read (netpulse-flow-table.h), and empty texts for
   * it to fill: not the whole kilobyte, for each of 100,000 flows. */
  named.pid = r->pid;
  named.cgroup_id = r->cgroup_id;
  memcpy (named.comm, r->comm, sizeof named.comm);
  netpulse_flow_record_clear_identity (&named);
  self->rules.identity (r->pid, r->comm, exe_name, &named, self->rules.identity_data);
  set_identity (self, entry, &named);
}

/* A kernel socket's application: the subsystem, named by the kernel
 * thread that ran it ("nfsd", "rpciod", "cifsd"; "kworker/u8:2" → the
 * generic "kernel"). */
static void
set_kernel_identity (NetpulseFlowTable *self,
                     FlowEntry         *entry,
                     const char        *thread)
{
  g_autofree char *subsystem = g_strndup (thread, strcspn (thread, "/:"));
  NetpulseRecord named;

  entry->record.pid = 0;
  g_strlcpy (entry->record.comm, thread, sizeof entry->record.comm);
  netpulse_flow_record_clear_identity (&named);
  named.app_kind = NETPULSE_APP_KIND_KERNEL;
  if (subsystem[0] == '\0' || g_str_has_prefix (subsystem, "kworker") || g_str_has_prefix (subsystem, "ksoftirq"))
    g_strlcpy (named.app_id, "kernel", sizeof named.app_id);
  else
    g_strlcpy (named.app_id, subsystem, sizeof named.app_id);
  set_identity (self, entry, &named);
}

void
netpulse_flow_table_update_owner (NetpulseFlowTable    *self,
                                  FlowEntry            *entry,
                                  const struct np_flow *flow)
{
  NetpulseFlowRecord *r = &entry->record;
  gboolean relearnt = flow->has_process &&
                      (r->pid != flow->pid || !netpulse_flow_identity_has_app_id (entry->identity));

  entry->ino = flow->ino;
  entry->has_process = flow->has_process;
  if (flow->kernel_sock)
    {
      set_kernel_identity (self, entry, flow->comm);
      r->uid = flow->uid;
      g_hash_table_remove (self->unowned, entry);
      return;
    }
  if (flow->has_process)
    {
      r->pid = flow->pid;
      r->uid = flow->uid;
      r->cgroup_id = flow->cgroup_id;
      g_strlcpy (r->comm, flow->comm, sizeof r->comm);
    }
  else if (r->pid == 0)
    r->uid = flow->uid;
  if (relearnt)
    {
      char exe_name[NP_EXE_NAME_LEN + 1] = "";

      /* the kernel's string may fill the array without its NUL */
      memcpy (exe_name, flow->exe_name, NP_EXE_NAME_LEN);
      learn_identity (self, entry, exe_name);
    }
  if (!entry->has_process && r->pid == 0)
    g_hash_table_add (self->unowned, entry);
  else
    g_hash_table_remove (self->unowned, entry);
}

/* Sockets that no process has used since we started have no pid: their
 * owners are looked up by inode, at most as often as @owners allows. */
void
netpulse_flow_table_resolve_owners (NetpulseFlowTable         *self,
                                    const NetpulseOwnerLookup *owners)
{
  g_autoptr(GPtrArray) unresolved = g_ptr_array_new ();
  GHashTableIter iter;
  FlowEntry *entry;

  /* kept by update_owner(): a sample costs the flows without an owner,
   * not the open ones */
  g_hash_table_iter_init (&iter, self->unowned);
  while (g_hash_table_iter_next (&iter, (gpointer *) &entry, NULL))
    g_ptr_array_add (unresolved, entry);

  /* told every sample, none too: it rate-limits by what is new */
  if (!owners->scan (owners->user_data, unresolved->len) || unresolved->len == 0)
    return;

  for (guint i = 0; i < unresolved->len; i++)
    {
      guint32 pid = 0;
      char comm[NP_COMM_LEN] = "";

      entry = g_ptr_array_index (unresolved, i);
      if (entry->ino == 0 || !owners->lookup (owners->user_data, entry->ino, &pid, comm))
        continue;
      entry->record.pid = pid;
      g_hash_table_remove (self->unowned, entry);
      g_strlcpy (entry->record.comm, comm, sizeof entry->record.comm);
      learn_identity (self, entry, NULL);
      netpulse_flow_table_touch_entry (self, entry);
    }
  owners->done (owners->user_data);
}

static int
compare_last_used (gconstpointer a,
                   gconstpointer b)
{
  const Evictable *x = a, *y = b;

  return x->last_ns < y->last_ns ? -1 : x->last_ns > y->last_ns;
}

/* The table is nearly full: idle per-peer entries make room first, the
 * least recently used first.  They are finished like idle UDP flows (final
 * totals, reported closed). */
void
netpulse_flow_table_evict_idle_peers (NetpulseFlowTable *self)
{
  guint64 high = (guint64) self->rules.max_flows * EVICT_HIGH_NUM / EVICT_HIGH_DEN;
  guint64 low = (guint64) self->rules.max_flows * EVICT_LOW_NUM / EVICT_LOW_DEN;
  guint64 entries = self->table_entries - self->actions.to_delete->len - self->actions.to_finish->len;
  guint n;

  if (entries <= high)
    return;
  g_array_sort (self->evictable, compare_last_used);
  n = MIN (self->evictable->len, entries - low);
  for (guint i = 0; i < n; i++)
    g_array_append_vals (self->actions.to_finish, &g_array_index (self->evictable, Evictable, i).key, 1);
  self->idle_evicted += n;
  if (n > 0)
    g_debug ("Flow table %" G_GUINT64_FORMAT "/%u full: evicted %u idle per-peer entries",
             entries, self->rules.max_flows, n);
}
