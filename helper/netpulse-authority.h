/* netpulse-authority.h — asks polkit whether a D-Bus caller may monitor.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define NETPULSE_TYPE_AUTHORITY (netpulse_authority_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseAuthority, netpulse_authority, NETPULSE, AUTHORITY, GObject)

NetpulseAuthority *netpulse_authority_new         (const char         *action_id);

/* Blocks (a password prompt may be up for minutes): call it from a worker
 * thread only.  Safe to call from several threads at once.  Checks the
 * caller by its system bus name, never by pid.  FALSE with
 * NETPULSE_HELPER_ERROR_NOT_AUTHORIZED when polkit says no, the prompt was
 * dismissed or polkit could not be asked. */
gboolean           netpulse_authority_check_sync  (NetpulseAuthority  *self,
                                                   const char         *bus_name,
                                                   gboolean            interactive,
                                                   GCancellable       *cancellable,
                                                   GError            **error);

G_END_DECLS
