/* netpulse-gvariant.h — GVariant's framing offsets, for the code that
 * writes serialised GVariants itself (records, frames, history rows):
 * the rule of GLib's gvs_calculate_total_size() and the little-endian
 * offsets of the GVariant specification.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The narrowest width, 1, 2, 4 or 8 bytes, whose @n_offsets offsets can
 * address a container of @body bytes and themselves. */
guint   netpulse_gvariant_offset_size  (gsize       body,
                                        gsize       n_offsets);
/* One offset written at @p, little-endian, @size bytes; the byte after it. */
guint8 *netpulse_gvariant_write_offset (guint8     *p,
                                        gsize       offset,
                                        guint       size);
/* The width of the offsets in a container of @size bytes, as a reader
 * finds it (gvs_get_offset_size()): 0 for an empty one. */
guint   netpulse_gvariant_offset_width (gsize       size);
/* The offset of @size bytes at @p. */
gsize   netpulse_gvariant_read_offset  (const guint8 *p,
                                        guint         size);

/* @offset rounded up to @alignment (a power of two). */
static inline gsize
netpulse_gvariant_align (gsize offset,
                         gsize alignment)
{
  return (offset + alignment - 1) & ~(alignment - 1);
}

/* The same, appended to @data. */
void    netpulse_gvariant_append_offset (GByteArray *data,
                                         gsize       offset,
                                         guint       size);

G_END_DECLS
