/* netpulse-helper-error.c — the io.github.netpulse.Error.* D-Bus errors.
 *
 * Registering the domain with GDBus makes g_dbus_method_invocation_return_gerror()
 * send our own error names instead of the generic org.gtk.GDBus.UnmappedGError.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include "netpulse-helper-error.h"

static const GDBusErrorEntry netpulse_helper_error_entries[] = {
  { NETPULSE_HELPER_ERROR_NOT_AUTHORIZED,         "io.github.netpulse.Error.NotAuthorized" },
  { NETPULSE_HELPER_ERROR_INVALID_OPTION,         "io.github.netpulse.Error.InvalidOption" },
  { NETPULSE_HELPER_ERROR_TOO_MANY_SUBSCRIPTIONS, "io.github.netpulse.Error.TooManySubscriptions" },
  { NETPULSE_HELPER_ERROR_NO_SUCH_SUBSCRIPTION,   "io.github.netpulse.Error.NoSuchSubscription" },
  { NETPULSE_HELPER_ERROR_BACKEND_FAILED,         "io.github.netpulse.Error.BackendFailed" },
  { NETPULSE_HELPER_ERROR_TOO_SLOW,               "io.github.netpulse.Error.TooSlow" },
  { NETPULSE_HELPER_ERROR_BUSY,                   "io.github.netpulse.Error.Busy" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (netpulse_helper_error_entries) == NETPULSE_HELPER_N_ERRORS);

GQuark
netpulse_helper_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("netpulse-helper-error-quark",
                                      &quark,
                                      netpulse_helper_error_entries,
                                      G_N_ELEMENTS (netpulse_helper_error_entries));
  return (GQuark) quark;
}
