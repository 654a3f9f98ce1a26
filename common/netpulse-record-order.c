/* netpulse-record-order.c — orders of records shared by netpulsectl and
 * the app.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "netpulse-record-order.h"

#define CMP(a, b) (((a) > (b)) - ((a) < (b)))

/* @key[0] is the class (0 none, 1 IPv4, 2 IPv6, 3 unparsable), the rest
 * the address bytes. */
static void
address_key (const char *text,
             guint8      key[17])
{
  memset (key, 0, 17);
  if (text == NULL || text[0] == '\0')
    return;
  if (inet_pton (AF_INET, text, key + 1) == 1)
    key[0] = 1;
  else if (inet_pton (AF_INET6, text, key + 1) == 1)
    key[0] = 2;
  else
    key[0] = 3;
}

int
netpulse_compare_endpoints (const char *addr_a,
                            guint16     port_a,
                            const char *addr_b,
                            guint16     port_b)
{
  guint8 a[17], b[17];
  int cmp;

  address_key (addr_a, a);
  address_key (addr_b, b);
  cmp = memcmp (a, b, sizeof a);
  if (cmp == 0 && a[0] == 3)
    cmp = g_strcmp0 (addr_a, addr_b);
  if (cmp != 0)
    return cmp;
  return CMP (port_a, port_b);
}

int
netpulse_record_compare_local (const NetpulseRecord *a,
                               const NetpulseRecord *b)
{
  return netpulse_compare_endpoints (a->laddr, a->lport, b->laddr, b->lport);
}

int
netpulse_record_compare_remote (const NetpulseRecord *a,
                                const NetpulseRecord *b)
{
  return netpulse_compare_endpoints (a->raddr, a->rport, b->raddr, b->rport);
}

int
netpulse_record_compare_state (const NetpulseRecord *a,
                               const NetpulseRecord *b)
{
  return CMP (a->state, b->state);
}
