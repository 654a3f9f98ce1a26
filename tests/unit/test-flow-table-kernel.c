/* test-flow-table-kernel.c — records of kernel sockets (NFS, SMB, …: no
 * process owns them) on synthetic kernel flows: the "kernel" application
 * kind, the subsystem as app_id, no pid.  (A kernel-socket flow cannot be
 * made on the CI kernel: it has none of NFS, SMB, NBD built in.)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <string.h>

#include "netpulse-flow-table.h"

#define SEC (G_GUINT64_CONSTANT (1000000000))

static void
collect (const NetpulseRecord *record,
         gpointer              user_data)
{
  g_array_append_vals (user_data, record, 1);
}

/* The record of one kernel TCP socket run by the thread @thread. */
static NetpulseRecord
kernel_record (const char *thread)
{
  static const NetpulseFlowRules rules = { .max_flows = 16, .udp_idle_ms = 5000, .closed_retain_ms = 60000 };
  g_autoptr(GHashTable) released = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  g_autoptr(GArray) records = g_array_new (FALSE, FALSE, sizeof (NetpulseRecord));
  NetpulseFlowTable *table = netpulse_flow_table_new (&rules);
  struct np_flow_key key;
  struct np_flow flow;
  NetpulseRecord record;

  memset (&key, 0, sizeof key);
  memset (&flow, 0, sizeof flow);
  key.cookie = 9;
  flow.tx_bytes = 131072;
  flow.rx_bytes = 4096;
  flow.first_ns = flow.last_ns = 10 * SEC;
  flow.family = 4;
  flow.proto = 6;
  flow.state = 1;
  flow.kernel_sock = 1;
  flow.has_process = 1;
  g_strlcpy (flow.comm, thread, sizeof flow.comm);

  netpulse_flow_table_begin (table, 11 * SEC, SEC, released);
  netpulse_flow_table_take (table, &key, &flow);
  netpulse_flow_table_take_closed (table);
  netpulse_flow_table_plan (table);
  netpulse_flow_table_foreach_changed (table, 0, 5 * SEC, collect, records);
  g_assert_cmpuint (records->len, ==, 1);
  record = g_array_index (records, NetpulseRecord, 0);
  netpulse_flow_table_free (table);
  return record;
}

static void
test_kernel_subsystem (void)
{
  NetpulseRecord r = kernel_record ("nfsd");

  g_assert_cmpuint (r.app_kind, ==, NETPULSE_APP_KIND_KERNEL);
  g_assert_cmpstr (r.app_id, ==, "nfsd");
  g_assert_cmpstr (r.comm, ==, "nfsd");
  g_assert_cmpuint (r.pid, ==, 0);
  g_assert_cmpuint (r.tx_bytes, ==, 131072);
  g_assert_cmpstr (r.exe, ==, "");
}

static void
test_kernel_worker (void)
{
  /* A workqueue worker names no subsystem. */
  NetpulseRecord r = kernel_record ("kworker/u8:2");

  g_assert_cmpuint (r.app_kind, ==, NETPULSE_APP_KIND_KERNEL);
  g_assert_cmpstr (r.app_id, ==, "kernel");
  g_assert_cmpstr (r.comm, ==, "kworker/u8:2");
  g_assert_cmpuint (r.pid, ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/flow-table/kernel/subsystem", test_kernel_subsystem);
  g_test_add_func ("/flow-table/kernel/worker", test_kernel_worker);
  return g_test_run ();
}
