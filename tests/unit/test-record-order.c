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
    { "", 53 },
    { "0.0.0.0", 80 },
    { "9.0.0.1", 80 },
    { "10.0.0.9", 80 },
    { "10.0.0.10", 22 },
    { "10.0.0.10", 443 },
    { "255.255.255.255", 1 },
    { "::", 0 },
    { "::1", 80 },
    { "::ffff:10.0.0.1", 80 },   /* IPv4-mapped: an IPv6 address */
    { "fe80::1", 80 },
    { "ff02::fb", 5353 },
    { "a not an address", 9 },
    { "not an address", 1 },
    { "not an address", 2 },
  };
  NetpulseAddressKey keys[G_N_ELEMENTS (order)];

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    netpulse_address_key_init (&keys[i], order[i].addr);

  /* Parsed once (keys) or at each comparison (text): the same order. */
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    for (guint j = 0; j < G_N_ELEMENTS (order); j++)
      {
        int cmp = netpulse_compare_endpoints (order[i].addr, order[i].port,
                                              order[j].addr, order[j].port);
        int by_key = netpulse_compare_endpoint_keys (&keys[i], order[i].addr, order[i].port,
                                                     &keys[j], order[j].addr, order[j].port);

        g_assert_cmpint ((cmp > 0) - (cmp < 0), ==, (i > j) - (i < j));
        g_assert_cmpint ((by_key > 0) - (by_key < 0), ==, (i > j) - (i < j));
      }
}

static void
test_address_keys (void)
{
  static const guint8 v4[17] = { 1, 10, 0, 0, 9 };
  static const guint8 v6[17] = { 2, [16] = 1 };
  static const guint8 none[17] = { 0 };
  NetpulseAddressKey key;

  netpulse_address_key_init (&key, "10.0.0.9");
  g_assert_cmpmem (key.bytes, sizeof key.bytes, v4, sizeof v4);
  netpulse_address_key_init (&key, "::1");
  g_assert_cmpmem (key.bytes, sizeof key.bytes, v6, sizeof v6);
  netpulse_address_key_init (&key, "");
  g_assert_cmpmem (key.bytes, sizeof key.bytes, none, sizeof none);
  netpulse_address_key_init (&key, NULL);
  g_assert_cmpmem (key.bytes, sizeof key.bytes, none, sizeof none);
  netpulse_address_key_init (&key, "10.0.0.999");
  g_assert_cmpuint (key.bytes[0], ==, 3);
}

static void
test_records (void)
{
  NetpulseRecord a = { 0 }, b = { 0 };
  NetpulseKeyedRecord ka, kb;

  g_strlcpy (a.laddr, "10.0.0.9", sizeof a.laddr);
  g_strlcpy (b.laddr, "10.0.0.10", sizeof b.laddr);
  g_strlcpy (a.raddr, "192.168.1.20", sizeof a.raddr);
  g_strlcpy (b.raddr, "192.168.1.3", sizeof b.raddr);
  a.state = 1;    /* ESTABLISHED */
  b.state = 10;   /* LISTEN: after it by number, before it by name */
  netpulse_keyed_record_init (&ka, &a);
  netpulse_keyed_record_init (&kb, &b);

  g_assert_cmpint (netpulse_record_compare_local (&ka, &kb), <, 0);
  g_assert_cmpint (netpulse_record_compare_remote (&ka, &kb), >, 0);
  g_assert_cmpint (netpulse_record_compare_local (&ka, &ka), ==, 0);
  g_assert_cmpint (netpulse_record_compare_state (&a, &b), <, 0);
  g_assert_cmpint (netpulse_record_compare_state (&a, &a), ==, 0);

  /* A new record with other addresses: its keys follow; the same ones
   * with another port: the port decides. */
  g_strlcpy (a.laddr, "::1", sizeof a.laddr);
  g_strlcpy (a.raddr, "192.168.1.3", sizeof a.raddr);
  a.rport = 443;
  b.rport = 80;
  netpulse_keyed_record_set (&ka, &a);
  netpulse_keyed_record_set (&kb, &b);
  g_assert_cmpstr (ka.record.laddr, ==, "::1");
  g_assert_cmpint (netpulse_record_compare_local (&ka, &kb), >, 0);
  g_assert_cmpint (netpulse_record_compare_remote (&ka, &kb), >, 0);
  b.rport = 8443;
  netpulse_keyed_record_set (&kb, &b);
  g_assert_cmpint (netpulse_record_compare_remote (&ka, &kb), <, 0);
}

/* @text in a field, nothing past its end: as a parsed record has it. */
#define SET_TEXT(field, text) \
  (memset ((field), 0, sizeof (field)), g_strlcpy ((field), (text), sizeof (field)))

/* set() copies every field, leaves no byte of a longer text behind it,
 * and its addresses keyed as their texts are. */
static void
test_set_copies (void)
{
  NetpulseRecord long_texts = { 0 }, short_texts = { 0 };
  NetpulseKeyedRecord keyed;

  SET_TEXT (long_texts.comm, "long-command-name");
  SET_TEXT (long_texts.laddr, "2001:db8::1234:5678");
  SET_TEXT (long_texts.raddr, "192.168.100.200");
  memset (long_texts.cmdline, 'x', sizeof long_texts.cmdline - 1);
  SET_TEXT (long_texts.exe, "/usr/lib/a/very/long/path/to/an/executable");
  SET_TEXT (long_texts.unit, "a-long-unit-name.service");
  SET_TEXT (long_texts.app_id, "org.example.LongApplicationName");
  long_texts.rx_bytes = 1000;
  short_texts = long_texts;
  SET_TEXT (short_texts.comm, "c");
  SET_TEXT (short_texts.laddr, "::1");
  SET_TEXT (short_texts.cmdline, "c --x");
  SET_TEXT (short_texts.exe, "");
  SET_TEXT (short_texts.unit, "u.service");
  SET_TEXT (short_texts.app_id, "org.example.A");
  short_texts.rx_bytes = 2000;

  netpulse_keyed_record_init (&keyed, &long_texts);
  netpulse_keyed_record_set (&keyed, &short_texts);
  g_assert_cmpmem (&keyed.record, sizeof keyed.record, &short_texts, sizeof short_texts);
  g_assert_cmpint (keyed.local.bytes[0], ==, 2);
  g_assert_cmpint (keyed.local.bytes[16], ==, 1);
  g_assert_cmpint (keyed.remote.bytes[0], ==, 1);

  /* And back: every byte of the longer texts again, the cmdline as long
   * as its field holds. */
  netpulse_keyed_record_set (&keyed, &long_texts);
  g_assert_cmpmem (&keyed.record, sizeof keyed.record, &long_texts, sizeof long_texts);
  g_assert_cmpint (keyed.local.bytes[1], ==, 0x20);
  g_assert_cmpint (keyed.remote.bytes[1], ==, 192);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/record-order/endpoints", test_endpoints);
  g_test_add_func ("/record-order/address-keys", test_address_keys);
  g_test_add_func ("/record-order/records", test_records);
  g_test_add_func ("/record-order/set-copies", test_set_copies);

  return g_test_run ();
}
