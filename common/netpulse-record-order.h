/* netpulse-record-order.h — the orders of records that netpulsectl and the
 * app share, so that both sort a column alike.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-record.h"

G_BEGIN_DECLS

/* An address parsed once, when its record changes, so that sorting
 * compares bytes instead of parsing text at every comparison. */
typedef struct {
  guint8 bytes[17];   /* [0] the class: 0 none, 1 IPv4, 2 IPv6, 3 unparsable; then the address */
} NetpulseAddressKey;

/* A record with its address keys: what the CLI's table and the app's
 * connection objects hold. */
typedef struct {
  NetpulseRecord     record;
  NetpulseAddressKey local;
  NetpulseAddressKey remote;
} NetpulseKeyedRecord;

void netpulse_address_key_init     (NetpulseAddressKey        *key,
                                    const char                *text);
/* Copies @record into @keyed and parses its addresses: _init() both,
 * _set() (on a @keyed already holding a record) those whose text changed. */
void netpulse_keyed_record_init    (NetpulseKeyedRecord       *keyed,
                                    const NetpulseRecord      *record);
void netpulse_keyed_record_set     (NetpulseKeyedRecord       *keyed,
                                    const NetpulseRecord      *record);

/* Endpoints in numeric order (a text comparison puts 10.x before 9.x):
 * no address first, then IPv4, then IPv6, then anything unparsable (by
 * text); the port breaks a tie.  Negative when @a comes first. */
int  netpulse_compare_endpoint_keys (const NetpulseAddressKey *key_a,
                                     const char               *addr_a,
                                     guint16                   port_a,
                                     const NetpulseAddressKey *key_b,
                                     const char               *addr_b,
                                     guint16                   port_b);
/* The same for text that has no key yet (parses both). */
int  netpulse_compare_endpoints     (const char               *addr_a,
                                     guint16                   port_a,
                                     const char               *addr_b,
                                     guint16                   port_b);
int  netpulse_record_compare_local  (const NetpulseKeyedRecord *a,
                                     const NetpulseKeyedRecord *b);
int  netpulse_record_compare_remote (const NetpulseKeyedRecord *a,
                                     const NetpulseKeyedRecord *b);
/* TCP states by number: the kernel's order, which follows a connection's
 * life (ESTABLISHED first, LISTEN late), not the names' alphabet. */
int  netpulse_record_compare_state  (const NetpulseRecord      *a,
                                     const NetpulseRecord      *b);

G_END_DECLS
