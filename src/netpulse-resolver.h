/* netpulse-resolver.h — host names for remote addresses (reverse DNS,
 * asynchronous, cached) and service names for ports (/etc/services).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define NETPULSE_TYPE_RESOLVER (netpulse_resolver_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseResolver, netpulse_resolver, NETPULSE, RESOLVER, GObject)

NetpulseResolver *netpulse_resolver_new          (void);
/* The host name of @address if known; otherwise NULL, and a lookup starts
 * ("resolved" is emitted when it ends). */
const char       *netpulse_resolver_lookup_host  (NetpulseResolver *self,
                                                  const char       *address);
/* "https" for 443/TCP, or NULL. */
const char       *netpulse_resolver_service_name (NetpulseResolver *self,
                                                  guint16           port,
                                                  guint8            proto);

/* Signals: "resolved" (const char *address) */

G_END_DECLS
