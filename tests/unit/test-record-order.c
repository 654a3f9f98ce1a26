/* test-record-order.c — the record orders shared by netpulsectl and the
 * app (common/netpulse-record-order.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <string.h>

#include "netpulse-record-order.h"

static void
test_endpoints (void)
{
  /* In order: no address, IPv4 by number, IPv6, unparsable; port last. */
  static const struct {
    const char *addr;
    guint16     port;
  } order[] = {
    { "", 0 },
    { "9.0.0.1", 80 },
    { "10.0.0.9", 80 },
    { "10.0.0.10", 22 },
    { "10.0.0.10", 443 },
    { "::1", 80 },
    { "fe80::1", 80 },
    { "not an address", 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    for (guint j = 0; j < G_N_ELEMENTS (order); j++)
      {
        int cmp = netpulse_compare_endpoints (order[i].addr, order[i].port,
                                              order[j].addr, order[j].port);

        g_assert_cmpint ((cmp > 0) - (cmp < 0), ==, (i > j) - (i < j));
      }
}

static void
test_records (void)
{
  NetpulseRecord a = { 0 }, b = { 0 };

  g_strlcpy (a.laddr, "10.0.0.9", sizeof a.laddr);
  g_strlcpy (b.laddr, "10.0.0.10", sizeof b.laddr);
  g_strlcpy (a.raddr, "192.168.1.20", sizeof a.raddr);
  g_strlcpy (b.raddr, "192.168.1.3", sizeof b.raddr);
  a.state = 1;    /* ESTABLISHED */
  b.state = 10;   /* LISTEN: after it by number, before it by name */

  g_assert_cmpint (netpulse_record_compare_local (&a, &b), <, 0);
  g_assert_cmpint (netpulse_record_compare_remote (&a, &b), >, 0);
  g_assert_cmpint (netpulse_record_compare_state (&a, &b), <, 0);
  g_assert_cmpint (netpulse_record_compare_state (&a, &a), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/record-order/endpoints", test_endpoints);
  g_test_add_func ("/record-order/records", test_records);

  return g_test_run ();
}
