/* test-flow-record.c — a flow's record split in the flow's fields and a
 * shared identity: identities interned by content, freed with their last
 * flow, and a record put back together equal to the one split.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <string.h>

#include "netpulse-flow-record.h"

static NetpulseRecord
named_record (const char *app_id,
              const char *cmdline)
{
  NetpulseRecord r;

  memset (&r, 0, sizeof r);
  r.id = 42;
  r.pid = 4242;
  g_strlcpy (r.comm, "nginx", sizeof r.comm);
  g_strlcpy (r.laddr, "10.0.0.1", sizeof r.laddr);
  r.lport = 443;
  r.tx_bytes = 1 << 20;
  r.tx_rate_avg = 12.5;
  g_strlcpy (r.exe, "/usr/sbin/nginx", sizeof r.exe);
  g_strlcpy (r.cmdline, cmdline, sizeof r.cmdline);
  g_strlcpy (r.unit, "nginx.service", sizeof r.unit);
  g_strlcpy (r.app_id, app_id, sizeof r.app_id);
  r.app_kind = NETPULSE_APP_KIND_SERVICE;
  return r;
}

/* The flow's own fields, as the flow table fills them. */
#define SPLIT_FLOW(kind, name, max)          flow->name = record->name;
#define SPLIT_FLOW_ARRAY(kind, name, max)    memcpy (flow->name, record->name, sizeof flow->name);
#define SPLIT_IDENTITY_TEXT(kind, name, max)
#define SPLIT_IDENTITY(kind, name, max)
#define SPLIT(kind, name, max) NETPULSE_FLOW_BY_PART (SPLIT, kind, name, max)

static void
split (const NetpulseRecord *record,
       NetpulseFlowRecord   *flow)
{
  NETPULSE_RECORD_FIELDS (SPLIT)
}

static void
test_interned_by_content (void)
{
  g_autoptr(NetpulseFlowIdentities) identities = netpulse_flow_identities_new ();
  NetpulseRecord a = named_record ("nginx", "nginx: worker process");
  NetpulseRecord b = named_record ("nginx", "nginx: worker process");
  NetpulseRecord c = named_record ("nginx", "nginx: master process");
  NetpulseFlowIdentity *ia, *ib, *ic;

  /* Other fields do not matter: another flow of the same process. */
  b.pid = 1;
  b.lport = 80;
  ia = netpulse_flow_identities_intern (identities, &a);
  ib = netpulse_flow_identities_intern (identities, &b);
  ic = netpulse_flow_identities_intern (identities, &c);
  g_assert_true (ia == ib);
  g_assert_true (ia != ic);
  g_assert_cmpuint (netpulse_flow_identities_get_size (identities), ==, 2);

  /* Kept while a flow has it. */
  netpulse_flow_identities_release (identities, ia);
  g_assert_cmpuint (netpulse_flow_identities_get_size (identities), ==, 2);
  netpulse_flow_identities_release (identities, ib);
  g_assert_cmpuint (netpulse_flow_identities_get_size (identities), ==, 1);
  netpulse_flow_identities_release (identities, ic);
  g_assert_cmpuint (netpulse_flow_identities_get_size (identities), ==, 0);
  netpulse_flow_identities_release (identities, NULL);
}

static void
test_kind_is_identity (void)
{
  g_autoptr(NetpulseFlowIdentities) identities = netpulse_flow_identities_new ();
  NetpulseRecord a = named_record ("kernel", "");
  NetpulseRecord b = a;
  NetpulseFlowIdentity *ia, *ib;

  b.app_kind = NETPULSE_APP_KIND_KERNEL;
  ia = netpulse_flow_identities_intern (identities, &a);
  ib = netpulse_flow_identities_intern (identities, &b);
  g_assert_true (ia != ib);
  netpulse_flow_identities_release (identities, ia);
  netpulse_flow_identities_release (identities, ib);
}

static void
test_expand (void)
{
  g_autoptr(NetpulseFlowIdentities) identities = netpulse_flow_identities_new ();
  NetpulseRecord in = named_record ("nginx", "nginx: worker process");
  NetpulseRecord out, empty, expected;
  NetpulseFlowRecord flow;
  NetpulseFlowIdentity *identity;

  /* Every byte of a text array full, the longest command line. */
  memset (in.cmdline, 'a', sizeof in.cmdline - 1);
  in.cmdline[sizeof in.cmdline - 1] = '\0';
  split (&in, &flow);
  identity = netpulse_flow_identities_intern (identities, &in);
  memset (&out, 0xaa, sizeof out);
  netpulse_flow_record_expand (&flow, identity, &out);
  g_assert_cmpuint (out.id, ==, 42);
  g_assert_cmpuint (out.pid, ==, 4242);
  g_assert_cmpstr (out.comm, ==, "nginx");
  g_assert_cmpstr (out.laddr, ==, "10.0.0.1");
  g_assert_cmpuint (out.lport, ==, 443);
  g_assert_cmpuint (out.tx_bytes, ==, 1 << 20);
  g_assert_cmpfloat (out.tx_rate_avg, ==, 12.5);
  g_assert_cmpstr (out.exe, ==, "/usr/sbin/nginx");
  g_assert_cmpstr (out.cmdline, ==, in.cmdline);
  g_assert_cmpstr (out.unit, ==, "nginx.service");
  g_assert_cmpstr (out.app_id, ==, "nginx");
  g_assert_cmpuint (out.app_kind, ==, NETPULSE_APP_KIND_SERVICE);

  /* No identity yet: empty texts, kind 0, as a new record. */
  memset (&empty, 0xaa, sizeof empty);
  netpulse_flow_record_expand (&flow, NULL, &empty);
  expected = in;
  netpulse_flow_record_clear_identity (&expected);
  g_assert_cmpstr (empty.exe, ==, "");
  g_assert_cmpstr (empty.cmdline, ==, "");
  g_assert_cmpstr (empty.unit, ==, "");
  g_assert_cmpstr (empty.app_id, ==, "");
  g_assert_cmpuint (empty.app_kind, ==, expected.app_kind);
  g_assert_cmpuint (empty.pid, ==, 4242);
  g_assert_false (netpulse_flow_identity_has_app_id (NULL));
  g_assert_true (netpulse_flow_identity_has_app_id (identity));
  netpulse_flow_identities_release (identities, identity);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/flow-record/interned-by-content", test_interned_by_content);
  g_test_add_func ("/flow-record/kind-is-identity", test_kind_is_identity);
  g_test_add_func ("/flow-record/expand", test_expand);

  return g_test_run ();
}
