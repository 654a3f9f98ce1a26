/* netpulse-helper-source.h — records from netpulse-helper on the system
 * bus, through NetpulseClient (which honours DBUS_SYSTEM_BUS_ADDRESS).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-source.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_HELPER_SOURCE (netpulse_helper_source_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseHelperSource, netpulse_helper_source, NETPULSE, HELPER_SOURCE, NetpulseSource)

NetpulseSource *netpulse_helper_source_new (guint interval_ms);

G_END_DECLS
