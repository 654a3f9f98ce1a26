/* netpulse-record-table.c — applying a subscription's frames to a table of
 * connections, for netpulsectl and the app alike.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-record-table"

#include "config.h"

#include "netpulse-record-table.h"

struct _NetpulseRecordTable
{
  GObject     parent_instance;

  GHashTable *entries;   /* &entry->keyed.record.id → NetpulseRecordEntry (owned) */
};

G_DEFINE_FINAL_TYPE (NetpulseRecordTable, netpulse_record_table, G_TYPE_OBJECT)

void
netpulse_record_changes_init (NetpulseRecordChanges *changes)
{
  changes->added = g_ptr_array_new ();
  changes->changed = g_ptr_array_new ();
  changes->closed = g_ptr_array_new ();
}

void
netpulse_record_changes_clear (NetpulseRecordChanges *changes)
{
  g_clear_pointer (&changes->added, g_ptr_array_unref);
  g_clear_pointer (&changes->changed, g_ptr_array_unref);
  g_clear_pointer (&changes->closed, g_ptr_array_unref);
}

static void
netpulse_record_table_finalize (GObject *object)
{
  NetpulseRecordTable *self = NETPULSE_RECORD_TABLE (object);

  g_hash_table_unref (self->entries);

  G_OBJECT_CLASS (netpulse_record_table_parent_class)->finalize (object);
}

static void
netpulse_record_table_class_init (NetpulseRecordTableClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = netpulse_record_table_finalize;
}

static void
netpulse_record_table_init (NetpulseRecordTable *self)
{
  /* The key points into the value: both go together. */
  self->entries = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_free);
}

NetpulseRecordTable *
netpulse_record_table_new (void)
{
  return g_object_new (NETPULSE_TYPE_RECORD_TABLE, NULL);
}

guint
netpulse_record_table_get_size (NetpulseRecordTable *self)
{
  g_return_val_if_fail (NETPULSE_IS_RECORD_TABLE (self), 0);

  return g_hash_table_size (self->entries);
}

NetpulseRecordEntry *
netpulse_record_table_lookup (NetpulseRecordTable *self,
                              guint64              id)
{
  g_return_val_if_fail (NETPULSE_IS_RECORD_TABLE (self), NULL);

  return g_hash_table_lookup (self->entries, &id);
}

GPtrArray *
netpulse_record_table_get_entries (NetpulseRecordTable *self)
{
  GPtrArray *entries;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (NETPULSE_IS_RECORD_TABLE (self), NULL);

  entries = g_ptr_array_sized_new (g_hash_table_size (self->entries));
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (entries, value);
  return entries;
}

static void
close_entry (NetpulseRecordEntry   *entry,
             NetpulseRecordChanges *changes)
{
  entry->closed = TRUE;
  if (changes != NULL)
    g_ptr_array_add (changes->closed, entry);
}

static void
take_record (NetpulseRecordTable   *self,
             const NetpulseRecord  *record,
             NetpulseRecordChanges *changes)
{
  NetpulseRecordEntry *entry = g_hash_table_lookup (self->entries, &record->id);

  if (entry == NULL)
    {
      entry = g_new0 (NetpulseRecordEntry, 1);
      netpulse_keyed_record_init (&entry->keyed, record);
      g_hash_table_insert (self->entries, &entry->keyed.record.id, entry);
      if (changes != NULL)
        g_ptr_array_add (changes->added, entry);
    }
  else if (entry->closed)
    return;
  else
    {
      netpulse_keyed_record_set (&entry->keyed, record);
      if (changes != NULL)
        g_ptr_array_add (changes->changed, entry);
    }

  if (record->flags & NETPULSE_RECORD_CLOSED)
    close_entry (entry, changes);
}

void
netpulse_record_table_apply_update (NetpulseRecordTable   *self,
                                    const NetpulseRecord  *changed,
                                    guint                  n_changed,
                                    const guint64         *removed,
                                    guint                  n_removed,
                                    NetpulseRecordChanges *changes)
{
  g_return_if_fail (NETPULSE_IS_RECORD_TABLE (self));
  g_return_if_fail (changed != NULL || n_changed == 0);
  g_return_if_fail (removed != NULL || n_removed == 0);

  for (guint i = 0; i < n_changed; i++)
    take_record (self, &changed[i], changes);
  for (guint i = 0; i < n_removed; i++)
    {
      NetpulseRecordEntry *entry = g_hash_table_lookup (self->entries, &removed[i]);

      if (entry != NULL && !entry->closed)
        close_entry (entry, changes);
    }
}

void
netpulse_record_table_apply_snapshot (NetpulseRecordTable   *self,
                                      const NetpulseRecord  *records,
                                      guint                  n_records,
                                      NetpulseRecordChanges *changes)
{
  g_autoptr(GHashTable) present = g_hash_table_new (g_int64_hash, g_int64_equal);
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (NETPULSE_IS_RECORD_TABLE (self));
  g_return_if_fail (records != NULL || n_records == 0);

  for (guint i = 0; i < n_records; i++)
    g_hash_table_add (present, (gpointer) &records[i].id);

  /* First what left, so that @changes lists them before the new ones. */
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      NetpulseRecordEntry *entry = value;

      if (!entry->closed && !g_hash_table_contains (present, &entry->keyed.record.id))
        close_entry (entry, changes);
    }
  for (guint i = 0; i < n_records; i++)
    take_record (self, &records[i], changes);
}

void
netpulse_record_table_remove (NetpulseRecordTable *self,
                              guint64              id)
{
  g_return_if_fail (NETPULSE_IS_RECORD_TABLE (self));

  g_hash_table_remove (self->entries, &id);
}

static gboolean
entry_is_closed (gpointer key,
                 gpointer value,
                 gpointer user_data)
{
  return ((NetpulseRecordEntry *) value)->closed;
}

guint
netpulse_record_table_remove_closed (NetpulseRecordTable *self)
{
  g_return_val_if_fail (NETPULSE_IS_RECORD_TABLE (self), 0);

  return g_hash_table_foreach_remove (self->entries, entry_is_closed, NULL);
}

void
netpulse_record_table_remove_all (NetpulseRecordTable *self)
{
  g_return_if_fail (NETPULSE_IS_RECORD_TABLE (self));

  g_hash_table_remove_all (self->entries);
}
