/* netpulse-record-writer.c — records written straight into the GVariant
 * serialisation of NETPULSE_RECORDS_TYPE.
 *
 * The layout is GVariant's (docs/gvariant-specification-1.0 in GLib):
 *   - a record is a tuple: each field at its alignment (a number's
 *     alignment is its size), a string is its bytes and a NUL; after the
 *     last field, the end of every string but a last field's, as framing
 *     offsets in reverse order (the first string's end last);
 *   - the array: each record at a multiple of 8 (a record's alignment,
 *     it holds 64-bit numbers), then the end of each record in order;
 *   - a framing offset is little-endian, as wide as the smallest of 1, 2,
 *     4, 8 bytes whose offsets and the body fit in its range;
 *   - numbers in the host's byte order, as g_variant_new() stores them.
 * tests/unit/test-record-writer.c compares every byte with what GVariant
 * itself makes of the same records.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-record"

#include "config.h"

#include <string.h>

#include "netpulse-gvariant.h"
#include "netpulse-huge-pages.h"
#include "netpulse-record-private.h"
#include "netpulse-record-writer.h"

/* A number's size on the wire, which must be its size in the record. */
#define WIRE_SIZE_U64     8
#define WIRE_SIZE_U32     4
#define WIRE_SIZE_U16     2
#define WIRE_SIZE_U8      1
#define WIRE_SIZE_DOUBLE  8
#define WIRE_SIZE_APPKIND 1
#define WIRE_SIZE_PROTO   1
#define WIRE_SIZE_STATE   1
#define WIRE_SIZE_FLAGS   4

#define CHECK_SIZE_NUM(kind, name) \
  G_STATIC_ASSERT (sizeof (((NetpulseRecord *) NULL)->name) == WIRE_SIZE_##kind);
#define CHECK_SIZE_TEXT(kind, name)
#define CHECK_SIZE_ADDR(kind, name)
#define CHECK_SIZE(kind, name, max) NETPULSE_RECORD_BY_CLASS (CHECK_SIZE, kind, name)
NETPULSE_RECORD_FIELDS (CHECK_SIZE)

#define COUNT_FIELD(kind, name, max) + 1
#define N_FIELDS (0 NETPULSE_RECORD_FIELDS (COUNT_FIELD))

/* The most one record takes: every field at its longest (a text at most
 * fills its array), each after the most padding, an 8-byte offset per
 * text, and the padding before the record. */
#define RECORD_MAX_SIZE (sizeof (NetpulseRecord) + N_FIELDS * 7 + NETPULSE_RECORD_N_TEXTS * 8 + \
                         NETPULSE_RECORD_ALIGNMENT)

struct _NetpulseRecordWriter
{
  guint8  *data;
  gsize    size;       /* written */
  gsize    capacity;
  gboolean huge;       /* data is a netpulse_huge_pages_alloc() mapping */
  GArray  *ends;       /* gsize: where each record ends, the array's framing offsets */
};

NetpulseRecordWriter *
netpulse_record_writer_new (void)
{
  NetpulseRecordWriter *self = g_new0 (NetpulseRecordWriter, 1);

  self->ends = g_array_new (FALSE, FALSE, sizeof (gsize));
  return self;
}

void
netpulse_record_writer_free (NetpulseRecordWriter *self)
{
  if (self == NULL)
    return;
  if (self->huge)
    netpulse_huge_pages_free (self->data, self->capacity);
  else
    g_free (self->data);
  g_array_unref (self->ends);
  g_free (self);
}

guint
netpulse_record_writer_get_n_records (NetpulseRecordWriter *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->ends->len;
}

/* Small arrays (a tick's few changes) on the heap; from 2 MiB on, a
 * mapping that grows without copying, in huge pages. */
static void
reserve (NetpulseRecordWriter *self,
         gsize                 extra)
{
  gsize wanted;

  if (self->capacity - self->size >= extra)
    return;
  wanted = MAX (MAX (self->capacity * 2, self->size + extra), 4096);
  if (self->huge)
    self->data = netpulse_huge_pages_realloc (self->data, wanted, &self->capacity);
  else if (wanted >= NETPULSE_HUGE_PAGE_SIZE)
    {
      guint8 *heap = self->data;

      self->data = netpulse_huge_pages_alloc (wanted, &self->capacity);
      self->huge = TRUE;
      memcpy (self->data, heap, self->size);
      g_free (heap);
    }
  else
    {
      self->capacity = wanted;
      self->data = g_realloc (self->data, self->capacity);
    }
}

static inline guint8 *
write_number (guint8       *p,
              const guint8 *start,
              const void   *value,
              gsize         size)
{
  while ((gsize) (p - start) & (size - 1))
    *p++ = 0;
  memcpy (p, value, size);
  return p + size;
}

static inline guint8 *
write_text (guint8     *p,
            const char *text,
            gsize       size)
{
  return p + netpulse_record_copy_valid_text ((char *) p, text, size) + 1;
}

/* A field; a text's end is kept for its framing offset. */
#define WRITE_NUM(kind, name) \
  p = write_number (p, start, &r->name, sizeof r->name);
#define WRITE_TEXT(kind, name) \
  p = write_text (p, r->name, sizeof r->name); \
  text_ends[n_texts++] = (gsize) (p - start);
#define WRITE_ADDR(kind, name) WRITE_TEXT (kind, name)
#define WRITE_FIELD(kind, name, max) NETPULSE_RECORD_BY_CLASS (WRITE, kind, name)

void
netpulse_record_writer_add (NetpulseRecordWriter *self,
                            const NetpulseRecord *r)
{
  gsize text_ends[NETPULSE_RECORD_N_TEXTS];
  guint n_texts = 0, n_offsets = netpulse_record_n_text_offsets (), width;
  guint8 *start, *p;

  g_return_if_fail (self != NULL);
  g_return_if_fail (r != NULL);

  reserve (self, RECORD_MAX_SIZE);
  while (self->size % NETPULSE_RECORD_ALIGNMENT != 0)
    self->data[self->size++] = 0;
  start = p = self->data + self->size;

  NETPULSE_RECORD_FIELDS (WRITE_FIELD)

  width = netpulse_gvariant_offset_size ((gsize) (p - start), n_offsets);
  for (guint i = n_offsets; i-- > 0;)
    p = netpulse_gvariant_write_offset (p, text_ends[i], width);

  self->size += (gsize) (p - start);
  g_array_append_val (self->ends, self->size);
}

GVariant *
netpulse_record_writer_end (NetpulseRecordWriter *self)
{
  g_autoptr(GBytes) bytes = NULL;
  guint n;

  g_return_val_if_fail (self != NULL, NULL);

  n = self->ends->len;
  if (n > 0)
    {
      guint width = netpulse_gvariant_offset_size (self->size, n);

      reserve (self, (gsize) n * width);
      for (guint i = 0; i < n; i++)
        netpulse_gvariant_write_offset (self->data + self->size + (gsize) i * width,
                      g_array_index (self->ends, gsize, i), width);
      self->size += (gsize) n * width;
    }

  if (self->huge)
    /* Beyond the last page written, nothing was touched: no memory. */
    bytes = netpulse_huge_pages_bytes (g_steal_pointer (&self->data), self->size, self->capacity);
  else
    /* Give back what doubling reserved beyond the end. */
    bytes = g_bytes_new_take (g_realloc (g_steal_pointer (&self->data), self->size), self->size);
  self->size = self->capacity = 0;
  self->huge = FALSE;
  g_array_set_size (self->ends, 0);
  return g_variant_new_from_bytes (NETPULSE_RECORDS_TYPE, bytes, TRUE);
}
