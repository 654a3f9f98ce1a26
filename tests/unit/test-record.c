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
  g_strlcpy (r.exe, "/usr/bin/curl", sizeof r.exe);
  g_strlcpy (r.cmdline, "curl -o /dev/null https://example.org/\\x1b", sizeof r.cmdline);
  g_strlcpy (r.unit, "app-gnome-org.gnome.Epiphany-4321.scope", sizeof r.unit);
  g_strlcpy (r.app_id, "org.gnome.Epiphany", sizeof r.app_id);
  r.app_kind = NETPULSE_APP_KIND_DESKTOP;
  r.tx_rate_avg = 1024.5;
  r.rx_rate_avg = 3.0;
  return r;
}

/* Field by field, from the table: a new field is compared too. */
#define EQUAL_UINT(field)     g_assert_cmpuint (a->field, ==, b->field);
#define EQUAL_U64(field)      EQUAL_UINT (field)
#define EQUAL_U32(field)      EQUAL_UINT (field)
#define EQUAL_U16(field)      EQUAL_UINT (field)
#define EQUAL_U8(field)       EQUAL_UINT (field)
#define EQUAL_DOUBLE(field)   g_assert_cmpfloat (a->field, ==, b->field);
#define EQUAL_COMM(field)     g_assert_cmpstr (a->field, ==, b->field);
#define EQUAL_TEXT(field)     EQUAL_COMM (field)
#define EQUAL_APPKIND(field)  EQUAL_UINT (field)
#define EQUAL_ADDR(field)     g_assert_cmpstr (a->field, ==, b->field);
#define EQUAL_PROTO(field)    EQUAL_UINT (field)
#define EQUAL_STATE(field)    EQUAL_UINT (field)
#define EQUAL_FLAGS(field)    EQUAL_UINT (field)
#define EQUAL(kind, field, max) EQUAL_##kind (field)

static void
assert_records_equal (const NetpulseRecord *a,
                      const NetpulseRecord *b)
{
  NETPULSE_RECORD_FIELDS (EQUAL)
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

/* @variant (a record, whose reference is taken) with its child @name
 * replaced by @value: a new record. */
static GVariant *
replace_child (GVariant   *variant,
               const char *name,
               GVariant   *value)
{
  const NetpulseRecordField *fields;
  guint n_fields;
  g_autofree GVariant **children = NULL;
  gboolean found = FALSE;

  fields = netpulse_record_get_fields (&n_fields);
  g_assert_cmpuint (g_variant_n_children (variant), ==, n_fields);
  children = g_new0 (GVariant *, n_fields);
  g_variant_ref_sink (value);
  for (guint i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].name, name))
        {
          children[i] = g_variant_ref (value);
          found = TRUE;
        }
      else
        children[i] = g_variant_get_child_value (variant, i);
    }
  g_assert_true (found);
  g_variant_unref (value);
  g_variant_unref (variant);
  variant = g_variant_ref_sink (g_variant_new_tuple (children, n_fields));
  for (guint i = 0; i < n_fields; i++)
    g_variant_unref (children[i]);
  return variant;
}

static void
test_variant_long_strings (void)
{
  /* A peer may send longer strings than the record holds: cut, not overrun. */
  NetpulseRecord in = sample_record (), out;
  g_autoptr(GVariant) variant = NULL;
  g_autofree char *long_addr = g_strnfill (100, 'a');

  variant = g_variant_ref_sink (netpulse_record_to_variant (&in));
  variant = replace_child (variant, "comm", g_variant_new_string ("a-very-long-command-name"));
  variant = replace_child (variant, "laddr", g_variant_new_string (long_addr));
  variant = replace_child (variant, "raddr", g_variant_new_string (long_addr));
  g_assert_true (netpulse_record_from_variant (&out, variant, NULL));
  g_assert_cmpstr (out.comm, ==, "a-very-long-com");
  g_assert_cmpuint (strlen (out.laddr), ==, NETPULSE_ADDRSTRLEN - 1);
  g_assert_cmpuint (strlen (out.raddr), ==, NETPULSE_ADDRSTRLEN - 1);
}

/* The field table {{{1 */

/* Every field of the table, one at a time set to a value of its own with
 * all others zero, comes back through GVariant and JSON (and only that
 * field): no field is forgotten by a conversion, none lands in another's
 * place.  The GVariant child at the field's index holds it. */
static void
set_field (NetpulseRecord *r,
           const char     *name,
           guint           seed)
{
#define SET_U64(field)    r->field = G_GUINT64_CONSTANT (0x100000000) + seed;
#define SET_U32(field)    r->field = 70000 + seed;
#define SET_U16(field)    r->field = 1000 + seed;
#define SET_U8(field)     r->field = 6;
#define SET_DOUBLE(field) r->field = 12.5 + seed;
#define SET_COMM(field)   g_snprintf (r->field, sizeof r->field, "c%u", seed);
#define SET_TEXT(field)   g_snprintf (r->field, sizeof r->field, "/usr/bin/t%u", seed);
#define SET_APPKIND(field) r->field = NETPULSE_APP_KIND_CONTAINER;
#define SET_ADDR(field)   g_snprintf (r->field, sizeof r->field, "10.0.0.%u", seed);
#define SET_PROTO(field)  r->field = 17;
#define SET_STATE(field)  r->field = 10;
#define SET_FLAGS(field)  r->field = NETPULSE_RECORD_CLOSED | NETPULSE_RECORD_PER_PEER;
#define SET(kind, field, max) if (g_str_equal (name, #field)) { SET_##kind (field) return; }
  NETPULSE_RECORD_FIELDS (SET)
  g_assert_not_reached ();
}

static void
test_table_each_field (void)
{
  const NetpulseRecordField *fields;
  guint n_fields;

  fields = netpulse_record_get_fields (&n_fields);
  for (guint i = 0; i < n_fields; i++)
    {
      NetpulseRecord in = { 0 }, zero = { 0 }, out;
      g_autoptr(GVariant) variant = NULL;
      g_autoptr(GVariant) child = NULL;
      g_autoptr(GVariant) zero_child = NULL;
      g_autoptr(GVariant) zero_variant = NULL;
      g_autoptr(GString) line = g_string_new (NULL);
      g_autoptr(GError) error = NULL;
      g_autofree char *key = g_strdup_printf ("\"%s\":", fields[i].name);

      g_test_message ("field %s (%s)", fields[i].name, fields[i].signature);
      set_field (&in, fields[i].name, i);
      /* parse_json() needs these two; they are set in every record. */
      if (!g_str_equal (fields[i].name, "id"))
        in.id = zero.id = 1;
      if (!g_str_equal (fields[i].name, "proto"))
        in.proto = zero.proto = 6;

      variant = g_variant_ref_sink (netpulse_record_to_variant (&in));
      zero_variant = g_variant_ref_sink (netpulse_record_to_variant (&zero));
      child = g_variant_get_child_value (variant, i);
      zero_child = g_variant_get_child_value (zero_variant, i);
      g_assert_cmpstr (g_variant_get_type_string (child), ==, fields[i].signature);
      g_assert_false (g_variant_equal (child, zero_child));
      memset (&out, 0xaa, sizeof out);
      g_assert_true (netpulse_record_from_variant (&out, variant, &error));
      g_assert_no_error (error);
      assert_records_equal (&in, &out);

      netpulse_record_append_json (&in, 1, line);
      if (!g_str_equal (fields[i].name, "flags"))
        g_assert_nonnull (strstr (line->str, key));
      memset (&out, 0xaa, sizeof out);
      g_assert_true (netpulse_record_parse_json (&out, line->str, NULL, &error));
      g_assert_no_error (error);
      assert_records_equal (&in, &out);
    }
}

/* Every integer member refuses a value one beyond its field's range, a
 * negative one and a fraction, and takes its largest value. */
static void
test_table_json_ranges (void)
{
  static const struct { const char *name; guint64 max; } ranges[] = {
#define RANGE_U64(field, max)    { #field, max },
#define RANGE_U32(field, max)    { #field, max },
#define RANGE_U16(field, max)    { #field, max },
#define RANGE_U8(field, max)     { #field, max },
#define RANGE_DOUBLE(field, max)
#define RANGE_COMM(field, max)
#define RANGE_TEXT(field, max)
#define RANGE_APPKIND(field, max)
#define RANGE_ADDR(field, max)
#define RANGE_PROTO(field, max)
#define RANGE_STATE(field, max)
#define RANGE_FLAGS(field, max)
#define RANGE(kind, field, max) RANGE_##kind (field, max)
    NETPULSE_RECORD_FIELDS (RANGE)
    { "ts_ns", G_MAXINT64 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (ranges); i++)
    {
      const char *name = ranges[i].name;
      g_autofree char *max = NULL, *beyond = NULL, *negative = NULL, *fraction = NULL;
      NetpulseRecord out;
      g_autoptr(GError) error = NULL;

      g_test_message ("member %s ≤ %" G_GUINT64_FORMAT, name, ranges[i].max);
      /* "id" is required: the other members come with one. */
      max = g_strdup_printf ("{\"id\":1,\"proto\":\"tcp\",\"%s\":%" G_GUINT64_FORMAT "}", name, ranges[i].max);
      g_assert_true (netpulse_record_parse_json (&out, max, NULL, &error));
      g_assert_no_error (error);

      if (ranges[i].max < G_MAXINT64)
        {
          beyond = g_strdup_printf ("{\"id\":1,\"proto\":\"tcp\",\"%s\":%" G_GUINT64_FORMAT "}",
                                    name, ranges[i].max + 1);
          g_assert_false (netpulse_record_parse_json (&out, beyond, NULL, &error));
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
          g_assert_nonnull (strstr (error->message, name));
          g_clear_error (&error);
        }
      negative = g_strdup_printf ("{\"id\":1,\"proto\":\"tcp\",\"%s\":-1}", name);
      g_assert_false (netpulse_record_parse_json (&out, negative, NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_clear_error (&error);
      fraction = g_strdup_printf ("{\"id\":1,\"proto\":\"tcp\",\"%s\":1.5}", name);
      g_assert_false (netpulse_record_parse_json (&out, fraction, NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
}

/* The struct's strings hold what the kernel and inet_ntop() give. */
static void
test_table_sizes (void)
{
  NetpulseRecord r;

  g_assert_cmpuint (sizeof r.comm, ==, NP_COMM_LEN);
  g_assert_cmpuint (sizeof r.laddr, ==, NETPULSE_ADDRSTRLEN);
  g_assert_cmpuint (sizeof r.raddr, ==, NETPULSE_ADDRSTRLEN);
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

/* The rates as printf's "%.1f" writes them, also the ties, huge values
 * and the bit patterns around every half (the writer's own formatting has
 * a fast path for most values). */
static void
test_json_rates_as_printf (void)
{
  const double edges[] = { 0.0, -0.0, 0.05, 0.25, 0.35, 0.45, 0.95, 1.05, 2.5, 1e15, 1.5e19, -3.25,
                           109951162777.55, 1099511627776.0 / 10.0 + 0.05, 1e300, INFINITY, NAN };
  NetpulseRecord in = sample_record ();
  GRand *rand = g_rand_new_with_seed (16);

  for (guint i = 0; i < 200000; i++)
    {
      g_autoptr(GString) line = g_string_new (NULL);
      g_autofree char *want = NULL;
      double value;

      if (i < G_N_ELEMENTS (edges))
        value = edges[i];
      else if (i % 3 == 0)
        value = nextafter ((double) g_rand_int_range (rand, 0, 1000000) + 0.05, i % 2 ? 0.0 : 1e9);
      else if (i % 3 == 1)
        value = g_rand_double_range (rand, 0.0, 1e10);
      else
        value = g_rand_int (rand) / 4.0;
      in.tx_rate = value;
      netpulse_record_append_json (&in, 5, line);
      want = g_strdup_printf ("\"tx_rate\":%.1f,", value);
      if (strstr (line->str, want) == NULL)
        g_error ("%.17g: %s has no %s", value, line->str, want);
    }
  g_rand_free (rand);
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
                                       "\"other_peers\":false,\"raw\":false,\"packet\":false,"
                                       "\"mptcp\":false,\"peers\":0"));
  g_assert_true (g_str_has_suffix (line->str, "}"));
}

static void
test_json_other_peers (void)
{
  /* The aggregate of a socket's peers beyond the cap: "other_peers" and
   * its number of peers in "peers", no remote. */
  NetpulseRecord in = sample_record (), out;
  g_autoptr(GString) line = g_string_new (NULL);
  g_autofree char *remote = NULL;

  in.flags = NETPULSE_RECORD_PER_PEER | NETPULSE_RECORD_OTHER_PEERS;
  in.proto = 17;
  in.state = 0;
  in.raddr[0] = '\0';
  in.rport = 0;
  in.retrans = 0;
  in.peers = 70000;
  netpulse_record_append_json (&in, 5, line);
  g_assert_nonnull (strstr (line->str, "\"retrans\":0,"));
  g_assert_nonnull (strstr (line->str, "\"per_peer\":true,\"other_peers\":true,\"raw\":false,\"packet\":false,\"mptcp\":false,\"peers\":70000"));
  g_assert_true (netpulse_record_parse_json (&out, line->str, NULL, NULL));
  g_assert_cmpuint (out.flags, ==, NETPULSE_RECORD_PER_PEER | NETPULSE_RECORD_OTHER_PEERS);
  g_assert_cmpuint (out.retrans, ==, 0);
  g_assert_cmpuint (out.peers, ==, 70000);

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
  g_assert_cmpstr (netpulse_proto_name (1), ==, "icmp");
  g_assert_cmpstr (netpulse_proto_name (58), ==, "icmp6");
  g_assert_cmpstr (netpulse_proto_name (132), ==, "sctp");
  g_assert_cmpstr (netpulse_proto_name (47), ==, "ip/47");
  {
    static const struct {
      guint8      proto;
      guint32     flags;
      const char *name;
    } cases[] = {
      { 6,   0,                      "tcp" },
      { 6,   NETPULSE_RECORD_MPTCP,  "mptcp" },
      { 253, NETPULSE_RECORD_RAW,    "raw/253" },
      { 6,   NETPULSE_RECORD_RAW,    "raw/6" },
      { 0,   NETPULSE_RECORD_PACKET, "packet" },
      { 1,   0,                      "icmp" },
      { 0,   0,                      "ip/0" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        NetpulseRecord r = { .proto = cases[i].proto, .flags = cases[i].flags | NETPULSE_RECORD_CLOSED };
        guint32 flags;
        guint8 proto;

        g_assert_cmpstr (netpulse_record_proto_name (&r), ==, cases[i].name);
        g_assert_true (netpulse_proto_from_name (cases[i].name, &proto, &flags));
        g_assert_cmpuint (proto, ==, cases[i].proto);
        g_assert_cmpuint (flags, ==, cases[i].flags);
      }
    for (guint i = 0; i < 3; i++)
      {
        static const char * const bad[] = { "raw/256", "other", "raw/" };
        guint32 flags;
        guint8 proto;

        g_assert_false (netpulse_proto_from_name (bad[i], &proto, &flags));
      }
  }

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
  g_test_add_func ("/record/table/each-field", test_table_each_field);
  g_test_add_func ("/record/table/json-ranges", test_table_json_ranges);
  g_test_add_func ("/record/table/sizes", test_table_sizes);
  g_test_add_func ("/record/json/roundtrip", test_json_roundtrip);
  g_test_add_func ("/record/json/fields", test_json_fields);
  g_test_add_func ("/record/json/rates-as-printf", test_json_rates_as_printf);
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
