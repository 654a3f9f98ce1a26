/* netpulse-sender.h — turns a tick's changes into frames on the
 * subscribers' streams.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "netpulse-collector.h"
#include "netpulse-subscription.h"

G_BEGIN_DECLS

/* The slow-reader rule: a subscriber whose stream has had no room for this
 * many intervals in a row, and for at least this long, is ended with
 * io.github.netpulse.Error.TooSlow. */
#define NETPULSE_SENDER_MAX_SKIPPED       10
#define NETPULSE_SENDER_MAX_SKIPPED_US    (10 * G_USEC_PER_SEC)

/* The main-context priority at which built frames are handed to their
 * streams: above the bus's method calls. */
#define NETPULSE_SENDER_PRIORITY          G_PRIORITY_HIGH

#define NETPULSE_TYPE_SENDER (netpulse_sender_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseSender, netpulse_sender, NETPULSE, SENDER, GObject)

/* Frames are built in a worker thread of the sender and written from the
 * main context of the thread that created it; their extra names the
 * helper run @instance_id. */
NetpulseSender *netpulse_sender_new      (const char           *instance_id);

/* For each subscription of @subscriptions (NetpulseSubscription) whose
 * interval has elapsed at @now_us: a frame with its changes since its last
 * one, unless it still has one in hand (then the interval is skipped).
 * Returns the subscriptions that broke the slow-reader rule, for the
 * caller to end. */
GPtrArray      *netpulse_sender_send_due (NetpulseSender       *self,
                                          NetpulseCollector    *collector,
                                          GPtrArray            *subscriptions,
                                          gint64                now_us);

/* The first frame of a new subscription (a SNAPSHOT), from the
 * collector's last sample. */
void            netpulse_sender_send_first (NetpulseSender       *self,
                                            NetpulseCollector    *collector,
                                            NetpulseSubscription *subscription);

/* Waits for the frames being built (on exit). */
void            netpulse_sender_shutdown (NetpulseSender       *self);

G_END_DECLS
