/* netpulsectl-private.h — what the files of netpulsectl share.
 *
 *   netpulsectl.c           main, exit status, errors, options, the tty agent
 *   netpulsectl-monitor.c   the monitor command (with netpulsectl-monitor-print.c,
 *                           netpulsectl-terminal.c, netpulsectl-apps.c)
 *   netpulsectl-status.c    the status command
 *   netpulsectl-usage.c     the usage command (the usage history)
 *   netpulsectl-usage-hosts.c  usage --hosts (the remote hosts per application)
 *   netpulsectl-recording.c the recording command (on, off, status)
 *   netpulsectl-metrics.c   the metrics command (Prometheus exposition, export)
 *   netpulsectl-table.c     the connection table (a library of its own, for tests)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "netpulse-client.h"
#include "netpulse-protocol.h"

G_BEGIN_DECLS

enum {
  EXIT_OK               = 0,
  EXIT_USAGE            = 1,
  EXIT_BUS_UNAVAILABLE  = 2,
  EXIT_HELPER_MISSING   = 3,
  EXIT_NOT_AUTHORIZED   = 4,
  EXIT_HELPER_FAILED    = 5,
};


int          netpulsectl_exit_status_for_error (const GError        *error);
void         netpulsectl_print_error           (const char          *message);
int          netpulsectl_report_error          (const GError        *error);
int          netpulsectl_usage_error           (const char          *command,
                                                const char          *message);
gboolean     netpulsectl_parse_options         (const char          *command,
                                                const char          *summary,
                                                const GOptionEntry  *entries,
                                                int                  argc,
                                                char               **argv,
                                                int                 *status);
GSubprocess *netpulsectl_start_tty_agent       (void);
void         netpulsectl_stop_tty_agent        (GSubprocess         *agent);

int          netpulsectl_cmd_monitor           (int                  argc,
                                                char               **argv);
/* A QueryUsage or QueryHosts page, waited for in a main loop
 * (netpulsectl-usage.c): @finish is the client's _finish function. */
typedef GVariant *(*NetpulsectlRowsFinish) (NetpulseClient  *client,
                                            GAsyncResult    *result,
                                            gboolean        *truncated,
                                            GError         **error);
typedef struct {
  GMainLoop             *loop;
  NetpulsectlRowsFinish  finish;
  GVariant              *reply;
  gboolean               truncated;
  GError                *error;
} NetpulsectlRowsCall;

/* Pages of 10 000 rows at most: two years of days for 100 applications is
 * 73 000 rows. */
#define NETPULSECTL_MAX_PAGES 100

void         netpulsectl_rows_cb               (GObject             *object,
                                                GAsyncResult        *result,
                                                gpointer             user_data);
/* `usage --hosts` with the range already parsed. */
int          netpulsectl_usage_hosts           (NetpulseClient      *client,
                                                guint64              since_ns,
                                                guint64              until_ns,
                                                const char          *app,
                                                gboolean             json);
int          netpulsectl_cmd_usage             (int                  argc,
                                                char               **argv);
int          netpulsectl_cmd_recording         (int                  argc,
                                                char               **argv);
int          netpulsectl_cmd_metrics           (int                  argc,
                                                char               **argv);
int          netpulsectl_cmd_status            (int                  argc,
                                                char               **argv);

G_END_DECLS
