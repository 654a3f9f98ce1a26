/* netpulse-row.h — what a connection and a process group have in common:
 * the columns that both show (process, user, rates, totals, sparkline).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "netpulse-history.h"
#include "netpulse-text.h"     /* netpulse_text_contains(), for the matches() implementations */

G_BEGIN_DECLS

/* Samples a row keeps for its sparkline: one minute at the default interval. */
#define NETPULSE_ROW_HISTORY_LENGTH 60

#define NETPULSE_TYPE_ROW (netpulse_row_get_type ())

G_DECLARE_DERIVABLE_TYPE (NetpulseRow, netpulse_row, NETPULSE, ROW, GObject)

struct _NetpulseRowClass
{
  GObjectClass parent_class;

  /* Whether the row matches one lower-case search word. */
  gboolean (*matches) (NetpulseRow *self,
                       const char  *word);
};

guint64                netpulse_row_get_id           (NetpulseRow *self);
guint                  netpulse_row_get_pid          (NetpulseRow *self);
const char            *netpulse_row_get_comm         (NetpulseRow *self);
const char            *netpulse_row_get_display_name (NetpulseRow *self);
GIcon                 *netpulse_row_get_icon         (NetpulseRow *self);
guint                  netpulse_row_get_uid          (NetpulseRow *self);
const char            *netpulse_row_get_user         (NetpulseRow *self);
double                 netpulse_row_get_rx_rate      (NetpulseRow *self);
double                 netpulse_row_get_tx_rate      (NetpulseRow *self);
guint64                netpulse_row_get_rx_bytes     (NetpulseRow *self);
guint64                netpulse_row_get_tx_bytes     (NetpulseRow *self);
gboolean               netpulse_row_get_closed       (NetpulseRow *self);
double                 netpulse_row_get_opacity      (NetpulseRow *self);
guint64                netpulse_row_get_history_tick (NetpulseRow *self);
const NetpulseHistory *netpulse_row_get_history      (NetpulseRow *self);

void                   netpulse_row_set_process      (NetpulseRow *self,
                                                      guint        pid,
                                                      const char  *comm);
void                   netpulse_row_set_display      (NetpulseRow *self,
                                                      const char  *display_name,
                                                      GIcon       *icon);
void                   netpulse_row_set_user         (NetpulseRow *self,
                                                      guint        uid,
                                                      const char  *user);
/* Sets rates and totals and records the rates in the history at @tick. */
void                   netpulse_row_set_traffic      (NetpulseRow *self,
                                                      guint64      tick,
                                                      double       rx_rate,
                                                      double       tx_rate,
                                                      guint64      rx_bytes,
                                                      guint64      tx_bytes);
void                   netpulse_row_set_closed       (NetpulseRow *self,
                                                      gboolean     closed);
void                   netpulse_row_set_opacity      (NetpulseRow *self,
                                                      double       opacity);

/* Values change in place without notify: whoever shows a row watches it
 * with netpulse_row_watch(); its watchers are called, with their @data
 * only, once per update (netpulse_row_emit_changed(), by the model that
 * updated it) when anything changed.  Rows nobody watches cost nothing. */
void                   netpulse_row_mark_changed     (NetpulseRow *self);
void                   netpulse_row_emit_changed     (NetpulseRow *self);
gulong                 netpulse_row_watch            (NetpulseRow *self,
                                                      GCallback    callback,
                                                      gpointer     data);
/* Stops *@handler_id (a netpulse_row_watch() id) and sets it to 0. */
void                   netpulse_row_unwatch          (NetpulseRow *self,
                                                      gulong      *handler_id);

/* What sorting compares of the values that change each tick, as they were
 * at the last snapshot: a sort list model inserts new rows among rows
 * sorted by these, so they may only change when the whole list is sorted
 * again (else the sorter would contradict itself between two comparisons
 * and GTK warns "Comparison method violates its general contract"). */
typedef struct {
  double  rx_rate;
  double  tx_rate;
  guint64 bytes;
} NetpulseRowSortKeys;

void                   netpulse_row_snapshot_sort_keys (NetpulseRow *self);
const NetpulseRowSortKeys *netpulse_row_get_sort_keys  (NetpulseRow *self);

/* Every word of @search (split at spaces, case-insensitive) matches. */
gboolean               netpulse_row_matches          (NetpulseRow *self,
                                                      const char  *search);
gboolean               netpulse_row_matches_word     (NetpulseRow *self,
                                                      const char  *word);

G_END_DECLS
