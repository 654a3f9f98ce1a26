/* netpulse-verifier-log.h — where the log of a refused program goes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Writes @log to @path (a new file, 0600), or with @path NULL to
 * verifier.log in $RUNTIME_DIRECTORY or /run/netpulse (0700), and says
 * where in @summary. */
void netpulse_verifier_log_write (const char *path,
                                  GString    *log,
                                  GString    *summary);

G_END_DECLS
