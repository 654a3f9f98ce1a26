/* netpulse-application.h
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define NETPULSE_TYPE_APPLICATION (netpulse_application_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseApplication, netpulse_application, NETPULSE, APPLICATION, AdwApplication)

NetpulseApplication *netpulse_application_new (void);

G_END_DECLS
