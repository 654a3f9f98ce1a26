/* netpulse-service.c — placeholder until the D-Bus service lands.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include "netpulse-service.h"

int
netpulse_service_main (const NetpulseServiceConfig *config)
{
  g_printerr ("netpulse-helper: the D-Bus service is not implemented yet\n");
  return 1;
}
