/* test-metrics-text.c — the Prometheus exposition without the helper: the
 * page of known totals (HELP/TYPE once per metric, exact values), the cap
 * (cap + 1 application series, "other" the exact sum of the rest), label
 * values escaped (hostile names), promtool check metrics clean, the
 * history's grand totals, and the textfile writer (atomic, follows no
 * link planted in the directory).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "netpulse-history-db-totals.h"
#include "netpulse-metrics-text.h"
#include "netpulse-metrics-textfile.h"
#include "netpulse-metrics.h"
#include "netpulse-record.h"

#define TCP 6
#define UDP 17

static const NetpulseMetricsHealth health = {
  .backend = "fentry",
  .version = "1.2.3",
  .last_tick_us = 1500,
  .recording = TRUE,
};

static const guint64 keep_all[NETPULSE_HISTORY_N_LEVELS] = { 0, 0, 0 };

static guint
count_lines (const char *text,
             const char *prefix)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    n += g_str_has_prefix (lines[i], prefix);
  return n;
}

/* promtool check metrics, when installed; under CI=true it must be. */
static void
check_promtool (const char *text)
{
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *promtool = g_find_program_in_path ("promtool");

  if (promtool == NULL)
    {
      if (g_strcmp0 (g_getenv ("CI"), "true") == 0)
        g_error ("promtool is not installed (CI=true: tools/install-deps.sh installs prometheus)");
      g_test_message ("promtool not installed: not checked");
      return;
    }
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                           G_SUBPROCESS_FLAGS_STDERR_PIPE, &error, promtool, "check", "metrics", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (proc, text, NULL, &out, &err, &error));
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (proc) || *out != '\0' || *err != '\0')
    g_error ("promtool check metrics:\n%s%s\non:\n%s", out, err, text);
}

static void
test_page (void)
{
  g_autoptr(NetpulseMetricsText) text = netpulse_metrics_text_new (50);
  g_autofree char *page = NULL;
  g_autoptr(GVariant) counters = NULL;
  GVariantBuilder builder;
  NetpulseMetricsHealth h = health;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{st}"));
  g_variant_builder_add (&builder, "{st}", "flows", (guint64) 7);
  g_variant_builder_add (&builder, "{st}", "flow-overflow", (guint64) 3);
  g_variant_builder_add (&builder, "{st}", "ticks", (guint64) 99);
  counters = g_variant_ref_sink (g_variant_builder_end (&builder));
  h.counters = counters;

  /* Two parts of one application add up (database + unwritten). */
  netpulse_metrics_text_add_usage (text, NETPULSE_APP_KIND_SERVICE, "web", TCP, 1000, 200, 3);
  netpulse_metrics_text_add_usage (text, NETPULSE_APP_KIND_SERVICE, "web", TCP, 11, 22, 1);
  netpulse_metrics_text_add_usage (text, NETPULSE_APP_KIND_SERVICE, "web", UDP, 5, 6, 2);
  netpulse_metrics_text_add_open (text, NETPULSE_APP_KIND_SERVICE, "web");
  netpulse_metrics_text_add_open (text, NETPULSE_APP_KIND_SERVICE, "web");
  page = netpulse_metrics_text_build (text, &h);

  g_assert_nonnull (strstr (page, "netpulse_app_bytes_total{app_id=\"web\",app_kind=\"service\","
                                  "direction=\"receive\",proto=\"tcp\"} 1011\n"));
  g_assert_nonnull (strstr (page, "netpulse_app_bytes_total{app_id=\"web\",app_kind=\"service\","
                                  "direction=\"transmit\",proto=\"tcp\"} 222\n"));
  g_assert_nonnull (strstr (page, "netpulse_app_bytes_total{app_id=\"web\",app_kind=\"service\","
                                  "direction=\"transmit\",proto=\"udp\"} 6\n"));
  g_assert_nonnull (strstr (page, "netpulse_app_connections_total{app_id=\"web\",app_kind=\"service\","
                                  "proto=\"tcp\"} 4\n"));
  g_assert_nonnull (strstr (page, "netpulse_app_open_connections{app_id=\"web\",app_kind=\"service\"} 2\n"));
  g_assert_nonnull (strstr (page, "netpulse_helper_info{backend=\"fentry\",version=\"1.2.3\"} 1\n"));
  g_assert_nonnull (strstr (page, "netpulse_flows_tracked 7\n"));
  g_assert_nonnull (strstr (page, "netpulse_flow_overflows_total 3\n"));
  g_assert_nonnull (strstr (page, "netpulse_peer_overflows_total 0\n"));
  g_assert_nonnull (strstr (page, "netpulse_ticks_total 99\n"));
  g_assert_nonnull (strstr (page, "netpulse_last_tick_duration_seconds 0.001500\n"));
  g_assert_cmpuint (count_lines (page, "# TYPE netpulse_app_bytes_total counter"), ==, 1);
  g_assert_cmpuint (count_lines (page, "# HELP "), ==, count_lines (page, "# TYPE "));
  check_promtool (page);
}

static void
test_cap (void)
{
  g_autoptr(NetpulseMetricsText) text = netpulse_metrics_text_new (3);
  g_autofree char *page = NULL;
  g_autofree char *other = NULL;

  for (guint i = 0; i < 7; i++)
    {
      g_autofree char *id = g_strdup_printf ("app%u", i);

      /* app6 moved the most: the top three are app6, app5, app4. */
      netpulse_metrics_text_add_usage (text, NETPULSE_APP_KIND_DESKTOP, id, TCP, 100 * (i + 1), i, 1);
      netpulse_metrics_text_add_open (text, NETPULSE_APP_KIND_DESKTOP, id);
    }
  page = netpulse_metrics_text_build (text, &health);

  g_assert_cmpuint (count_lines (page, "netpulse_app_bytes_total{"), ==, 4 * 2);
  g_assert_cmpuint (count_lines (page, "netpulse_app_open_connections{"), ==, 4);
  g_assert_cmpuint (count_lines (page, "netpulse_app_open_connections{app_id=\"app6\""), ==, 1);
  g_assert_cmpuint (count_lines (page, "netpulse_app_open_connections{app_id=\"app4\""), ==, 1);
  g_assert_cmpuint (count_lines (page, "netpulse_app_open_connections{app_id=\"app3\""), ==, 0);
  /* app0..app3: 100 + 200 + 300 + 400 received, 0 + 1 + 2 + 3 sent. */
  g_assert_nonnull (strstr (page, "netpulse_app_bytes_total{app_id=\"other\",app_kind=\"other\","
                                  "direction=\"receive\",proto=\"tcp\"} 1000\n"));
  g_assert_nonnull (strstr (page, "netpulse_app_bytes_total{app_id=\"other\",app_kind=\"other\","
                                  "direction=\"transmit\",proto=\"tcp\"} 6\n"));
  g_assert_nonnull (strstr (page, "netpulse_app_open_connections{app_id=\"other\",app_kind=\"other\"} 4\n"));
  check_promtool (page);
}

static void
test_hostile (void)
{
  g_autoptr(NetpulseMetricsText) text = netpulse_metrics_text_new (50);
  g_autoptr(GString) label = g_string_new (NULL);
  g_autofree char *page = NULL;

  netpulse_metrics_append_label (label, "app_id", "a\"b\\c\nd}e{f=\"g\"");
  g_assert_cmpstr (label->str, ==, "app_id=\"a\\\"b\\\\c\\\\nd}e{f=\\\"g\\\"\"");
  g_string_truncate (label, 0);
  /* ESC, a bidi override, a byte that is not UTF-8: ASCII escapes. */
  netpulse_metrics_append_label (label, "app_id", "x\033[2J\u202Egpj.exe\xff");
  g_assert_true (g_str_is_ascii (label->str));
  g_assert_null (strchr (label->str, '\033'));
  g_assert_true (g_utf8_validate (label->str, -1, NULL));

  netpulse_metrics_text_add_usage (text, NETPULSE_APP_KIND_PROCESS, "evil\"} 1\nfake_metric 2", TCP, 1, 2, 1);
  netpulse_metrics_text_add_usage (text, NETPULSE_APP_KIND_PROCESS, "x\033]0;PWNED\a\u202E\xfe", TCP, 1, 2, 1);
  /* No owner known: named, since an empty label value is no label. */
  netpulse_metrics_text_add_usage (text, NETPULSE_APP_KIND_PROCESS, "", TCP, 7, 8, 1);
  page = netpulse_metrics_text_build (text, &health);
  g_assert_cmpuint (count_lines (page, "fake_metric"), ==, 0);
  g_assert_null (strstr (page, "app_id=\"\""));
  g_assert_nonnull (strstr (page, "{app_id=\"unknown\",app_kind=\"process\""));
  g_assert_true (g_utf8_validate (page, -1, NULL));
  g_assert_null (strchr (page, '\033'));
  check_promtool (page);
}

static void
add_total (guint8      app_kind,
           const char *app_id,
           guint8      proto,
           guint64     rx_bytes,
           guint64     tx_bytes,
           guint64     connections,
           gpointer    user_data)
{
  g_string_append_printf (user_data, "%s/%s/%u %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT ";",
                          netpulse_app_kind_name (app_kind), app_id, proto, rx_bytes, tx_bytes, connections);
}

static void
remove_state (const char *dir)
{
  static const char * const names[] = { "history.db", "history.db-wal", "history.db-shm", "metrics.conf" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *file = g_build_filename (dir, names[i], NULL);

      g_unlink (file);
    }
  g_rmdir (dir);
}

/* Grand totals across buckets of different days. */
static void
test_history_totals (void)
{
  g_autofree char *dir = g_dir_make_tmp ("netpulse-metrics-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "history.db", NULL);
  g_autoptr(NetpulseHistoryDb) db = NULL;
  g_autoptr(GString) seen = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  NetpulseHistoryEntry a = { NETPULSE_APP_KIND_SERVICE, (char *) "a", TCP, 10, 20, 1 };
  NetpulseHistoryEntry b = { NETPULSE_APP_KIND_SERVICE, (char *) "b", UDP, 1, 2, 3 };
  g_autoptr(GPtrArray) entries = g_ptr_array_new ();

  db = netpulse_history_db_open (path, 1000, NULL, &error);
  g_assert_no_error (error);
  g_ptr_array_add (entries, &a);
  g_ptr_array_add (entries, &b);
  /* Day buckets are 24 × 60 s long with 1-s buckets. */
  for (guint64 start = 0; start < 3; start++)
    g_assert_true (netpulse_history_db_add_bucket (db, 1000000 + start * 86400 * 1000, entries, keep_all, &error));
  g_assert_no_error (error);
  g_assert_true (netpulse_history_db_foreach_total (db, 0, G_MAXUINT64, add_total, seen, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (seen->str, ==, "service/a/6 30 60 3;service/b/17 3 6 9;");
  /* The days from the second one on. */
  g_string_truncate (seen, 0);
  g_assert_true (netpulse_history_db_foreach_total (db, 86400 * 1000, G_MAXUINT64, add_total, seen, &error));
  g_assert_cmpstr (seen->str, ==, "service/a/6 20 40 2;service/b/17 2 4 6;");
  g_string_truncate (seen, 0);
  g_assert_true (netpulse_history_db_foreach_total (db, 0, 86400 * 1000, add_total, seen, &error));
  g_assert_cmpstr (seen->str, ==, "service/a/6 10 20 1;service/b/17 1 2 3;");

  g_clear_object (&db);
  remove_state (dir);
}

/* The export's counters are the history's exact totals: the settled days
 * (summed once) plus the recent ones (summed every time), and they grow by
 * exactly what is added, in a recent day or in the settled ones' range
 * after the next day's new sum. */
static void
test_export_totals (void)
{
  g_autofree char *dir = g_dir_make_tmp ("netpulse-metrics-XXXXXX", NULL);
  g_autoptr(NetpulseRecorder) recorder = netpulse_recorder_new (dir, 1000);
  g_autoptr(NetpulseMetrics) metrics = netpulse_metrics_new (dir);
  g_autoptr(GVariant) no_options = g_variant_ref_sink (g_variant_new ("a{sv}", NULL));
  g_autoptr(GPtrArray) entries = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  NetpulseHistoryEntry a = { NETPULSE_APP_KIND_SERVICE, (char *) "a", TCP, 10, 20, 1 };
  NetpulseMetricsSources sources = { 0 };
  guint64 now_ms = (guint64) (g_get_real_time () / 1000);
  guint64 day_ms = 1000 * 60 * 24;
  NetpulseHistoryDb *db;
  const char *rx_line =
    "netpulse_app_bytes_total{app_id=\"a\",app_kind=\"service\",direction=\"receive\",proto=\"tcp\"} ";

  g_assert_true (netpulse_recorder_configure (recorder, TRUE, no_options, &error));
  g_assert_no_error (error);
  db = netpulse_recorder_get_db (recorder);
  g_ptr_array_add (entries, &a);
  /* Ten days ago (settled), and now. */
  for (guint i = 0; i < 2; i++)
    g_assert_true (netpulse_history_db_add_bucket (db, now_ms - (i ? 0 : 10 * day_ms), entries, keep_all, &error));
  sources.recorder = recorder;

  for (guint round = 0; round < 2; round++)
    {
      g_autofree char *page = netpulse_metrics_build (metrics, &sources, &error);
      g_autofree char *expected = g_strdup_printf ("%s%u\n", rx_line, 20 + 10 * round);

      g_assert_no_error (error);
      g_assert_nonnull (strstr (page, expected));
      /* The second round: one more bucket today. */
      g_assert_true (netpulse_history_db_add_bucket (db, now_ms, entries, keep_all, &error));
    }
  /* The settled days were summed once (the recorder never writes there):
   * a row added there shows in a new helper's sum only. */
  g_assert_true (netpulse_history_db_add_bucket (db, now_ms - 10 * day_ms, entries, keep_all, &error));
  for (guint fresh = 0; fresh < 2; fresh++)
    {
      g_autofree char *page = NULL;
      g_autofree char *expected = g_strdup_printf ("%s%u\n", rx_line, 40 + 10 * fresh);

      if (fresh)
        {
          g_clear_object (&metrics);
          metrics = netpulse_metrics_new (dir);
        }
      page = netpulse_metrics_build (metrics, &sources, &error);
      g_assert_no_error (error);
      g_assert_nonnull (strstr (page, expected));
    }
  g_clear_object (&metrics);
  g_clear_object (&recorder);
  remove_state (dir);
}

static guint
state_u32 (NetpulseMetrics *metrics,
           const char      *key)
{
  g_autoptr(GVariant) state = netpulse_metrics_get_state (metrics);
  guint32 value = 0;

  g_assert_true (g_variant_lookup (state, key, "u", &value));
  return value;
}

/* The setting survives a new helper; a bad one is refused and loses
 * nothing; a broken file leaves export off. */
static void
test_setting (void)
{
  g_autofree char *dir = g_dir_make_tmp ("netpulse-metrics-XXXXXX", NULL);
  g_autofree char *textfile_dir = g_dir_make_tmp ("netpulse-textfile-XXXXXX", NULL);
  g_autofree char *conf = g_build_filename (dir, NETPULSE_METRICS_SETTINGS_NAME, NULL);
  g_autofree char *page = g_build_filename (textfile_dir, NETPULSE_METRICS_TEXTFILE_NAME, NULL);
  g_autoptr(NetpulseMetrics) metrics = netpulse_metrics_new (dir);
  g_autoptr(GError) error = NULL;

  g_assert_false (netpulse_metrics_configure (metrics, TRUE, NULL, 0, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (netpulse_metrics_configure (metrics, TRUE, textfile_dir, 7, 3, &error));
  g_assert_no_error (error);
  g_assert_false (netpulse_metrics_configure (metrics, TRUE, NULL, NETPULSE_METRICS_MAX_INTERVAL_S + 1, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (netpulse_metrics_configure (metrics, TRUE, "/nonexistent/netpulse", 0, 0, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* As a new helper finds it. */
  g_clear_object (&metrics);
  metrics = netpulse_metrics_new (dir);
  netpulse_metrics_load (metrics);
  g_assert_true (netpulse_metrics_is_enabled (metrics));
  g_assert_cmpuint (state_u32 (metrics, "interval-s"), ==, 7);
  g_assert_cmpuint (state_u32 (metrics, "max-apps"), ==, 3);

  /* Off removes the page. */
  g_assert_true (g_file_set_contents (page, "old", -1, NULL));
  g_assert_true (netpulse_metrics_configure (metrics, FALSE, NULL, 0, 0, &error));
  g_assert_false (g_file_test (page, G_FILE_TEST_EXISTS));

  g_assert_true (g_file_set_contents (conf, "[export]\nenabled=true\ninterval-s=banana\n", -1, NULL));
  g_clear_object (&metrics);
  metrics = netpulse_metrics_new (dir);
  g_test_expect_message ("netpulse-metrics", G_LOG_LEVEL_WARNING, "*is not a metrics setting*");
  netpulse_metrics_load (metrics);
  g_test_assert_expected_messages ();
  g_assert_false (netpulse_metrics_is_enabled (metrics));

  g_clear_object (&metrics);
  g_unlink (conf);
  g_rmdir (dir);
  g_rmdir (textfile_dir);
}

static void
test_textfile (void)
{
  g_autofree char *dir = g_dir_make_tmp ("netpulse-textfile-XXXXXX", NULL);
  g_autofree char *target = g_build_filename (dir, "netpulse.prom", NULL);
  g_autofree char *temporary = g_build_filename (dir, ".netpulse.prom.tmp", NULL);
  g_autofree char *victim = g_build_filename (dir, "victim", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (netpulse_metrics_textfile_write (dir, "a 1\n", &error));
  g_assert_no_error (error);
  g_assert_true (netpulse_metrics_textfile_write (dir, "a 2\n", &error));
  g_assert_true (g_file_get_contents (target, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "a 2\n");
  g_assert_false (g_file_test (temporary, G_FILE_TEST_EXISTS));

  /* A link planted at the temporary name is removed, not followed. */
  g_assert_true (g_file_set_contents (victim, "keep", -1, NULL));
  g_assert_cmpint (symlink (victim, temporary), ==, 0);
  g_assert_true (netpulse_metrics_textfile_write (dir, "a 3\n", &error));
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (victim, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "keep");

  g_assert_false (netpulse_metrics_textfile_check_dir ("relative", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (netpulse_metrics_textfile_check_dir (victim, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (netpulse_metrics_textfile_write (victim, "x", &error));
  g_assert_nonnull (error);

  g_unlink (target);
  g_unlink (victim);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/metrics/page", test_page);
  g_test_add_func ("/metrics/cap", test_cap);
  g_test_add_func ("/metrics/hostile", test_hostile);
  g_test_add_func ("/metrics/history-totals", test_history_totals);
  g_test_add_func ("/metrics/export-totals", test_export_totals);
  g_test_add_func ("/metrics/setting", test_setting);
  g_test_add_func ("/metrics/textfile", test_textfile);
  return g_test_run ();
}
