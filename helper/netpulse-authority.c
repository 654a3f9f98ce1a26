/* netpulse-authority.c — asks polkit whether a D-Bus caller may monitor.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-authority"

#include "config.h"

#include <polkit/polkit.h>

#include "netpulse-authority.h"
#include "netpulse-helper-error.h"

struct _NetpulseAuthority
{
  GObject  parent_instance;
  char    *action_id;         /* immutable after construction: no lock needed */
};

G_DEFINE_FINAL_TYPE (NetpulseAuthority, netpulse_authority, G_TYPE_OBJECT)

static void
netpulse_authority_finalize (GObject *object)
{
  NetpulseAuthority *self = NETPULSE_AUTHORITY (object);

  g_clear_pointer (&self->action_id, g_free);

  G_OBJECT_CLASS (netpulse_authority_parent_class)->finalize (object);
}

static void
netpulse_authority_class_init (NetpulseAuthorityClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = netpulse_authority_finalize;
}

static void
netpulse_authority_init (NetpulseAuthority *self)
{
}

NetpulseAuthority *
netpulse_authority_new (const char *action_id)
{
  NetpulseAuthority *self;

  g_return_val_if_fail (action_id != NULL, NULL);

  self = g_object_new (NETPULSE_TYPE_AUTHORITY, NULL);
  self->action_id = g_strdup (action_id);
  return self;
}

gboolean
netpulse_authority_check_sync (NetpulseAuthority  *self,
                               const char         *bus_name,
                               gboolean            interactive,
                               GCancellable       *cancellable,
                               GError            **error)
{
  g_autoptr(PolkitAuthority) authority = NULL;
  g_autoptr(PolkitSubject) subject = NULL;
  g_autoptr(PolkitAuthorizationResult) result = NULL;
  g_autoptr(GError) local_error = NULL;
  PolkitCheckAuthorizationFlags flags;

  g_return_val_if_fail (NETPULSE_IS_AUTHORITY (self), FALSE);
  g_return_val_if_fail (bus_name != NULL, FALSE);

  /* polkit keeps one authority per process and hands out references under
   * its own lock, so asking for it on every call is cheap and thread-safe;
   * it also means a polkitd that was restarted is found again. */
  authority = polkit_authority_get_sync (cancellable, &local_error);
  if (authority == NULL)
    {
      g_warning ("Cannot reach polkit: %s", local_error->message);
      g_set_error (error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_NOT_AUTHORIZED,
                   "Could not ask polkit for authorization: %s", local_error->message);
      return FALSE;
    }

  /* The bus name, not the pid: a pid can be recycled or belong to a
   * process that exec'd something else, a unique bus name cannot. */
  subject = polkit_system_bus_name_new (bus_name);
  flags = interactive ? POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION
                      : POLKIT_CHECK_AUTHORIZATION_FLAGS_NONE;

  result = polkit_authority_check_authorization_sync (authority, subject, self->action_id,
                                                      NULL, flags, cancellable, &local_error);
  if (result == NULL)
    {
      g_warning ("polkit could not check %s for %s: %s",
                 self->action_id, bus_name, local_error->message);
      g_set_error (error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_NOT_AUTHORIZED,
                   "Could not ask polkit for authorization: %s", local_error->message);
      return FALSE;
    }

  if (polkit_authorization_result_get_is_authorized (result))
    {
      g_debug ("%s is authorized for %s", bus_name, self->action_id);
      return TRUE;
    }

  g_message ("%s is not authorized for %s%s", bus_name, self->action_id,
             polkit_authorization_result_get_dismissed (result) ? " (prompt dismissed)" : "");

  if (polkit_authorization_result_get_dismissed (result))
    g_set_error_literal (error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_NOT_AUTHORIZED,
                         "The authentication request was dismissed");
  else if (polkit_authorization_result_get_is_challenge (result))
    g_set_error_literal (error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_NOT_AUTHORIZED,
                         "Authentication is required to monitor network connections, "
                         "and no authentication agent could ask for it");
  else
    g_set_error_literal (error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_NOT_AUTHORIZED,
                         "You are not allowed to monitor the network connections of this computer");

  return FALSE;
}
