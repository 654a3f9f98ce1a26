/* netpulse-test-hooks-private.h — the view dump's friend files.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-window-private.h"

G_BEGIN_DECLS

/* netpulse-test-hooks-input.c: what the keyboard and the search changed. */
void _netpulse_test_hooks_dump_input (GString        *out,
                                      NetpulseWindow *window);

G_END_DECLS
