/* netpulse-feed.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-feed"

#include "config.h"

#include "netpulse-feed.h"

struct _NetpulseFeed
{
  GObject                  parent_instance;

  NetpulseConnectionStore *store;
  NetpulseSource          *source;
  gboolean                 paused;

  /* Held back while paused. */
  GArray                  *records;    /* NetpulseRecord, first-seen order */
  GHashTable              *index;      /* id → position in records + 1 */
  GArray                  *removed;    /* guint64 */
  gboolean                 replace;    /* a snapshot came: the result is a full table */
  gboolean                 pending;
  guint64                  timestamp_ns;

  char                    *instance;   /* of the source's last full table */
};

G_DEFINE_FINAL_TYPE (NetpulseFeed, netpulse_feed, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STORE,
  PROP_SOURCE,
  PROP_PAUSED,
  N_PROPS
};

enum {
  APPLIED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ---- held back while paused ------------------------------------------- */

static void
drop_pending (NetpulseFeed *self)
{
  g_array_set_size (self->records, 0);
  g_hash_table_remove_all (self->index);
  g_array_set_size (self->removed, 0);
  self->replace = FALSE;
  self->pending = FALSE;
}

static void
hold_record (NetpulseFeed         *self,
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

static void
hold_update (NetpulseFeed         *self,
             guint64               timestamp_ns,
             const NetpulseRecord *changed,
             guint                 n_changed,
             const guint64        *removed,
             guint                 n_removed)
{
  for (guint i = 0; i < n_changed; i++)
    hold_record (self, &changed[i]);
  g_array_append_vals (self->removed, removed, n_removed);
  self->timestamp_ns = timestamp_ns;
  self->pending = TRUE;
}

static void
apply_pending (NetpulseFeed *self)
{
  const NetpulseRecord *records = (const NetpulseRecord *) (gpointer) self->records->data;
  const guint64 *removed = (const guint64 *) (gpointer) self->removed->data;

  if (!self->pending)
    return;
  if (self->replace)
    {
      /* Connections closed after the snapshot still leave. */
      netpulse_connection_store_replace (self->store, self->timestamp_ns, records, self->records->len);
      if (self->removed->len > 0)
        netpulse_connection_store_apply (self->store, self->timestamp_ns, NULL, 0,
                                         removed, self->removed->len);
    }
  else
    netpulse_connection_store_apply (self->store, self->timestamp_ns, records, self->records->len,
                                     removed, self->removed->len);
  drop_pending (self);
  g_signal_emit (self, signals[APPLIED], 0);
}

/* ---- from the source -------------------------------------------------- */

static void
on_source_update (NetpulseFeed   *self,
                  guint64         timestamp_ns,
                  GArray         *changed,
                  GArray         *removed,
                  NetpulseSource *source)
{
  const NetpulseRecord *records = changed != NULL ? (const NetpulseRecord *) (gpointer) changed->data : NULL;
  const guint64 *ids = removed != NULL ? (const guint64 *) (gpointer) removed->data : NULL;
  guint n_changed = changed != NULL ? changed->len : 0;
  guint n_removed = removed != NULL ? removed->len : 0;
  gint64 start;

  if (self->paused)
    {
      hold_update (self, timestamp_ns, records, n_changed, ids, n_removed);
      return;
    }
  start = g_get_monotonic_time ();
  netpulse_connection_store_apply (self->store, timestamp_ns, records, n_changed, ids, n_removed);
  g_signal_emit (self, signals[APPLIED], 0);
  g_debug ("update of %u records applied to %u rows in %.1f ms", n_changed,
           g_list_model_get_n_items (G_LIST_MODEL (self->store)),
           (g_get_monotonic_time () - start) / 1000.0);
}

/* A full table from another run of the helper (or one we cannot tell):
 * its ids mean other connections, so no row, total or history of the
 * store may carry over.  The same run keeps them all. */
static void
check_instance (NetpulseFeed   *self,
                NetpulseSource *source)
{
  const char *instance = netpulse_source_get_instance (source);

  if (instance == NULL || g_strcmp0 (instance, self->instance) != 0)
    {
      g_debug ("helper instance %s → %s: the table starts afresh",
               self->instance != NULL ? self->instance : "(unknown)",
               instance != NULL ? instance : "(unknown)");
      drop_pending (self);
      netpulse_connection_store_clear (self->store);
    }
  g_free (self->instance);
  self->instance = g_strdup (instance);
}

static void
on_source_snapshot (NetpulseFeed   *self,
                    guint64         timestamp_ns,
                    GArray         *records,
                    NetpulseSource *source)
{
  if (records == NULL)
    return;
  check_instance (self, source);
  if (self->paused)
    {
      /* The whole table: what was held back before it no longer counts. */
      drop_pending (self);
      self->replace = TRUE;
      hold_update (self, timestamp_ns, (const NetpulseRecord *) (gpointer) records->data, records->len,
                   NULL, 0);
      return;
    }
  netpulse_connection_store_replace (self->store, timestamp_ns,
                                     (const NetpulseRecord *) (gpointer) records->data, records->len);
  g_signal_emit (self, signals[APPLIED], 0);
}

/* ---- API -------------------------------------------------------------- */

NetpulseFeed *
netpulse_feed_new (NetpulseConnectionStore *store)
{
  g_return_val_if_fail (NETPULSE_IS_CONNECTION_STORE (store), NULL);

  return g_object_new (NETPULSE_TYPE_FEED, "store", store, NULL);
}

NetpulseConnectionStore *
netpulse_feed_get_store (NetpulseFeed *self)
{
  g_return_val_if_fail (NETPULSE_IS_FEED (self), NULL);

  return self->store;
}

NetpulseSource *
netpulse_feed_get_source (NetpulseFeed *self)
{
  g_return_val_if_fail (NETPULSE_IS_FEED (self), NULL);

  return self->source;
}

void
netpulse_feed_set_source (NetpulseFeed   *self,
                          NetpulseSource *source)
{
  g_return_if_fail (NETPULSE_IS_FEED (self));
  g_return_if_fail (source == NULL || NETPULSE_IS_SOURCE (source));

  if (self->source == source)
    return;
  if (self->source != NULL)
    g_signal_handlers_disconnect_by_data (self->source, self);
  g_set_object (&self->source, source);
  /* Held-back updates were another source's. */
  drop_pending (self);
  if (source != NULL)
    {
      g_signal_connect_object (source, "update", G_CALLBACK (on_source_update), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (source, "snapshot", G_CALLBACK (on_source_snapshot), self, G_CONNECT_SWAPPED);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOURCE]);
}

gboolean
netpulse_feed_get_paused (NetpulseFeed *self)
{
  g_return_val_if_fail (NETPULSE_IS_FEED (self), FALSE);

  return self->paused;
}

void
netpulse_feed_set_paused (NetpulseFeed *self,
                          gboolean      paused)
{
  g_return_if_fail (NETPULSE_IS_FEED (self));

  paused = !!paused;
  if (self->paused == paused)
    return;
  self->paused = paused;
  if (!paused)
    apply_pending (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

gboolean
netpulse_feed_has_pending (NetpulseFeed *self)
{
  g_return_val_if_fail (NETPULSE_IS_FEED (self), FALSE);

  return self->pending;
}

/* ---- object ----------------------------------------------------------- */

static void
netpulse_feed_dispose (GObject *object)
{
  NetpulseFeed *self = NETPULSE_FEED (object);

  if (self->source != NULL)
    g_signal_handlers_disconnect_by_data (self->source, self);
  g_clear_object (&self->source);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (netpulse_feed_parent_class)->dispose (object);
}

static void
netpulse_feed_finalize (GObject *object)
{
  NetpulseFeed *self = NETPULSE_FEED (object);

  g_array_unref (self->records);
  g_hash_table_unref (self->index);
  g_array_unref (self->removed);
  g_free (self->instance);

  G_OBJECT_CLASS (netpulse_feed_parent_class)->finalize (object);
}

static void
netpulse_feed_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  NetpulseFeed *self = NETPULSE_FEED (object);

  switch (prop_id)
    {
    case PROP_STORE:  g_value_set_object (value, self->store); break;
    case PROP_SOURCE: g_value_set_object (value, self->source); break;
    case PROP_PAUSED: g_value_set_boolean (value, self->paused); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netpulse_feed_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  NetpulseFeed *self = NETPULSE_FEED (object);

  switch (prop_id)
    {
    case PROP_STORE:  self->store = g_value_dup_object (value); break;
    case PROP_SOURCE: netpulse_feed_set_source (self, g_value_get_object (value)); break;
    case PROP_PAUSED: netpulse_feed_set_paused (self, g_value_get_boolean (value)); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netpulse_feed_class_init (NetpulseFeedClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = netpulse_feed_dispose;
  object_class->finalize = netpulse_feed_finalize;
  object_class->get_property = netpulse_feed_get_property;
  object_class->set_property = netpulse_feed_set_property;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, NETPULSE_TYPE_CONNECTION_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SOURCE] =
    g_param_spec_object ("source", NULL, NULL, NETPULSE_TYPE_SOURCE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[APPLIED] = g_signal_new ("applied", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
netpulse_feed_init (NetpulseFeed *self)
{
  self->records = g_array_new (FALSE, FALSE, sizeof (NetpulseRecord));
  self->index = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->removed = g_array_new (FALSE, FALSE, sizeof (guint64));
}
