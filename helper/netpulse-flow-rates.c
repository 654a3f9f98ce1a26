/* netpulse-flow-rates.c — smoothed rates from a small ring of cumulative
 * samples (see netpulse-flow-rates.h).
 *
 * Why cumulative totals at sample times and not an average of per-tick
 * rates: the bytes over a window are then one subtraction, exact whatever
 * the ticks were, and one ring serves every window up to the largest, so
 * subscriptions with different windows share the same history.  The
 * samples need not be at every tick: one per slot is enough, and a flow
 * that stopped moving is not sampled at all once its average is 0: its ring
 * is freed, and only since when it has been quiet is kept.  When it moves
 * again, its totals then and at the table's previous sample go in first, so
 * the ring knows it was idle until then.  Two samples with the same total
 * mean no byte moved between them: a window that starts between them starts
 * exactly there, not at the older sample.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-collector"

#include "config.h"

#include "netpulse-flow-rates.h"
#include "netpulse-protocol.h"

#define MS (G_GUINT64_CONSTANT (1000000))

void
netpulse_rate_clock_init (NetpulseRateClock *clock)
{
  *clock = (NetpulseRateClock) { 0 };
  netpulse_rate_clock_set_rules (clock, NETPULSE_INTERVAL_MIN_MS / 2 * MS, NETPULSE_WINDOW_DEFAULT_MS * MS);
}

void
netpulse_rate_clock_set_rules (NetpulseRateClock *clock,
                               guint64            min_interval_ns,
                               guint64            max_window_ns)
{
  g_assert (max_window_ns > 0);

  clock->rules.min_interval_ns = MAX (min_interval_ns, 1);
  clock->rules.max_window_ns = max_window_ns;
  clock->rules.slot_ns = max_window_ns / (NETPULSE_FLOW_RATES_SAMPLES - 2);
}

void
netpulse_rate_clock_begin (NetpulseRateClock *clock,
                           guint64            now_ns,
                           guint64            interval_ns)
{
  clock->saved_base_ns = clock->base_ns;
  clock->saved_now_ns = clock->now_ns;
  clock->now_ns = now_ns;
  clock->prev_ns = now_ns - MIN (interval_ns, now_ns);
  clock->first = clock->base_ns == 0;
  if (clock->first)
    clock->base_ns = clock->prev_ns;
  clock->interval_ns = now_ns - MIN (clock->base_ns, now_ns);
  if (clock->interval_ns < clock->rules.min_interval_ns)
    clock->interval_ns = 0;
  else
    clock->base_ns = now_ns;
}

void
netpulse_rate_clock_cancel (NetpulseRateClock *clock)
{
  /* prev_ns, first and interval_ns only matter during a sample. */
  clock->base_ns = clock->saved_base_ns;
  clock->now_ns = clock->saved_now_ns;
}

/* The @k-th newest sample, 0 = the newest; @k < len. */
static const NetpulseRateSample *
nth_newest (const NetpulseFlowRates *rates,
            guint                    k)
{
  return &rates->ring[(rates->head + NETPULSE_FLOW_RATES_SAMPLES - k) % NETPULSE_FLOW_RATES_SAMPLES];
}

static void
push (NetpulseFlowRates *rates,
      guint64            t_ns,
      guint64            tx,
      guint64            rx)
{
  if (rates->ring == NULL)
    rates->ring = g_new (NetpulseRateSample, NETPULSE_FLOW_RATES_SAMPLES);
  if (rates->len > 0)
    rates->head = (rates->head + 1) % NETPULSE_FLOW_RATES_SAMPLES;
  rates->ring[rates->head] = (NetpulseRateSample) { .t_ns = t_ns, .tx = tx, .rx = rx };
  if (rates->len < NETPULSE_FLOW_RATES_SAMPLES)
    rates->len++;
}

static guint64
sample_total (const NetpulseRateSample *sample,
              gboolean                  tx)
{
  return tx ? sample->tx : sample->rx;
}

/* Where the window before @now_ns starts for one direction: its time and
 * the total then.  FALSE when the ring is empty. */
static gboolean
window_start (const NetpulseFlowRates *rates,
              guint64                  now_ns,
              guint64                  window_ns,
              gboolean                 tx,
              guint64                 *start_ns,
              guint64                 *start_total)
{
  guint64 start = now_ns > window_ns ? now_ns - window_ns : 0;
  guint64 newer_total = tx ? rates->last_tx : rates->last_rx;

  if (rates->len == 0)
    return FALSE;

  for (guint k = 0; k < rates->len; k++)
    {
      const NetpulseRateSample *sample = nth_newest (rates, k);

      if (sample->t_ns <= start)
        {
          *start_total = sample_total (sample, tx);
          /* Nothing moved from this sample to the next one: the window's
           * start had the same total. */
          *start_ns = newer_total == *start_total ? start : sample->t_ns;
          return TRUE;
        }
      newer_total = sample_total (sample, tx);
    }

  /* Younger than the window: since its first sample. */
  *start_ns = nth_newest (rates, rates->len - 1)->t_ns;
  *start_total = sample_total (nth_newest (rates, rates->len - 1), tx);
  return TRUE;
}

static gboolean
moved_in_window (const NetpulseFlowRates *rates,
                 guint64                  now_ns,
                 guint64                  window_ns)
{
  guint64 start_ns, tx_start, rx_start;

  if (!window_start (rates, now_ns, window_ns, TRUE, &start_ns, &tx_start) ||
      !window_start (rates, now_ns, window_ns, FALSE, &start_ns, &rx_start))
    return FALSE;
  return tx_start != rates->last_tx || rx_start != rates->last_rx;
}

void
netpulse_flow_rates_clear (NetpulseFlowRates *rates)
{
  g_clear_pointer (&rates->ring, g_free);
  rates->len = 0;
  rates->head = 0;
  rates->active = FALSE;
}

/* It moves after a quiet time: what is known of that time goes in first.
 * Its totals were the same since quiet_since_ns (since the kernel first
 * counted it, with 0, for a flow that never moved), and at the previous
 * sample of the table — unless that was the first, which saw no flow. */
static void
start_history (NetpulseFlowRates       *rates,
               const NetpulseRateClock *clock,
               guint64                  first_ns)
{
  guint64 quiet_ns = rates->quiet_since_ns != 0 ? rates->quiet_since_ns : first_ns;

  quiet_ns = MIN (quiet_ns, clock->now_ns);
  push (rates, quiet_ns, rates->last_tx, rates->last_rx);
  if (!clock->first && clock->prev_ns > quiet_ns)
    push (rates, clock->prev_ns, rates->last_tx, rates->last_rx);
}

gboolean
_netpulse_flow_rates_update_history (NetpulseFlowRates       *rates,
                                     const NetpulseRateClock *clock,
                                     guint64                  tx,
                                     guint64                  rx,
                                     guint64                  first_ns)
{
  guint64 now_ns = clock->now_ns, window_ns = clock->rules.max_window_ns;
  gboolean moved = tx != rates->last_tx || rx != rates->last_rx;

  if (!moved && !rates->active)
    return FALSE;

  if (!rates->active)
    start_history (rates, clock, first_ns);
  if (now_ns - nth_newest (rates, 0)->t_ns >= clock->rules.slot_ns)
    push (rates, now_ns, tx, rx);
  rates->last_tx = tx;
  rates->last_rx = rx;
  rates->active = moved_in_window (rates, now_ns, window_ns);

  /* Back to 0 in every window: nothing moved since a window before now. */
  if (!rates->active)
    {
      rates->quiet_since_ns = now_ns > window_ns ? now_ns - window_ns : 0;
      netpulse_flow_rates_clear (rates);
    }
  return TRUE;
}

static double
average (const NetpulseFlowRates *rates,
         const NetpulseRateClock *clock,
         guint64                  window_ns,
         gboolean                 tx)
{
  guint64 now_ns = clock->now_ns;
  guint64 start_ns, start_total;
  guint64 total = tx ? rates->last_tx : rates->last_rx;

  if (!window_start (rates, now_ns, window_ns, tx, &start_ns, &start_total) ||
      now_ns < start_ns + clock->rules.min_interval_ns || total < start_total)
    return 0.0;
  return (double) (total - start_total) * 1e9 / (double) (now_ns - start_ns);
}

void
netpulse_flow_rates_average (const NetpulseFlowRates *rates,
                             const NetpulseRateClock *clock,
                             guint64                  window_ns,
                             double                  *tx_rate,
                             double                  *rx_rate)
{
  /* Not moved within the largest window: 0 in every window. */
  if (!rates->active)
    {
      *tx_rate = *rx_rate = 0.0;
      return;
    }
  *tx_rate = average (rates, clock, window_ns, TRUE);
  *rx_rate = average (rates, clock, window_ns, FALSE);
}

void
netpulse_flow_rates_fill (const NetpulseFlowRates *rates,
                          const NetpulseRateClock *clock,
                          guint64                  window_ns,
                          NetpulseRecord          *record)
{
  if (record->flags & NETPULSE_RECORD_CLOSED)
    record->tx_rate_avg = record->rx_rate_avg = 0.0;
  else
    netpulse_flow_rates_average (rates, clock, window_ns, &record->tx_rate_avg, &record->rx_rate_avg);
}
