/* netpulse-process-model.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-process-model"

#include "config.h"

#include "netpulse-process-model.h"

struct _NetpulseProcessModel
{
  GObject                  parent_instance;

  NetpulseConnectionStore *store;
  GPtrArray               *groups;     /* NetpulseProcessGroup (owned), in list order */
  GHashTable              *by_key;     /* key → group (borrowed) */
  GHashTable              *group_of;   /* connection → group (borrowed) */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NetpulseProcessModel, netpulse_process_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
get_item_type (GListModel *model)
{
  return NETPULSE_TYPE_PROCESS_GROUP;
}

static guint
get_n_items (GListModel *model)
{
  return NETPULSE_PROCESS_MODEL (model)->groups->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  NetpulseProcessModel *self = NETPULSE_PROCESS_MODEL (model);

  if (position >= self->groups->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->groups, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
netpulse_process_model_dispose (GObject *object)
{
  NetpulseProcessModel *self = NETPULSE_PROCESS_MODEL (object);

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (netpulse_process_model_parent_class)->dispose (object);
}

static void
netpulse_process_model_finalize (GObject *object)
{
  NetpulseProcessModel *self = NETPULSE_PROCESS_MODEL (object);

  g_clear_pointer (&self->group_of, g_hash_table_unref);
  g_clear_pointer (&self->by_key, g_hash_table_unref);
  for (guint i = 0; i < self->groups->len; i++)
    g_object_unref (g_ptr_array_index (self->groups, i));
  g_clear_pointer (&self->groups, g_ptr_array_unref);

  G_OBJECT_CLASS (netpulse_process_model_parent_class)->finalize (object);
}

static void
netpulse_process_model_class_init (NetpulseProcessModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = netpulse_process_model_dispose;
  object_class->finalize = netpulse_process_model_finalize;
}

static void
netpulse_process_model_init (NetpulseProcessModel *self)
{
  self->groups = g_ptr_array_new ();
  self->by_key = g_hash_table_new (g_str_hash, g_str_equal);
  self->group_of = g_hash_table_new (NULL, NULL);
}

static NetpulseProcessGroup *
group_for (NetpulseProcessModel *self,
           NetpulseRow          *conn)
{
  g_autofree char *key = netpulse_process_group_make_key (netpulse_row_get_pid (conn),
                                                          netpulse_row_get_comm (conn));
  NetpulseProcessGroup *group = g_hash_table_lookup (self->by_key, key);

  if (group == NULL)
    {
      group = netpulse_process_group_new (netpulse_row_get_pid (conn), netpulse_row_get_comm (conn));
      netpulse_process_group_set_position (group, self->groups->len);
      g_ptr_array_add (self->groups, group);
      g_hash_table_insert (self->by_key, (gpointer) netpulse_process_group_get_key (group), group);
    }
  return group;
}

static void
attach (NetpulseProcessModel *self,
        NetpulseConnection   *conn,
        GHashTable           *dirty)
{
  NetpulseProcessGroup *group = group_for (self, NETPULSE_ROW (conn));

  netpulse_process_group_add (group, conn);
  g_hash_table_insert (self->group_of, conn, group);
  g_hash_table_add (dirty, group);
}

static void
detach (NetpulseProcessModel *self,
        NetpulseConnection   *conn,
        GHashTable           *dirty)
{
  NetpulseProcessGroup *group = g_hash_table_lookup (self->group_of, conn);

  if (group == NULL)
    return;
  netpulse_process_group_remove (group, conn);
  g_hash_table_remove (self->group_of, conn);
  g_hash_table_add (dirty, group);
}

static void
follow_change (NetpulseProcessModel *self,
               NetpulseConnection   *conn,
               guint64               tick,
               GHashTable           *dirty)
{
  NetpulseProcessGroup *group = g_hash_table_lookup (self->group_of, conn);
  NetpulseRow *row = NETPULSE_ROW (conn);

  /* Its process did not change in this update: the same group.  Else the
   * group's pid and name are its key's, compared without building it. */
  if (group != NULL &&
      (netpulse_connection_get_process_tick (conn) != tick ||
       (netpulse_row_get_pid (NETPULSE_ROW (group)) == netpulse_row_get_pid (row) &&
        g_strcmp0 (netpulse_row_get_comm (NETPULSE_ROW (group)), netpulse_row_get_comm (row)) == 0)))
    {
      g_hash_table_add (dirty, group);
      return;
    }
  /* Another process now owns the connection (e.g. after fork or exec). */
  detach (self, conn, dirty);
  attach (self, conn, dirty);
}

/* Drops the empty groups among @dirty, recomputes the others, and tells
 * the views in one items-changed. */
static void
settle (NetpulseProcessModel *self,
        GHashTable           *dirty,
        guint                 old_len,
        guint64               tick)
{
  g_autoptr(GPtrArray) dead = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer key;
  guint first = old_len, out;

  g_hash_table_iter_init (&iter, dirty);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      NetpulseProcessGroup *group = key;

      if (netpulse_process_group_get_n_connections (group) > 0)
        {
          netpulse_process_group_recompute (group, tick);
          continue;
        }
      first = MIN (first, netpulse_process_group_get_position (group));
      g_hash_table_remove (self->by_key, netpulse_process_group_get_key (group));
      self->groups->pdata[netpulse_process_group_get_position (group)] = NULL;
      g_ptr_array_add (dead, group);
    }

  if (dead->len > 0)
    {
      out = first;
      for (guint i = first; i < self->groups->len; i++)
        {
          NetpulseProcessGroup *group = g_ptr_array_index (self->groups, i);

          if (group == NULL)
            continue;
          netpulse_process_group_set_position (group, out);
          self->groups->pdata[out++] = group;
        }
      g_ptr_array_set_size (self->groups, out);
    }

  if (first < old_len || self->groups->len != old_len)
    g_list_model_items_changed (G_LIST_MODEL (self), first, old_len - first, self->groups->len - first);
}

static void
on_applied (NetpulseProcessModel *self,
            GPtrArray            *added,
            GPtrArray            *changed,
            GPtrArray            *removed,
            NetpulseConnectionStore *store)
{
  g_autoptr(GHashTable) dirty = g_hash_table_new (NULL, NULL);
  guint old_len = self->groups->len;

  for (guint i = 0; i < removed->len; i++)
    detach (self, g_ptr_array_index (removed, i), dirty);
  for (guint i = 0; i < added->len; i++)
    attach (self, g_ptr_array_index (added, i), dirty);
  for (guint i = 0; i < changed->len; i++)
    {
      NetpulseConnection *conn = g_ptr_array_index (changed, i);

      /* Closed and gone in the same update: already detached. */
      if (netpulse_connection_store_lookup (store, netpulse_row_get_id (NETPULSE_ROW (conn))) == conn)
        follow_change (self, conn, netpulse_connection_store_get_tick (store), dirty);
    }

  settle (self, dirty, old_len, netpulse_connection_store_get_tick (store));
}

NetpulseProcessModel *
netpulse_process_model_new (NetpulseConnectionStore *store)
{
  NetpulseProcessModel *self;
  g_autoptr(GPtrArray) existing = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  guint n;

  g_return_val_if_fail (NETPULSE_IS_CONNECTION_STORE (store), NULL);

  self = g_object_new (NETPULSE_TYPE_PROCESS_MODEL, NULL);
  self->store = g_object_ref (store);
  g_signal_connect_object (store, "applied", G_CALLBACK (on_applied), self, G_CONNECT_SWAPPED);

  n = g_list_model_get_n_items (G_LIST_MODEL (store));
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (existing, g_list_model_get_item (G_LIST_MODEL (store), i));
  on_applied (self, existing, none, none, store);

  return self;
}

NetpulseProcessGroup *
netpulse_process_model_lookup (NetpulseProcessModel *self,
                               guint                 pid,
                               const char           *comm)
{
  g_autofree char *key = netpulse_process_group_make_key (pid, comm);

  return g_hash_table_lookup (self->by_key, key);
}

GListModel *
netpulse_process_model_create_child_model (gpointer item,
                                           gpointer user_data)
{
  if (!NETPULSE_IS_PROCESS_GROUP (item))
    return NULL;
  return g_object_ref (netpulse_process_group_get_connections (item));
}
