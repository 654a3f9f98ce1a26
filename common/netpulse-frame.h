/* netpulse-frame.h — the frames of a subscription's stream (the fd that
 * Subscribe returns), and an asynchronous reader of them.
 *
 * A frame is an 8-byte header — guint32 magic NETPULSE_FRAME_MAGIC ("NPU1"
 * in memory on little-endian), guint32 length of the payload, both in host
 * byte order (the stream never leaves the machine) — then @length bytes: a
 * serialised GVariant of type NETPULSE_FRAME_TYPE,
 * (sequence, timestamp_ns, flags, changed, removed, extra).
 * See data/io.github.netpulse.Helper1.xml.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "netpulse-protocol.h"
#include "netpulse-record.h"

G_BEGIN_DECLS

#define NETPULSE_FRAME_TYPE         ((const GVariantType *) NETPULSE_FRAME_SIGNATURE)

typedef enum {
  NETPULSE_FRAME_SNAPSHOT = 1 << 0,   /* changed is the whole table: replace yours */
  NETPULSE_FRAME_END      = 1 << 1,   /* the last frame; extra has "error" and "message" */
} NetpulseFrameFlags;

/* Header + serialised @payload (of NETPULSE_FRAME_TYPE), ready to write.
 * Thread-safe: the helper builds frames in a worker thread. */
GBytes *netpulse_frame_encode (GVariant *payload);

/* The frame netpulse_frame_encode() makes of (@sequence, @timestamp_ns,
 * @flags, @records, @removed, @extra), as GBytes to write one after the
 * other: a head (the header and the numbers), @records' own serialised
 * bytes, not copied, and a tail.  A full frame of 100,000 records is
 * ~35 MiB: one copy of it per subscriber cost more than writing it.
 * Floating arguments are taken, like g_variant_new()'s.  Thread-safe. */
GPtrArray *netpulse_frame_encode_pieces   (guint64    sequence,
                                           guint64    timestamp_ns,
                                           guint32    flags,
                                           GVariant  *records,
                                           GVariant  *removed,
                                           GVariant  *extra);
/* The frame's size: the sum of its pieces'. */
gsize      netpulse_frame_pieces_get_size (GPtrArray  *pieces);

#define NETPULSE_TYPE_FRAME_READER (netpulse_frame_reader_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseFrameReader, netpulse_frame_reader, NETPULSE, FRAME_READER, GObject)

/* Reads frames from @stream until netpulse_frame_reader_stop(), the end of
 * the stream or an error, from the thread-default main context.
 *
 * Signals:
 *   "frame" (GVariant *frame)  one well-formed frame, of NETPULSE_FRAME_TYPE
 *                              (valid during the emission; ref it to keep it)
 *   "end"   (GError *error)    no more frames: NULL at a clean end of the
 *                              stream (between frames), else G_IO_ERROR_*
 *                              (G_IO_ERROR_INVALID_DATA for a malformed
 *                              stream).  Not emitted after stop().
 */
NetpulseFrameReader *netpulse_frame_reader_new   (GInputStream        *stream);
void                 netpulse_frame_reader_start (NetpulseFrameReader *self);
/* Cancels the read in flight; no signal follows.  The stream is closed
 * when the reader is finalized (dropping the last reference), which is
 * when the writer sees the end. */
void                 netpulse_frame_reader_stop  (NetpulseFrameReader *self);

G_END_DECLS
