/* netpulse-connection.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-connection"

#include "config.h"

#include <string.h>

#include "netpulse-connection.h"
#include "netpulse-record-order.h"

struct _NetpulseConnection
{
  NetpulseRow     parent_instance;

  /* The record, its addresses parsed for sorting: while the connection is
   * in the store, the store's own (its record table entry, updated in
   * place: one copy of each connection's state); else @own. */
  NetpulseKeyedRecord *keyed;
  NetpulseKeyedRecord *own;
  gboolean        local;       /* of the record's addresses, for the filter */
  guint64         process_tick; /* the tick its pid or comm last changed */
  guint64         closed_at;
  guint           position;
};

G_DEFINE_FINAL_TYPE (NetpulseConnection, netpulse_connection, NETPULSE_TYPE_ROW)

enum {
  PROP_0,
  PROP_PROTO,
  PROP_FAMILY,
  PROP_LADDR,
  PROP_LPORT,
  PROP_RADDR,
  PROP_RPORT,
  PROP_STATE,
  PROP_RTT_US,
  PROP_RETRANS,
  PROP_FLAGS,
  PROP_LAST_SEEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
netpulse_connection_matches (NetpulseRow *row,
                             const char  *word)
{
  NetpulseConnection *self = NETPULSE_CONNECTION (row);
  const NetpulseRecord *r = &self->keyed->record;
  char lport[8], rport[8];

  if (NETPULSE_ROW_CLASS (netpulse_connection_parent_class)->matches (row, word))
    return TRUE;

  g_snprintf (lport, sizeof lport, "%u", r->lport);
  g_snprintf (rport, sizeof rport, "%u", r->rport);
  return netpulse_text_contains (r->laddr, word) ||
         netpulse_text_contains (r->raddr, word) ||
         strcmp (lport, word) == 0 ||
         (r->rport != 0 && strcmp (rport, word) == 0) ||
         g_strcmp0 (netpulse_record_proto_name (r), word) == 0 ||
         netpulse_text_contains (netpulse_tcp_state_name (r->state), word);
}

static void
netpulse_connection_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  NetpulseConnection *self = NETPULSE_CONNECTION (object);
  const NetpulseRecord *r = &self->keyed->record;

  switch (prop_id)
    {
    case PROP_PROTO:     g_value_set_uint (value, r->proto); break;
    case PROP_FAMILY:    g_value_set_uint (value, r->family); break;
    case PROP_LADDR:     g_value_set_string (value, r->laddr); break;
    case PROP_LPORT:     g_value_set_uint (value, r->lport); break;
    case PROP_RADDR:     g_value_set_string (value, r->raddr); break;
    case PROP_RPORT:     g_value_set_uint (value, r->rport); break;
    case PROP_STATE:     g_value_set_uint (value, r->state); break;
    case PROP_RTT_US:    g_value_set_uint (value, r->rtt_us); break;
    case PROP_RETRANS:   g_value_set_uint (value, r->retrans); break;
    case PROP_FLAGS:     g_value_set_uint (value, r->flags); break;
    case PROP_LAST_SEEN: g_value_set_uint64 (value, r->last_seen_ns); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
ro_uint (const char *name)
{
  return g_param_spec_uint (name, NULL, NULL, 0, G_MAXUINT, 0,
                            G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static void
netpulse_connection_finalize (GObject *object)
{
  g_free (NETPULSE_CONNECTION (object)->own);

  G_OBJECT_CLASS (netpulse_connection_parent_class)->finalize (object);
}

static void
netpulse_connection_class_init (NetpulseConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NetpulseRowClass *row_class = NETPULSE_ROW_CLASS (klass);

  object_class->finalize = netpulse_connection_finalize;
  object_class->get_property = netpulse_connection_get_property;
  row_class->matches = netpulse_connection_matches;

  properties[PROP_PROTO] = ro_uint ("proto");
  properties[PROP_FAMILY] = ro_uint ("family");
  properties[PROP_LADDR] =
    g_param_spec_string ("laddr", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LPORT] = ro_uint ("lport");
  properties[PROP_RADDR] =
    g_param_spec_string ("raddr", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RPORT] = ro_uint ("rport");
  properties[PROP_STATE] = ro_uint ("state");
  properties[PROP_RTT_US] = ro_uint ("rtt-us");
  properties[PROP_RETRANS] = ro_uint ("retrans");
  properties[PROP_FLAGS] = ro_uint ("flags");
  properties[PROP_LAST_SEEN] =
    g_param_spec_uint64 ("last-seen", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
netpulse_connection_init (NetpulseConnection *self)
{
}

/* Traffic that never leaves the machine: between two equal addresses, to
 * a loopback address (127.0.0.0/8, ::1) or to ::ffff:127.x.  From the
 * parsed address: nothing to allocate or parse per call. */
static gboolean
addresses_are_local (NetpulseConnection *self)
{
  const NetpulseRecord *r = &self->keyed->record;
  const guint8 *remote = self->keyed->remote.bytes;
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  static const guint8 loopback6[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

  if (r->raddr[0] == '\0')
    return FALSE;
  if (strcmp (r->raddr, r->laddr) == 0)
    return TRUE;
  switch (remote[0])
    {
    case 1:  /* IPv4 */
      return remote[1] == 127;
    case 2:  /* IPv6 */
      return memcmp (remote + 1, loopback6, sizeof loopback6) == 0 ||
             (memcmp (remote + 1, mapped, sizeof mapped) == 0 && remote[13] == 127);
    default:
      return FALSE;
    }
}

static NetpulseConnection *
connection_new (NetpulseKeyedRecord *keyed,
                guint64              tick)
{
  NetpulseConnection *self;
  const NetpulseRecord *record = &keyed->record;

  self = g_object_new (NETPULSE_TYPE_CONNECTION, "id", record->id, NULL);
  self->keyed = keyed;
  self->local = addresses_are_local (self);
  self->process_tick = tick;
  netpulse_row_set_process (NETPULSE_ROW (self), record->pid, record->comm);
  netpulse_row_set_traffic (NETPULSE_ROW (self), tick,
                            record->rx_rate, record->tx_rate,
                            record->rx_bytes, record->tx_bytes);
  return self;
}

NetpulseConnection *
netpulse_connection_new (const NetpulseRecord *record,
                         guint64               tick)
{
  NetpulseKeyedRecord *own;
  NetpulseConnection *self;

  g_return_val_if_fail (record != NULL, NULL);

  own = g_new (NetpulseKeyedRecord, 1);
  netpulse_keyed_record_init (own, record);
  self = connection_new (own, tick);
  self->own = own;
  return self;
}

NetpulseConnection *
netpulse_connection_new_shared (NetpulseKeyedRecord *keyed,
                                guint64              tick)
{
  g_return_val_if_fail (keyed != NULL, NULL);

  return connection_new (keyed, tick);
}

void
netpulse_connection_unshare (NetpulseConnection *self)
{
  g_return_if_fail (NETPULSE_IS_CONNECTION (self));

  if (self->own != NULL)
    return;
  self->own = g_memdup2 (self->keyed, sizeof *self->keyed);
  self->keyed = self->own;
}

gboolean
netpulse_connection_refresh (NetpulseConnection *self,
                             guint64             tick)
{
  NetpulseRow *row = NETPULSE_ROW (self);
  const NetpulseRecord *record = &self->keyed->record;
  gboolean process_changed;

  g_return_val_if_fail (NETPULSE_IS_CONNECTION (self), FALSE);

  process_changed = netpulse_row_get_pid (row) != record->pid ||
                    strcmp (netpulse_row_get_comm (row), record->comm) != 0;
  if (process_changed)
    {
      netpulse_row_set_process (row, record->pid, record->comm);
      self->process_tick = tick;
    }
  netpulse_row_set_traffic (row, tick, record->rx_rate, record->tx_rate,
                            record->rx_bytes, record->tx_bytes);
  self->local = addresses_are_local (self);
  /* Any field of the record may have changed. */
  netpulse_row_mark_changed (row);
  return process_changed;
}

gboolean
netpulse_connection_update (NetpulseConnection   *self,
                            const NetpulseRecord *record,
                            guint64               tick)
{
  g_return_val_if_fail (NETPULSE_IS_CONNECTION (self), FALSE);
  g_return_val_if_fail (record != NULL, FALSE);
  g_return_val_if_fail (self->own != NULL, FALSE);

  netpulse_keyed_record_set (self->own, record);
  return netpulse_connection_refresh (self, tick);
}

const NetpulseRecord *
netpulse_connection_get_record (NetpulseConnection *self)
{
  return &self->keyed->record;
}

const NetpulseKeyedRecord *
netpulse_connection_get_keyed (NetpulseConnection *self)
{
  return self->keyed;
}

guint8      netpulse_connection_get_proto  (NetpulseConnection *self) { return self->keyed->record.proto; }
const char *netpulse_connection_get_laddr  (NetpulseConnection *self) { return self->keyed->record.laddr; }
guint16     netpulse_connection_get_lport  (NetpulseConnection *self) { return self->keyed->record.lport; }
const char *netpulse_connection_get_raddr  (NetpulseConnection *self) { return self->keyed->record.raddr; }
guint16     netpulse_connection_get_rport  (NetpulseConnection *self) { return self->keyed->record.rport; }
guint8      netpulse_connection_get_state  (NetpulseConnection *self) { return self->keyed->record.state; }
guint32     netpulse_connection_get_rtt_us (NetpulseConnection *self) { return self->keyed->record.rtt_us; }

guint64
netpulse_connection_get_closed_at (NetpulseConnection *self)
{
  return self->closed_at;
}

void
netpulse_connection_mark_closed (NetpulseConnection *self,
                                 guint64             when_ns)
{
  if (netpulse_row_get_closed (NETPULSE_ROW (self)))
    return;
  self->closed_at = when_ns;
  self->keyed->record.flags |= NETPULSE_RECORD_CLOSED;
  netpulse_row_set_closed (NETPULSE_ROW (self), TRUE);
}

guint
netpulse_connection_get_position (NetpulseConnection *self)
{
  return self->position;
}

void
netpulse_connection_set_position (NetpulseConnection *self,
                                  guint               position)
{
  self->position = position;
}

/* Worked out when the record changes, where it is read anyway: the filter
 * asks for every row on every update, long after. */
gboolean
netpulse_connection_is_local (NetpulseConnection *self)
{
  return self->local;
}

guint64
netpulse_connection_get_process_tick (NetpulseConnection *self)
{
  return self->process_tick;
}
