/* netpulse-stream.h — the helper's end of one subscriber's stream.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define NETPULSE_TYPE_STREAM (netpulse_stream_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseStream, netpulse_stream, NETPULSE, STREAM, GObject)

/* A new AF_UNIX SOCK_STREAM socketpair: the stream keeps one end
 * (non-blocking, write-only), *@peer_fd is the other, for the subscriber.
 * Must be created in the main context that will write the frames.
 *
 * Signals:
 *   "closed" ()  the subscriber closed its end (or a write failed): nothing
 *                more can be sent.  Emitted once.
 */
NetpulseStream *netpulse_stream_new        (int            *peer_fd,
                                            GError        **error);

/* Whether a frame is still being written: only one is held at a time. */
gboolean        netpulse_stream_is_busy    (NetpulseStream *self);
gboolean        netpulse_stream_is_closed  (NetpulseStream *self);
/* Bytes of the frame in hand not yet written (0 when not busy). */
gsize           netpulse_stream_get_unsent (NetpulseStream *self);

/* Starts writing @frame, GBytes pieces one after the other
 * (netpulse_frame_encode_pieces()); never blocks: what the socket does
 * not take now is written from the main context when it has room.  Not
 * while busy. */
void            netpulse_stream_send       (NetpulseStream *self,
                                            GPtrArray      *frame);

/* Writes @frame now if the stream is idle and the socket takes all of it at
 * once (a small END frame); returns whether it did. */
gboolean        netpulse_stream_send_last  (NetpulseStream *self,
                                            GBytes         *frame);

/* Closes the helper's end: the subscriber reads what was written, then the
 * end of the stream. */
void            netpulse_stream_close      (NetpulseStream *self);

G_END_DECLS
