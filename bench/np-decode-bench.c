/* np-decode-bench.c — a client's cost of reading a frame's records, the
 * two ways side by side in one run: GVariant (g_variant_get_child_value()
 * and netpulse_record_from_variant() per record, what clients did) and
 * netpulse_record_reader_read() (straight from the bytes, what they do).
 *
 *   np-decode-bench [--records N] [--rounds R]
 *
 * The records are written by the helper's own writer, with texts of the
 * lengths a busy server's have (a command line of 60 bytes, an executable
 * path of 20, IPv4 and IPv6 addresses).  Prints one JSON line: CPU time per
 * record of each way (median of the rounds, process CPU time), their ratio,
 * and whether both read the same records.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "netpulse-record-reader.h"
#include "netpulse-record-writer.h"

static double
cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static GVariant *
make_array (guint n)
{
  g_autoptr(NetpulseRecordWriter) writer = netpulse_record_writer_new ();

  for (guint i = 0; i < n; i++)
    {
      NetpulseRecord r = { 0 };

      r.id = i + 1;
      r.pid = 1000 + i / 50;
      g_strlcpy (r.comm, "nginx", sizeof r.comm);
      r.proto = 6;
      r.family = i % 2 ? 6 : 4;
      g_strlcpy (r.laddr, i % 2 ? "2001:db8::1" : "10.0.0.1", sizeof r.laddr);
      g_snprintf (r.raddr, sizeof r.raddr, i % 2 ? "2001:db8::%x" : "10.1.%u.%u", (i >> 8) & 255, i & 255);
      r.lport = 443;
      r.rport = (guint16) (1024 + i);
      r.state = 1;
      r.tx_bytes = (guint64) i * 1000;
      r.tx_rate = i * 1.5;
      r.first_seen_ns = G_GUINT64_CONSTANT (1796280000000000000);
      g_strlcpy (r.exe, "/usr/sbin/nginx", sizeof r.exe);
      g_strlcpy (r.cmdline, "nginx: worker process is shutting down and serving", sizeof r.cmdline);
      g_strlcpy (r.unit, "nginx.service", sizeof r.unit);
      g_strlcpy (r.app_id, "nginx", sizeof r.app_id);
      r.app_kind = NETPULSE_APP_KIND_SERVICE;
      netpulse_record_writer_add (writer, &r);
    }
  return g_variant_ref_sink (netpulse_record_writer_end (writer));
}

static GArray *
read_with_gvariant (GVariant *array)
{
  gsize n = g_variant_n_children (array);
  GArray *records = g_array_sized_new (FALSE, TRUE, sizeof (NetpulseRecord), n);

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (array, i);
      NetpulseRecord record;

      if (netpulse_record_from_variant (&record, child, NULL))
        g_array_append_val (records, record);
    }
  return records;
}

static GArray *
read_with_reader (GVariant *array)
{
  GArray *records = g_array_sized_new (FALSE, FALSE, sizeof (NetpulseRecord), 0);

  if (!netpulse_record_reader_read (array, records, NULL))
    g_error ("the reader refused the writer's array");
  return records;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

int
main (int   argc,
      char *argv[])
{
  int n = 10000, rounds = 5;
  const GOptionEntry entries[] = {
    { "records", 0, 0, G_OPTION_ARG_INT, &n, "Records in the frame (default 10,000)", "N" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "Rounds, each way once a round (default 5)", "R" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) array = NULL;
  g_autoptr(GArray) gvariant_s = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) reader_s = g_array_new (FALSE, FALSE, sizeof (double));
  gboolean same = TRUE;
  double g, r;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || n <= 0 || rounds <= 0)
    {
      g_printerr ("np-decode-bench: %s\n", error != NULL ? error->message : "bad arguments");
      return 2;
    }
  array = make_array ((guint) n);

  for (int i = 0; i < rounds; i++)
    {
      g_autoptr(GArray) by_gvariant = NULL;
      g_autoptr(GArray) by_reader = NULL;
      double t0, t1, t2;

      t0 = cpu_seconds ();
      by_gvariant = read_with_gvariant (array);
      t1 = cpu_seconds ();
      by_reader = read_with_reader (array);
      t2 = cpu_seconds ();
      g_array_append_vals (gvariant_s, &(double) { t1 - t0 }, 1);
      g_array_append_vals (reader_s, &(double) { t2 - t1 }, 1);
      same = same && by_gvariant->len == by_reader->len &&
             memcmp (by_gvariant->data, by_reader->data, by_gvariant->len * sizeof (NetpulseRecord)) == 0;
    }
  g_array_sort (gvariant_s, compare_double);
  g_array_sort (reader_s, compare_double);
  g = g_array_index (gvariant_s, double, rounds / 2);
  r = g_array_index (reader_s, double, rounds / 2);
  printf ("{\"records\":%d,\"bytes\":%zu,\"rounds\":%d,\"gvariant_us_per_record\":%.3f,"
          "\"reader_us_per_record\":%.3f,\"ratio\":%.1f,\"same_records\":%s}\n",
          n, g_variant_get_size (array), rounds, g * 1e6 / n, r * 1e6 / n, r > 0 ? g / r : 0.0,
          same ? "true" : "false");
  return same ? 0 : 1;
}
