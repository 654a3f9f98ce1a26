/* helper-args.h — command-line arguments of the helper's test programs
 * (helper-test-client, helper-flood).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @text as a number; otherwise says so, as @program, and exits 1. */
guint helper_args_parse_uint (const char *program,
                              const char *text);

G_END_DECLS
