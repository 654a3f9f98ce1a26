/* test-units.c — sizes, rates and round-trip times as text
 * (common/netpulse-units.c), as both netpulsectl and the app show them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <math.h>

#include "netpulse-units.h"

static void
test_format_bytes (void)
{
  struct {
    guint64     bytes;
    const char *expected;
  } cases[] = {
    { 0, "0 B" },
    { 999, "999 B" },
    { 1000, "1.0 kB" },
    { 1536, "1.5 kB" },
    { 999949, "999.9 kB" },
    { 1500000, "1.5 MB" },
    { G_GUINT64_CONSTANT (2000000000), "2.0 GB" },
    { G_GUINT64_CONSTANT (3000000000000), "3.0 TB" },
    /* GLib's units go on beyond TB. */
    { G_GUINT64_CONSTANT (5000000000000000), "5.0 PB" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = netpulse_format_bytes (cases[i].bytes);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

static void
test_format_rate (void)
{
  struct {
    double      rate;
    gboolean    bits;
    const char *expected;
  } cases[] = {
    { 0, FALSE, "0 B/s" },
    { 512, FALSE, "512 B/s" },
    { 1536, FALSE, "1.5 kB/s" },
    { 1536, TRUE, "12.3 kbit/s" },
    { 100, TRUE, "800 bit/s" },
    { 2.5e6, FALSE, "2.5 MB/s" },
    { 2.5e6, TRUE, "20.0 Mbit/s" },
    { 4e9, FALSE, "4.0 GB/s" },
    /* Nonsense in, zero out. */
    { -5, FALSE, "0 B/s" },
    { NAN, FALSE, "0 B/s" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = netpulse_format_rate (cases[i].rate, cases[i].bits);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

static void
test_format_rtt (void)
{
  struct {
    guint32     rtt_us;
    const char *expected;
  } cases[] = {
    { 0, "" },
    { 1, "1 µs" },
    { 999, "999 µs" },
    { 1000, "1.0 ms" },
    { 12345, "12.3 ms" },
    { 999999, "1000.0 ms" },
    { 1000000, "1.00 s" },
    { 2500000, "2.50 s" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = netpulse_format_rtt (cases[i].rtt_us);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

int
main (int    argc,
      char **argv)
{
  /* The expected texts are the untranslated ones. */
  setlocale (LC_ALL, "C");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/units/bytes", test_format_bytes);
  g_test_add_func ("/units/rate", test_format_rate);
  g_test_add_func ("/units/rtt", test_format_rtt);

  return g_test_run ();
}
