/* netpulse-history.h — a ring buffer of rx/tx rate samples, one per tick.
 *
 * Samples are indexed by the store's tick counter.  A row that was not in an
 * update keeps its previous rates (the helper only sends what changed), so
 * ticks without a sample carry the last value forward: pushing costs
 * O(1) amortized and only rows that changed are touched.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _NetpulseHistory NetpulseHistory;

NetpulseHistory *netpulse_history_new      (guint                  capacity);
void             netpulse_history_free     (NetpulseHistory       *self);
guint            netpulse_history_get_capacity (const NetpulseHistory *self);
/* Records the rates at @tick; a second push for the same tick replaces it. */
void             netpulse_history_push     (NetpulseHistory       *self,
                                            guint64                tick,
                                            double                 rx,
                                            double                 tx);
/* Fills @rx and @tx (each @n long) with the samples of ticks
 * @tick - @n + 1 … @tick, oldest first.  Ticks before the first sample are 0. */
void             netpulse_history_get      (const NetpulseHistory *self,
                                            guint64                tick,
                                            guint                  n,
                                            double                *rx,
                                            double                *tx);
void             netpulse_history_clear    (NetpulseHistory       *self);
/* The tick of the first sample pushed since creation or the last clear
 * (G_MAXUINT64 when there is none). */
guint64          netpulse_history_get_first_tick (const NetpulseHistory *self);
/* The tick of the newest sample, 0 when there is none. */
guint64          netpulse_history_get_last_tick (const NetpulseHistory *self);
/* Where the first sample (see above) is among the @n samples up to @tick
 * that netpulse_history_get() fills, G_MAXUINT when it is not among
 * them: its rate spans a start-up interval. */
guint            netpulse_history_first_index (const NetpulseHistory *self,
                                               guint64                tick,
                                               guint                  n);

/* The full scale of a graph of @n samples (@rx and @tx, as from
 * netpulse_history_get()) that no lone spike sets: the larger of the two
 * directions per sample, sample @skip left out (the first sample of a row,
 * a rate over a start-up interval; G_MAXUINT for none), and of what
 * remains the second largest, so that one sample alone never rescales the
 * graph while two do.  The window moves with the data: a peak that
 * scrolled out no longer counts. */
double           netpulse_history_robust_peak (const double   *rx,
                                               const double   *tx,
                                               guint           n,
                                               guint           skip);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetpulseHistory, netpulse_history_free)

G_END_DECLS
