/* netpulse-user-names.h — user names for uids, looked up once each.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define NETPULSE_TYPE_USER_NAMES (netpulse_user_names_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseUserNames, netpulse_user_names, NETPULSE, USER_NAMES, GObject)

NetpulseUserNames *netpulse_user_names_new    (void);
/* The login name of @uid, or the number as text when there is none. */
const char        *netpulse_user_names_lookup (NetpulseUserNames *self,
                                               guint              uid);

G_END_DECLS
