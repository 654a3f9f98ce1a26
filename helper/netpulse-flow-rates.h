/* netpulse-flow-rates.h — the smoothed rates of one flow: a small ring of
 * (time, cumulative tx, cumulative rx) samples from which the average over
 * any window up to the largest one subscribed is read exactly.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

#include <linux/types.h>
#include "netpulse.h"

#include "netpulse-record.h"

G_BEGIN_DECLS

/* Samples kept per moving flow.  The ring is spaced one slot (the largest
 * window / (NETPULSE_FLOW_RATES_SAMPLES - 2)) apart, so it always reaches
 * back further than that window: 12 × 24 bytes, allocated when the flow
 * moves and freed when its average is back to 0 (an idle flow keeps only
 * since when it has been quiet). */
#define NETPULSE_FLOW_RATES_SAMPLES 12

typedef struct {
  guint64 t_ns;
  guint64 tx;
  guint64 rx;
} NetpulseRateSample;

typedef struct {
  guint64            tick_tx;    /* the totals at the last sample with per-tick rates */
  guint64            tick_rx;
  NetpulseRateSample *ring;      /* NETPULSE_FLOW_RATES_SAMPLES, while active */
  guint8             head;       /* the newest sample */
  guint8             len;
  gboolean           active;     /* the average over the largest window is not 0 */
  guint64            quiet_since_ns; /* totals unchanged since (0: since first seen) */
  guint64            last_tx;    /* the totals at the last sample of the table */
  guint64            last_rx;
} NetpulseFlowRates;

/* How the ring is kept: slot_ns apart, reporting a flow while its
 * average over max_window_ns is not 0; no average over less than
 * min_interval_ns. */
typedef struct {
  guint64 slot_ns;
  guint64 max_window_ns;
  guint64 min_interval_ns;
} NetpulseRateRules;

/* The table's clock for rates.  A sample too soon after the last one with
 * per-tick rates (less than min_interval_ns: the one made at once for the
 * first subscriber, right after the programs were loaded) gives none:
 * bytes over a few milliseconds would read as a huge spike.  The rates
 * stay as they were, and the next sample's cover the time since the last
 * one that had rates. */
typedef struct {
  NetpulseRateRules rules;
  guint64           base_ns;        /* the last sample with per-tick rates */
  guint64           saved_base_ns;  /* for cancel() */
  guint64           saved_now_ns;
  guint64           prev_ns;        /* the previous sample */
  gboolean          first;          /* this is the first: prev_ns saw no flow */
  guint64           now_ns;         /* this one */
  guint64           interval_ns;    /* of the per-tick rates; 0: none in this sample */
} NetpulseRateClock;

/* The defaults: 50 ms (half the shortest interval), NETPULSE_WINDOW_DEFAULT_MS. */
void     netpulse_rate_clock_init      (NetpulseRateClock       *clock);
/* The ring's slot is @max_window_ns / (NETPULSE_FLOW_RATES_SAMPLES - 2). */
void     netpulse_rate_clock_set_rules (NetpulseRateClock       *clock,
                                        guint64                  min_interval_ns,
                                        guint64                  max_window_ns);
/* A sample at @now_ns, @interval_ns after the previous one. */
void     netpulse_rate_clock_begin     (NetpulseRateClock       *clock,
                                        guint64                  now_ns,
                                        guint64                  interval_ns);
void     netpulse_rate_clock_cancel    (NetpulseRateClock       *clock);

/* The slow part of netpulse_flow_rates_update(). */
gboolean _netpulse_flow_rates_update_history (NetpulseFlowRates       *rates,
                                              const NetpulseRateClock *clock,
                                              guint64                  tx,
                                              guint64                  rx,
                                              guint64                  first_ns);

/* The flow's rates at this sample: the per-tick ones into @tx_rate and
 * @rx_rate (left alone in a sample without), and the smoothed ones'
 * history (none for a @closed flow; the kernel first counted it, from 0,
 * at flow->first_ns).  Returns whether the averages changed and the flow
 * must be reported: it moved, or its average is still decaying (the last
 * time it reaches 0 included).  Inline: every flow comes here every tick,
 * and one that did not move and whose average is 0 must cost no more than
 * a comparison. */
static inline gboolean
netpulse_flow_rates_update (NetpulseFlowRates       *rates,
                            const NetpulseRateClock *clock,
                            const struct np_flow    *flow,
                            gboolean                 closed,
                            double                  *tx_rate,
                            double                  *rx_rate)
{
  if (clock->interval_ns != 0)
    {
      *tx_rate = netpulse_compute_rate (rates->tick_tx, flow->tx_bytes, clock->interval_ns);
      *rx_rate = netpulse_compute_rate (rates->tick_rx, flow->rx_bytes, clock->interval_ns);
      rates->tick_tx = flow->tx_bytes;
      rates->tick_rx = flow->rx_bytes;
    }
  if (closed || (!rates->active && flow->tx_bytes == rates->last_tx && flow->rx_bytes == rates->last_rx))
    return FALSE;
  return _netpulse_flow_rates_update_history (rates, clock, flow->tx_bytes, flow->rx_bytes, flow->first_ns);
}

/* Frees the history (a closed flow has no rates). */
void     netpulse_flow_rates_clear   (NetpulseFlowRates       *rates);

/* The averages in bytes/s over the @window_ns before the clock's sample
 * (that of the last add()): the exact bytes over [t, now] divided by now - t, where
 * t is the window's start, or a sample up to a slot before it, or the
 * flow's first sample when it is younger than the window.  0 when that
 * covers less than the clock's min_interval_ns. */
void     netpulse_flow_rates_average (const NetpulseFlowRates *rates,
                                      const NetpulseRateClock *clock,
                                      guint64                  window_ns,
                                      double                  *tx_rate,
                                      double                  *rx_rate);
/* The same into @record's tx_rate_avg and rx_rate_avg; 0 for a closed
 * record (its rates are over). */
void     netpulse_flow_rates_fill    (const NetpulseFlowRates *rates,
                                      const NetpulseRateClock *clock,
                                      guint64                  window_ns,
                                      NetpulseRecord          *record);

G_END_DECLS
