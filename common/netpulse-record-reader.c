/* netpulse-record-reader.c — records read from the GVariant serialisation
 * of NETPULSE_RECORDS_TYPE: the inverse of netpulse-record-writer.c (whose
 * comment describes the layout).
 *
 * The array has been checked to be in normal form, so every offset is in
 * range and every string ends with its NUL where its offset says; the
 * reader checks the bounds once more anyway, cheaply, so that a mistake
 * anywhere gives an error instead of a read out of bounds.
 * tests/unit/test-record-writer.c compares what it reads with
 * netpulse_record_from_variant().
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-record"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "netpulse-gvariant.h"
#include "netpulse-record-private.h"
#include "netpulse-record-reader.h"

typedef struct {
  const guint8 *data;
  gsize         size;       /* of the record, its offsets included */
  gsize         body_end;   /* where its framing offsets begin */
  guint         width;
  gsize         pos;
  guint         n_texts;    /* read so far */
  guint         n_offsets;
  gboolean      ok;
} Tuple;

static void
read_number (Tuple *t,
             void  *value,
             gsize  size)
{
  t->pos = netpulse_gvariant_align (t->pos, size);
  if (t->pos + size > t->body_end)
    {
      t->ok = FALSE;
      memset (value, 0, size);
      return;
    }
  memcpy (value, t->data + t->pos, size);
  t->pos += size;
}

/* The text that starts here and ends where its offset says (the first
 * text's offset is the last of the record), or at the body's end for a
 * text that is the last field (it has no offset). */
static const char *
read_text (Tuple *t)
{
  gsize end;
  const char *text;

  if (t->n_texts < t->n_offsets)
    end = netpulse_gvariant_read_offset (t->data + t->size - (gsize) (t->n_texts + 1) * t->width, t->width);
  else
    end = t->body_end;
  t->n_texts++;
  if (end <= t->pos || end > t->body_end || t->data[end - 1] != '\0')
    {
      t->ok = FALSE;
      return "";
    }
  text = (const char *) t->data + t->pos;
  t->pos = end;
  return text;
}

#define READ_NUM(kind, name)  read_number (&t, &r->name, sizeof r->name);
#define READ_TEXT(kind, name) netpulse_record_copy_utf8 (r->name, read_text (&t), sizeof r->name);
#define READ_ADDR(kind, name) g_strlcpy (r->name, read_text (&t), sizeof r->name);
#define READ_FIELD(kind, name, max) NETPULSE_RECORD_BY_CLASS (READ, kind, name)

static gboolean
read_record (const guint8   *data,
             gsize           size,
             NetpulseRecord *r)
{
  Tuple t = { .data = data, .size = size, .width = netpulse_gvariant_offset_width (size),
              .n_offsets = netpulse_record_n_text_offsets (), .ok = TRUE };

  /* As netpulse_record_from_variant(): no stale bytes after a text. */
  memset (r, 0, sizeof *r);
  if ((gsize) t.n_offsets * t.width > size)
    return FALSE;
  t.body_end = size - (gsize) t.n_offsets * t.width;
  NETPULSE_RECORD_FIELDS (READ_FIELD)
  return t.ok && t.pos == t.body_end;
}

gboolean
netpulse_record_reader_read (GVariant  *array,
                             GArray    *records,
                             GError   **error)
{
  const guint8 *data;
  gsize size, n, table, start = 0;
  guint width, old_len;

  g_return_val_if_fail (array != NULL && g_variant_is_of_type (array, NETPULSE_RECORDS_TYPE), FALSE);
  g_return_val_if_fail (records != NULL, FALSE);

  size = g_variant_get_size (array);
  if (size == 0)
    return TRUE;
  data = g_variant_get_data (array);
  width = netpulse_gvariant_offset_width (size);
  /* The last offset is the end of the last record: where the table of
   * offsets begins. */
  table = netpulse_gvariant_read_offset (data + size - width, width);
  if (table > size || (size - table) % width != 0)
    goto invalid;
  n = (size - table) / width;

  old_len = records->len;
  g_array_set_size (records, old_len + (guint) n);
  for (gsize i = 0; i < n; i++)
    {
      gsize end = netpulse_gvariant_read_offset (data + table + i * width, width);

      start = netpulse_gvariant_align (start, NETPULSE_RECORD_ALIGNMENT);
      if (end < start || end > table ||
          !read_record (data + start, end - start,
                        &g_array_index (records, NetpulseRecord, old_len + i)))
        {
          g_array_set_size (records, old_len);
          goto invalid;
        }
      start = end;
    }
  return TRUE;

invalid:
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Malformed array of records");
  return FALSE;
}
