/* test-usage.c — unit tests of the Usage view's arithmetic
 * (src/netpulse-usage-data.c) and export (src/netpulse-usage-export.c):
 * which range, granularity and buckets each preset means (local midnight
 * in a zone an hour east of UTC), where a bucket's boundaries fall, the
 * sums per application and bucket, the top five with the rest folded into
 * "Other", and what the export writes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "netpulse-usage-data.h"
#include "netpulse-usage-export.h"

#define S      G_GUINT64_CONSTANT (1000000000)
#define MINUTE (60 * S)
#define HOUR   (3600 * S)
#define DAY    (86400 * S)

/* 2026-12-02 10:30:15.5 UTC (11:30:15.5 in the test's zone). */
static GDateTime *
test_now (void)
{
  return g_date_time_new_utc (2026, 12, 2, 10, 30, 15.5);
}

static guint64
utc_ns (int year, int month, int day, int hour, int minute, double seconds)
{
  g_autoptr(GDateTime) t = g_date_time_new_utc (year, month, day, hour, minute, seconds);

  return (guint64) g_date_time_to_unix (t) * S + (guint64) g_date_time_get_microsecond (t) * 1000;
}

static void
check_range (NetpulseUsagePreset      preset,
             guint64                  since,
             NetpulseUsageGranularity granularity,
             guint64                  bucket,
             guint64                  first,
             guint                    n)
{
  g_autoptr(GDateTime) now = test_now ();
  g_autoptr(GError) error = NULL;
  NetpulseUsageRange range;

  g_assert_true (netpulse_usage_range_init (&range, preset, now, 0, 0, 60000, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (range.since_ns, ==, since);
  g_assert_cmpuint (range.until_ns, ==, utc_ns (2026, 12, 2, 10, 30, 15.5));
  g_assert_cmpint (range.granularity, ==, granularity);
  g_assert_cmpuint (range.bucket_ns, ==, bucket);
  g_assert_cmpuint (range.first_ns, ==, first);
  g_assert_cmpuint (range.n_buckets, ==, n);
  /* The last bucket holds the end, the first the start. */
  g_assert_cmpuint (range.first_ns + n * bucket, >=, range.until_ns);
  g_assert_cmpuint (range.first_ns + (n - 1) * bucket, <, range.until_ns);
  g_assert_cmpuint (range.first_ns, <=, range.since_ns);
  g_assert_cmpuint (range.first_ns + bucket, >, range.since_ns);
}

static void
test_presets (void)
{
  /* An hour of minutes: 09:30:15.5 → 10:30:15.5 is 61 buckets from 09:30. */
  check_range (NETPULSE_USAGE_LAST_HOUR, utc_ns (2026, 12, 2, 9, 30, 15.5), NETPULSE_USAGE_MINUTE, MINUTE,
               utc_ns (2026, 12, 2, 9, 30, 0), 61);
  /* Today: from local midnight (23:00 UTC the day before), 11.5 hours:
   * more than 360 minutes, so hours. */
  check_range (NETPULSE_USAGE_TODAY, utc_ns (2026, 12, 1, 23, 0, 0), NETPULSE_USAGE_HOUR, HOUR,
               utc_ns (2026, 12, 1, 23, 0, 0), 12);
  /* 168 hours (at most 192): hours, the first from 10:00. */
  check_range (NETPULSE_USAGE_LAST_7_DAYS, utc_ns (2026, 11, 25, 10, 30, 15.5), NETPULSE_USAGE_HOUR, HOUR,
               utc_ns (2026, 11, 25, 10, 0, 0), 169);
  /* 30 days: days, UTC days as the helper keeps them. */
  check_range (NETPULSE_USAGE_LAST_30_DAYS, utc_ns (2026, 11, 2, 10, 30, 15.5), NETPULSE_USAGE_DAY, DAY,
               utc_ns (2026, 11, 2, 0, 0, 0), 31);
  /* This month: from local midnight of the first, 35.5 hours. */
  check_range (NETPULSE_USAGE_THIS_MONTH, utc_ns (2026, 11, 30, 23, 0, 0), NETPULSE_USAGE_HOUR, HOUR,
               utc_ns (2026, 11, 30, 23, 0, 0), 36);
}

static void
test_custom (void)
{
  g_autoptr(GDateTime) now = test_now ();
  g_autoptr(GError) error = NULL;
  NetpulseUsageRange range;
  guint64 end = utc_ns (2026, 12, 2, 0, 0, 0);

  /* Test buckets of one second: 1000.5 s → 1017.2 s is 18 of them. */
  g_assert_true (netpulse_usage_range_init (&range, NETPULSE_USAGE_CUSTOM, now, 1000 * S + S / 2,
                                            1017 * S + S / 5, 1000, &error));
  g_assert_cmpint (range.granularity, ==, NETPULSE_USAGE_MINUTE);
  g_assert_cmpuint (range.bucket_ns, ==, S);
  g_assert_cmpuint (range.first_ns, ==, 1000 * S);
  g_assert_cmpuint (range.n_buckets, ==, 18);
  /* With one-second buckets an "hour" is a minute. */
  g_assert_cmpuint (netpulse_usage_bucket_ns (NETPULSE_USAGE_HOUR, 1000), ==, MINUTE);

  /* Empty or reversed: an error, nothing else changed. */
  g_assert_false (netpulse_usage_range_init (&range, NETPULSE_USAGE_CUSTOM, now, 5 * S, 5 * S, 60000, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (netpulse_usage_range_init (&range, NETPULSE_USAGE_CUSTOM, now, 9 * S, 5 * S, 60000, &error));
  g_clear_error (&error);

  /* Three years of days: cut to the last NETPULSE_USAGE_MAX_BUCKETS days. */
  g_assert_true (netpulse_usage_range_init (&range, NETPULSE_USAGE_CUSTOM, now, end - 3 * 365 * DAY, end,
                                            60000, &error));
  g_assert_cmpint (range.granularity, ==, NETPULSE_USAGE_DAY);
  g_assert_cmpuint (range.n_buckets, ==, NETPULSE_USAGE_MAX_BUCKETS);
  g_assert_cmpuint (range.first_ns, ==, end - NETPULSE_USAGE_MAX_BUCKETS * DAY);
  g_assert_cmpuint (range.since_ns, ==, range.first_ns);
}

static void
test_parse_time (void)
{
  g_autoptr(GTimeZone) zone = g_time_zone_new_identifier ("+01:00");
  guint64 ns = 0;

  g_assert_true (netpulse_usage_parse_time ("2026-12-02 07:15", zone, &ns));
  g_assert_cmpuint (ns, ==, utc_ns (2026, 12, 2, 6, 15, 0));
  g_assert_true (netpulse_usage_parse_time ("  2026-12-02T07:15:30 ", zone, &ns));
  g_assert_cmpuint (ns, ==, utc_ns (2026, 12, 2, 6, 15, 30));
  g_assert_true (netpulse_usage_parse_time ("2026-12-02", zone, &ns));
  g_assert_cmpuint (ns, ==, utc_ns (2026, 12, 1, 23, 0, 0));
  g_assert_true (netpulse_usage_parse_time ("2026-12-02 07:15Z", zone, &ns));
  g_assert_cmpuint (ns, ==, utc_ns (2026, 12, 2, 7, 15, 0));
  /* Bad input: FALSE, the value untouched. */
  ns = 42;
  g_assert_false (netpulse_usage_parse_time ("yesterday", zone, &ns));
  g_assert_false (netpulse_usage_parse_time ("", zone, &ns));
  g_assert_false (netpulse_usage_parse_time ("2026-13-02 07:15", zone, &ns));
  g_assert_false (netpulse_usage_parse_time ("1969-12-31 23:00", zone, &ns));
  g_assert_cmpuint (ns, ==, 42);
}

static void
test_bucket_boundaries (void)
{
  NetpulseUsageRange range = { 0 };

  range.first_ns = 600 * S;
  range.bucket_ns = 60 * S;
  range.n_buckets = 3;
  g_assert_cmpint (netpulse_usage_range_bucket_index (&range, 600 * S - 1), ==, -1);
  g_assert_cmpint (netpulse_usage_range_bucket_index (&range, 600 * S), ==, 0);
  g_assert_cmpint (netpulse_usage_range_bucket_index (&range, 660 * S - 1), ==, 0);
  g_assert_cmpint (netpulse_usage_range_bucket_index (&range, 660 * S), ==, 1);
  g_assert_cmpint (netpulse_usage_range_bucket_index (&range, 779 * S), ==, 2);
  g_assert_cmpint (netpulse_usage_range_bucket_index (&range, 780 * S), ==, -1);
}

/* Seven applications over three one-minute buckets from 600 s. */
static NetpulseUsageData *
make_data (void)
{
  static const struct {
    guint bucket;
    const char *kind, *id;
    guint64 rx, tx;
  } rows[] = {
    { 0, "desktop", "org.example.A", 1000, 10 },
    { 2, "desktop", "org.example.A", 500, 5 },     /* A: 1515, largest */
    { 0, "service", "b", 700, 0 },
    { 1, "service", "b", 100, 0 },                 /* b: 800 */
    { 1, "process", "c", 300, 300 },               /* c: 600 */
    { 0, "process", "d", 200, 100 },               /* d: 300 */
    { 1, "process", "e", 100, 100 },               /* e: 200, ties with f */
    { 2, "process", "f", 0, 200 },                 /* f: 200 */
    { 2, "process", "", 7, 3 },                    /* unknown: 10 */
  };
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(ttssyttu)"));
  NetpulseUsageRange range = { 0 };

  range.since_ns = range.first_ns = 600 * S;
  range.until_ns = 780 * S;
  range.bucket_ns = 60 * S;
  range.n_buckets = 3;
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    g_variant_builder_add (&builder, "(ttssyttu)", (600 + 60 * rows[i].bucket) * S,
                           (660 + 60 * rows[i].bucket) * S, rows[i].kind, rows[i].id, (guint8) 0,
                           rows[i].rx, rows[i].tx, (guint32) 1);
  return netpulse_usage_data_new (&range, g_variant_builder_end (&builder));
}

static const NetpulseUsageApp *
app_at (NetpulseUsageData *data,
        guint              i)
{
  return g_ptr_array_index (data->apps, i);
}

static void
test_sums (void)
{
  g_autoptr(NetpulseUsageData) data = make_data ();
  const char *order[] = { "org.example.A", "b", "c", "d", "e", "f", "" };

  g_assert_cmpuint (data->apps->len, ==, 7);
  /* Largest total first; e and f tie at 200: by kind, then id. */
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    g_assert_cmpstr (app_at (data, i)->app_id, ==, order[i]);
  g_assert_cmpuint (app_at (data, 0)->rx_bytes, ==, 1500);
  g_assert_cmpuint (app_at (data, 0)->tx_bytes, ==, 15);
  g_assert_cmpuint (app_at (data, 0)->connections, ==, 2);
  g_assert_cmpuint (app_at (data, 0)->rx[0], ==, 1000);
  g_assert_cmpuint (app_at (data, 0)->rx[1], ==, 0);
  g_assert_cmpuint (app_at (data, 0)->rx[2], ==, 500);
  g_assert_cmpuint (data->rx_bytes, ==, 1000 + 500 + 700 + 100 + 300 + 200 + 100 + 0 + 7);
  g_assert_cmpuint (data->tx_bytes, ==, 10 + 5 + 300 + 100 + 100 + 200 + 3);
  g_assert_cmpint (netpulse_usage_data_find (data, "service", "b"), ==, 1);
  g_assert_cmpint (netpulse_usage_data_find (data, "process", "b"), ==, -1);
}

static void
test_fold (void)
{
  g_autoptr(NetpulseUsageData) data = make_data ();
  g_autoptr(GPtrArray) top = netpulse_usage_data_fold (data, NETPULSE_USAGE_TOP_N, -1);
  g_autoptr(GPtrArray) all = netpulse_usage_data_fold (data, 10, -1);
  g_autoptr(GPtrArray) one = netpulse_usage_data_fold (data, NETPULSE_USAGE_TOP_N, 2);
  const NetpulseUsageSeries *other, *c;
  guint64 sum_rx[3] = { 0 }, sum_tx[3] = { 0 };

  /* Five applications, then Other with f and the unknown one. */
  g_assert_cmpuint (top->len, ==, NETPULSE_USAGE_TOP_N + 1);
  for (guint s = 0; s < NETPULSE_USAGE_TOP_N; s++)
    g_assert_true (((NetpulseUsageSeries *) g_ptr_array_index (top, s))->app == app_at (data, s));
  other = g_ptr_array_index (top, NETPULSE_USAGE_TOP_N);
  g_assert_null (other->app);
  g_assert_cmpuint (other->rx_bytes, ==, 7);
  g_assert_cmpuint (other->tx_bytes, ==, 203);
  g_assert_cmpuint (other->rx[2], ==, 7);
  g_assert_cmpuint (other->tx[2], ==, 203);
  g_assert_cmpuint (other->tx[0], ==, 0);
  /* Nothing lost or counted twice: every bucket sums to the whole. */
  for (guint s = 0; s < top->len; s++)
    for (guint b = 0; b < 3; b++)
      {
        const NetpulseUsageSeries *series = g_ptr_array_index (top, s);

        sum_rx[b] += series->rx[b];
        sum_tx[b] += series->tx[b];
      }
  g_assert_cmpuint (sum_rx[0] + sum_rx[1] + sum_rx[2], ==, data->rx_bytes);
  g_assert_cmpuint (sum_tx[0] + sum_tx[1] + sum_tx[2], ==, data->tx_bytes);
  g_assert_cmpuint (sum_rx[1], ==, 100 + 300 + 100);

  /* No rest, no Other. */
  g_assert_cmpuint (all->len, ==, 7);
  /* One application alone: only its series, whatever its rank. */
  g_assert_cmpuint (one->len, ==, 1);
  c = g_ptr_array_index (one, 0);
  g_assert_true (c->app == app_at (data, 2));
  g_assert_cmpuint (c->rx[1], ==, 300);
  g_assert_cmpuint (c->tx_bytes, ==, 300);
}

static void
test_outside (void)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(ttssyttu)"));
  g_autoptr(NetpulseUsageData) data = NULL;
  NetpulseUsageRange range = { 0 };

  range.first_ns = 600 * S;
  range.bucket_ns = 60 * S;
  range.n_buckets = 2;
  /* A row before the first bar and one past the last: in the totals and
   * in the nearest bar, so that the bars still sum to the list. */
  g_variant_builder_add (&builder, "(ttssyttu)", 540 * S, 600 * S, "process", "x", (guint8) 0,
                         (guint64) 5, (guint64) 0, (guint32) 0);
  g_variant_builder_add (&builder, "(ttssyttu)", 720 * S, 780 * S, "process", "x", (guint8) 0,
                         (guint64) 7, (guint64) 0, (guint32) 0);
  data = netpulse_usage_data_new (&range, g_variant_builder_end (&builder));
  g_assert_cmpuint (app_at (data, 0)->rx_bytes, ==, 12);
  g_assert_cmpuint (app_at (data, 0)->rx[0], ==, 5);
  g_assert_cmpuint (app_at (data, 0)->rx[1], ==, 7);
}

static void
test_export (void)
{
  g_autoptr(NetpulseUsageData) data = make_data ();
  g_autofree char *csv = netpulse_usage_export_csv (data);
  g_autofree char *json = netpulse_usage_export_json (data);
  g_autofree char *name = netpulse_usage_export_file_name (data, TRUE);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root, *first;
  JsonArray *apps;

  g_assert_true (g_str_has_prefix (csv, "start,end,app_kind,app_id,name,rx_bytes,tx_bytes,connections\n"
                                        "1970-01-01T00:10:00Z,1970-01-01T00:11:00Z,desktop,org.example.A,"
                                        "org.example.A,1000,10,1\n"));
  g_assert_nonnull (strstr (csv, "\n1970-01-01T00:12:00Z,1970-01-01T00:13:00Z,process,,Unknown process,7,3,1\n"));

  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "granularity"), ==, "minute");
  g_assert_cmpint (json_object_get_int_member (root, "bucket_seconds"), ==, 60);
  apps = json_object_get_array_member (root, "applications");
  g_assert_cmpuint (json_array_get_length (apps), ==, 7);
  first = json_array_get_object_element (apps, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "app_id"), ==, "org.example.A");
  g_assert_cmpint (json_object_get_int_member (first, "rx_bytes"), ==, 1500);
  g_assert_cmpint (json_object_get_int_member (first, "tx_bytes"), ==, 15);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "buckets")), ==, 9);
  g_assert_true (g_str_has_prefix (name, "netpulse-usage-") && g_str_has_suffix (name, ".json"));
}

/* An application id a spreadsheet would run as a formula is written as
 * text. */
static void
test_export_formula (void)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(ttssyttu)"));
  g_autoptr(NetpulseUsageData) data = NULL;
  g_autofree char *csv = NULL;
  NetpulseUsageRange range = { 0 };

  range.first_ns = 600 * S;
  range.bucket_ns = 60 * S;
  range.n_buckets = 1;
  g_variant_builder_add (&builder, "(ttssyttu)", 600 * S, 660 * S, "process", "=cmd|x,y", (guint8) 0,
                         (guint64) 1, (guint64) 2, (guint32) 3);
  data = netpulse_usage_data_new (&range, g_variant_builder_end (&builder));
  csv = netpulse_usage_export_csv (data);
  g_assert_nonnull (strstr (csv, ",process,\"'=cmd|x,y\",\"'=cmd|x,y\",1,2,3\n"));
}

int
main (int   argc,
      char *argv[])
{
  /* An hour east of UTC, no summer time: local midnight is 23:00 UTC. */
  g_setenv ("TZ", "CET-1", TRUE);
  g_setenv ("LC_ALL", "C", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/usage/presets", test_presets);
  g_test_add_func ("/usage/custom", test_custom);
  g_test_add_func ("/usage/parse-time", test_parse_time);
  g_test_add_func ("/usage/bucket-boundaries", test_bucket_boundaries);
  g_test_add_func ("/usage/sums", test_sums);
  g_test_add_func ("/usage/fold", test_fold);
  g_test_add_func ("/usage/outside", test_outside);
  g_test_add_func ("/usage/export", test_export);
  g_test_add_func ("/usage/export-formula", test_export_formula);
  return g_test_run ();
}
