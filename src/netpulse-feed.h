/* netpulse-feed.h — the one path from a source to the connection store.
 *
 * Each "update" and "snapshot" of the source is applied to the store; while
 * paused they are merged instead (newest record per connection wins) and
 * applied in one go on resume, so that pausing loses no close and no total.
 * The window only sets the source and the paused state and redraws on
 * "applied": it never holds a record.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-connection-store.h"
#include "netpulse-source.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_FEED (netpulse_feed_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseFeed, netpulse_feed, NETPULSE, FEED, GObject)

NetpulseFeed            *netpulse_feed_new         (NetpulseConnectionStore *store);
NetpulseConnectionStore *netpulse_feed_get_store   (NetpulseFeed            *self);
NetpulseSource          *netpulse_feed_get_source  (NetpulseFeed            *self);
/* Takes its updates from @source from now on (NULL: from none). */
void                     netpulse_feed_set_source  (NetpulseFeed            *self,
                                                    NetpulseSource          *source);
gboolean                 netpulse_feed_get_paused  (NetpulseFeed            *self);
/* Resuming applies what was held back, then emits "applied". */
void                     netpulse_feed_set_paused  (NetpulseFeed            *self,
                                                    gboolean                 paused);
/* Whether updates are held back, waiting for the resume. */
gboolean                 netpulse_feed_has_pending (NetpulseFeed            *self);

/*
 * Signals:
 *   "applied" () after the store took an update (as it came, or what was
 *       held back, on resume).
 * Properties: "store" (construct-only), "source", "paused".
 */

G_END_DECLS
