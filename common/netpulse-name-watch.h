/* netpulse-name-watch.h — notices when a unique bus name leaves the bus.
 *
 * Used by the helper for each subscriber and by NetpulseClient for the
 * helper.  Unlike g_bus_watch_name(), which reports a name as vanished when
 * its GetNameOwner call fails for any reason (a 25 s timeout on a busy bus
 * included), "gone" is emitted only on a definite answer from the bus:
 * NameOwnerChanged with no new owner, or NameHasOwner saying false.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define NETPULSE_TYPE_NAME_WATCH (netpulse_name_watch_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseNameWatch, netpulse_name_watch, NETPULSE, NAME_WATCH, GObject)

/* Watches @unique_name (":1.42") on @connection.  A unique name never comes
 * back, so "gone" is emitted at most once; dropping the last reference
 * stops the watch, and no signal comes after that. */
NetpulseNameWatch *netpulse_name_watch_new      (GDBusConnection   *connection,
                                                 const char        *unique_name);
const char        *netpulse_name_watch_get_name (NetpulseNameWatch *self);
gboolean           netpulse_name_watch_is_gone  (NetpulseNameWatch *self);

G_END_DECLS
