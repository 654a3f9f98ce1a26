/* netpulse-memory.h
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean netpulse_memory_trim_if_worth (gsize *trimmed_free,
                                        gsize *released);

G_END_DECLS
