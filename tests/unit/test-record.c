/* test-record.c — the shared record: GVariant and JSON forms, parsing of bad
 * lines, rates, address and size formatting.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <arpa/inet.h>
#include <gio/gio.h>
#include <locale.h>
#include <math.h>
#include <string.h>

#include "netpulse-record.h"

static NetpulseRecord
sample_record (void)
{
  NetpulseRecord r = { 0 };

  /* JSON numbers beyond 2^63 do not come back (json-glib reads them as
   * doubles); ids and counters stay far below that. */
  r.id = G_GUINT64_CONSTANT (0x0edcba9876543210);
  r.pid = 4242;
  g_strlcpy (r.comm, "curl", sizeof r.comm);
  r.uid = 1000;
  r.proto = 6;
  r.family = 6;
  g_strlcpy (r.laddr, "::ffff:10.0.0.1", sizeof r.laddr);
  r.lport = 54321;
  g_strlcpy (r.raddr, "2001:db8::1", sizeof r.raddr);
  r.rport = 443;
  r.state = 1;
  r.tx_bytes = G_GUINT64_CONSTANT (1) << 40;
  r.rx_bytes = G_GUINT64_CONSTANT (0x7fffffffffffffff);
  r.tx_packets = 17;
  r.rx_packets = 23;
  r.tx_rate = 1536.5;
  r.rx_rate = 0.0;
  r.rtt_us = 1234;
  r.retrans = 2;
  r.cgroup_id = G_GUINT64_CONSTANT (123456789012);
  r.netns = 4026531840u;
  r.first_seen_ns = G_GUINT64_CONSTANT (1700000000000000000);
  r.last_seen_ns = G_GUINT64_CONSTANT (1700000001000000000);
  r.flags = NETPULSE_RECORD_PARTIAL | NETPULSE_RECORD_CLOSED;
  return r;
}

static void
assert_records_equal (const NetpulseRecord *a,
                      const NetpulseRecord *b)
{
  g_assert_cmpuint (a->id, ==, b->id);
  g_assert_cmpuint (a->pid, ==, b->pid);
  g_assert_cmpstr (a->comm, ==, b->comm);
  g_assert_cmpuint (a->uid, ==, b->uid);
  g_assert_cmpuint (a->proto, ==, b->proto);
  g_assert_cmpuint (a->family, ==, b->family);
  g_assert_cmpstr (a->laddr, ==, b->laddr);
  g_assert_cmpuint (a->lport, ==, b->lport);
  g_assert_cmpstr (a->raddr, ==, b->raddr);
  g_assert_cmpuint (a->rport, ==, b->rport);
  g_assert_cmpuint (a->state, ==, b->state);
  g_assert_cmpuint (a->tx_bytes, ==, b->tx_bytes);
  g_assert_cmpuint (a->rx_bytes, ==, b->rx_bytes);
  g_assert_cmpuint (a->tx_packets, ==, b->tx_packets);
  g_assert_cmpuint (a->rx_packets, ==, b->rx_packets);
  g_assert_cmpfloat (a->tx_rate, ==, b->tx_rate);
  g_assert_cmpfloat (a->rx_rate, ==, b->rx_rate);
  g_assert_cmpuint (a->rtt_us, ==, b->rtt_us);
  g_assert_cmpuint (a->retrans, ==, b->retrans);
  g_assert_cmpuint (a->cgroup_id, ==, b->cgroup_id);
  g_assert_cmpuint (a->netns, ==, b->netns);
  g_assert_cmpuint (a->first_seen_ns, ==, b->first_seen_ns);
  g_assert_cmpuint (a->last_seen_ns, ==, b->last_seen_ns);
  g_assert_cmpuint (a->flags, ==, b->flags);
}

/* GVariant {{{1 */

static void
test_variant_roundtrip (void)
{
  NetpulseRecord in = sample_record (), out;
  g_autoptr(GVariant) variant = g_variant_ref_sink (netpulse_record_to_variant (&in));
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (g_variant_get_type_string (variant), ==, NETPULSE_RECORD_SIGNATURE);
  memset (&out, 0xaa, sizeof out);
  g_assert_true (netpulse_record_from_variant (&out, variant, &error));
  g_assert_no_error (error);
  assert_records_equal (&in, &out);
}

static void
test_variant_wire_roundtrip (void)
{
  /* Through the serialized form that travels on the bus. */
  NetpulseRecord in = sample_record (), out;
  g_autoptr(GVariant) variant = g_variant_ref_sink (netpulse_record_to_variant (&in));
  g_autoptr(GBytes) bytes = g_variant_get_data_as_bytes (variant);
  g_autoptr(GVariant) copy = g_variant_ref_sink (g_variant_new_from_bytes (NETPULSE_RECORD_TYPE,
                                                                           bytes, FALSE));

  g_assert_true (netpulse_record_from_variant (&out, copy, NULL));
  assert_records_equal (&in, &out);
}

static void
test_variant_wrong_type (void)
{
  NetpulseRecord out;
  g_autoptr(GVariant) variant = g_variant_ref_sink (g_variant_new ("(tus)", (guint64) 1, 2, "x"));
  g_autoptr(GError) error = NULL;

  g_assert_false (netpulse_record_from_variant (&out, variant, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_false (netpulse_record_from_variant (&out, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

static void
test_variant_long_strings (void)
{
  /* A peer may send longer strings than the record holds: cut, not overrun. */
  NetpulseRecord in = sample_record (), out;
  g_autoptr(GVariant) variant = NULL;
  g_autofree char *long_addr = g_strnfill (100, 'a');

  variant = g_variant_ref_sink (g_variant_new (NETPULSE_RECORD_SIGNATURE,
                                               in.id, in.pid, "a-very-long-command-name", in.uid,
                                               in.proto, in.family,
                                               long_addr, in.lport, long_addr, in.rport,
                                               in.state,
                                               in.tx_bytes, in.rx_bytes, in.tx_packets, in.rx_packets,
                                               in.tx_rate, in.rx_rate, in.rtt_us, in.retrans,
                                               in.cgroup_id, in.netns,
                                               in.first_seen_ns, in.last_seen_ns, in.flags));
  g_assert_true (netpulse_record_from_variant (&out, variant, NULL));
  g_assert_cmpstr (out.comm, ==, "a-very-long-com");
  g_assert_cmpuint (strlen (out.laddr), ==, NETPULSE_ADDRSTRLEN - 1);
  g_assert_cmpuint (strlen (out.raddr), ==, NETPULSE_ADDRSTRLEN - 1);
}

/* JSON {{{1 */

/* A command name is any bytes; the D-Bus record must still be valid UTF-8. */
static void
test_variant_invalid_utf8_comm (void)
{
  NetpulseRecord in = { .id = 7, .proto = 6, .family = 4 };
  NetpulseRecord out;
  g_autoptr(GVariant) variant = NULL;
  g_autoptr(GError) error = NULL;

  memcpy (in.comm, "bad\xff\xfe name\xc3", sizeof "bad\xff\xfe name\xc3");
  variant = g_variant_ref_sink (netpulse_record_to_variant (&in));
  g_assert_true (g_variant_is_normal_form (variant));
  g_assert_true (netpulse_record_from_variant (&out, variant, &error));
  g_assert_no_error (error);
  g_assert_true (g_utf8_validate (out.comm, -1, NULL));
  g_assert_true (g_str_has_prefix (out.comm, "bad"));
}

static void
test_json_roundtrip (void)
{
  NetpulseRecord in = sample_record (), out;
  g_autoptr(GString) line = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  guint64 ts = 0;

  netpulse_record_append_json (&in, G_GUINT64_CONSTANT (1700000002000000000), line);
  g_assert_null (strchr (line->str, '\n'));
  g_assert_true (netpulse_record_parse_json (&out, line->str, &ts, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ts, ==, G_GUINT64_CONSTANT (1700000002000000000));
  assert_records_equal (&in, &out);
}

static void
test_json_fields (void)
{
  /* The field names and forms netpulsectl --json and the standalone mode
   * promise to scripts. */
  NetpulseRecord in = sample_record ();
  g_autoptr(GString) line = g_string_new (NULL);

  in.flags = NETPULSE_RECORD_PER_PEER;
  in.rx_bytes = G_MAXUINT64;
  in.proto = 17;
  in.state = 0;
  netpulse_record_append_json (&in, 5, line);

  g_assert_true (g_str_has_prefix (line->str, "{\"ts_ns\":5,\"id\":1070935975390360080,\"pid\":4242,"));
  g_assert_nonnull (strstr (line->str, "\"comm\":\"curl\""));
  g_assert_nonnull (strstr (line->str, "\"proto\":\"udp\""));
  g_assert_nonnull (strstr (line->str, "\"state\":\"\""));
  g_assert_nonnull (strstr (line->str, "\"laddr\":\"::ffff:10.0.0.1\",\"lport\":54321"));
  g_assert_nonnull (strstr (line->str, "\"rx_bytes\":18446744073709551615"));
  g_assert_nonnull (strstr (line->str, "\"tx_rate\":1536.5"));
  g_assert_nonnull (strstr (line->str, "\"closed\":false,\"partial\":false,\"per_peer\":true,"
                                       "\"other_peers\":false,\"peers\":0}"));
}

static void
test_json_other_peers (void)
{
  /* The aggregate of a socket's peers beyond the cap: "other_peers" and
   * its number of peers in "peers" (the record's retrans slot), no remote. */
  NetpulseRecord in = sample_record (), out;
  g_autoptr(GString) line = g_string_new (NULL);
  g_autofree char *remote = NULL;

  in.flags = NETPULSE_RECORD_PER_PEER | NETPULSE_RECORD_OTHER_PEERS;
  in.proto = 17;
  in.state = 0;
  in.raddr[0] = '\0';
  in.rport = 0;
  in.retrans = 70000;
  netpulse_record_append_json (&in, 5, line);
  g_assert_nonnull (strstr (line->str, "\"retrans\":0,"));
  g_assert_nonnull (strstr (line->str, "\"per_peer\":true,\"other_peers\":true,\"peers\":70000}"));
  g_assert_true (netpulse_record_parse_json (&out, line->str, NULL, NULL));
  g_assert_cmpuint (out.flags, ==, NETPULSE_RECORD_PER_PEER | NETPULSE_RECORD_OTHER_PEERS);
  g_assert_cmpuint (out.retrans, ==, 70000);

  remote = netpulse_format_remote (&out);
  g_assert_cmpstr (remote, ==, "(70000 other peers)");
  g_clear_pointer (&remote, g_free);
  out.flags = 0;
  g_strlcpy (out.raddr, "10.0.0.2", sizeof out.raddr);
  out.rport = 53;
  remote = netpulse_format_remote (&out);
  g_assert_cmpstr (remote, ==, "10.0.0.2:53");
}

static void
test_json_escaping (void)
{
  NetpulseRecord in = sample_record (), out;
  g_autoptr(GString) line = g_string_new (NULL);
  const char *comm = "a\"b\\c\td\x01";

  g_strlcpy (in.comm, comm, sizeof in.comm);
  netpulse_record_append_json (&in, 1, line);
  g_assert_nonnull (strstr (line->str, "\"comm\":\"a\\\"b\\\\c\\u0009d\\u0001\""));
  g_assert_true (netpulse_record_parse_json (&out, line->str, NULL, NULL));
  g_assert_cmpstr (out.comm, ==, comm);
}

/* DEL, C1 and the bidi controls are printable JSON but not printable text:
 * `netpulsectl monitor --json | cat` must not reach the terminal with them
 * (U+009B is a CSI in many terminals). */
static void
test_json_escaping_unprintable (void)
{
  NetpulseRecord in = sample_record (), out;
  g_autoptr(GString) line = g_string_new (NULL);
  const char *comm = "a\x7f" "b\xc2\x9b" "c\u202e" "d\u2066";

  g_strlcpy (in.comm, comm, sizeof in.comm);
  netpulse_record_append_json (&in, 1, line);
  g_assert_nonnull (strstr (line->str, "\"comm\":\"a\\u007fb\\u009bc\\u202ed\\u2066\""));
  g_assert_true (netpulse_record_parse_json (&out, line->str, NULL, NULL));
  g_assert_cmpstr (out.comm, ==, comm);
}

static void
test_json_invalid_utf8 (void)
{
  /* A command name is whatever bytes the process chose: the line must still
   * be valid JSON (and UTF-8). */
  NetpulseRecord in = sample_record (), out;
  g_autoptr(GString) line = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  g_strlcpy (in.comm, "ab\xff\xfe", sizeof in.comm);
  netpulse_record_append_json (&in, 1, line);
  g_assert_true (g_utf8_validate (line->str, -1, NULL));
  g_assert_true (netpulse_record_parse_json (&out, line->str, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (out.comm, "ab"));
  g_assert_true (g_utf8_validate (out.comm, -1, NULL));
}

static void
test_json_malformed (void)
{
  const char *lines[] = {
    "",
    "   ",
    "not json",
    "{",
    "{\"id\":1,\"proto\":\"tcp\"",
    "[1,2,3]",
    "42",
    "\"a string\"",
    "null",
    "{}",
    "{\"proto\":\"tcp\"}",
    "{\"id\":1}",
    /* two records glued together: the second must not vanish silently */
    "{\"id\":1,\"proto\":\"tcp\"}{\"id\":2,\"proto\":\"tcp\"}",
    /* wrong types and out-of-range numbers are errors, not 0 or wrapped */
    "{\"id\":\"x\",\"proto\":\"tcp\"}",
    "{\"id\":1,\"proto\":\"tcp\",\"pid\":-5}",
    "{\"id\":1,\"proto\":\"tcp\",\"lport\":70000}",
    "{\"id\":1,\"proto\":\"tcp\",\"tx_bytes\":1.5}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      NetpulseRecord out;
      g_autoptr(GError) error = NULL;

      g_test_message ("line: %s", lines[i]);
      g_assert_false (netpulse_record_parse_json (&out, lines[i], NULL, &error));
      g_assert_nonnull (error);
      g_assert_nonnull (error->message);
      g_assert_cmpstr (error->message, !=, "");
    }
}

static void
test_json_minimal (void)
{
  /* Members that are missing get neutral values. */
  NetpulseRecord out;
  guint64 ts = 99;
  g_autoptr(GError) error = NULL;

  g_assert_true (netpulse_record_parse_json (&out, "{\"id\":7,\"proto\":\"udp\"}", &ts, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out.id, ==, 7);
  g_assert_cmpuint (out.proto, ==, 17);
  g_assert_cmpuint (ts, ==, 0);
  g_assert_cmpstr (out.comm, ==, "");
  g_assert_cmpuint (out.flags, ==, 0);
  g_assert_cmpfloat (out.rx_rate, ==, 0.0);
}

static void
test_json_many_lines (void)
{
  /* A stream: each line parses on its own, in order. */
  g_autoptr(GString) stream = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;

  for (guint i = 0; i < 50; i++)
    {
      NetpulseRecord r = sample_record ();

      r.id = i;
      r.tx_bytes = i * 1000;
      netpulse_record_append_json (&r, 1000 + i, stream);
      g_string_append_c (stream, '\n');
    }

  lines = g_strsplit (stream->str, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 51);
  for (guint i = 0; i < 50; i++)
    {
      NetpulseRecord r;
      guint64 ts;

      g_assert_true (netpulse_record_parse_json (&r, lines[i], &ts, NULL));
      g_assert_cmpuint (r.id, ==, i);
      g_assert_cmpuint (r.tx_bytes, ==, i * 1000);
      g_assert_cmpuint (ts, ==, 1000 + i);
    }
  g_assert_cmpstr (lines[50], ==, "");
}

/* Names {{{1 */

static void
test_names (void)
{
  g_assert_cmpstr (netpulse_proto_name (6), ==, "tcp");
  g_assert_cmpstr (netpulse_proto_name (17), ==, "udp");
  g_assert_cmpstr (netpulse_proto_name (1), ==, "other");

  g_assert_cmpstr (netpulse_tcp_state_name (0), ==, "");
  g_assert_cmpstr (netpulse_tcp_state_name (1), ==, "ESTABLISHED");
  g_assert_cmpstr (netpulse_tcp_state_name (10), ==, "LISTEN");
  g_assert_cmpstr (netpulse_tcp_state_name (12), ==, "NEW_SYN_RECV");
  g_assert_cmpstr (netpulse_tcp_state_name (200), ==, "UNKNOWN");

  for (guint8 s = 1; s <= 12; s++)
    g_assert_cmpuint (netpulse_tcp_state_from_name (netpulse_tcp_state_name (s)), ==, s);
  g_assert_cmpuint (netpulse_tcp_state_from_name (""), ==, 0);
  g_assert_cmpuint (netpulse_tcp_state_from_name ("BOGUS"), ==, 0);
  g_assert_cmpuint (netpulse_tcp_state_from_name (NULL), ==, 0);
}

/* Addresses {{{1 */

static void
test_format_address (void)
{
  char buf[NETPULSE_ADDRSTRLEN];
  guint8 addr[16] = { 0 };

  g_assert_cmpstr (netpulse_format_address (4, addr, buf), ==, "0.0.0.0");
  g_assert_cmpstr (netpulse_format_address (6, addr, buf), ==, "::");

  g_assert_cmpint (inet_pton (AF_INET, "127.0.0.1", addr), ==, 1);
  g_assert_cmpstr (netpulse_format_address (4, addr, buf), ==, "127.0.0.1");

  g_assert_cmpint (inet_pton (AF_INET6, "::1", addr), ==, 1);
  g_assert_cmpstr (netpulse_format_address (6, addr, buf), ==, "::1");

  g_assert_cmpint (inet_pton (AF_INET6, "::ffff:10.0.0.1", addr), ==, 1);
  g_assert_cmpstr (netpulse_format_address (6, addr, buf), ==, "::ffff:10.0.0.1");

  g_assert_cmpint (inet_pton (AF_INET6, "2001:db8:85a3::8a2e:370:7334", addr), ==, 1);
  g_assert_cmpstr (netpulse_format_address (6, addr, buf), ==, "2001:db8:85a3::8a2e:370:7334");

  /* The longest text form fits. */
  g_assert_cmpint (inet_pton (AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", addr), ==, 1);
  netpulse_format_address (6, addr, buf);
  g_assert_cmpuint (strlen (buf), <, NETPULSE_ADDRSTRLEN);
}

static void
test_format_endpoint (void)
{
  struct {
    const char *addr;
    guint16     port;
    const char *expected;
  } cases[] = {
    { "127.0.0.1", 80, "127.0.0.1:80" },
    { "0.0.0.0", 0, "0.0.0.0:0" },
    { "::1", 443, "[::1]:443" },
    { "::ffff:10.0.0.1", 65535, "[::ffff:10.0.0.1]:65535" },
    { "", 53, "*" },
    { NULL, 53, "*" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = netpulse_format_endpoint (cases[i].addr, cases[i].port);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

/* Sizes and rates {{{1 */

static void
test_compute_rate (void)
{
  const guint64 second = G_GUINT64_CONSTANT (1000000000);

  g_assert_cmpfloat (netpulse_compute_rate (0, 1000, second), ==, 1000.0);
  g_assert_cmpfloat (netpulse_compute_rate (1000, 3000, 2 * second), ==, 1000.0);
  g_assert_cmpfloat (netpulse_compute_rate (0, 100, second / 10), ==, 1000.0);
  g_assert_cmpfloat (netpulse_compute_rate (500, 500, second), ==, 0.0);
  /* An empty interval or a counter that went backwards: 0. */
  g_assert_cmpfloat (netpulse_compute_rate (0, 1000, 0), ==, 0.0);
  g_assert_cmpfloat (netpulse_compute_rate (2000, 1000, second), ==, 0.0);
  /* Large counters keep their precision in the difference. */
  g_assert_cmpfloat (netpulse_compute_rate (G_MAXUINT64 - 1000, G_MAXUINT64, second), ==, 1000.0);
}

int
main (int    argc,
      char **argv)
{
  /* The unit names are translatable: test the untranslated ones. */
  setlocale (LC_ALL, "C");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/record/variant/roundtrip", test_variant_roundtrip);
  g_test_add_func ("/record/variant/wire-roundtrip", test_variant_wire_roundtrip);
  g_test_add_func ("/record/variant/wrong-type", test_variant_wrong_type);
  g_test_add_func ("/record/variant/long-strings", test_variant_long_strings);
  g_test_add_func ("/record/variant/invalid-utf8-comm", test_variant_invalid_utf8_comm);
  g_test_add_func ("/record/json/roundtrip", test_json_roundtrip);
  g_test_add_func ("/record/json/fields", test_json_fields);
  g_test_add_func ("/record/json/other-peers", test_json_other_peers);
  g_test_add_func ("/record/json/escaping", test_json_escaping);
  g_test_add_func ("/record/json/escaping-unprintable", test_json_escaping_unprintable);
  g_test_add_func ("/record/json/invalid-utf8", test_json_invalid_utf8);
  g_test_add_func ("/record/json/malformed", test_json_malformed);
  g_test_add_func ("/record/json/minimal", test_json_minimal);
  g_test_add_func ("/record/json/many-lines", test_json_many_lines);
  g_test_add_func ("/record/names", test_names);
  g_test_add_func ("/record/format/address", test_format_address);
  g_test_add_func ("/record/format/endpoint", test_format_endpoint);
  g_test_add_func ("/record/compute-rate", test_compute_rate);

  return g_test_run ();
}
