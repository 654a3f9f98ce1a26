/* netpulse-netns.h — doing something once in every network namespace that
 * some process is in.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef void (*NetpulseNetnsFunc) (gpointer user_data);

/* Calls @func in our own network namespace, then inside each other one
 * (setns()), and comes back.  Without a way back only our own is done. */
void netpulse_netns_foreach (NetpulseNetnsFunc func,
                             gpointer          user_data);

G_END_DECLS
