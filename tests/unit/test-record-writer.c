/* test-record-writer.c — NetpulseRecordWriter makes, byte for byte, what
 * GVariant makes of the same records (netpulse_record_to_variant() in a
 * GVariantBuilder), and netpulse_record_reader_read() reads back what
 * netpulse_record_from_variant() reads: empty, short and full records, texts that are not
 * UTF-8 or fill their array without a NUL, arrays whose framing offsets
 * take 1, 2 and 4 bytes, and thousands of random records.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <string.h>

#include "netpulse-frame.h"
#include "netpulse-record-reader.h"
#include "netpulse-record-writer.h"

/* What GVariant itself makes of @records. */
static GVariant *
reference_array (const NetpulseRecord *records,
                 guint                 n)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (NETPULSE_RECORDS_TYPE);

  for (guint i = 0; i < n; i++)
    g_variant_builder_add_value (&builder, netpulse_record_to_variant (&records[i]));
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static GVariant *
written_array (const NetpulseRecord *records,
               guint                 n)
{
  g_autoptr(NetpulseRecordWriter) writer = netpulse_record_writer_new ();

  for (guint i = 0; i < n; i++)
    netpulse_record_writer_add (writer, &records[i]);
  g_assert_cmpuint (netpulse_record_writer_get_n_records (writer), ==, n);
  return g_variant_ref_sink (netpulse_record_writer_end (writer));
}

/* NetpulseRecordReader reads from @array, byte for byte, the records that
 * netpulse_record_from_variant() makes of its children. */
static void
assert_reads_as_gvariant (GVariant *array)
{
  g_autoptr(GArray) read = g_array_new (FALSE, FALSE, sizeof (NetpulseRecord));
  g_autoptr(GError) error = NULL;
  gsize n = g_variant_n_children (array);

  g_assert_true (netpulse_record_reader_read (array, read, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (read->len, ==, n);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (array, i);
      NetpulseRecord expected;

      g_assert_true (netpulse_record_from_variant (&expected, child, NULL));
      g_assert_cmpmem (&g_array_index (read, NetpulseRecord, i), sizeof expected, &expected, sizeof expected);
    }
}

/* Same bytes, in normal form when read as untrusted data (the way the
 * app's frame reader reads them), and read back as GVariant reads them. */
static void
assert_writes_as_gvariant (const NetpulseRecord *records,
                           guint                 n)
{
  g_autoptr(GVariant) expected = reference_array (records, n);
  g_autoptr(GVariant) written = written_array (records, n);
  g_autoptr(GVariant) untrusted = NULL;
  gsize size = g_variant_get_size (expected);
  gpointer copy;

  g_assert_cmpstr (g_variant_get_type_string (written), ==, "a" NETPULSE_RECORD_SIGNATURE);
  g_assert_cmpuint (g_variant_get_size (written), ==, size);
  g_assert_cmpmem (g_variant_get_data (written), g_variant_get_size (written),
                   g_variant_get_data (expected), size);

  copy = g_memdup2 (g_variant_get_data (written), size);
  untrusted = g_variant_ref_sink (g_variant_new_from_data (NETPULSE_RECORDS_TYPE, copy, size, FALSE,
                                                           g_free, copy));
  g_assert_true (g_variant_is_normal_form (untrusted));
  g_assert_cmpuint (g_variant_n_children (untrusted), ==, n);
  assert_reads_as_gvariant (untrusted);
}

static NetpulseRecord
full_record (void)
{
  NetpulseRecord r;

  memset (&r, 0, sizeof r);
  r.id = G_MAXUINT64;
  r.pid = 4242;
  memset (r.comm, 'c', sizeof r.comm - 1);
  r.uid = 1000;
  r.proto = 6;
  r.family = 6;
  g_strlcpy (r.laddr, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", sizeof r.laddr);
  r.lport = 65535;
  g_strlcpy (r.raddr, "2001:db8::1", sizeof r.raddr);
  r.rport = 443;
  r.state = 1;
  r.tx_bytes = G_GUINT64_CONSTANT (1) << 40;
  r.rx_rate = 12.5;
  r.tx_rate_avg = -0.0;
  r.flags = NETPULSE_RECORD_PARTIAL | NETPULSE_RECORD_CLOSED;
  memset (r.exe, 'e', sizeof r.exe - 1);
  memset (r.cmdline, 'a', sizeof r.cmdline - 1);
  memset (r.unit, 'u', sizeof r.unit - 1);
  memset (r.app_id, 'i', sizeof r.app_id - 1);
  r.app_kind = NETPULSE_APP_KIND_DESKTOP;
  return r;
}

static void
test_empty (void)
{
  g_autoptr(NetpulseRecordWriter) writer = netpulse_record_writer_new ();
  g_autoptr(GVariant) empty = g_variant_ref_sink (netpulse_record_writer_end (writer));

  g_assert_cmpuint (g_variant_n_children (empty), ==, 0);
  assert_writes_as_gvariant (NULL, 0);
}

static void
test_default_record (void)
{
  NetpulseRecord r = { 0 };

  /* ~130 bytes: 1-byte offsets in the record and in the array. */
  assert_writes_as_gvariant (&r, 1);
}

static void
test_full_record (void)
{
  NetpulseRecord r = full_record ();

  /* ~900 bytes: 2-byte offsets. */
  assert_writes_as_gvariant (&r, 1);
}

static void
test_texts_made_valid (void)
{
  NetpulseRecord r[3] = { full_record (), full_record (), { 0 } };

  /* No NUL anywhere: the writer stops at the array's end. */
  memset (r[0].comm, 'x', sizeof r[0].comm);
  memset (r[0].exe, 0xff, sizeof r[0].exe);
  /* A character cut by the kernel, a lone continuation byte, and a
   * 3-byte U+FFFD per bad byte that no longer fits. */
  memcpy (r[1].comm, "caf\xc3", 5);
  g_strlcpy (r[1].cmdline, "a\x80" "b", sizeof r[1].cmdline);
  memset (r[1].app_id, 0xfe, sizeof r[1].app_id - 1);
  g_strlcpy (r[2].unit, "caf\xc3\xa9.service", sizeof r[2].unit);
  assert_writes_as_gvariant (r, G_N_ELEMENTS (r));
}

static void
test_offset_widths (void)
{
  g_autofree NetpulseRecord *records = g_new0 (NetpulseRecord, 400);

  for (guint i = 0; i < 400; i++)
    {
      records[i] = i % 2 ? full_record () : (NetpulseRecord) { 0 };
      records[i].id = i;
    }
  /* 2 and 3 records (~1 KiB): 2-byte array offsets; 400 (~200 KiB):
   * 4-byte ones. */
  assert_writes_as_gvariant (records, 2);
  assert_writes_as_gvariant (records, 3);
  assert_writes_as_gvariant (records, 400);
}

static gsize
written_size (const NetpulseRecord *records,
              guint                 n)
{
  g_autoptr(GVariant) array = written_array (records, n);

  return g_variant_get_size (array);
}

/* Arrays of @n_small default records after ~250-byte ones up to ~150
 * bytes short of 64 KiB, then a last record that grows by a byte of text
 * at a time from ~130 to ~640 bytes (by 8 bytes of record: it ends with
 * a double).  Whether the array was once exactly 65,535 bytes, the most
 * that 2-byte offsets address. */
static gboolean
sweep_array_past_64k (NetpulseRecord *records,
                      guint           n_small)
{
  gboolean below = FALSE, above = FALSE, exact = FALSE;
  guint n = 0;

  for (;; n++)
    {
      memset (&records[n], 0, sizeof records[n]);
      memset (records[n].cmdline, 'a', 100);
      if (written_size (records, n + 1) > G_MAXUINT16 - 150 - 140 * n_small)
        break;
      g_assert_cmpuint (n, <, 399);
    }
  for (guint i = 0; i < n_small; i++)
    memset (&records[n++], 0, sizeof records[0]);
  for (gsize exe = 0; exe < sizeof records[0].exe; exe += 250)
    for (gsize len = 0; len < sizeof records[0].cmdline; len++)
      {
        g_autoptr(GVariant) expected = NULL;
        gsize size;

        memset (&records[n], 0, sizeof records[n]);
        memset (records[n].cmdline, 'a', len);
        memset (records[n].exe, 'e', exe);
        expected = reference_array (records, n + 1);
        size = g_variant_get_size (expected);
        below |= size <= G_MAXUINT16;
        above |= size > G_MAXUINT16;
        exact |= size == G_MAXUINT16;
        assert_writes_as_gvariant (records, n + 1);
      }
  g_assert_true (below && above);
  return exact;
}

/* Texts of every length, so that a record and an array cross the sizes
 * where offsets widen (256 and 65,536 bytes), and reach the last size of
 * the narrower offsets exactly. */
static void
test_offset_width_boundaries (void)
{
  g_autofree NetpulseRecord *records = g_new0 (NetpulseRecord, 400);
  gboolean exact_255 = FALSE, exact_64k = FALSE;

  for (gsize len = 0; len < sizeof records[0].cmdline; len++)
    {
      g_autoptr(GVariant) expected = NULL;

      memset (&records[0], 0, sizeof records[0]);
      memset (records[0].cmdline, 'a', len);
      expected = g_variant_ref_sink (netpulse_record_to_variant (&records[0]));
      exact_255 |= g_variant_get_size (expected) == G_MAXUINT8;
      assert_writes_as_gvariant (records, 1);
    }
  g_assert_true (exact_255);

  /* A record's size is 7 or 6 modulo 8 (1- or 2-byte offsets), an array's
   * offsets 2 bytes each: the number of records decides which sizes the
   * sweep can reach. */
  for (guint n_small = 0; n_small < 8 && !exact_64k; n_small++)
    exact_64k = sweep_array_past_64k (records, n_small);
  g_assert_true (exact_64k);
}

static void
random_bytes (void  *data,
              gsize  size)
{
  guint8 *p = data;

  for (gsize i = 0; i < size; i++)
    p[i] = (guint8) g_test_rand_int_range (0, 256);
}

/* Random text: bytes of any value, valid characters of every length, a
 * NUL somewhere or none. */
static void
random_text (char  *text,
             gsize  size)
{
  static const char * const pieces[] = { "a", "Z", " ", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                          "\xff", "\xc3", "\x80", "\xed\xa0\x80" };
  gsize len = (gsize) g_test_rand_int_range (0, (gint) size + 1), at = 0;

  memset (text, 0, size);
  if (g_test_rand_bit ())
    {
      random_bytes (text, len);
      return;
    }
  while (at < len)
    {
      const char *piece = pieces[g_test_rand_int_range (0, G_N_ELEMENTS (pieces))];
      gsize n = MIN (strlen (piece), len - at);

      memcpy (text + at, piece, n);
      at += n;
    }
}

/* An address is the helper's own text: ASCII, NUL-terminated. */
static void
random_address (char  *text,
                gsize  size)
{
  gsize len = (gsize) g_test_rand_int_range (0, (gint) size);

  for (gsize i = 0; i < len; i++)
    text[i] = "0123456789abcdef:."[g_test_rand_int_range (0, 18)];
  text[len] = '\0';
}

#define RANDOM_TEXT_U64(name)
#define RANDOM_TEXT_U32(name)
#define RANDOM_TEXT_U16(name)
#define RANDOM_TEXT_U8(name)
#define RANDOM_TEXT_DOUBLE(name)
#define RANDOM_TEXT_APPKIND(name)
#define RANDOM_TEXT_PROTO(name)
#define RANDOM_TEXT_STATE(name)
#define RANDOM_TEXT_FLAGS(name)
#define RANDOM_TEXT_COMM(name)    random_text (r->name, sizeof r->name);
#define RANDOM_TEXT_TEXT(name)    random_text (r->name, sizeof r->name);
#define RANDOM_TEXT_ADDR(name)    random_address (r->name, sizeof r->name);
#define RANDOM_TEXT(kind, name, max) RANDOM_TEXT_##kind (name)

static void
random_record (NetpulseRecord *r)
{
  random_bytes (r, sizeof *r);
  NETPULSE_RECORD_FIELDS (RANDOM_TEXT)
}

static void
test_random (void)
{
  const guint n = g_test_thorough () ? 20000 : 2000;
  g_autofree NetpulseRecord *records = g_new0 (NetpulseRecord, n);

  for (guint i = 0; i < n; i++)
    random_record (&records[i]);
  for (guint i = 1; i <= 8; i++)
    assert_writes_as_gvariant (records, i);
  assert_writes_as_gvariant (records, n);
}

static void
test_reuse_after_end (void)
{
  g_autoptr(NetpulseRecordWriter) writer = netpulse_record_writer_new ();
  NetpulseRecord a = full_record (), b = { .id = 7 };
  g_autoptr(GVariant) first = NULL;
  g_autoptr(GVariant) second = NULL;
  g_autoptr(GVariant) expected = reference_array (&b, 1);

  netpulse_record_writer_add (writer, &a);
  first = g_variant_ref_sink (netpulse_record_writer_end (writer));
  netpulse_record_writer_add (writer, &b);
  second = g_variant_ref_sink (netpulse_record_writer_end (writer));
  g_assert_cmpuint (g_variant_n_children (first), ==, 1);
  g_assert_cmpmem (g_variant_get_data (second), g_variant_get_size (second),
                   g_variant_get_data (expected), g_variant_get_size (expected));
}

/* A frame in pieces (the records not copied) is the frame that
 * netpulse_frame_encode() makes of the same payload, byte for byte. */
static void
assert_frame_pieces (const NetpulseRecord *records,
                     guint                 n,
                     guint                 n_removed,
                     gsize                 extra_len)
{
  g_autoptr(GVariant) array = written_array (records, n);
  g_autoptr(GArray) removed = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_auto(GVariantDict) extra = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GVariant) extra_variant = NULL;
  g_autoptr(GVariant) removed_variant = NULL;
  g_autoptr(GBytes) expected = NULL;
  g_autoptr(GPtrArray) pieces = NULL;
  g_autoptr(GByteArray) joined = g_byte_array_new ();
  g_autofree char *text = g_strnfill (extra_len, 'x');

  for (guint64 i = 0; i < n_removed; i++)
    g_array_append_val (removed, i);
  g_variant_dict_insert (&extra, "instance", "s", text);
  extra_variant = g_variant_ref_sink (g_variant_dict_end (&extra));
  removed_variant = g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, removed->data,
                                                                   removed->len, sizeof (guint64)));

  expected = netpulse_frame_encode (g_variant_new ("(ttu@a" NETPULSE_RECORD_SIGNATURE "@at@a{sv})",
                                                   G_GUINT64_CONSTANT (0x0102030405060708),
                                                   G_GUINT64_CONSTANT (1700000000123456789),
                                                   (guint32) 3, array, removed_variant, extra_variant));
  pieces = netpulse_frame_encode_pieces (G_GUINT64_CONSTANT (0x0102030405060708),
                                         G_GUINT64_CONSTANT (1700000000123456789), 3,
                                         array, removed_variant, extra_variant);
  for (guint i = 0; i < pieces->len; i++)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (g_ptr_array_index (pieces, i), &size);

      g_byte_array_append (joined, data, (guint) size);
    }
  g_assert_cmpuint (netpulse_frame_pieces_get_size (pieces), ==, joined->len);
  g_assert_cmpmem (joined->data, joined->len,
                   g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
  /* The records travel as they are: their own bytes, not a copy. */
  g_assert_true (g_bytes_get_data (g_ptr_array_index (pieces, 1), NULL) == g_variant_get_data (array) ||
                 g_variant_get_size (array) == 0);
}

static void
test_frame_pieces (void)
{
  g_autofree NetpulseRecord *records = g_new0 (NetpulseRecord, 300);

  for (guint i = 0; i < 300; i++)
    records[i] = full_record ();
  /* Frames under 256 bytes (1-byte offsets), under 64 KiB, over. */
  for (gsize extra_len = 0; extra_len < 200; extra_len += 7)
    {
      assert_frame_pieces (records, 0, 0, extra_len);
      assert_frame_pieces (records, 0, 3, extra_len);
      assert_frame_pieces (records, 1, 0, extra_len);
      assert_frame_pieces (records, 2, 1, extra_len);
    }
  assert_frame_pieces (records, 300, 0, 36);
  assert_frame_pieces (records, 300, 10, 36);
}

/* Bytes changed at random: where GVariant still finds the array in normal
 * form, the reader reads what it reads; where not (the client refuses such
 * a frame before reading it), the reader still stays within the bytes
 * (AddressSanitizer) and says so or reads something. */
static void
test_reader_hostile_bytes (void)
{
  g_autofree NetpulseRecord *records = g_new0 (NetpulseRecord, 4);
  g_autoptr(GVariant) array = NULL;
  gsize size;
  guint normal = 0, refused = 0;

  for (guint i = 0; i < 4; i++)
    {
      records[i] = full_record ();
      records[i].id = i;
    }
  records[2].cmdline[0] = '\0';
  array = written_array (records, 4);
  size = g_variant_get_size (array);
  for (guint round = 0; round < 3000; round++)
    {
      g_autofree guint8 *bytes = g_memdup2 (g_variant_get_data (array), size);
      gsize cut = g_test_rand_bit () ? size : (gsize) g_test_rand_int_range (0, (gint) size);
      g_autoptr(GVariant) hostile = NULL;
      g_autoptr(GArray) read = g_array_new (FALSE, FALSE, sizeof (NetpulseRecord));

      for (guint k = 0; k < 3; k++)
        bytes[g_test_rand_int_range (0, (gint) size)] = (guint8) g_test_rand_int_range (0, 256);
      hostile = g_variant_ref_sink (g_variant_new_from_data (NETPULSE_RECORDS_TYPE, bytes, cut, FALSE,
                                                             NULL, NULL));
      if (g_variant_is_normal_form (hostile))
        {
          normal++;
          assert_reads_as_gvariant (hostile);
        }
      else
        {
          refused++;
          if (!netpulse_record_reader_read (hostile, read, NULL))
            g_assert_cmpuint (read->len, ==, 0);
        }
    }
  g_test_message ("%u in normal form, %u not", normal, refused);
  g_assert_cmpuint (normal, >, 0);
  g_assert_cmpuint (refused, >, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/record-writer/empty", test_empty);
  g_test_add_func ("/record-writer/default-record", test_default_record);
  g_test_add_func ("/record-writer/full-record", test_full_record);
  g_test_add_func ("/record-writer/texts-made-valid", test_texts_made_valid);
  g_test_add_func ("/record-writer/offset-widths", test_offset_widths);
  g_test_add_func ("/record-writer/offset-width-boundaries", test_offset_width_boundaries);
  g_test_add_func ("/record-writer/random", test_random);
  g_test_add_func ("/record-writer/reuse-after-end", test_reuse_after_end);
  g_test_add_func ("/record-writer/frame-pieces", test_frame_pieces);
  g_test_add_func ("/record-writer/reader-hostile-bytes", test_reader_hostile_bytes);

  return g_test_run ();
}
