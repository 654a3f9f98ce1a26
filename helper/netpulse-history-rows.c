/* netpulse-history-rows.c — replies of tens of thousands of rows without a
 * GVariant per member.
 *
 * A GVariantBuilder makes nine GVariants per row and serializes them again
 * when the message is sent: for 72 000 usage rows that alone took longer
 * than the whole query may.  Here each row is written once into GVariant's
 * normal form (the GVariant specification, "Serialisation"):
 *  - a tuple's members each at their alignment from the tuple's start; the
 *    end of every variable-sized member but the last is a framing offset,
 *    stored after the members in reverse order;
 *  - an array of variable-sized elements: each element at the element's
 *    alignment, then the end of every element, in order;
 *  - framing offsets are little-endian, of the smallest size (1, 2, 4 or 8
 *    bytes) in which the whole container's size fits.
 * tests/history/test-history-rows.c checks the bytes against GLib's own.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-history"

#include "config.h"

#include <string.h>

#include "netpulse-gvariant.h"
#include "netpulse-history-rows.h"

#define MAX_STRINGS 8

struct _NetpulseHistoryRows
{
  GVariantType *array_type;
  GByteArray   *data;
  GArray       *ends;             /* guint64: where each row ends */
  gsize         row_start;
  gsize         string_ends[MAX_STRINGS];
  guint         n_strings;
  gboolean      last_was_string;
};

NetpulseHistoryRows *
netpulse_history_rows_new (const char *row_type)
{
  NetpulseHistoryRows *rows = g_new0 (NetpulseHistoryRows, 1);
  g_autofree char *array_type = g_strconcat ("a", row_type, NULL);

  g_return_val_if_fail (row_type[0] == '(' && row_type[1] == 't', NULL);
  rows->array_type = g_variant_type_new (array_type);
  rows->data = g_byte_array_new ();
  rows->ends = g_array_new (FALSE, FALSE, sizeof (guint64));
  return rows;
}

void
netpulse_history_rows_free (NetpulseHistoryRows *rows)
{
  g_variant_type_free (rows->array_type);
  g_byte_array_unref (rows->data);
  g_array_unref (rows->ends);
  g_free (rows);
}

guint
netpulse_history_rows_get_length (NetpulseHistoryRows *rows)
{
  return rows->ends->len;
}

static void
append_le (GByteArray *data,
           guint64     value,
           guint       size)
{
  guint8 bytes[8];

  for (guint i = 0; i < size; i++)
    bytes[i] = (guint8) (value >> (8 * i));
  g_byte_array_append (data, bytes, size);
}

static void
align (NetpulseHistoryRows *rows,
       guint                alignment)
{
  static const guint8 zeros[8];
  gsize pad = (alignment - rows->data->len % alignment) % alignment;

  g_byte_array_append (rows->data, zeros, (guint) pad);
}

void
netpulse_history_rows_begin (NetpulseHistoryRows *rows)
{
  /* Rows start with a t: the array's element alignment is 8. */
  align (rows, 8);
  rows->row_start = rows->data->len;
  rows->n_strings = 0;
  rows->last_was_string = FALSE;
}

static void
put_fixed (NetpulseHistoryRows *rows,
           guint64              value,
           guint                size)
{
  align (rows, size);
  append_le (rows->data, value, size);
  rows->last_was_string = FALSE;
}

void
netpulse_history_rows_put_uint64 (NetpulseHistoryRows *rows,
                                  guint64              value)
{
  put_fixed (rows, value, 8);
}

void
netpulse_history_rows_put_uint32 (NetpulseHistoryRows *rows,
                                  guint32              value)
{
  put_fixed (rows, value, 4);
}

void
netpulse_history_rows_put_uint16 (NetpulseHistoryRows *rows,
                                  guint16              value)
{
  put_fixed (rows, value, 2);
}

void
netpulse_history_rows_put_byte (NetpulseHistoryRows *rows,
                                guint8               value)
{
  put_fixed (rows, value, 1);
}

void
netpulse_history_rows_put_string (NetpulseHistoryRows *rows,
                                  const char          *value)
{
  g_return_if_fail (rows->n_strings < MAX_STRINGS);

  g_byte_array_append (rows->data, (const guint8 *) value, (guint) strlen (value) + 1);
  rows->string_ends[rows->n_strings++] = rows->data->len - rows->row_start;
  rows->last_was_string = TRUE;
}

void
netpulse_history_rows_end_row (NetpulseHistoryRows *rows)
{
  /* The last member's end is the tuple's: it has no offset. */
  guint n = rows->n_strings - (rows->last_was_string ? 1 : 0);
  guint size = netpulse_gvariant_offset_size (rows->data->len - rows->row_start, n);
  guint64 end;

  for (guint i = n; i > 0; i--)
    netpulse_gvariant_append_offset (rows->data, rows->string_ends[i - 1], size);
  end = rows->data->len;
  g_array_append_val (rows->ends, end);
}

void
netpulse_history_rows_add_usage (NetpulseHistoryRows *rows,
                                 guint64              start_ns,
                                 guint64              end_ns,
                                 const char          *app_kind,
                                 const char          *app_id,
                                 guint8               proto,
                                 guint64              rx_bytes,
                                 guint64              tx_bytes,
                                 guint32              connections)
{
  netpulse_history_rows_begin (rows);
  netpulse_history_rows_put_uint64 (rows, start_ns);
  netpulse_history_rows_put_uint64 (rows, end_ns);
  netpulse_history_rows_put_string (rows, app_kind);
  netpulse_history_rows_put_string (rows, app_id);
  netpulse_history_rows_put_byte (rows, proto);
  netpulse_history_rows_put_uint64 (rows, rx_bytes);
  netpulse_history_rows_put_uint64 (rows, tx_bytes);
  netpulse_history_rows_put_uint32 (rows, connections);
  netpulse_history_rows_end_row (rows);
}

GVariant *
netpulse_history_rows_end (NetpulseHistoryRows *rows)
{
  guint size = netpulse_gvariant_offset_size (rows->data->len, rows->ends->len);
  g_autoptr(GBytes) bytes = NULL;

  for (guint i = 0; i < rows->ends->len; i++)
    netpulse_gvariant_append_offset (rows->data, g_array_index (rows->ends, guint64, i), size);
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&rows->data));
  rows->data = g_byte_array_new ();
  g_array_set_size (rows->ends, 0);
  return g_variant_new_from_bytes (rows->array_type, bytes, TRUE);
}
