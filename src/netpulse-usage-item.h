/* netpulse-usage-item.h — one application of the Usage view's list: its
 * name and icon, what it moved over the range, and the colour of its
 * stack in the chart.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "netpulse-usage-data.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_USAGE_ITEM (netpulse_usage_item_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseUsageItem, netpulse_usage_item, NETPULSE, USAGE_ITEM, GObject)

/* @color: the index of its series in the chart (-1: folded into "Other"). */
NetpulseUsageItem *netpulse_usage_item_new          (const NetpulseUsageApp *app,
                                                     int                     color);
const char        *netpulse_usage_item_get_app_kind (NetpulseUsageItem      *self);
const char        *netpulse_usage_item_get_app_id   (NetpulseUsageItem      *self);
const char        *netpulse_usage_item_get_name     (NetpulseUsageItem      *self);
GIcon             *netpulse_usage_item_get_icon     (NetpulseUsageItem      *self);
guint64            netpulse_usage_item_get_rx_bytes (NetpulseUsageItem      *self);
guint64            netpulse_usage_item_get_tx_bytes (NetpulseUsageItem      *self);
int                netpulse_usage_item_get_color    (NetpulseUsageItem      *self);

G_END_DECLS
