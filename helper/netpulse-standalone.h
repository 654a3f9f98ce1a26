/* netpulse-standalone.h — the collector without D-Bus: records on stdout.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-collector.h"

G_BEGIN_DECLS

typedef struct {
  NetpulseCollectorConfig collector;
  guint                   interval_ms;   /* between samples */
  guint                   duration_s;    /* 0 = until SIGINT/SIGTERM */
  gboolean                json;          /* JSON lines instead of a table */
  guint64                 sandbox_capabilities;  /* kept after attach (netpulse-sandbox.h) */
  int                     quit_fd;       /* signalfd of SIGTERM/SIGINT (netpulse_all_threads_block_quit_signals()) */
} NetpulseStandaloneConfig;

/* Runs the collector and prints, once per interval, every open connection
 * and every connection that closed since the previous tick.  Returns the
 * process exit status (77 when not permitted to load BPF programs). */
int netpulse_standalone_main (const NetpulseStandaloneConfig *config);

G_END_DECLS
