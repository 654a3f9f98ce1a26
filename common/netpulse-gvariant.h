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
/* The same, appended to @data. */
void    netpulse_gvariant_append_offset (GByteArray *data,
                                         gsize       offset,
                                         guint       size);

G_END_DECLS
