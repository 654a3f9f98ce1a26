/* netpulse-helper-error.h — the io.github.netpulse.Error.* D-Bus errors.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define NETPULSE_HELPER_ERROR (netpulse_helper_error_quark ())

/* Each code is sent as the D-Bus error name in the comment (see
 * data/io.github.netpulse.Helper1.xml). */
typedef enum {
  NETPULSE_HELPER_ERROR_NOT_AUTHORIZED,          /* io.github.netpulse.Error.NotAuthorized */
  NETPULSE_HELPER_ERROR_INVALID_OPTION,          /* io.github.netpulse.Error.InvalidOption */
  NETPULSE_HELPER_ERROR_TOO_MANY_SUBSCRIPTIONS,  /* io.github.netpulse.Error.TooManySubscriptions */
  NETPULSE_HELPER_ERROR_NO_SUCH_SUBSCRIPTION,    /* io.github.netpulse.Error.NoSuchSubscription */
  NETPULSE_HELPER_ERROR_BACKEND_FAILED,          /* io.github.netpulse.Error.BackendFailed */
  NETPULSE_HELPER_ERROR_TOO_SLOW,                /* io.github.netpulse.Error.TooSlow */
  NETPULSE_HELPER_ERROR_BUSY,                    /* io.github.netpulse.Error.Busy */
} NetpulseHelperError;

#define NETPULSE_HELPER_N_ERRORS (NETPULSE_HELPER_ERROR_BUSY + 1)

/* The most bytes of a caller's input that an error message quotes. */
#define NETPULSE_HELPER_ERROR_QUOTE_MAX 64

GQuark netpulse_helper_error_quark (void);

char  *netpulse_helper_error_quote (const char *input);

G_END_DECLS
