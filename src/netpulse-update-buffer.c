/* netpulse-update-buffer.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-update-buffer"

#include "config.h"

#include "netpulse-update-buffer.h"

struct _NetpulseUpdateBuffer
{
  GArray     *records;    /* NetpulseRecord, first-seen order */
  GHashTable *index;      /* id → position in records + 1 */
  GArray     *removed;    /* guint64 */
  gboolean    replace;    /* a snapshot came: the result is a full table */
  gboolean    any;
  guint64     timestamp_ns;
};

NetpulseUpdateBuffer *
netpulse_update_buffer_new (void)
{
  NetpulseUpdateBuffer *self = g_new0 (NetpulseUpdateBuffer, 1);

  self->records = g_array_new (FALSE, FALSE, sizeof (NetpulseRecord));
  self->index = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->removed = g_array_new (FALSE, FALSE, sizeof (guint64));
  return self;
}

void
netpulse_update_buffer_free (NetpulseUpdateBuffer *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->records);
  g_hash_table_unref (self->index);
  g_array_unref (self->removed);
  g_free (self);
}

static void
reset (NetpulseUpdateBuffer *self)
{
  g_array_set_size (self->records, 0);
  g_hash_table_remove_all (self->index);
  g_array_set_size (self->removed, 0);
  self->replace = FALSE;
  self->any = FALSE;
}

static void
take (NetpulseUpdateBuffer *self,
      const NetpulseRecord *record)
{
  guint pos = GPOINTER_TO_UINT (g_hash_table_lookup (self->index, &record->id));

  if (pos != 0)
    {
      g_array_index (self->records, NetpulseRecord, pos - 1) = *record;
      return;
    }
  g_array_append_val (self->records, *record);
  g_hash_table_insert (self->index, g_memdup2 (&record->id, sizeof record->id),
                       GUINT_TO_POINTER (self->records->len));
}

void
netpulse_update_buffer_add_update (NetpulseUpdateBuffer *self,
                                   guint64               timestamp_ns,
                                   const NetpulseRecord *changed,
                                   guint                 n_changed,
                                   const guint64        *removed,
                                   guint                 n_removed)
{
  for (guint i = 0; i < n_changed; i++)
    take (self, &changed[i]);
  g_array_append_vals (self->removed, removed, n_removed);
  self->timestamp_ns = timestamp_ns;
  self->any = TRUE;
}

void
netpulse_update_buffer_add_snapshot (NetpulseUpdateBuffer *self,
                                     guint64               timestamp_ns,
                                     const NetpulseRecord *records,
                                     guint                 n_records)
{
  reset (self);
  self->replace = TRUE;
  netpulse_update_buffer_add_update (self, timestamp_ns, records, n_records, NULL, 0);
}

gboolean
netpulse_update_buffer_is_empty (NetpulseUpdateBuffer *self)
{
  return !self->any;
}

void
netpulse_update_buffer_flush (NetpulseUpdateBuffer    *self,
                              NetpulseConnectionStore *store)
{
  if (!self->any)
    return;
  if (self->replace)
    {
      /* Connections closed after the snapshot still leave. */
      netpulse_connection_store_replace (store, self->timestamp_ns,
                                         (const NetpulseRecord *) (gpointer) self->records->data,
                                         self->records->len);
      if (self->removed->len > 0)
        netpulse_connection_store_apply (store, self->timestamp_ns, NULL, 0,
                                         (const guint64 *) (gpointer) self->removed->data,
                                         self->removed->len);
    }
  else
    netpulse_connection_store_apply (store, self->timestamp_ns,
                                     (const NetpulseRecord *) (gpointer) self->records->data,
                                     self->records->len,
                                     (const guint64 *) (gpointer) self->removed->data,
                                     self->removed->len);
  reset (self);
}
