/* test-netpulsectl-layout.c — netpulsectl's text that fits a terminal
 * (cells, ellipsis, columns dropped by priority) and its applications
 * (--by app: grouping, totals that survive closed connections, order,
 * JSON).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <locale.h>
#include <string.h>

#include "netpulsectl-apps.h"
#include "netpulsectl-layout.h"
#include "netpulsectl-table.h"

/* Cells and ellipsis {{{1 */

static void
test_text_cells (void)
{
  g_assert_cmpuint (netpulsectl_text_cells (""), ==, 0);
  g_assert_cmpuint (netpulsectl_text_cells ("abc"), ==, 3);
  g_assert_cmpuint (netpulsectl_text_cells ("50 µs"), ==, 5);        /* 2 bytes, 1 cell */
  g_assert_cmpuint (netpulsectl_text_cells ("日本語"), ==, 6);       /* wide */
  g_assert_cmpuint (netpulsectl_text_cells ("e\u0301"), ==, 1);      /* combining accent */
  g_assert_cmpuint (netpulsectl_text_cells ("…"), ==, 1);
}

static void
test_text_fit (void)
{
  struct {
    const char *text;
    guint       cells;
    gboolean    middle;
    const char *expected;
  } cases[] = {
    { "abcdefgh", 8, FALSE, "abcdefgh" },
    { "abcdefgh", 5, FALSE, "abcd…" },
    { "abcdefgh", 1, FALSE, "…" },
    { "abcdefgh", 0, FALSE, "" },
    { "[2001:db8::1234]:443", 12, TRUE, "[2001:…]:443" },
    { "192.168.100.200:54321", 15, TRUE, "192.168…0:54321" },
    /* A wide character that does not fit whole is left out whole. */
    { "日本語テキスト", 6, FALSE, "日本…" },
    { "日本語テキスト", 7, TRUE, "日本…ト" },
    { "ééééé", 3, FALSE, "éé…" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *fit = netpulsectl_text_fit (cases[i].text, cases[i].cells, cases[i].middle);

      g_test_message ("%s in %u: %s", cases[i].text, cases[i].cells, fit);
      g_assert_true (g_utf8_validate (fit, -1, NULL));
      g_assert_cmpstr (fit, ==, cases[i].expected);
      g_assert_cmpuint (netpulsectl_text_cells (fit), <=, cases[i].cells);
    }
}

/* Column widths {{{1 */

enum { A, B, ADDR, C, D, N };

static const NetpulsectlColumn test_columns[N] = {
  [A]    = { "A",    FALSE, 0, 0 },    /* never dropped */
  [B]    = { "B",    TRUE,  1, 0 },    /* dropped last */
  [ADDR] = { "ADDR", FALSE, 2, 10 },   /* shortened first, down to 10 */
  [C]    = { "C",    TRUE,  4, 0 },    /* dropped first */
  [D]    = { "D",    TRUE,  3, 0 },
};

static char *
widths_of (guint width)
{
  const guint natural[N] = { 10, 8, 30, 6, 6 };
  guint widths[N];

  netpulsectl_layout_widths (test_columns, N, natural, width, widths);
  return g_strdup_printf ("%u %u %u %u %u", widths[A], widths[B], widths[ADDR], widths[C], widths[D]);
}

static void
test_layout_widths (void)
{
  struct {
    guint       width;
    const char *expected;
  } cases[] = {
    /* 10+8+30+6+6 and four gaps of 2: 68. */
    { 0,   "10 8 30 6 6" },
    { 200, "10 8 30 6 6" },
    { 68,  "10 8 30 6 6" },
    /* The address gives way first, to its minimum... */
    { 67,  "10 8 29 6 6" },
    { 48,  "10 8 10 6 6" },
    /* ...then C goes, and the address gets the room back. */
    { 47,  "10 8 17 0 6" },
    { 40,  "10 8 10 0 6" },
    { 39,  "10 8 17 0 0" },
    { 32,  "10 8 10 0 0" },
    { 31,  "10 8 0 0 0" },
    { 20,  "10 8 0 0 0" },
    { 19,  "10 0 0 0 0" },
    /* Not even the first fits: it stays, the line will be cut. */
    { 5,   "10 0 0 0 0" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *widths = widths_of (cases[i].width);

      g_test_message ("width %u: %s", cases[i].width, widths);
      g_assert_cmpstr (widths, ==, cases[i].expected);
    }
}

/* The connection table at several widths: never wider, and what it keeps. */
static void
test_table_widths (void)
{
  NetpulsectlTable *table = netpulsectl_table_new ();
  g_autoptr(GArray) records = g_array_new (FALSE, TRUE, sizeof (NetpulseRecord));
  NetpulseRecord r = { 0 };
  const guint widths[] = { 200, 120, 100, 80, 60, 40 };

  r.id = 1;
  r.pid = 4194304;
  g_strlcpy (r.comm, "日本語のプロセス", sizeof r.comm);   /* wide, cut by the kernel at 15 bytes */
  r.proto = 6;
  r.family = 6;
  g_strlcpy (r.laddr, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1", sizeof r.laddr);
  r.lport = 54321;
  g_strlcpy (r.raddr, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:2", sizeof r.raddr);
  r.rport = 443;
  r.state = 1;
  r.rx_rate = 123456.7;
  r.tx_rate = 7654.3;
  r.rx_bytes = 987654321;
  r.tx_bytes = 12345678;
  r.rtt_us = 12345;
  g_array_append_val (records, r);
  netpulse_record_table_apply_update (netpulsectl_table_get_records (table),
                                      (const NetpulseRecord *) (gpointer) records->data,
                                      records->len, NULL, 0, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (widths); i++)
    {
      g_autoptr(GString) out = g_string_new (NULL);
      g_auto(GStrv) lines = NULL;

      netpulsectl_table_format_fit (table, NULL, NETPULSECTL_SORT_RATE, 0, widths[i], out);
      g_test_message ("%u columns:\n%s", widths[i], out->str);
      lines = g_strsplit (out->str, "\n", -1);
      g_assert_cmpuint (g_strv_length (lines), ==, 3);
      for (guint l = 0; l < 2; l++)
        {
          g_assert_true (g_utf8_validate (lines[l], -1, NULL));
          if (widths[i] >= 60)
            g_assert_cmpuint (netpulsectl_text_cells (lines[l]), <=, widths[i]);
        }

      /* Always the process and its download. */
      g_assert_nonnull (strstr (lines[0], "PID"));
      g_assert_nonnull (strstr (lines[0], "RX/s"));
      g_assert_nonnull (strstr (lines[1], "4194304"));
      if (widths[i] >= 80)
        {
          g_assert_nonnull (strstr (lines[0], "TX/s"));
          g_assert_nonnull (strstr (lines[0], "TOTAL"));
          g_assert_nonnull (strstr (lines[1], "1000.0 MB"));
          /* The peer, shortened in the middle: its port stays. */
          g_assert_nonnull (strstr (lines[0], "REMOTE"));
          g_assert_nonnull (strstr (lines[1], ":443"));
        }
      if (widths[i] >= 80 && widths[i] <= 120)
        {
          g_assert_nonnull (strstr (lines[1], "[2001:db"));
          g_assert_nonnull (strstr (lines[1], "…"));
        }
      if (widths[i] >= 200)
        g_assert_nonnull (strstr (lines[1], "[2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:54321"));
      if (widths[i] <= 100)
        {
          g_assert_null (strstr (lines[0], "LOCAL"));
          g_assert_null (strstr (lines[0], "RTT"));
        }
    }

  netpulsectl_table_free (table);
}

/* Applications {{{1 */

static NetpulseRecord
app_record (guint64     id,
            guint32     pid,
            const char *comm,
            const char *app_id,
            guint8      kind,
            guint64     tx,
            guint64     rx)
{
  NetpulseRecord r = { 0 };

  r.id = id;
  r.pid = pid;
  g_strlcpy (r.comm, comm, sizeof r.comm);
  g_strlcpy (r.app_id, app_id, sizeof r.app_id);
  r.app_kind = kind;
  r.proto = 6;
  r.tx_bytes = tx;
  r.rx_bytes = rx;
  return r;
}

static GPtrArray *
pointers (GArray *records)
{
  GPtrArray *rows = g_ptr_array_new ();

  for (guint i = 0; i < records->len; i++)
    g_ptr_array_add (rows, &g_array_index (records, NetpulseRecord, i));
  return rows;
}

static const NetpulsectlApp *
find_app (GPtrArray  *apps,
          const char *app_id)
{
  for (guint i = 0; i < apps->len; i++)
    {
      const NetpulsectlApp *app = g_ptr_array_index (apps, i);

      if (g_str_equal (app->app_id, app_id))
        return app;
    }
  g_error ("no application %s", app_id);
}

static void
test_apps_collect (void)
{
  NetpulsectlApps *apps = netpulsectl_apps_new ();
  g_autoptr(GArray) records = g_array_new (FALSE, TRUE, sizeof (NetpulseRecord));
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) result = NULL;
  const NetpulsectlApp *app;
  NetpulseRecord r;

  /* Firefox: two processes, three connections; smoothed rates where there
   * are some, per-tick ones where both smoothed ones are 0. */
  r = app_record (1, 100, "firefox", "org.mozilla.firefox", NETPULSE_APP_KIND_FLATPAK, 1000, 20000);
  r.tx_rate = 999; r.rx_rate = 999; r.tx_rate_avg = 10; r.rx_rate_avg = 2000;
  g_array_append_val (records, r);
  r = app_record (2, 100, "firefox", "org.mozilla.firefox", NETPULSE_APP_KIND_FLATPAK, 500, 5000);
  r.tx_rate = 5; r.rx_rate = 500;
  g_array_append_val (records, r);
  r = app_record (3, 101, "Web Content", "org.mozilla.firefox", NETPULSE_APP_KIND_FLATPAK, 1, 2);
  g_array_append_val (records, r);
  /* No app_id yet (today's helper): the command name groups. */
  r = app_record (4, 200, "curl", "", NETPULSE_APP_KIND_PROCESS, 7, 70);
  r.rx_rate = 100;
  g_array_append_val (records, r);
  r = app_record (5, 201, "curl", "", NETPULSE_APP_KIND_PROCESS, 3, 30);
  g_array_append_val (records, r);
  /* A service called "curl" is another application. */
  r = app_record (6, 300, "curl", "curl", NETPULSE_APP_KIND_SERVICE, 1, 1);
  g_array_append_val (records, r);

  rows = pointers (records);
  result = netpulsectl_apps_collect (apps, rows);
  g_assert_cmpuint (result->len, ==, 3);

  app = g_ptr_array_index (result, 0);   /* the highest smoothed rate */
  g_assert_cmpstr (app->app_id, ==, "org.mozilla.firefox");
  g_assert_cmpuint (app->app_kind, ==, NETPULSE_APP_KIND_FLATPAK);
  g_assert_cmpuint (app->processes, ==, 2);
  g_assert_cmpuint (app->connections, ==, 3);
  g_assert_cmpfloat (app->tx_rate, ==, 15);
  g_assert_cmpfloat (app->rx_rate, ==, 2500);
  g_assert_cmpuint (app->tx_bytes, ==, 1501);
  g_assert_cmpuint (app->rx_bytes, ==, 25002);

  app = g_ptr_array_index (result, 1);
  g_assert_cmpstr (app->app_id, ==, "curl");
  g_assert_cmpuint (app->app_kind, ==, NETPULSE_APP_KIND_PROCESS);
  g_assert_cmpuint (app->processes, ==, 2);
  g_assert_cmpuint (app->connections, ==, 2);
  g_assert_cmpuint (app->tx_bytes, ==, 10);
  g_assert_cmpuint (app->rx_bytes, ==, 100);

  app = g_ptr_array_index (result, 2);
  g_assert_cmpuint (app->app_kind, ==, NETPULSE_APP_KIND_SERVICE);
  g_clear_pointer (&result, g_ptr_array_unref);

  /* curl's connections close: its totals stay, its rates and counts go. */
  netpulsectl_apps_add_closed (apps, &g_array_index (records, NetpulseRecord, 3));
  netpulsectl_apps_add_closed (apps, &g_array_index (records, NetpulseRecord, 4));
  g_array_set_size (records, 3);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = pointers (records);
  result = netpulsectl_apps_collect (apps, rows);
  g_assert_cmpuint (result->len, ==, 2);
  app = find_app (result, "curl");
  g_assert_cmpuint (app->app_kind, ==, NETPULSE_APP_KIND_PROCESS);
  g_assert_cmpuint (app->processes, ==, 0);
  g_assert_cmpuint (app->connections, ==, 0);
  g_assert_cmpfloat (app->rx_rate, ==, 0);
  g_assert_cmpuint (app->tx_bytes, ==, 10);
  g_assert_cmpuint (app->rx_bytes, ==, 100);
  g_clear_pointer (&result, g_ptr_array_unref);

  /* A new curl connection adds to what the closed ones left. */
  r = app_record (7, 202, "curl", "", NETPULSE_APP_KIND_PROCESS, 1000, 0);
  g_array_append_val (records, r);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = pointers (records);
  result = netpulsectl_apps_collect (apps, rows);
  app = find_app (result, "curl");
  g_assert_cmpuint (app->connections, ==, 1);
  g_assert_cmpuint (app->tx_bytes, ==, 1010);

  netpulsectl_apps_free (apps);
}

static void
test_apps_output (void)
{
  NetpulsectlApps *apps = netpulsectl_apps_new ();
  g_autoptr(GArray) records = g_array_new (FALSE, TRUE, sizeof (NetpulseRecord));
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) result = NULL;
  g_autoptr(GString) table = g_string_new (NULL);
  g_autoptr(GString) json = g_string_new (NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *object;
  NetpulseRecord r;

  r = app_record (1, 100, "x\033]0;PWNED\a", "", NETPULSE_APP_KIND_PROCESS, 5, 6);
  r.rx_rate = 1.5;
  g_array_append_val (records, r);
  rows = pointers (records);
  result = netpulsectl_apps_collect (apps, rows);

  netpulsectl_apps_format (result, 0, 80, table);
  g_test_message ("%s", table->str);
  g_assert_true (g_str_has_prefix (table->str, "PROCS  CONNS  APP"));
  g_assert_null (strchr (table->str, '\033'));
  g_assert_null (strchr (table->str, '\a'));

  netpulsectl_app_append_json (g_ptr_array_index (result, 0), 42, json);
  g_test_message ("%s", json->str);
  g_assert_null (strchr (json->str, '\033'));
  g_assert_true (json_parser_load_from_data (parser, json->str, -1, &error));
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "app");
  g_assert_cmpint (json_object_get_int_member (object, "ts_ns"), ==, 42);
  g_assert_cmpstr (json_object_get_string_member (object, "app_id"), ==, "x\033]0;PWNED\a");
  g_assert_cmpstr (json_object_get_string_member (object, "app_kind"), ==, "process");
  g_assert_cmpint (json_object_get_int_member (object, "processes"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (object, "connections"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (object, "tx_bytes"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (object, "rx_bytes"), ==, 6);
  g_assert_cmpfloat (json_object_get_double_member (object, "rx_rate"), ==, 1.5);

  netpulsectl_apps_free (apps);
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/netpulsectl-layout/text/cells", test_text_cells);
  g_test_add_func ("/netpulsectl-layout/text/fit", test_text_fit);
  g_test_add_func ("/netpulsectl-layout/widths", test_layout_widths);
  g_test_add_func ("/netpulsectl-layout/table-widths", test_table_widths);
  g_test_add_func ("/netpulsectl-apps/collect", test_apps_collect);
  g_test_add_func ("/netpulsectl-apps/output", test_apps_output);

  return g_test_run ();
}
