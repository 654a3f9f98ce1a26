/* netpulse-client-error.c — D-Bus errors in NetpulseClient's terms.
 *
 * No error name is compared as a string here: GIO registers the bus
 * daemon's errors (G_DBUS_ERROR) and netpulse-helper-error.c registers the
 * helper's (NETPULSE_HELPER_ERROR), so a reply's error arrives as a GError
 * with its domain and code, and a name in an END frame or Ended signal is
 * turned into one the same way.  The client registers the helper's domain
 * when its class is initialized, before any reply can arrive.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "netpulse-client-private.h"
#include "netpulse-helper-error.h"

G_DEFINE_QUARK (netpulse-client-error-quark, netpulse_client_error)

/* Activation failed: every org.freedesktop.DBus.Error.Spawn.* name. */
static gboolean
is_spawn_error (const GError *error)
{
  return error->domain == G_DBUS_ERROR &&
         error->code >= G_DBUS_ERROR_SPAWN_EXEC_FAILED &&
         error->code <= G_DBUS_ERROR_SPAWN_NO_MEMORY;
}

/* The connection to the bus itself is gone (bus restarted, socket closed):
 * our own error, not one a peer sent. */
static gboolean
is_bus_closed_error (const GError *error)
{
  return !g_dbus_error_is_remote_error (error) &&
         (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED) ||
          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED) ||
          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) ||
          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED));
}

/* @error with the domain and code its D-Bus name is registered for.  A
 * remote error made before the helper's domain was registered (nothing of
 * the client had run yet) came as G_IO_ERROR_DBUS_ERROR: looking its name
 * up again now finds the code. */
static GError *
registered_error (const GError *error)
{
  g_autofree char *name = NULL;
  g_autoptr(GError) stripped = NULL;

  (void) NETPULSE_HELPER_ERROR;
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_DBUS_ERROR) ||
      (name = g_dbus_error_get_remote_error (error)) == NULL)
    return g_error_copy (error);

  stripped = g_error_copy (error);
  g_dbus_error_strip_remote_error (stripped);
  return g_dbus_error_new_for_dbus_error (name, stripped->message);
}

GError *
netpulse_client_error_from_dbus (const GError *remote)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) stripped = NULL;

  g_return_val_if_fail (remote != NULL, NULL);

  if (remote->domain == NETPULSE_CLIENT_ERROR ||
      g_error_matches (remote, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (remote);

  error = registered_error (remote);
  stripped = g_error_copy (error);
  g_dbus_error_strip_remote_error (stripped);

  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
      is_spawn_error (error))
    return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_MISSING,
                        _("The Netpulse helper is not installed or cannot be started: %s"),
                        stripped->message);

  /* The bus daemon itself refused to pass the call on: the helper's bus
   * policy (system.d) is not installed, so the helper is not usable.  Only
   * the message tells this AccessDenied from polkit's. */
  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED) &&
      strstr (stripped->message, "Rejected send message") != NULL)
    return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_MISSING,
                        _("The system bus refused to reach the Netpulse helper; is its bus policy "
                          "(dbus-1/system.d/io.github.netpulse.Helper1.conf) installed? %s"),
                        stripped->message);

  if (g_error_matches (error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_NOT_AUTHORIZED) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED))
    return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_NOT_AUTHORIZED,
                        /* The helper says what was refused (monitoring, or the usage
                         * history's settings). */
                        _("Not authorized: %s"),
                        stripped->message);

  if (is_bus_closed_error (error))
    return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_BUS_UNAVAILABLE,
                        _("Lost the connection to the system bus: %s"),
                        stripped->message);

  return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_FAILED,
                      _("The Netpulse helper failed: %s"), stripped->message);
}

GError *
_netpulse_client_bus_unavailable_error (const GError *error)
{
  return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_BUS_UNAVAILABLE,
                      _("Cannot connect to the system bus: %s"), error->message);
}

/* The reason of an END frame or Ended signal, in our terms.  @error_name
 * is a D-Bus error name: the registered domain turns it back into a code. */
GError *
_netpulse_client_ended_error (const char *error_name,
                              const char *message)
{
  GQuark helper_error = NETPULSE_HELPER_ERROR;   /* registered before the lookup */
  g_autoptr(GError) reason = g_dbus_error_new_for_dbus_error (error_name, message);

  if (g_error_matches (reason, helper_error, NETPULSE_HELPER_ERROR_NOT_AUTHORIZED))
    return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_NOT_AUTHORIZED,
                        _("No longer authorized to monitor network connections: %s"), message);
  if (g_error_matches (reason, helper_error, NETPULSE_HELPER_ERROR_TOO_SLOW))
    return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_SUBSCRIPTION_ENDED,
                        _("The Netpulse helper ended the subscription because this program "
                          "did not keep up with it: %s"), message);
  return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_SUBSCRIPTION_ENDED,
                      _("The Netpulse helper ended the subscription: %s"), message);
}

GError *
_netpulse_client_broken_stream_error (const char *message)
{
  return g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_FAILED,
                      _("The Netpulse helper's stream is broken: %s"), message);
}
