/* netpulse-view-options.h — what every cell needs to know besides its row:
 * units, whether to resolve names, the clock of the sparklines.  Cells
 * watch it, so a toggle redraws what is visible and nothing else.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-connection-store.h"
#include "netpulse-resolver.h"
#include "netpulse-row-filter.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_VIEW_OPTIONS (netpulse_view_options_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseViewOptions, netpulse_view_options, NETPULSE, VIEW_OPTIONS, GObject)

NetpulseViewOptions     *netpulse_view_options_new               (NetpulseConnectionStore *store,
                                                                  NetpulseResolver        *resolver);
NetpulseConnectionStore *netpulse_view_options_get_store         (NetpulseViewOptions     *self);
NetpulseResolver        *netpulse_view_options_get_resolver      (NetpulseViewOptions     *self);
gboolean                 netpulse_view_options_get_bits          (NetpulseViewOptions     *self);
void                     netpulse_view_options_set_bits          (NetpulseViewOptions     *self,
                                                                  gboolean                 bits);
gboolean                 netpulse_view_options_get_resolve_names (NetpulseViewOptions     *self);
void                     netpulse_view_options_set_resolve_names (NetpulseViewOptions     *self,
                                                                  gboolean                 resolve);
/* The full scale of the top-level graphs of the Applications view (0:
 * each graph its own). */
double                   netpulse_view_options_get_shared_scale  (NetpulseViewOptions     *self);
void                     netpulse_view_options_set_shared_scale  (NetpulseViewOptions     *self,
                                                                  double                   scale);

/* The filter of the view: a group's row counts the connections that its
 * settings let through (netpulse_row_filter_count_connections(); all of
 * them without a filter). */
void                     netpulse_view_options_set_filter        (NetpulseViewOptions     *self,
                                                                  NetpulseRowFilter       *filter);
guint                    netpulse_view_options_count_connections (NetpulseViewOptions     *self,
                                                                  NetpulseRow             *group);

/* "93.184.216.34:443", or with names "example.com:https". */
char                    *netpulse_view_options_format_endpoint   (NetpulseViewOptions     *self,
                                                                  const char              *address,
                                                                  guint16                  port,
                                                                  guint8                   proto,
                                                                  gboolean                 remote);

G_END_DECLS
