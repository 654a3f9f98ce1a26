/* netpulse-service.h — the io.github.netpulse.Helper1 D-Bus service.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-collector.h"

G_BEGIN_DECLS

typedef struct {
  NetpulseCollectorConfig collector;
  guint                   idle_timeout_ms;  /* exit after this long without subscribers; 0 = never */
  gboolean                replace;          /* take over the bus name from a running helper */
  guint                   max_subscriptions_per_client;  /* 0 = default (4) */
  guint                   max_subscriptions;             /* 0 = default (64) */
  guint64                 sandbox_capabilities;  /* kept after attach (netpulse-sandbox.h) */
  const char             *state_dir;        /* the usage history's directory; NULL = default */
  guint64                 history_bucket_ms; /* 0 = one minute */
  const char             *system_root;      /* "/" (NULL) but for tests: netpulse-boot-unit.h */
  int                     quit_fd;          /* signalfd of SIGTERM/SIGINT (netpulse_all_threads_block_quit_signals()) */
} NetpulseServiceConfig;

/* Owns HELPER_BUS_NAME on the system bus (DBUS_SYSTEM_BUS_ADDRESS is
 * honoured), serves until idle, SIGTERM/SIGINT or the name is lost, and
 * returns the process exit status: 0 after a normal end (idle, signal,
 * replaced by another helper), 1 when the bus or the name could not be had. */
int netpulse_service_main (const NetpulseServiceConfig *config);

G_END_DECLS
