/* netpulse-subscription.h — one Subscribe()d stream of frames.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "netpulse-collector.h"
#include "netpulse-protocol.h"
#include "netpulse-stream.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_SUBSCRIPTION (netpulse_subscription_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseSubscription, netpulse_subscription, NETPULSE, SUBSCRIPTION, GObject)

/* What a subscriber chooses: Subscribe()'s and SetOptions()' a{sv}. */
typedef struct {
  guint interval_ms;          /* "interval-ms": how often a frame is written */
  guint window_ms;            /* "window-ms": the smoothed rates' window */
} NetpulseSubscriptionOptions;

/* The defaults (NETPULSE_INTERVAL_DEFAULT_MS, NETPULSE_WINDOW_DEFAULT_MS). */
void                  netpulse_subscription_options_init   (NetpulseSubscriptionOptions *options);
/* Validates the a{sv} @options; on success sets the fields of @parsed
 * that it names (the others stay as they are), on failure changes
 * nothing.  Errors are NETPULSE_HELPER_ERROR_INVALID_OPTION with a message
 * naming the key. */
gboolean              netpulse_subscription_parse_options  (GVariant              *options,
                                                            NetpulseSubscriptionOptions *parsed,
                                                            GError               **error);

/* Takes a reference on @stream, the subscriber's. */
NetpulseSubscription *netpulse_subscription_new            (const char            *object_path,
                                                            const char            *owner,
                                                            const NetpulseSubscriptionOptions *options,
                                                            NetpulseStream        *stream);
void                  netpulse_subscription_get_options    (NetpulseSubscription  *self,
                                                            NetpulseSubscriptionOptions *options);
/* SetOptions: the next frame is due @options->interval_ms after the last
 * one; sequence, generation and stream go on. */
void                  netpulse_subscription_set_options    (NetpulseSubscription  *self,
                                                            const NetpulseSubscriptionOptions *options);
guint                 netpulse_subscription_get_window_ms  (NetpulseSubscription  *self);

const char           *netpulse_subscription_get_object_path (NetpulseSubscription *self);
/* The subscriber's unique bus name: the destination of its Ended signal. */
const char           *netpulse_subscription_get_owner       (NetpulseSubscription *self);
guint                 netpulse_subscription_get_interval_ms (NetpulseSubscription *self);
NetpulseStream       *netpulse_subscription_get_stream      (NetpulseSubscription *self);
/* The sequence number of the last frame built, 0 before the first. */
guint64               netpulse_subscription_get_sequence    (NetpulseSubscription *self);

/* Whether a frame of this subscription is being built (in the sender
 * thread) or written: then no other is made for it. */
gboolean              netpulse_subscription_is_busy         (NetpulseSubscription *self);
void                  netpulse_subscription_set_building    (NetpulseSubscription *self,
                                                             gboolean              building);

/* Slow readers: an interval that came due while busy is skipped.  Returns
 * how many were skipped in a row, and since when (monotonic µs). */
guint                 netpulse_subscription_skip            (NetpulseSubscription *self,
                                                             gint64                now_us,
                                                             gint64               *since_us);

/* GetSnapshot: the next frame is a SNAPSHOT.  Returns its sequence. */
guint64               netpulse_subscription_request_snapshot (NetpulseSubscription *self);
/* Whether the next frame is a SNAPSHOT (the first, or asked for). */
gboolean              netpulse_subscription_wants_snapshot  (NetpulseSubscription *self);

/* Whether a frame is due at @now_us (g_get_monotonic_time()): the first
 * one is due at once, later ones when the interval has passed.
 * @slack_us absorbs timer jitter. */
gboolean              netpulse_subscription_is_due          (NetpulseSubscription *self,
                                                             gint64                now_us,
                                                             gint64                slack_us);

/* The collector generation this subscription's next frame starts from
 * (0 before the first: everything). */
guint64               netpulse_subscription_get_generation  (NetpulseSubscription *self);

/* Moves the subscription to the collector's current generation for a
 * frame built now; returns that frame's sequence number and, in @flags,
 * NETPULSE_FRAME_SNAPSHOT if it must be one (the first frame, or after
 * GetSnapshot).  Clears the skip count. */
guint64               netpulse_subscription_advance         (NetpulseSubscription *self,
                                                             NetpulseCollector    *collector,
                                                             gint64                now_us,
                                                             guint32              *flags);

/* The records that changed after some generation, written out of the
 * collector in their serialised form (main thread; NetpulseRecordWriter),
 * so that what is left, making frames of them, can happen in another
 * thread and be shared by every subscription at that generation. */
typedef struct _NetpulseChanges NetpulseChanges;

NetpulseChanges      *netpulse_changes_collect              (NetpulseCollector    *collector,
                                                             guint64               since_generation,
                                                             guint                 window_ms);
NetpulseChanges      *netpulse_changes_ref                  (NetpulseChanges      *changes);
void                  netpulse_changes_unref                (NetpulseChanges      *changes);
guint                 netpulse_changes_get_n_records        (NetpulseChanges      *changes);

/* A whole frame (header + payload, see netpulse-frame.h) carrying
 * @changes, from helper run @instance_id, as the pieces of
 * netpulse_frame_encode_pieces().  The record array is finished on first
 * use and shared by later calls: call it from one thread at a time for a
 * given @changes. */
GPtrArray            *netpulse_changes_build_frame          (NetpulseChanges      *changes,
                                                             guint64               sequence,
                                                             guint64               timestamp_ns,
                                                             guint32               flags,
                                                             const char           *instance_id);

/* The END frame: @reason's D-Bus error name and message in extra.  Every
 * frame's extra has "instance" (s): @instance_id, the helper run's. */
GBytes               *netpulse_frame_new_end                (guint64               sequence,
                                                             const GError         *reason,
                                                             const char           *instance_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetpulseChanges, netpulse_changes_unref)

G_END_DECLS
