/* netpulse-history.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-history"

#include "config.h"

#include "netpulse-history.h"

/* Every row and group has one: at 10,000 connections the samples as
 * doubles in two more blocks took 10 MB and 20,000 allocations.  Samples
 * are single floats in the same block (a graph needs no more than 7
 * digits; the totals shown are exact and kept elsewhere). */
struct _NetpulseHistory
{
  guint    capacity;
  guint    len;        /* valid samples, ≤ capacity */
  guint    head;       /* slot of the newest sample */
  guint64  head_tick;  /* tick of the newest sample */
  guint64  first_tick; /* tick of the first sample since the last clear */
  float   *rx;         /* both in samples[] */
  float   *tx;
  float    samples[];  /* rx, then tx: capacity each */
};

NetpulseHistory *
netpulse_history_new (guint capacity)
{
  NetpulseHistory *self;

  g_return_val_if_fail (capacity > 0, NULL);

  self = g_malloc0 (sizeof *self + 2 * (gsize) capacity * sizeof (float));
  self->capacity = capacity;
  self->rx = self->samples;
  self->tx = self->samples + capacity;
  self->first_tick = G_MAXUINT64;
  return self;
}

void
netpulse_history_free (NetpulseHistory *self)
{
  g_free (self);
}

guint
netpulse_history_get_capacity (const NetpulseHistory *self)
{
  return self->capacity;
}

void
netpulse_history_clear (NetpulseHistory *self)
{
  self->len = 0;
  self->head = 0;
  self->head_tick = 0;
  self->first_tick = G_MAXUINT64;
}

guint64
netpulse_history_get_last_tick (const NetpulseHistory *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->len > 0 ? self->head_tick : 0;
}

guint64
netpulse_history_get_first_tick (const NetpulseHistory *self)
{
  return self->first_tick;
}

double
netpulse_history_robust_peak (const double *rx,
                              const double *tx,
                              guint         n,
                              guint         skip)
{
  double first = 0.0, second = 0.0;

  for (guint i = 0; i < n; i++)
    {
      double v = MAX (rx[i], tx[i]);

      if (i == skip)
        continue;
      if (v > first)
        {
          second = first;
          first = v;
        }
      else if (v > second)
        second = v;
    }
  return second;
}

static void
append_slot (NetpulseHistory *self,
             double           rx,
             double           tx)
{
  self->head = (self->head + 1) % self->capacity;
  self->rx[self->head] = (float) rx;
  self->tx[self->head] = (float) tx;
  self->len = MIN (self->len + 1, self->capacity);
}

void
netpulse_history_push (NetpulseHistory *self,
                       guint64          tick,
                       double           rx,
                       double           tx)
{
  guint64 gap;

  g_return_if_fail (self != NULL);

  if (self->len == 0)
    {
      self->head = 0;
      self->rx[0] = (float) rx;
      self->tx[0] = (float) tx;
      self->len = 1;
      self->head_tick = tick;
      self->first_tick = tick;
      return;
    }

  if (tick <= self->head_tick)
    {
      /* Same tick again (or a clock that went back): the newest value wins. */
      self->rx[self->head] = (float) rx;
      self->tx[self->head] = (float) tx;
      return;
    }

  /* Ticks that had no sample repeat the last value; more than a full ring
   * of them is the same as a full ring. */
  gap = MIN (tick - self->head_tick - 1, (guint64) self->capacity);
  for (guint64 i = 0; i < gap; i++)
    append_slot (self, self->rx[self->head], self->tx[self->head]);
  append_slot (self, rx, tx);
  self->head_tick = tick;
}

void
netpulse_history_get (const NetpulseHistory *self,
                      guint64                tick,
                      guint                  n,
                      double                *rx,
                      double                *tx)
{
  g_return_if_fail (self != NULL);

  for (guint i = 0; i < n; i++)
    {
      guint64 back = n - 1 - i;
      guint64 sample_tick;
      guint64 age;

      rx[i] = tx[i] = 0.0;
      if (self->len == 0 || back > tick)
        continue;

      sample_tick = tick - back;
      if (sample_tick >= self->head_tick)
        {
          rx[i] = self->rx[self->head];
          tx[i] = self->tx[self->head];
          continue;
        }

      age = self->head_tick - sample_tick;
      if (age >= self->len)
        continue;
      rx[i] = self->rx[(self->head + self->capacity - age) % self->capacity];
      tx[i] = self->tx[(self->head + self->capacity - age) % self->capacity];
    }
}

guint
netpulse_history_first_index (const NetpulseHistory *self,
                              guint64                tick,
                              guint                  n)
{
  guint64 oldest = tick + 1 >= n ? tick + 1 - n : 0;

  if (self->first_tick == G_MAXUINT64 || self->first_tick < oldest || self->first_tick > tick)
    return G_MAXUINT;
  /* Before tick n - 1 the window begins before tick 0. */
  return (guint) (self->first_tick - oldest) + (tick + 1 < n ? (guint) (n - tick - 1) : 0);
}
