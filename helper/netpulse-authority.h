/* netpulse-authority.h — asks polkit whether a D-Bus caller may monitor.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define NETPULSE_TYPE_AUTHORITY (netpulse_authority_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseAuthority, netpulse_authority, NETPULSE, AUTHORITY, GObject)

/* What polkit said. */
typedef enum {
  NETPULSE_AUTHORITY_AUTHORIZED,
  NETPULSE_AUTHORITY_CHALLENGE,    /* not without authentication (a password) */
  NETPULSE_AUTHORITY_DENIED,       /* an explicit no, or the prompt was dismissed */
  NETPULSE_AUTHORITY_FAILED,       /* polkit could not be asked, or the check was cancelled */
} NetpulseAuthorityResult;

NetpulseAuthority      *netpulse_authority_new          (const char           *action_id);

/* Asks polkit about the caller @bus_name (by its unique name, never by
 * pid), asynchronously: the answer comes in the thread-default main
 * context of the caller.  With @interactive, polkit may ask the user
 * through an authentication agent, which can take minutes; cancelling
 * @cancellable withdraws the request from polkitd, which then takes the
 * agent's dialog down. */
void                    netpulse_authority_check        (NetpulseAuthority    *self,
                                                         const char           *bus_name,
                                                         gboolean              interactive,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
/* Anything but AUTHORIZED comes with @error set, in
 * NETPULSE_HELPER_ERROR_NOT_AUTHORIZED (or G_IO_ERROR_CANCELLED), with a
 * message for the caller. */
NetpulseAuthorityResult netpulse_authority_check_finish (NetpulseAuthority    *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

/* Signals:
 *   "changed" ()  polkitd's rules or authorizations changed (its Changed
 *                 signal): earlier answers may no longer hold. */

G_END_DECLS
