/* test-netpulsectl.c — netpulsectl's table: sort keys, ordering, filtering,
 * updates and removals, and the printed table and JSON lines, hostile
 * process names included.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "netpulsectl-table.h"

static NetpulseRecord
make_record (guint64     id,
             guint32     pid,
             const char *comm,
             guint8      proto,
             const char *laddr,
             guint16     lport,
             const char *raddr,
             guint16     rport)
{
  NetpulseRecord r = { 0 };

  r.id = id;
  r.pid = pid;
  g_strlcpy (r.comm, comm, sizeof r.comm);
  r.uid = 0;
  r.proto = proto;
  r.family = strchr (laddr, ':') != NULL ? 6 : 4;
  g_strlcpy (r.laddr, laddr, sizeof r.laddr);
  r.lport = lport;
  g_strlcpy (r.raddr, raddr, sizeof r.raddr);
  r.rport = rport;
  r.state = proto == 6 ? 1 : 0;
  r.first_seen_ns = id * 1000;
  return r;
}

/* Four connections with distinct values in every sortable column. */
static GArray *
sample_records (void)
{
  GArray *records = g_array_new (FALSE, TRUE, sizeof (NetpulseRecord));
  NetpulseRecord r;

  r = make_record (1, 300, "sshd", 6, "10.0.0.2", 22, "10.0.0.9", 50000);
  r.rx_bytes = 5000; r.tx_bytes = 100; r.rx_rate = 10; r.tx_rate = 500; r.rtt_us = 300;
  g_array_append_val (records, r);

  r = make_record (2, 100, "curl", 6, "::1", 40000, "::1", 443);
  r.rx_bytes = 100; r.tx_bytes = 9000; r.rx_rate = 2000; r.tx_rate = 0; r.rtt_us = 50;
  r.state = 8;
  g_array_append_val (records, r);

  r = make_record (3, 200, "dnsmasq", 17, "9.0.0.1", 53, "", 0);
  r.rx_bytes = 700; r.tx_bytes = 700; r.rx_rate = 1; r.tx_rate = 1;
  g_array_append_val (records, r);

  r = make_record (4, 0, "", 6, "192.168.1.5", 8080, "192.168.1.77", 61000);
  r.rx_bytes = 0; r.tx_bytes = 0; r.rx_rate = 0; r.tx_rate = 0; r.rtt_us = 90000;
  r.state = 10;
  g_array_append_val (records, r);

  return records;
}

static char *
order_of (GPtrArray *rows)
{
  GString *order = g_string_new (NULL);

  for (guint i = 0; i < rows->len; i++)
    g_string_append_printf (order, "%s%" G_GUINT64_FORMAT, i > 0 ? "," : "",
                            ((NetpulseRecord *) g_ptr_array_index (rows, i))->id);
  return g_string_free (order, FALSE);
}

static void
test_sort_key_names (void)
{
  g_auto(GStrv) names = g_strsplit (netpulsectl_sort_key_names (), ", ", -1);
  NetpulsectlSortKey key;

  g_assert_cmpuint (g_strv_length (names), >=, 10);
  for (guint i = 0; names[i] != NULL; i++)
    g_assert_true (netpulsectl_sort_key_from_string (names[i], &key));

  g_assert_true (netpulsectl_sort_key_from_string ("RX", &key));
  g_assert_cmpint (key, ==, NETPULSECTL_SORT_RX);
  g_assert_true (netpulsectl_sort_key_from_string ("comm", &key));
  g_assert_cmpint (key, ==, NETPULSECTL_SORT_COMM);
  g_assert_false (netpulsectl_sort_key_from_string ("bogus", &key));
  g_assert_false (netpulsectl_sort_key_from_string ("", &key));
  g_assert_false (netpulsectl_sort_key_from_string (NULL, &key));
}

static void
test_sort_orders (void)
{
  g_autoptr(GArray) records = sample_records ();
  g_autoptr(NetpulseUserNames) users = netpulse_user_names_new ();
  struct {
    const char *key;
    const char *order;
  } cases[] = {
    { "rate",   "2,1,3,4" },   /* 2000, 510, 2, 0 */
    { "rxrate", "2,1,3,4" },
    { "txrate", "1,3,2,4" },   /* 500, 1, then 0 and 0 by id */
    { "rx",     "1,3,2,4" },
    { "tx",     "2,3,1,4" },
    { "total",  "2,1,3,4" },   /* 9100, 5100, 1400, 0 */
    { "rtt",    "4,1,2,3" },
    { "pid",    "4,2,3,1" },   /* 0, 100, 200, 300 */
    { "comm",   "4,2,3,1" },   /* "", curl, dnsmasq, sshd */
    { "proto",  "1,2,4,3" },   /* tcp before udp */
    { "local",  "3,1,4,2" },   /* 9.x before 10.x (numeric), IPv4 before ::1 */
    { "remote", "3,1,4,2" },   /* "" first */
    { "state",  "3,1,2,4" },   /* 0, 1, 8, 10 */
    { "age",    "1,2,3,4" },
    { "id",     "1,2,3,4" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) rows = NULL;
      g_autofree char *order = NULL;
      NetpulsectlSortKey key;

      g_assert_true (netpulsectl_sort_key_from_string (cases[i].key, &key));
      rows = netpulsectl_sort_records (records, NULL, key, users);
      order = order_of (rows);
      g_test_message ("sort by %s: %s", cases[i].key, order);
      g_assert_cmpstr (order, ==, cases[i].order);
    }
}

static void
test_compare_total_order (void)
{
  /* Equal on the key: the id decides, so rows do not jump between updates. */
  NetpulseRecord r = make_record (5, 1, "x", 6, "1.1.1.1", 1, "2.2.2.2", 2);
  NetpulseKeyedRecord a, b;

  netpulse_keyed_record_init (&a, &r);
  r.id = 6;
  netpulse_keyed_record_init (&b, &r);
  g_assert_cmpint (netpulsectl_compare_records (&a, &b, NETPULSECTL_SORT_RATE, NULL), <, 0);
  g_assert_cmpint (netpulsectl_compare_records (&b, &a, NETPULSECTL_SORT_RATE, NULL), >, 0);
  g_assert_cmpint (netpulsectl_compare_records (&a, &a, NETPULSECTL_SORT_COMM, NULL), ==, 0);
}

static void
test_filter (void)
{
  g_autoptr(GArray) records = sample_records ();
  g_autoptr(NetpulseUserNames) users = netpulse_user_names_new ();
  struct {
    const char *filter;
    const char *matches;
  } cases[] = {
    { NULL,           "1,2,3,4" },
    { "",             "1,2,3,4" },
    { "curl",         "2" },
    { "CURL",         "2" },           /* case-insensitive */
    { "ss",           "1" },
    { "udp",          "3" },
    { "tcp",          "1,2,4" },
    { "10.0.0.9",     "1" },
    { "::1",          "2" },
    { "[::1]:443",    "2" },           /* the endpoint as printed */
    { "10.0.0.2:22",  "1" },
    { "443",          "2" },           /* a port */
    { "8080",         "4" },
    { "53",           "3" },
    { "192.168.1.",   "4" },
    { "root",         "1,2,3,4" },     /* the user (uid 0) */
    { "nothing-like", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) rows = netpulsectl_sort_records (records, cases[i].filter,
                                                            NETPULSECTL_SORT_ID, users);
      g_autofree char *order = order_of (rows);

      g_test_message ("filter %s: %s", cases[i].filter, order);
      g_assert_cmpstr (order, ==, cases[i].matches);
    }
}

static void
test_user_name (void)
{
  g_autoptr(NetpulseUserNames) users = netpulse_user_names_new ();
  const char *root = netpulse_user_names_lookup (users, 0);

  g_assert_cmpstr (root, ==, "root");
  /* Cached: the same string comes back. */
  g_assert_true (netpulse_user_names_lookup (users, 0) == root);
  /* No such user: the number. */
  g_assert_cmpstr (netpulse_user_names_lookup (users, 3999999999u), ==, "3999999999");
}

/* What a monitor does with a frame: netpulsectl's table is the shared one. */
static void
table_fill (NetpulsectlTable *table,
            GArray           *records)
{
  netpulse_record_table_apply_update (netpulsectl_table_get_records (table),
                                      (const NetpulseRecord *) (gpointer) records->data,
                                      records->len, NULL, 0, NULL);
}

static void
test_table_format (void)
{
  NetpulsectlTable *table = netpulsectl_table_new ();
  g_autoptr(GArray) records = sample_records ();
  g_autoptr(GString) out = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;
  guint header_width;

  table_fill (table, records);
  netpulsectl_table_format (table, NULL, NETPULSECTL_SORT_RATE, 0, out);
  g_test_message ("%s", out->str);

  lines = g_strsplit (out->str, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 6);   /* titles, 4 rows, "" */
  g_assert_cmpstr (lines[5], ==, "");

  /* The titles, in this order. */
  {
    g_auto(GStrv) titles = g_strsplit_set (lines[0], " ", -1);
    const char *expected[] = { "PID", "COMM", "USER", "PROTO", "LOCAL", "REMOTE", "STATE",
                               "RTT", "RX/s", "TX/s", "RX", "TX", "TOTAL" };
    guint n = 0;

    for (guint i = 0; titles[i] != NULL; i++)
      if (titles[i][0] != '\0')
        {
          g_assert_cmpuint (n, <, G_N_ELEMENTS (expected));
          g_assert_cmpstr (titles[i], ==, expected[n]);
          n++;
        }
    g_assert_cmpuint (n, ==, G_N_ELEMENTS (expected));
  }

  /* Rows in rate order, with formatted cells. */
  g_assert_nonnull (strstr (lines[1], "curl"));
  g_assert_nonnull (strstr (lines[1], "[::1]:40000"));
  g_assert_nonnull (strstr (lines[1], "[::1]:443"));
  g_assert_nonnull (strstr (lines[1], "CLOSE_WAIT"));
  g_assert_nonnull (strstr (lines[1], "50 µs"));
  g_assert_nonnull (strstr (lines[1], "2.0 kB/s"));
  g_assert_nonnull (strstr (lines[1], "9.0 kB"));
  g_assert_nonnull (strstr (lines[2], "sshd"));
  g_assert_nonnull (strstr (lines[2], "ESTABLISHED"));
  g_assert_nonnull (strstr (lines[3], "dnsmasq"));
  g_assert_nonnull (strstr (lines[3], " udp "));
  g_assert_nonnull (strstr (lines[3], " * "));       /* no remote */
  g_assert_true (g_str_has_prefix (lines[4], "  -  -"));  /* no pid, no comm */
  g_assert_nonnull (strstr (lines[4], "LISTEN"));
  g_assert_nonnull (strstr (lines[4], "90.0 ms"));

  /* Aligned: the right-aligned last column ends every line at one width. */
  header_width = g_utf8_strlen (lines[0], -1);
  for (guint i = 1; i <= 4; i++)
    g_assert_cmpuint (g_utf8_strlen (lines[i], -1), ==, header_width);

  netpulsectl_table_free (table);
}

static void
test_table_format_limits (void)
{
  NetpulsectlTable *table = netpulsectl_table_new ();
  g_autoptr(GArray) records = sample_records ();
  g_autoptr(GString) out = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;

  table_fill (table, records);

  /* Filtered. */
  netpulsectl_table_format (table, "tcp", NETPULSECTL_SORT_PID, 0, out);
  lines = g_strsplit (out->str, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 5);
  g_assert_nonnull (strstr (lines[1], "LISTEN"));   /* pid 0 first */
  g_assert_nonnull (strstr (lines[2], "curl"));
  g_assert_nonnull (strstr (lines[3], "sshd"));
  g_clear_pointer (&lines, g_strfreev);

  /* Cut to fit a screen. */
  g_string_truncate (out, 0);
  netpulsectl_table_format (table, NULL, NETPULSECTL_SORT_PID, 2, out);
  lines = g_strsplit (out->str, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 5);
  g_assert_cmpstr (lines[3], ==, "… 2 more connections");
  g_clear_pointer (&lines, g_strfreev);

  /* Nothing matches: titles only. */
  g_string_truncate (out, 0);
  netpulsectl_table_format (table, "no-such-thing", NETPULSECTL_SORT_PID, 0, out);
  lines = g_strsplit (out->str, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 2);
  g_assert_true (g_str_has_prefix (lines[0], "PID"));

  netpulsectl_table_free (table);
}

static void
test_table_closed_and_bad_comm (void)
{
  NetpulsectlTable *table = netpulsectl_table_new ();
  g_autoptr(GArray) records = g_array_new (FALSE, TRUE, sizeof (NetpulseRecord));
  g_autoptr(GString) out = g_string_new (NULL);
  NetpulseRecord r = make_record (1, 10, "bad\xff", 6, "1.2.3.4", 1, "5.6.7.8", 2);

  r.flags = NETPULSE_RECORD_CLOSED;
  r.state = 7;
  g_array_append_val (records, r);
  table_fill (table, records);
  netpulsectl_table_format (table, NULL, NETPULSECTL_SORT_RATE, 0, out);

  g_assert_true (g_utf8_validate (out->str, -1, NULL));
  g_assert_nonnull (strstr (out->str, "closed"));
  g_assert_nonnull (strstr (out->str, "bad"));

  netpulsectl_table_free (table);
}

/* The names of issue 9: terminal title, clear screen and colour, forged
 * rows, backspaces and DEL, a C1 CSI, a bidi override and isolates. */
static const struct {
  const char *comm;
  const char *shown;
} hostile_names[] = {
  { "\033]0;PWNED\a",       "\\e]0;PWNED\\a" },
  { "\033[2J\033[31mRED",    "\\e[2J\\e[31mRED" },
  { "ab\nFAKE\n1.2.3.4",    "ab\\nFAKE\\n1.2.3.4" },
  { "ok\b\b\bno\x7f",        "ok\\b\\b\\bno\\x7f" },
  { "c1\xc2\x9b" "2J\xc2\x9b" "31m", "c1\\u{9b}2J\\u{9b}31m" },
  { "np\u202egpj.exe",      "np\\u{202e}gpj.exe" },
  { "\u2066x\u2069\u200f\u061c", "\\u{2066}x\\u{2069}\\u{200f}\\u{61c}" },
};

/* Whether @text holds what no terminal may get raw: a byte below 0x20 but
 * the newline, DEL, a C1 control in UTF-8, a bidi control. */
static const char *
find_raw_control (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        return p;
      if ((c < 0x20 && c != '\n') || (c >= 0x7f && c < 0xa0) || c == 0x061c ||
          c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
          (c >= 0x2066 && c <= 0x2069))
        return p;
    }
  return NULL;
}

static void
test_table_hostile_names (void)
{
  NetpulsectlTable *table = netpulsectl_table_new ();
  g_autoptr(GArray) records = g_array_new (FALSE, TRUE, sizeof (NetpulseRecord));
  g_autoptr(GString) out = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (hostile_names); i++)
    {
      NetpulseRecord r = make_record (i + 1, 100 + i, hostile_names[i].comm, 6,
                                      "10.0.0.1", 1000 + i, "10.0.0.2", 80);

      g_assert_cmpuint (strlen (hostile_names[i].comm), <, sizeof r.comm);
      g_array_append_val (records, r);
    }
  table_fill (table, records);
  netpulsectl_table_format (table, NULL, NETPULSECTL_SORT_PID, 0, out);

  g_assert_null (find_raw_control (out->str));
  /* Each name once, escaped visibly, one line per connection: no row
   * forged, none lost. */
  lines = g_strsplit (out->str, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + G_N_ELEMENTS (hostile_names) + 1);
  for (guint i = 0; i < G_N_ELEMENTS (hostile_names); i++)
    {
      g_autofree char *pid = g_strdup_printf ("%u  ", 100 + i);

      g_assert_true (g_str_has_prefix (lines[i + 1], pid));
      g_assert_nonnull (strstr (lines[i + 1], hostile_names[i].shown));
    }

  netpulsectl_table_free (table);
}

static void
test_filter_hostile_names (void)
{
  NetpulseRecord r = make_record (1, 1, hostile_names[0].comm, 6, "10.0.0.1", 1, "10.0.0.2", 2);

  /* By the plain part of the name, and by what the table shows. */
  g_assert_true (netpulsectl_record_matches (&r, "pwned", NULL));
  g_assert_true (netpulsectl_record_matches (&r, hostile_names[0].shown, NULL));
  g_assert_false (netpulsectl_record_matches (&r, "\\e]1", NULL));
}

static void
test_json_hostile_names (void)
{
  /* --json prints netpulse_record_append_json(): exact, and as safe. */
  for (guint i = 0; i < G_N_ELEMENTS (hostile_names); i++)
    {
      NetpulseRecord in = make_record (1, 1, hostile_names[i].comm, 6, "10.0.0.1", 1, "10.0.0.2", 2);
      NetpulseRecord out;
      g_autoptr(GString) line = g_string_new (NULL);
      g_autoptr(GError) error = NULL;

      netpulse_record_append_json (&in, 1, line);
      g_assert_null (find_raw_control (line->str));
      g_assert_null (strchr (line->str, '\n'));
      g_assert_true (netpulse_record_parse_json (&out, line->str, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (out.comm, ==, hostile_names[i].comm);
    }
}

int
main (int    argc,
      char **argv)
{
  /* Untranslated titles and units, whatever the environment says. */
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/netpulsectl/sort/key-names", test_sort_key_names);
  g_test_add_func ("/netpulsectl/sort/orders", test_sort_orders);
  g_test_add_func ("/netpulsectl/sort/total-order", test_compare_total_order);
  g_test_add_func ("/netpulsectl/filter", test_filter);
  g_test_add_func ("/netpulsectl/user-name", test_user_name);
  g_test_add_func ("/netpulsectl/table/format", test_table_format);
  g_test_add_func ("/netpulsectl/table/format-limits", test_table_format_limits);
  g_test_add_func ("/netpulsectl/table/closed-and-bad-comm", test_table_closed_and_bad_comm);
  g_test_add_func ("/netpulsectl/table/hostile-names", test_table_hostile_names);
  g_test_add_func ("/netpulsectl/filter/hostile-names", test_filter_hostile_names);
  g_test_add_func ("/netpulsectl/json/hostile-names", test_json_hostile_names);

  return g_test_run ();
}
