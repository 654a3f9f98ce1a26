/* netpulse-process-group.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-process-group"

#include "config.h"

#include "netpulse-process-group.h"

struct _NetpulseProcessGroup
{
  NetpulseRow  parent_instance;

  char        *key;
  GListStore  *connections;  /* the tree's child model; owns them */
  GPtrArray   *members;      /* the same connections, borrowed: for sums */
  guint        position;
  double       app_rx_rate;  /* the rates an application counts (app_rates()) */
  double       app_tx_rate;
};

G_DEFINE_FINAL_TYPE (NetpulseProcessGroup, netpulse_process_group, NETPULSE_TYPE_ROW)

enum {
  PROP_0,
  PROP_N_CONNECTIONS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
netpulse_process_group_matches (NetpulseRow *row,
                                const char  *word)
{
  NetpulseProcessGroup *self = NETPULSE_PROCESS_GROUP (row);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->connections));

  if (NETPULSE_ROW_CLASS (netpulse_process_group_parent_class)->matches (row, word))
    return TRUE;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NetpulseRow) conn = g_list_model_get_item (G_LIST_MODEL (self->connections), i);

      if (netpulse_row_matches_word (conn, word))
        return TRUE;
    }
  return FALSE;
}

static void
netpulse_process_group_finalize (GObject *object)
{
  NetpulseProcessGroup *self = NETPULSE_PROCESS_GROUP (object);

  g_clear_pointer (&self->key, g_free);
  g_clear_pointer (&self->members, g_ptr_array_unref);
  g_clear_object (&self->connections);

  G_OBJECT_CLASS (netpulse_process_group_parent_class)->finalize (object);
}

static void
netpulse_process_group_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  NetpulseProcessGroup *self = NETPULSE_PROCESS_GROUP (object);

  switch (prop_id)
    {
    case PROP_N_CONNECTIONS:
      g_value_set_uint (value, netpulse_process_group_get_n_connections (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netpulse_process_group_class_init (NetpulseProcessGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = netpulse_process_group_finalize;
  object_class->get_property = netpulse_process_group_get_property;
  NETPULSE_ROW_CLASS (klass)->matches = netpulse_process_group_matches;

  properties[PROP_N_CONNECTIONS] =
    g_param_spec_uint ("n-connections", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
netpulse_process_group_init (NetpulseProcessGroup *self)
{
  self->connections = g_list_store_new (NETPULSE_TYPE_CONNECTION);
  self->members = g_ptr_array_new ();
}

char *
netpulse_process_group_make_key (guint       pid,
                                 const char *comm)
{
  return g_strdup_printf ("%u/%s", pid, comm != NULL ? comm : "");
}

NetpulseProcessGroup *
netpulse_process_group_new (guint       pid,
                            const char *comm)
{
  NetpulseProcessGroup *self;
  /* A stable id for tie-breaking in sorts: the pid, then the name. */
  guint64 id = ((guint64) pid << 16) | (g_str_hash (comm != NULL ? comm : "") & 0xffff);

  self = g_object_new (NETPULSE_TYPE_PROCESS_GROUP, "id", id, NULL);
  self->key = netpulse_process_group_make_key (pid, comm);
  netpulse_row_set_process (NETPULSE_ROW (self), pid, comm);
  return self;
}

const char *
netpulse_process_group_get_key (NetpulseProcessGroup *self)
{
  return self->key;
}

GListModel *
netpulse_process_group_get_connections (NetpulseProcessGroup *self)
{
  return G_LIST_MODEL (self->connections);
}

guint
netpulse_process_group_get_n_connections (NetpulseProcessGroup *self)
{
  return g_list_model_get_n_items (G_LIST_MODEL (self->connections));
}

void
netpulse_process_group_add (NetpulseProcessGroup *self,
                            NetpulseConnection   *conn)
{
  NetpulseRow *row = NETPULSE_ROW (conn);

  g_list_store_append (self->connections, conn);
  g_ptr_array_add (self->members, conn);
  if (netpulse_process_group_get_n_connections (self) == 1)
    {
      /* The group looks like its first connection's process. */
      netpulse_row_set_display (NETPULSE_ROW (self),
                                netpulse_row_get_display_name (row),
                                netpulse_row_get_icon (row));
      netpulse_row_set_user (NETPULSE_ROW (self),
                             netpulse_row_get_uid (row),
                             netpulse_row_get_user (row));
    }
  netpulse_row_mark_changed (NETPULSE_ROW (self));
}

void
netpulse_process_group_remove (NetpulseProcessGroup *self,
                               NetpulseConnection   *conn)
{
  guint position;

  if (g_list_store_find (self->connections, conn, &position))
    {
      g_list_store_remove (self->connections, position);
      g_ptr_array_remove_index (self->members, position);
      netpulse_row_mark_changed (NETPULSE_ROW (self));
    }
}

/* What an application counts of a connection: the helper's smoothed rate
 * once it sends one, else the tick's rate; a closed connection moves
 * nothing any more. */
static void
app_rates_of (NetpulseRow *row,
              double      *rx,
              double      *tx)
{
  const NetpulseRecord *r = netpulse_connection_get_record (NETPULSE_CONNECTION (row));
  gboolean closed = netpulse_row_get_closed (row);

  *rx = !closed && r->rx_rate_avg > 0 ? r->rx_rate_avg : netpulse_row_get_rx_rate (row);
  *tx = !closed && r->tx_rate_avg > 0 ? r->tx_rate_avg : netpulse_row_get_tx_rate (row);
}

void
netpulse_process_group_recompute (NetpulseProcessGroup *self,
                                  guint64               tick)
{
  guint n = self->members->len;
  double rx_rate = 0.0, tx_rate = 0.0, opacity = 0.0;
  guint64 rx_bytes = 0, tx_bytes = 0;
  gboolean closed = n > 0;

  self->app_rx_rate = self->app_tx_rate = 0.0;
  /* One pass over the connections for this row and its application's. */
  for (guint i = 0; i < n; i++)
    {
      NetpulseRow *row = g_ptr_array_index (self->members, i);
      double rx, tx;

      rx_rate += netpulse_row_get_rx_rate (row);
      tx_rate += netpulse_row_get_tx_rate (row);
      rx_bytes += netpulse_row_get_rx_bytes (row);
      tx_bytes += netpulse_row_get_tx_bytes (row);
      closed = closed && netpulse_row_get_closed (row);
      opacity = MAX (opacity, netpulse_row_get_opacity (row));
      app_rates_of (row, &rx, &tx);
      self->app_rx_rate += rx;
      self->app_tx_rate += tx;
    }

  netpulse_row_set_traffic (NETPULSE_ROW (self), tick, rx_rate, tx_rate, rx_bytes, tx_bytes);
  netpulse_row_set_closed (NETPULSE_ROW (self), closed);
  netpulse_row_set_opacity (NETPULSE_ROW (self), n > 0 ? opacity : 1.0);
  netpulse_row_emit_changed (NETPULSE_ROW (self));
}

void
netpulse_process_group_get_app_rates (NetpulseProcessGroup *self,
                                      double               *rx_rate,
                                      double               *tx_rate)
{
  *rx_rate = self->app_rx_rate;
  *tx_rate = self->app_tx_rate;
}

guint
netpulse_process_group_get_position (NetpulseProcessGroup *self)
{
  return self->position;
}

void
netpulse_process_group_set_position (NetpulseProcessGroup *self,
                                     guint                 position)
{
  self->position = position;
}

const NetpulseRecord *
netpulse_process_group_record_of (NetpulseRow *row)
{
  g_autoptr(NetpulseConnection) first = NULL;

  if (NETPULSE_IS_CONNECTION (row))
    return netpulse_connection_get_record (NETPULSE_CONNECTION (row));
  if (!NETPULSE_IS_PROCESS_GROUP (row))
    return NULL;
  first = g_list_model_get_item (G_LIST_MODEL (NETPULSE_PROCESS_GROUP (row)->connections), 0);
  /* The group holds the connection: the record outlives this reference. */
  return first != NULL ? netpulse_connection_get_record (first) : NULL;
}
