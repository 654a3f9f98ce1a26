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

void
netpulse_address_key_init (NetpulseAddressKey *key,
                           const char         *text)
{
  memset (key->bytes, 0, sizeof key->bytes);
  if (text == NULL || text[0] == '\0')
    return;
  if (inet_pton (AF_INET, text, key->bytes + 1) == 1)
    key->bytes[0] = 1;
  else if (inet_pton (AF_INET6, text, key->bytes + 1) == 1)
    key->bytes[0] = 2;
  else
    key->bytes[0] = 3;
}

void
netpulse_keyed_record_init (NetpulseKeyedRecord  *keyed,
                            const NetpulseRecord *record)
{
  netpulse_address_key_init (&keyed->local, record->laddr);
  netpulse_address_key_init (&keyed->remote, record->raddr);
  keyed->record = *record;
}

/* A text field from @src, its bytes past the end zero as they were;
 * TRUE if it changed.  Mostly it has not, and one comparison is all it
 * costs: measuring both and copying, for each of seven fields of 10,000
 * records every tick, was a tenth of the app's update. */
static gboolean
assign_text (char       *dst,
             const char *src,
             gsize       size)
{
  gsize n, old;

  if (strncmp (dst, src, size - 1) == 0)
    return FALSE;
  n = strnlen (src, size - 1);
  old = strnlen (dst, size - 1);
  memcpy (dst, src, n);
  memset (dst + n, 0, old > n ? old - n : 1);
  return TRUE;
}

#define ASSIGN_U64(name)     dst->record.name = src->name;
#define ASSIGN_U32(name)     ASSIGN_U64 (name)
#define ASSIGN_U16(name)     ASSIGN_U64 (name)
#define ASSIGN_U8(name)      ASSIGN_U64 (name)
#define ASSIGN_DOUBLE(name)  ASSIGN_U64 (name)
#define ASSIGN_PROTO(name)   ASSIGN_U64 (name)
#define ASSIGN_STATE(name)   ASSIGN_U64 (name)
#define ASSIGN_FLAGS(name)   ASSIGN_U64 (name)
#define ASSIGN_APPKIND(name) ASSIGN_U64 (name)
#define ASSIGN_COMM(name)    assign_text (dst->record.name, src->name, sizeof dst->record.name);
#define ASSIGN_TEXT(name)    ASSIGN_COMM (name)
/* An address parsed into its key only when it changed: rarely. */
#define ASSIGN_ADDR(name) \
  if (assign_text (dst->record.name, src->name, sizeof dst->record.name)) \
    netpulse_address_key_init (address_key_of (dst, G_STRUCT_OFFSET (NetpulseRecord, name)), dst->record.name);
#define ASSIGN(kind, name, max) ASSIGN_##kind (name)

/* The key of the address field at @offset of the record. */
static NetpulseAddressKey *
address_key_of (NetpulseKeyedRecord *keyed,
                goffset              offset)
{
  if (offset == G_STRUCT_OFFSET (NetpulseRecord, laddr))
    return &keyed->local;
  g_assert (offset == G_STRUCT_OFFSET (NetpulseRecord, raddr));
  return &keyed->remote;
}

/* Field by field: the text fields are arrays of up to 257 bytes, mostly
 * empty; copying the whole record (over 1 KiB) for each of 10,000
 * connections each tick was most of applying an update. */
void
netpulse_keyed_record_set (NetpulseKeyedRecord  *dst,
                           const NetpulseRecord *src)
{
  NETPULSE_RECORD_FIELDS (ASSIGN)
}

int
netpulse_compare_endpoint_keys (const NetpulseAddressKey *key_a,
                                const char               *addr_a,
                                guint16                   port_a,
                                const NetpulseAddressKey *key_b,
                                const char               *addr_b,
                                guint16                   port_b)
{
  int cmp = memcmp (key_a->bytes, key_b->bytes, sizeof key_a->bytes);

  if (cmp == 0 && key_a->bytes[0] == 3)
    cmp = g_strcmp0 (addr_a, addr_b);
  if (cmp != 0)
    return cmp;
  return CMP (port_a, port_b);
}

int
netpulse_compare_endpoints (const char *addr_a,
                            guint16     port_a,
                            const char *addr_b,
                            guint16     port_b)
{
  NetpulseAddressKey a, b;

  netpulse_address_key_init (&a, addr_a);
  netpulse_address_key_init (&b, addr_b);
  return netpulse_compare_endpoint_keys (&a, addr_a, port_a, &b, addr_b, port_b);
}

int
netpulse_record_compare_local (const NetpulseKeyedRecord *a,
                               const NetpulseKeyedRecord *b)
{
  return netpulse_compare_endpoint_keys (&a->local, a->record.laddr, a->record.lport,
                                         &b->local, b->record.laddr, b->record.lport);
}

int
netpulse_record_compare_remote (const NetpulseKeyedRecord *a,
                                const NetpulseKeyedRecord *b)
{
  return netpulse_compare_endpoint_keys (&a->remote, a->record.raddr, a->record.rport,
                                         &b->remote, b->record.raddr, b->record.rport);
}

int
netpulse_record_compare_state (const NetpulseRecord *a,
                               const NetpulseRecord *b)
{
  return CMP (a->state, b->state);
}
