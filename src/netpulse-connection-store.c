/* netpulse-connection-store.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-store"

#include "config.h"

#include "netpulse-connection-store.h"
#include "netpulse-record-table.h"

struct _NetpulseConnectionStore
{
  GObject            parent_instance;

  GPtrArray         *items;     /* NetpulseConnection (owned), in list order */
  NetpulseRecordTable *table;  /* by id; entry->data: its NetpulseConnection (borrowed from items) */
  GQueue             closed;    /* connections closed and still shown, oldest first */
  guint64            tick;
  guint64            sample_ns;  /* wall clock of the last update's sample */
  guint64            linger_ns;
  double             rx_rate;
  double             tx_rate;
  NetpulseHistory   *history;
  NetpulseAppFinder *finder;
  NetpulseUserNames *names;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NetpulseConnectionStore, netpulse_connection_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_TICK,
  PROP_RX_RATE,
  PROP_TX_RATE,
  PROP_N_ITEMS,
  N_PROPS
};

enum {
  APPLIED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Per-update bookkeeping. */
typedef struct {
  GPtrArray *added;
  GPtrArray *changed;
  GPtrArray *removed;
} Batch;

static GType
netpulse_connection_store_get_item_type (GListModel *model)
{
  return NETPULSE_TYPE_CONNECTION;
}

static guint
netpulse_connection_store_get_n_items (GListModel *model)
{
  return NETPULSE_CONNECTION_STORE (model)->items->len;
}

static gpointer
netpulse_connection_store_get_item (GListModel *model,
                                    guint       position)
{
  NetpulseConnectionStore *self = NETPULSE_CONNECTION_STORE (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = netpulse_connection_store_get_item_type;
  iface->get_n_items = netpulse_connection_store_get_n_items;
  iface->get_item = netpulse_connection_store_get_item;
}

static void
netpulse_connection_store_finalize (GObject *object)
{
  NetpulseConnectionStore *self = NETPULSE_CONNECTION_STORE (object);

  g_queue_clear (&self->closed);
  /* items has no free function (compact() moves references around). */
  for (guint i = 0; i < self->items->len; i++)
    {
      /* Others may hold it: it keeps a copy of the record going away. */
      netpulse_connection_unshare (g_ptr_array_index (self->items, i));
      g_object_unref (g_ptr_array_index (self->items, i));
    }
  g_clear_object (&self->table);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->history, netpulse_history_free);
  g_clear_object (&self->finder);
  g_clear_object (&self->names);

  G_OBJECT_CLASS (netpulse_connection_store_parent_class)->finalize (object);
}

static void
netpulse_connection_store_get_property (GObject    *object,
                                        guint       prop_id,
                                        GValue     *value,
                                        GParamSpec *pspec)
{
  NetpulseConnectionStore *self = NETPULSE_CONNECTION_STORE (object);

  switch (prop_id)
    {
    case PROP_TICK:    g_value_set_uint64 (value, self->tick); break;
    case PROP_RX_RATE: g_value_set_double (value, self->rx_rate); break;
    case PROP_TX_RATE: g_value_set_double (value, self->tx_rate); break;
    case PROP_N_ITEMS: g_value_set_uint (value, self->items->len); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netpulse_connection_store_class_init (NetpulseConnectionStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = netpulse_connection_store_finalize;
  object_class->get_property = netpulse_connection_store_get_property;

  properties[PROP_TICK] =
    g_param_spec_uint64 ("tick", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RX_RATE] =
    g_param_spec_double ("rx-rate", NULL, NULL, 0, G_MAXDOUBLE, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TX_RATE] =
    g_param_spec_double ("tx-rate", NULL, NULL, 0, G_MAXDOUBLE, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[APPLIED] =
    g_signal_new ("applied", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_PTR_ARRAY, G_TYPE_PTR_ARRAY, G_TYPE_PTR_ARRAY);
}

static void
netpulse_connection_store_init (NetpulseConnectionStore *self)
{
  self->items = g_ptr_array_new ();
  self->table = netpulse_record_table_new ();
  g_queue_init (&self->closed);
  self->linger_ns = (guint64) NETPULSE_STORE_DEFAULT_LINGER_MS * 1000000;
  self->history = netpulse_history_new (NETPULSE_STORE_HISTORY_LENGTH);
}

NetpulseConnectionStore *
netpulse_connection_store_new (void)
{
  return g_object_new (NETPULSE_TYPE_CONNECTION_STORE, NULL);
}

void
netpulse_connection_store_set_app_finder (NetpulseConnectionStore *self,
                                          NetpulseAppFinder       *finder)
{
  g_return_if_fail (NETPULSE_IS_CONNECTION_STORE (self));
  g_set_object (&self->finder, finder);
}

void
netpulse_connection_store_set_user_names (NetpulseConnectionStore *self,
                                          NetpulseUserNames       *names)
{
  g_return_if_fail (NETPULSE_IS_CONNECTION_STORE (self));
  g_set_object (&self->names, names);
}

void
netpulse_connection_store_set_linger_ms (NetpulseConnectionStore *self,
                                         guint                    linger_ms)
{
  g_return_if_fail (NETPULSE_IS_CONNECTION_STORE (self));
  self->linger_ns = (guint64) linger_ms * 1000000;
}

static void
describe_process (NetpulseConnectionStore *self,
                  NetpulseConnection      *conn)
{
  NetpulseRow *row = NETPULSE_ROW (conn);
  const NetpulseRecord *r = netpulse_connection_get_record (conn);
  GAppInfo *app = NULL;

  if (self->finder != NULL)
    app = netpulse_app_finder_lookup (self->finder, r->pid, r->comm);
  if (app != NULL)
    netpulse_row_set_display (row, g_app_info_get_display_name (app), g_app_info_get_icon (app));
  else
    netpulse_row_set_display (row, NULL, NULL);

  if (self->names != NULL)
    netpulse_row_set_user (row, r->uid, netpulse_user_names_lookup (self->names, r->uid));
  else
    {
      char uid[16];

      g_snprintf (uid, sizeof uid, "%u", r->uid);
      netpulse_row_set_user (row, r->uid, uid);
    }
}

static void
add_connection (NetpulseConnectionStore *self,
                NetpulseRecordEntry     *entry,
                Batch                   *batch)
{
  NetpulseConnection *conn = netpulse_connection_new_shared (&entry->keyed, self->tick);

  netpulse_connection_set_position (conn, self->items->len);
  g_ptr_array_add (self->items, conn);
  entry->data = conn;
  describe_process (self, conn);
  g_ptr_array_add (batch->added, conn);
}

static void
update_connection (NetpulseConnectionStore *self,
                   NetpulseRecordEntry     *entry,
                   Batch                   *batch)
{
  NetpulseConnection *conn = entry->data;
  guint uid = netpulse_row_get_uid (NETPULSE_ROW (conn));

  if (netpulse_connection_refresh (conn, self->tick) || uid != entry->keyed.record.uid)
    describe_process (self, conn);
  g_ptr_array_add (batch->changed, conn);
}

static void
close_connection (NetpulseConnectionStore *self,
                  NetpulseRecordEntry     *entry,
                  guint64                  timestamp_ns,
                  Batch                   *batch)
{
  NetpulseConnection *conn = entry->data;

  netpulse_connection_mark_closed (conn, timestamp_ns);
  g_queue_push_tail (&self->closed, conn);
  /* Closed without a final record: nothing else has marked it changed. */
  if (!(entry->keyed.record.flags & NETPULSE_RECORD_CLOSED))
    g_ptr_array_add (batch->changed, conn);
}

/* Closed connections fade while they linger, with their rates at zero
 * from the tick after they closed; then they leave the list.  The first
 * @n_before of the queue closed before this tick; the rest, appended by
 * close_connection(), show their final record this tick. */
static void
age_closed (NetpulseConnectionStore *self,
            guint64                  timestamp_ns,
            guint                    n_before,
            Batch                   *batch)
{
  guint index = 0;

  for (GList *l = self->closed.head; l != NULL; index++)
    {
      NetpulseConnection *conn = l->data;
      NetpulseRow *row = NETPULSE_ROW (conn);
      guint64 closed_at = netpulse_connection_get_closed_at (conn);
      guint64 age = timestamp_ns > closed_at ? timestamp_ns - closed_at : 0;
      GList *next = l->next;

      if (age >= self->linger_ns)
        {
          g_queue_delete_link (&self->closed, l);
          g_ptr_array_add (batch->removed, conn);
        }
      else if (index < n_before)
        {
          if (netpulse_row_get_rx_rate (row) != 0.0 || netpulse_row_get_tx_rate (row) != 0.0)
            netpulse_row_set_traffic (row, self->tick, 0.0, 0.0,
                                      netpulse_row_get_rx_bytes (row),
                                      netpulse_row_get_tx_bytes (row));
          netpulse_row_set_opacity (row, 1.0 - 0.7 * (double) age / (double) self->linger_ns);
          /* Changed: its process group fades along. */
          g_ptr_array_add (batch->changed, conn);
        }
      l = next;
    }
}

/* Drops the connections in batch->removed from the list and returns the
 * first position that changed (items->len when none). */
static guint
compact (NetpulseConnectionStore *self,
         Batch                   *batch)
{
  guint first = self->items->len;
  guint out;

  if (batch->removed->len == 0)
    return first;

  for (guint i = 0; i < batch->removed->len; i++)
    {
      NetpulseConnection *conn = g_ptr_array_index (batch->removed, i);

      first = MIN (first, netpulse_connection_get_position (conn));
      netpulse_connection_unshare (conn);
      netpulse_record_table_remove (self->table, netpulse_connection_get_record (conn)->id);
      /* Its reference moves to batch->removed; mark the slot empty. */
      self->items->pdata[netpulse_connection_get_position (conn)] = NULL;
    }

  out = first;
  for (guint i = first; i < self->items->len; i++)
    {
      NetpulseConnection *conn = g_ptr_array_index (self->items, i);

      if (conn == NULL)
        continue;
      netpulse_connection_set_position (conn, out);
      self->items->pdata[out++] = conn;
    }
  g_ptr_array_set_size (self->items, out);
  return first;
}

static void
update_totals (NetpulseConnectionStore *self)
{
  double rx = 0.0, tx = 0.0;

  /* A plain sum each tick: cheap next to the sorting, and never drifts. */
  for (guint i = 0; i < self->items->len; i++)
    {
      NetpulseRow *row = g_ptr_array_index (self->items, i);

      rx += netpulse_row_get_rx_rate (row);
      tx += netpulse_row_get_tx_rate (row);
    }
  netpulse_history_push (self->history, self->tick, rx, tx);
  if (rx != self->rx_rate)
    {
      self->rx_rate = rx;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RX_RATE]);
    }
  if (tx != self->tx_rate)
    {
      self->tx_rate = tx;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TX_RATE]);
    }
}

static void
batch_init (Batch *batch)
{
  batch->added = g_ptr_array_new ();
  batch->changed = g_ptr_array_new ();
  /* Removed connections are no longer owned by items: the batch owns them. */
  batch->removed = g_ptr_array_new_with_free_func (g_object_unref);
}

static void
batch_clear (Batch *batch)
{
  g_ptr_array_unref (batch->added);
  g_ptr_array_unref (batch->changed);
  g_ptr_array_unref (batch->removed);
}

static void
finish_batch (NetpulseConnectionStore *self,
              Batch                   *batch,
              guint                    old_len)
{
  guint first = compact (self, batch);
  guint n_added = batch->added->len;

  if (first < old_len || n_added > 0)
    {
      first = MIN (first, old_len);
      g_list_model_items_changed (G_LIST_MODEL (self), first,
                                  old_len - first, self->items->len - first);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }

  update_totals (self);
  /* One "changed" per connection, after the whole update is in. */
  for (guint i = 0; i < batch->changed->len; i++)
    netpulse_row_emit_changed (g_ptr_array_index (batch->changed, i));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TICK]);
  g_signal_emit (self, signals[APPLIED], 0, batch->added, batch->changed, batch->removed);
}

/* Turns what the table did into connections, and ends the tick. */
static void
apply_changes (NetpulseConnectionStore     *self,
               guint64                      timestamp_ns,
               const NetpulseRecordChanges *changes,
               guint                        old_len)
{
  Batch batch;
  guint n_closed_before = self->closed.length;

  if (timestamp_ns == 0)
    timestamp_ns = (guint64) g_get_real_time () * 1000;

  self->sample_ns = timestamp_ns;
  self->tick++;
  batch_init (&batch);

  for (guint i = 0; i < changes->added->len; i++)
    add_connection (self, g_ptr_array_index (changes->added, i), &batch);
  for (guint i = 0; i < changes->changed->len; i++)
    update_connection (self, g_ptr_array_index (changes->changed, i), &batch);
  for (guint i = 0; i < changes->closed->len; i++)
    close_connection (self, g_ptr_array_index (changes->closed, i), timestamp_ns, &batch);
  age_closed (self, timestamp_ns, n_closed_before, &batch);

  finish_batch (self, &batch, old_len);
  batch_clear (&batch);
}

void
netpulse_connection_store_apply (NetpulseConnectionStore *self,
                                 guint64                  timestamp_ns,
                                 const NetpulseRecord    *changed,
                                 guint                    n_changed,
                                 const guint64           *removed,
                                 guint                    n_removed)
{
  g_auto(NetpulseRecordChanges) changes = { 0 };
  guint old_len;

  g_return_if_fail (NETPULSE_IS_CONNECTION_STORE (self));
  g_return_if_fail (changed != NULL || n_changed == 0);
  g_return_if_fail (removed != NULL || n_removed == 0);

  old_len = self->items->len;
  netpulse_record_changes_init (&changes);
  netpulse_record_table_apply_update (self->table, changed, n_changed, removed, n_removed, &changes);
  apply_changes (self, timestamp_ns, &changes, old_len);
}

void
netpulse_connection_store_replace (NetpulseConnectionStore *self,
                                   guint64                  timestamp_ns,
                                   const NetpulseRecord    *records,
                                   guint                    n_records)
{
  g_auto(NetpulseRecordChanges) changes = { 0 };
  guint old_len;

  g_return_if_fail (NETPULSE_IS_CONNECTION_STORE (self));

  old_len = self->items->len;
  netpulse_record_changes_init (&changes);
  netpulse_record_table_apply_snapshot (self->table, records, n_records, &changes);
  apply_changes (self, timestamp_ns, &changes, old_len);
}

void
netpulse_connection_store_clear (NetpulseConnectionStore *self)
{
  g_autoptr(GPtrArray) removed = NULL;
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  guint old_len;

  g_return_if_fail (NETPULSE_IS_CONNECTION_STORE (self));

  old_len = self->items->len;
  removed = g_steal_pointer (&self->items);
  g_ptr_array_set_free_func (removed, g_object_unref);
  for (guint i = 0; i < removed->len; i++)
    netpulse_connection_unshare (g_ptr_array_index (removed, i));
  self->items = g_ptr_array_new ();
  netpulse_record_table_remove_all (self->table);
  g_queue_clear (&self->closed);
  netpulse_history_clear (self->history);
  self->tick = 0;
  self->rx_rate = self->tx_rate = 0.0;

  if (old_len > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_len, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RX_RATE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TX_RATE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TICK]);
  g_signal_emit (self, signals[APPLIED], 0, none, none, removed);
}

NetpulseConnection *
netpulse_connection_store_lookup (NetpulseConnectionStore *self,
                                  guint64                  id)
{
  NetpulseRecordEntry *entry;

  g_return_val_if_fail (NETPULSE_IS_CONNECTION_STORE (self), NULL);
  entry = netpulse_record_table_lookup (self->table, id);
  return entry != NULL ? entry->data : NULL;
}

NetpulseConnection *
netpulse_connection_store_peek (NetpulseConnectionStore *self,
                                guint                    position)
{
  return g_ptr_array_index (self->items, position);
}

guint64
netpulse_connection_store_get_tick (NetpulseConnectionStore *self)
{
  return self->tick;
}

guint64
netpulse_connection_store_get_sample_time (NetpulseConnectionStore *self)
{
  return self->sample_ns;
}

double
netpulse_connection_store_get_rx_rate (NetpulseConnectionStore *self)
{
  return self->rx_rate;
}

double
netpulse_connection_store_get_tx_rate (NetpulseConnectionStore *self)
{
  return self->tx_rate;
}

const NetpulseHistory *
netpulse_connection_store_get_history (NetpulseConnectionStore *self)
{
  return self->history;
}
