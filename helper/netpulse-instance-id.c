/* netpulse-instance-id.c — the id of one run of the helper.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-helper"

#include "config.h"

#include <errno.h>
#include <sys/random.h>

#include "netpulse-instance-id.h"

#define INSTANCE_ID_BYTES 16

char *
netpulse_instance_id_new (void)
{
  guint8 bytes[INSTANCE_ID_BYTES];
  GString *hex = g_string_sized_new (2 * INSTANCE_ID_BYTES);
  gsize got = 0;

  /* The kernel's generator, not GLib's (seeded from the time and pid,
   * which two runs may well share in a container). */
  while (got < sizeof bytes)
    {
      ssize_t n = getrandom (bytes + got, sizeof bytes - got, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          /* Only a kernel without getrandom(2): GLib's generator, seeded
           * from /dev/urandom, will do for an id that is no secret. */
          g_warning ("getrandom() failed: %s", g_strerror (errno));
          for (; got < sizeof bytes; got++)
            bytes[got] = (guint8) g_random_int_range (0, 256);
          break;
        }
      got += (gsize) n;
    }

  for (guint i = 0; i < sizeof bytes; i++)
    g_string_append_printf (hex, "%02x", bytes[i]);
  return g_string_free (hex, FALSE);
}
