/* netpulse-app-model.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-app-model"

#include "config.h"

#include "netpulse-app-model.h"

struct _NetpulseAppModel
{
  GObject                  parent_instance;

  NetpulseConnectionStore *store;
  NetpulseProcessModel    *processes;
  GPtrArray               *apps;       /* NetpulseAppGroup (owned), in list order */
  GHashTable              *by_key;     /* key → app (borrowed) */
  GHashTable              *app_of;     /* process group → app (borrowed) */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NetpulseAppModel, netpulse_app_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
get_item_type (GListModel *model)
{
  return NETPULSE_TYPE_APP_GROUP;
}

static guint
get_n_items (GListModel *model)
{
  return NETPULSE_APP_MODEL (model)->apps->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  NetpulseAppModel *self = NETPULSE_APP_MODEL (model);

  if (position >= self->apps->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->apps, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
netpulse_app_model_dispose (GObject *object)
{
  NetpulseAppModel *self = NETPULSE_APP_MODEL (object);

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);
  g_clear_object (&self->processes);

  G_OBJECT_CLASS (netpulse_app_model_parent_class)->dispose (object);
}

static void
netpulse_app_model_finalize (GObject *object)
{
  NetpulseAppModel *self = NETPULSE_APP_MODEL (object);

  g_clear_pointer (&self->app_of, g_hash_table_unref);
  g_clear_pointer (&self->by_key, g_hash_table_unref);
  g_clear_pointer (&self->apps, g_ptr_array_unref);

  G_OBJECT_CLASS (netpulse_app_model_parent_class)->finalize (object);
}

static void
netpulse_app_model_class_init (NetpulseAppModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = netpulse_app_model_dispose;
  object_class->finalize = netpulse_app_model_finalize;
}

static void
netpulse_app_model_init (NetpulseAppModel *self)
{
  self->apps = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_key = g_hash_table_new (g_str_hash, g_str_equal);
  self->app_of = g_hash_table_new (NULL, NULL);
}

static NetpulseAppGroup *
app_for (NetpulseAppModel     *self,
         const NetpulseRecord *record)
{
  g_autofree char *key = netpulse_app_group_make_key (record);
  NetpulseAppGroup *app = g_hash_table_lookup (self->by_key, key);

  if (app == NULL)
    {
      app = netpulse_app_group_new (record);
      g_ptr_array_add (self->apps, app);
      g_hash_table_insert (self->by_key, (gpointer) netpulse_app_group_get_key (app), app);
    }
  return app;
}

/* Puts every process group of the process model under its application
 * and takes the gone ones out. */
static void
sort_processes (NetpulseAppModel *self)
{
  GListModel *model = G_LIST_MODEL (self->processes);
  guint n = g_list_model_get_n_items (model);
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NetpulseProcessGroup) process = g_list_model_get_item (model, i);
      /* Its first connection's record says which application it is. */
      const NetpulseRecord *record = netpulse_process_group_record_of (NETPULSE_ROW (process));
      NetpulseAppGroup *old = g_hash_table_lookup (self->app_of, process);
      NetpulseAppGroup *app;

      if (record == NULL)
        continue;
      g_hash_table_add (seen, process);
      app = app_for (self, record);
      if (app == old)
        continue;
      if (old != NULL)
        netpulse_app_group_remove_process (old, process);
      netpulse_app_group_add_process (app, process);
      g_hash_table_insert (self->app_of, process, app);
    }

  g_hash_table_iter_init (&iter, self->app_of);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (seen, key))
      {
        netpulse_app_group_remove_process (value, key);
        g_hash_table_iter_remove (&iter);
      }
}

/* A new helper instance: its table shares nothing with this one. */
static void
reset (NetpulseAppModel *self)
{
  guint old_len = self->apps->len;

  g_hash_table_remove_all (self->app_of);
  g_hash_table_remove_all (self->by_key);
  g_ptr_array_set_size (self->apps, 0);
  if (old_len > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_len, 0);
}

static void
on_applied (NetpulseAppModel        *self,
            GPtrArray               *added,
            GPtrArray               *changed,
            GPtrArray               *removed,
            NetpulseConnectionStore *store)
{
  guint64 tick = netpulse_connection_store_get_tick (store);
  guint old_len;

  if (tick == 0)
    {
      reset (self);
      return;
    }
  old_len = self->apps->len;
  /* What leaves the table stays in its application's totals. */
  for (guint i = 0; i < removed->len; i++)
    {
      NetpulseConnection *conn = g_ptr_array_index (removed, i);

      netpulse_app_group_add_gone (app_for (self, netpulse_connection_get_record (conn)),
                                   netpulse_row_get_rx_bytes (NETPULSE_ROW (conn)),
                                   netpulse_row_get_tx_bytes (NETPULSE_ROW (conn)));
    }
  sort_processes (self);
  for (guint i = 0; i < self->apps->len; i++)
    netpulse_app_group_recompute (g_ptr_array_index (self->apps, i), tick);
  if (self->apps->len != old_len)
    g_list_model_items_changed (G_LIST_MODEL (self), old_len, 0, self->apps->len - old_len);
}

NetpulseAppModel *
netpulse_app_model_new (NetpulseConnectionStore *store,
                        NetpulseProcessModel    *processes)
{
  NetpulseAppModel *self;
  g_autoptr(GPtrArray) none = g_ptr_array_new ();

  g_return_val_if_fail (NETPULSE_IS_CONNECTION_STORE (store), NULL);
  g_return_val_if_fail (NETPULSE_IS_PROCESS_MODEL (processes), NULL);

  self = g_object_new (NETPULSE_TYPE_APP_MODEL, NULL);
  self->store = g_object_ref (store);
  self->processes = g_object_ref (processes);
  /* After the process model's own handler: its groups are up to date. */
  g_signal_connect_object (store, "applied", G_CALLBACK (on_applied), self, G_CONNECT_SWAPPED);
  if (netpulse_connection_store_get_tick (store) > 0)
    on_applied (self, none, none, none, store);
  return self;
}

NetpulseAppGroup *
netpulse_app_model_lookup (NetpulseAppModel *self,
                           const char       *key)
{
  g_return_val_if_fail (NETPULSE_IS_APP_MODEL (self), NULL);
  return g_hash_table_lookup (self->by_key, key);
}

double
netpulse_app_model_get_peak (NetpulseAppModel *self)
{
  guint64 tick = netpulse_connection_store_get_tick (self->store);
  double peak = 0.0;

  for (guint i = 0; i < self->apps->len; i++)
    {
      const NetpulseHistory *history = netpulse_row_get_history (g_ptr_array_index (self->apps, i));
      double rx[NETPULSE_ROW_HISTORY_LENGTH], tx[NETPULSE_ROW_HISTORY_LENGTH];

      netpulse_history_get (history, tick, NETPULSE_ROW_HISTORY_LENGTH, rx, tx);
      peak = MAX (peak, netpulse_history_robust_peak (rx, tx, NETPULSE_ROW_HISTORY_LENGTH,
                                                      netpulse_history_first_index (history, tick,
                                                                                    NETPULSE_ROW_HISTORY_LENGTH)));
    }
  return peak;
}

GListModel *
netpulse_app_model_create_child_model (gpointer item,
                                       gpointer user_data)
{
  if (NETPULSE_IS_APP_GROUP (item))
    return g_object_ref (netpulse_app_group_get_processes (item));
  return netpulse_process_model_create_child_model (item, user_data);
}
