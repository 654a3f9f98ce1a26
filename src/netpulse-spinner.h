/* netpulse-spinner.h
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void netpulse_spinner_set_wanted (GtkSpinner *spinner,
                                  gboolean    wanted);

G_END_DECLS
