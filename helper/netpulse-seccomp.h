/* netpulse-seccomp.h — the helper's seccomp filter (see the .c for the list).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sets no_new_privs and installs the filter in every thread of the
 * process (TSYNC).  Once attached: it also refuses loading programs. */
gboolean netpulse_seccomp_install (GError **error);

G_END_DECLS
