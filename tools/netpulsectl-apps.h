/* netpulsectl-apps.h — `netpulsectl monitor --by app`: the connections
 * added up per application, like nethogs' per-program view.
 *
 * An application is a record's (app_kind, app_id), or its command name
 * while the helper leaves app_id empty.  Its totals are those of its
 * connections that are open now plus those of the ones that closed while
 * monitoring (netpulsectl_apps_add_closed()), so that they only grow; its
 * rate is the sum of its connections' smoothed rates (tx_rate_avg,
 * rx_rate_avg; the per-tick rates of a record that has no smoothed ones).
 *
 * No D-Bus and no terminal in here: the unit tests drive it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

#include "netpulse-record.h"

G_BEGIN_DECLS

typedef struct {
  char    *app_id;        /* never NULL; "-" for no name at all */
  guint8   app_kind;      /* NetpulseAppKind */
  guint    processes;     /* distinct pids among its open connections */
  guint    connections;   /* open connections (closing ones included) */
  double   tx_rate;       /* bytes/s, smoothed where the helper smooths */
  double   rx_rate;
  guint64  tx_bytes;      /* since monitoring began */
  guint64  rx_bytes;
} NetpulsectlApp;

typedef struct _NetpulsectlApps NetpulsectlApps;

NetpulsectlApps *netpulsectl_apps_new        (void);
void        netpulsectl_apps_free            (NetpulsectlApps      *apps);

/* Remembers the final totals of @record, a connection that closed and
 * leaves the table now. */
void        netpulsectl_apps_add_closed      (NetpulsectlApps      *apps,
                                              const NetpulseRecord *record);

/* The applications of @records (NetpulseRecord *, the open connections and
 * those closing now) and of every application seen closing before, highest
 * smoothed rate first, then highest total, then by name.  Free with
 * g_ptr_array_unref(). */
GPtrArray  *netpulsectl_apps_collect         (NetpulsectlApps      *apps,
                                              GPtrArray            *records);

/* The record's application name and kind, as the rows group them. */
const char *netpulsectl_record_app_id        (const NetpulseRecord *record);
guint8      netpulsectl_record_app_kind      (const NetpulseRecord *record);

/* Appends the table of @rows (NetpulsectlApp *), at most @max_rows of
 * them (0: all) then a line saying how many more, fitting @width cells
 * (0: no limit). */
void        netpulsectl_apps_format          (GPtrArray            *rows,
                                              guint                 max_rows,
                                              guint                 width,
                                              GString              *out);

/* One JSON object, no newline: {"type":"app","ts_ns":…,"app_id":…,
 * "app_kind":…,"processes":…,"connections":…,"tx_bytes":…,"rx_bytes":…,
 * "tx_rate":…,"rx_rate":…}. */
void        netpulsectl_app_append_json      (const NetpulsectlApp *app,
                                              guint64               ts_ns,
                                              GString              *out);

G_END_DECLS
