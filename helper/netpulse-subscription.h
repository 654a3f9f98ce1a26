/* netpulse-subscription.h — one Subscribe()d stream of Update signals.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "netpulse-collector.h"

G_BEGIN_DECLS

#define NETPULSE_SUBSCRIPTION_MIN_INTERVAL_MS      100
#define NETPULSE_SUBSCRIPTION_MAX_INTERVAL_MS      10000
#define NETPULSE_SUBSCRIPTION_DEFAULT_INTERVAL_MS  1000

#define NETPULSE_TYPE_SUBSCRIPTION (netpulse_subscription_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseSubscription, netpulse_subscription, NETPULSE, SUBSCRIPTION, GObject)

/* Validates Subscribe()'s a{sv} @options; on success fills @interval_ms.
 * Errors are NETPULSE_HELPER_ERROR_INVALID_OPTION with a message naming
 * the key. */
gboolean              netpulse_subscription_parse_options  (GVariant              *options,
                                                            guint                 *interval_ms,
                                                            GError               **error);

NetpulseSubscription *netpulse_subscription_new            (const char            *object_path,
                                                            const char            *owner,
                                                            guint                  interval_ms);

const char           *netpulse_subscription_get_object_path (NetpulseSubscription *self);
/* The subscriber's unique bus name: the destination of its Updates. */
const char           *netpulse_subscription_get_owner       (NetpulseSubscription *self);
guint                 netpulse_subscription_get_interval_ms (NetpulseSubscription *self);
/* The sequence number of the last Update built, 0 before the first. */
guint64               netpulse_subscription_get_sequence    (NetpulseSubscription *self);

/* Whether an Update is due at @now_us (g_get_monotonic_time()): the first
 * one is due at once, later ones when the interval has passed.
 * @slack_us absorbs timer jitter. */
gboolean              netpulse_subscription_is_due          (NetpulseSubscription *self,
                                                             gint64                now_us,
                                                             gint64                slack_us);

/* The collector generation this subscription's next Update starts from
 * (0 before the first: everything). */
guint64               netpulse_subscription_get_generation  (NetpulseSubscription *self);

/* Moves the subscription to the collector's current generation for an
 * Update sent now; returns that Update's sequence number. */
guint64               netpulse_subscription_advance         (NetpulseSubscription *self,
                                                             NetpulseCollector    *collector,
                                                             gint64                now_us);

/* GetSnapshot()'s reply (ta(…)): every open connection and the sequence of
 * the last Update.  Does not advance the state: the next Update still
 * carries every change since the previous one, so closes that happened
 * before the snapshot are not lost. */
GVariant             *netpulse_subscription_snapshot        (NetpulseSubscription *self,
                                                             NetpulseCollector    *collector);

/* The records that changed after some generation, copied out of the
 * collector (main thread, cheap) so that the expensive part, making D-Bus
 * values of them, can happen in another thread and be shared by every
 * subscription at that generation. */
typedef struct _NetpulseChanges NetpulseChanges;

NetpulseChanges      *netpulse_changes_collect              (NetpulseCollector    *collector,
                                                             guint64               since_generation);
NetpulseChanges      *netpulse_changes_ref                  (NetpulseChanges      *changes);
void                  netpulse_changes_unref                (NetpulseChanges      *changes);
guint                 netpulse_changes_get_n_records        (NetpulseChanges      *changes);

/* The parameters (ott a(…) at) of an Update signal.  The record array is
 * built on first use and shared by later calls: call it from one thread at
 * a time for a given @changes. */
GVariant             *netpulse_changes_build_update         (NetpulseChanges      *changes,
                                                             const char           *object_path,
                                                             guint64               sequence,
                                                             guint64               timestamp_ns);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetpulseChanges, netpulse_changes_unref)

G_END_DECLS
