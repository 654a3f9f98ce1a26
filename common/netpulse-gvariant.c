/* netpulse-gvariant.c — GVariant's framing offsets.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include "netpulse-gvariant.h"

guint
netpulse_gvariant_offset_size (gsize body,
                               gsize n_offsets)
{
  if (body + n_offsets <= G_MAXUINT8)
    return 1;
  if (body + 2 * n_offsets <= G_MAXUINT16)
    return 2;
  if (body + 4 * n_offsets <= G_MAXUINT32)
    return 4;
  return 8;
}

guint8 *
netpulse_gvariant_write_offset (guint8 *p,
                                gsize   offset,
                                guint   size)
{
  for (guint i = 0; i < size; i++)
    p[i] = (guint8) ((guint64) offset >> (8 * i));
  return p + size;
}

guint
netpulse_gvariant_offset_width (gsize size)
{
  if (size > G_MAXUINT32)
    return 8;
  if (size > G_MAXUINT16)
    return 4;
  if (size > G_MAXUINT8)
    return 2;
  return size > 0 ? 1 : 0;
}

gsize
netpulse_gvariant_read_offset (const guint8 *p,
                               guint         size)
{
  guint64 value = 0;

  for (guint i = 0; i < size; i++)
    value |= (guint64) p[i] << (8 * i);
  return (gsize) value;
}

void
netpulse_gvariant_append_offset (GByteArray *data,
                                 gsize       offset,
                                 guint       size)
{
  guint8 bytes[8];

  g_assert (size <= sizeof bytes);
  netpulse_gvariant_write_offset (bytes, offset, size);
  g_byte_array_append (data, bytes, size);
}
