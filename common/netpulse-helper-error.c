/* netpulse-helper-error.c — the io.github.netpulse.Error.* D-Bus errors.
 *
 * Registering the domain with GDBus works both ways: the helper's
 * g_dbus_method_invocation_return_gerror() sends our own error names instead
 * of the generic org.gtk.GDBus.UnmappedGError, and the client receives them
 * back as NETPULSE_HELPER_ERROR codes (netpulse-client-error.c), so no
 * side compares error names as strings.  Lives in common/ for that reason.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <string.h>

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

/* A caller's string as an error message may quote it: escaped, and cut to
 * a short prefix.  Error replies must not echo what a caller sent: a 1 MiB
 * object path sent back in every NoSuchSubscription made the helper's
 * memory grow with each such call, and the bus's with it. */
char *
netpulse_helper_error_quote (const char *input)
{
  g_autofree char *prefix = NULL;
  g_autofree char *escaped = NULL;
  gsize length;

  g_return_val_if_fail (input != NULL, NULL);

  length = strlen (input);
  if (length <= NETPULSE_HELPER_ERROR_QUOTE_MAX)
    return g_strescape (input, NULL);

  /* g_strescape() leaves only printable ASCII: a cut inside a character
   * cannot make the message invalid UTF-8. */
  prefix = g_strndup (input, NETPULSE_HELPER_ERROR_QUOTE_MAX);
  escaped = g_strescape (prefix, NULL);
  return g_strdup_printf ("%s… (%" G_GSIZE_FORMAT " bytes)", escaped, length);
}
