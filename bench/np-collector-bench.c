/* np-collector-bench.c — the collector's own cost per tick, without D-Bus
 * or JSON: starts the real collector (root), then every --interval-ms
 * calls netpulse_collector_sample() and builds the body of the Update
 * signal a subscriber would get for that tick (with the helper's own code,
 * helper/netpulse-subscription.c), and prints one JSON object:
 *
 *   sample_cpu_us   CPU time of netpulse_collector_sample() per tick
 *   update_cpu_us   CPU time of building the Update body per tick
 *   changed         records in that Update
 *   update_bytes    the size of the frame (header + payload; "computed",
 *                   the D-Bus message adds a header of about 150 bytes)
 *   rss_*_kib       resident memory after start, after the first sample,
 *                   after building the first (full) Update, after the last tick
 *
 * (medians and maxima over the ticks after the first; the first sample,
 * which takes in the connections that already exist, is reported apart).
 *
 * Under `valgrind --tool=callgrind --collect-atstart=no` only the steady
 * ticks are instrumented (CALLGRIND_TOGGLE_COLLECT around them), so the
 * instruction count divided by --ticks is the user-space cost of one tick;
 * the kernel's share (the batched map reads) is not in it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "np-collector-bench"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(HAVE_CALLGRIND_H) && HAVE_CALLGRIND_H
# include <valgrind/callgrind.h>
#else
# define CALLGRIND_TOGGLE_COLLECT
# define RUNNING_ON_VALGRIND 0
#endif

#include "netpulse-collector.h"
#include "netpulse-frame.h"
#include "netpulse-subscription.h"

static guint64
thread_cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (guint64) ts.tv_sec * G_GUINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

/* One frame of a subscriber's stream, built by the helper's own code. */
static GPtrArray *
build_update (NetpulseCollector *collector,
              guint64            since_generation,
              guint64            sequence,
              guint             *n_changed)
{
  g_autoptr(NetpulseChanges) changes = netpulse_changes_collect (collector, since_generation,
                                                                        NETPULSE_WINDOW_DEFAULT_MS);

  *n_changed = netpulse_changes_get_n_records (changes);
  return netpulse_changes_build_frame (changes, sequence,
                                       netpulse_collector_get_timestamp (collector),
                                       since_generation == 0 ? 1 : 0, "bench");
}

static long
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  return line != NULL ? strtol (line + 6, NULL, 10) : -1;
}

static int
compare_u64 (gconstpointer a,
             gconstpointer b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;

  return x < y ? -1 : x > y;
}

static guint64
median_u64 (GArray *values)
{
  if (values->len == 0)
    return 0;
  g_array_sort (values, compare_u64);
  return g_array_index (values, guint64, values->len / 2);
}

static guint64
max_u64 (GArray *values)
{
  guint64 max = 0;

  for (guint i = 0; i < values->len; i++)
    max = MAX (max, g_array_index (values, guint64, i));
  return max;
}

static guint64
counter (NetpulseCollector *collector,
         const char        *name)
{
  g_autoptr(GVariant) counters = netpulse_collector_get_counters (collector);
  guint64 value = 0;

  g_variant_lookup (counters, name, "t", &value);
  return value;
}

int
main (int   argc,
      char *argv[])
{
  int ticks = 5, interval_ms = 1000, max_flows = 0;
  const GOptionEntry entries[] = {
    { "ticks", 0, 0, G_OPTION_ARG_INT, &ticks, "Steady ticks to measure (default 5)", "N" },
    { "interval-ms", 0, 0, G_OPTION_ARG_INT, &interval_ms, "Time between ticks (default 1000)", "MS" },
    { "max-flows", 0, 0, G_OPTION_ARG_INT, &max_flows, "Size of the kernel flow table", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NetpulseCollector) collector = NULL;
  g_autoptr(GArray) sample_ns = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr(GArray) update_ns = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr(GArray) changed = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr(GArray) bytes = g_array_new (FALSE, FALSE, sizeof (guint64));
  NetpulseCollectorConfig config = { 0 };
  guint64 generation, t0, t1, first_sample_ns, first_update_ns, first_bytes;
  long rss_started, rss_first_sample, rss_first_update;
  guint first_changed;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("np-collector-bench: %s\n", error->message);
      return 2;
    }

  config.max_flows = (guint) MAX (max_flows, 0);
  collector = netpulse_collector_new (&config);
  if (!netpulse_collector_start (collector, &error))
    {
      g_printerr ("np-collector-bench: %s\n", error->message);
      return 1;
    }
  g_printerr ("np-collector-bench: backend %s ready\n", netpulse_collector_get_backend (collector));
  rss_started = rss_kib ();

  /* The first tick takes in what exists: the whole table is "changed". */
  t0 = thread_cpu_ns ();
  if (!netpulse_collector_sample (collector, &error))
    g_error ("%s", error->message);
  t1 = thread_cpu_ns ();
  first_sample_ns = t1 - t0;
  rss_first_sample = rss_kib ();
  /* Under valgrind the full first Update would take most of the run and is
   * not what is counted. */
  if (!RUNNING_ON_VALGRIND)
    {
      g_autoptr(GPtrArray) update = build_update (collector, 0, 1, &first_changed);

      first_update_ns = thread_cpu_ns () - t1;
      first_bytes = netpulse_frame_pieces_get_size (update);
    }
  else
    {
      first_update_ns = first_bytes = 0;
      first_changed = 0;
    }
  rss_first_update = rss_kib ();
  generation = netpulse_collector_get_generation (collector);

  for (int i = 0; i < ticks; i++)
    {
      g_autoptr(GPtrArray) update = NULL;
      guint64 s0, s1, s2, value;
      guint n;

      g_usleep ((gulong) interval_ms * 1000);

      CALLGRIND_TOGGLE_COLLECT;
      s0 = thread_cpu_ns ();
      if (!netpulse_collector_sample (collector, &error))
        g_error ("%s", error->message);
      s1 = thread_cpu_ns ();
      update = build_update (collector, generation, (guint64) i + 2, &n);
      s2 = thread_cpu_ns ();
      CALLGRIND_TOGGLE_COLLECT;

      generation = netpulse_collector_get_generation (collector);
      value = s1 - s0;
      g_array_append_val (sample_ns, value);
      value = s2 - s1;
      g_array_append_val (update_ns, value);
      value = n;
      g_array_append_val (changed, value);
      value = netpulse_frame_pieces_get_size (update);
      g_array_append_val (bytes, value);
    }

  printf ("{\"backend\":\"%s\",\"ticks\":%d,\"interval_ms\":%d,\"flows\":%" G_GUINT64_FORMAT
          ",\"max_flows\":%" G_GUINT64_FORMAT ",\"flow_overflow\":%" G_GUINT64_FORMAT
          ",\"first_sample_cpu_us\":%.1f,\"first_update_cpu_us\":%.1f,\"first_changed\":%u"
          ",\"first_update_bytes\":%" G_GUINT64_FORMAT
          ",\"sample_cpu_us\":%.1f,\"sample_cpu_us_max\":%.1f"
          ",\"update_cpu_us\":%.1f,\"update_cpu_us_max\":%.1f"
          ",\"changed\":%" G_GUINT64_FORMAT ",\"update_bytes\":%" G_GUINT64_FORMAT
          ",\"rss_started_kib\":%ld,\"rss_first_sample_kib\":%ld,\"rss_first_update_kib\":%ld"
          ",\"rss_kib\":%ld,\"under_valgrind\":%s}\n",
          netpulse_collector_get_backend (collector), ticks, interval_ms,
          counter (collector, "flows"), counter (collector, "max-flows"),
          counter (collector, "flow-overflow"),
          first_sample_ns / 1e3, first_update_ns / 1e3, first_changed, first_bytes,
          median_u64 (sample_ns) / 1e3, max_u64 (sample_ns) / 1e3,
          median_u64 (update_ns) / 1e3, max_u64 (update_ns) / 1e3,
          median_u64 (changed), median_u64 (bytes),
          rss_started, rss_first_sample, rss_first_update,
          rss_kib (), RUNNING_ON_VALGRIND ? "true" : "false");

  netpulse_collector_stop (collector);
  return 0;
}
