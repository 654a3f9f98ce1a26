/* netpulse-service.h — the io.github.netpulse.Helper1 D-Bus service.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-collector.h"

G_BEGIN_DECLS

typedef struct {
  NetpulseCollectorConfig collector;
  guint                   idle_timeout_ms;  /* exit after this long without subscribers */
  gboolean                replace;          /* take over the bus name from a running helper */
} NetpulseServiceConfig;

/* Owns HELPER_BUS_NAME on the system bus, serves until idle, returns the
 * process exit status. */
int netpulse_service_main (const NetpulseServiceConfig *config);

G_END_DECLS
