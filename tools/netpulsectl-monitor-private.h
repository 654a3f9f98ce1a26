/* netpulsectl-monitor-private.h — what the files of “netpulsectl monitor”
 * share:
 *
 *   netpulsectl-monitor.c        options, the subscription, updates, exit
 *   netpulsectl-monitor-print.c  the table on a screen or in lines, JSON lines
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "netpulse-client.h"
#include "netpulse-user-names.h"
#include "netpulsectl-apps.h"
#include "netpulsectl-table.h"
#include "netpulsectl-terminal.h"

G_BEGIN_DECLS

typedef struct {
  GMainLoop          *loop;
  NetpulseClient     *client;
  NetpulsectlTable   *table;
  NetpulseUserNames  *users;        /* for the JSON mode's filter and sort */
  NetpulsectlApps    *apps;         /* --by app: totals of closed connections */
  NetpulsectlTerminal *terminal;
  GCancellable       *cancellable;
  int                 status;
  gboolean            stopping;

  /* options */
  gboolean            json;
  guint               count;        /* 0 = forever */
  NetpulsectlSortKey  sort;
  const char         *filter;
  gboolean            by_app;
  gboolean            screen;       /* the terminal's whole screen is ours */

  guint               updates;
  guint64             shown_ns;     /* the time of the table on screen, 0 before */
  guint64             warned_flows;  /* what the last JSON warning line said */
  guint64             warned_peers;
  gboolean            asked;        /* a tty agent could ask for a password */
  GError             *refusal;      /* NotAuthorized, while finding out why */
} Monitor;

/* Ends the program with @status: unsubscribes first, when subscribed. */
void  netpulsectl_monitor_stop        (Monitor      *monitor,
                                       int           status);

/* The summary, the warning and the table (or the applications) of now:
 * a whole screen on a terminal, lines otherwise. */
void  netpulsectl_monitor_print_table (Monitor      *monitor,
                                       guint64       timestamp_ns);
/* One JSON line per connection of @records (of NetpulseRecord), or with
 * --by app per application; a warning line when the counters changed. */
void  netpulsectl_monitor_print_json  (Monitor      *monitor,
                                       const GArray *records,
                                       guint64       timestamp_ns);

G_END_DECLS
