/* netpulse-view-options.h — what every cell needs to know besides its row:
 * units, whether to resolve names, the clock of the sparklines.  Cells
 * watch it, so a toggle redraws what is visible and nothing else.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-connection-store.h"
#include "netpulse-resolver.h"

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

/* "93.184.216.34:443", or with names "example.com:https". */
char                    *netpulse_view_options_format_endpoint   (NetpulseViewOptions     *self,
                                                                  const char              *address,
                                                                  guint16                  port,
                                                                  guint8                   proto,
                                                                  gboolean                 remote);

G_END_DECLS
