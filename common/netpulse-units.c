/* netpulse-units.c — sizes, rates and round-trip times as text.
 *
 * Sizes and byte rates are GLib's (g_format_size_full(): SI prefixes,
 * translated with GLib, PB and EB beyond TB), written with an ordinary
 * space as before rather than GLib's no-break space, so that a script
 * reading netpulsectl's table splits them as it did.  Below 1000 the short
 * symbol "B" stays: GLib's "bytes" is too wide for a column.
 *
 * Bit rates keep their own units: GLib writes bits as "kb", "Mb", which
 * beside a byte count read as kilobytes; "kbit/s" cannot be misread.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n-lib.h>

#include "netpulse-units.h"

/* "1.5 kB" + @suffix, for @value ≥ 1000. */
static char *
format_size (guint64     value,
             const char *suffix)
{
  g_autofree char *number = g_format_size_full (value, G_FORMAT_SIZE_ONLY_VALUE);
  g_autofree char *unit = g_format_size_full (value, G_FORMAT_SIZE_ONLY_UNIT);

  return g_strconcat (number, " ", unit, suffix, NULL);
}

char *
netpulse_format_bytes (guint64 bytes)
{
  if (bytes < 1000)
    /* Translators: units of data sizes and rates below 1000 bytes */
    return g_strdup_printf ("%" G_GUINT64_FORMAT " %s", bytes, _("B"));
  return format_size (bytes, "");
}

static char *
format_bit_rate (double bits_per_second)
{
  const char *units[] = { N_("bit/s"), N_("kbit/s"), N_("Mbit/s"), N_("Gbit/s") };
  double value = bits_per_second;
  guint unit = 0;

  while (value >= 1000.0 && unit + 1 < G_N_ELEMENTS (units))
    {
      value /= 1000.0;
      unit++;
    }

  if (unit == 0)
    return g_strdup_printf ("%.0f %s", value, _(units[0]));
  return g_strdup_printf ("%.1f %s", value, _(units[unit]));
}

char *
netpulse_format_rate (double   bytes_per_second,
                      gboolean bits)
{
  if (bytes_per_second < 0.0 || isnan (bytes_per_second))
    bytes_per_second = 0.0;

  if (bits)
    return format_bit_rate (bytes_per_second * 8.0);
  if (bytes_per_second < 1000.0)
    return g_strdup_printf ("%.0f %s", bytes_per_second, _("B/s"));
  return format_size ((guint64) bytes_per_second, "/s");
}

char *
netpulse_format_rtt (guint32 rtt_us)
{
  if (rtt_us == 0)
    return g_strdup ("");
  if (rtt_us < 1000)
    /* Translators: a round-trip time in microseconds */
    return g_strdup_printf (_("%u µs"), rtt_us);
  if (rtt_us < 1000000)
    /* Translators: a round-trip time in milliseconds */
    return g_strdup_printf (_("%.1f ms"), rtt_us / 1000.0);
  /* Translators: a round-trip time in seconds */
  return g_strdup_printf (_("%.2f s"), rtt_us / 1000000.0);
}
