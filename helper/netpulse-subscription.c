/* netpulse-subscription.c — one Subscribe()d stream of frames.
 *
 * A subscription only remembers where its subscriber is in the collector's
 * history (the generation of its last frame), its sequence number and its
 * stream; the
 * records themselves live in the collector, shared by all subscriptions.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-subscription"

#include "config.h"

#include "netpulse-frame.h"
#include "netpulse-helper-error.h"
#include "netpulse-record-writer.h"
#include "netpulse-subscription.h"

struct _NetpulseSubscription
{
  GObject  parent_instance;

  char    *object_path;
  char    *owner;
  guint    interval_ms;
  guint    window_ms;         /* of the smoothed rates */
  NetpulseStream *stream;

  guint64  sequence;          /* of the last frame built */
  guint64  generation;        /* collector generation of the last frame; 0 = none yet */
  gint64   last_update_us;    /* monotonic time of the last frame; 0 = none yet */
  gboolean building;          /* a frame is in the sender thread */
  gboolean snapshot_next;     /* GetSnapshot was called */
  guint    skipped;           /* intervals skipped in a row while busy */
  gint64   skipping_since_us;
};

G_DEFINE_FINAL_TYPE (NetpulseSubscription, netpulse_subscription, G_TYPE_OBJECT)

static void
netpulse_subscription_finalize (GObject *object)
{
  NetpulseSubscription *self = NETPULSE_SUBSCRIPTION (object);

  g_clear_pointer (&self->object_path, g_free);
  g_clear_pointer (&self->owner, g_free);
  g_clear_object (&self->stream);

  G_OBJECT_CLASS (netpulse_subscription_parent_class)->finalize (object);
}

static void
netpulse_subscription_class_init (NetpulseSubscriptionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = netpulse_subscription_finalize;
}

static void
netpulse_subscription_init (NetpulseSubscription *self)
{
}

/* Any D-Bus integer type, as a signed 64-bit value plus "too big for that".
 * Returns FALSE for non-integer types. */
static gboolean
variant_get_integer (GVariant *value,
                     gint64   *out,
                     gboolean *too_big)
{
  *too_big = FALSE;

  switch (g_variant_classify (value))
    {
    case G_VARIANT_CLASS_BYTE:
      *out = g_variant_get_byte (value);
      return TRUE;
    case G_VARIANT_CLASS_INT16:
      *out = g_variant_get_int16 (value);
      return TRUE;
    case G_VARIANT_CLASS_UINT16:
      *out = g_variant_get_uint16 (value);
      return TRUE;
    case G_VARIANT_CLASS_INT32:
      *out = g_variant_get_int32 (value);
      return TRUE;
    case G_VARIANT_CLASS_UINT32:
      *out = g_variant_get_uint32 (value);
      return TRUE;
    case G_VARIANT_CLASS_INT64:
      *out = g_variant_get_int64 (value);
      return TRUE;
    case G_VARIANT_CLASS_UINT64:
      {
        guint64 v = g_variant_get_uint64 (value);

        *too_big = v > G_MAXINT64;
        *out = *too_big ? G_MAXINT64 : (gint64) v;
        return TRUE;
      }
    case G_VARIANT_CLASS_BOOLEAN:
    case G_VARIANT_CLASS_HANDLE:
    case G_VARIANT_CLASS_DOUBLE:
    case G_VARIANT_CLASS_STRING:
    case G_VARIANT_CLASS_OBJECT_PATH:
    case G_VARIANT_CLASS_SIGNATURE:
    case G_VARIANT_CLASS_VARIANT:
    case G_VARIANT_CLASS_MAYBE:
    case G_VARIANT_CLASS_ARRAY:
    case G_VARIANT_CLASS_TUPLE:
    case G_VARIANT_CLASS_DICT_ENTRY:
    default:
      return FALSE;
    }
}

/* A duration in milliseconds between @min and @max. */
static gboolean
parse_milliseconds (const char  *key,
                    GVariant    *value,
                    guint        min,
                    guint        max,
                    guint       *out,
                    GError     **error)
{
  gboolean too_big;
  gint64 v;

  /* The API says u; the other integer types are accepted as a courtesy to
   * scripts (`gdbus call` turns a bare 500 into an i). */
  if (!variant_get_integer (value, &v, &too_big))
    {
      g_set_error (error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_INVALID_OPTION,
                   "Option “%s” must be an unsigned integer (type “u”), not type “%s”",
                   key, g_variant_get_type_string (value));
      return FALSE;
    }

  if (too_big || v < min || v > max)
    {
      g_autofree char *text = g_variant_print (value, FALSE);

      g_set_error (error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_INVALID_OPTION,
                   "Option “%s” must be between %u and %u (milliseconds), not %s",
                   key, min, max, text);
      return FALSE;
    }

  *out = (guint) v;
  return TRUE;
}

static gboolean
parse_option (const char                  *key,
              GVariant                    *value,
              NetpulseSubscriptionOptions *options,
              GError                     **error)
{
  if (g_str_equal (key, "interval-ms"))
    return parse_milliseconds (key, value, NETPULSE_INTERVAL_MIN_MS, NETPULSE_INTERVAL_MAX_MS,
                               &options->interval_ms, error);
  if (g_str_equal (key, "window-ms"))
    return parse_milliseconds (key, value, NETPULSE_WINDOW_MIN_MS, NETPULSE_WINDOW_MAX_MS,
                               &options->window_ms, error);

  {
    g_autofree char *quoted = netpulse_helper_error_quote (key);

    g_set_error (error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_INVALID_OPTION,
                 "Unknown option “%s” (known options: “interval-ms”, “window-ms”)", quoted);
    return FALSE;
  }
}

void
netpulse_subscription_options_init (NetpulseSubscriptionOptions *options)
{
  options->interval_ms = NETPULSE_INTERVAL_DEFAULT_MS;
  options->window_ms = NETPULSE_WINDOW_DEFAULT_MS;
}

gboolean
netpulse_subscription_parse_options (GVariant                    *options,
                                     NetpulseSubscriptionOptions *parsed,
                                     GError                     **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  NetpulseSubscriptionOptions result = *parsed;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (g_variant_is_of_type (options, G_VARIANT_TYPE_VARDICT), FALSE);
  g_return_val_if_fail (parsed != NULL, FALSE);

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    {
      /* A dict on the wire may repeat a key; which one would win is
       * anybody's guess, so refuse it. */
      if (!g_hash_table_add (seen, (gpointer) key))
        {
          g_autofree char *quoted = netpulse_helper_error_quote (key);

          g_set_error (error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_INVALID_OPTION,
                       "Option “%s” is given more than once", quoted);
          g_variant_unref (value);
          return FALSE;
        }

      if (!parse_option (key, value, &result, error))
        {
          g_variant_unref (value);
          return FALSE;
        }
    }

  *parsed = result;
  return TRUE;
}

static gboolean
options_are_valid (const NetpulseSubscriptionOptions *options)
{
  return options->interval_ms >= NETPULSE_INTERVAL_MIN_MS &&
         options->interval_ms <= NETPULSE_INTERVAL_MAX_MS &&
         options->window_ms >= NETPULSE_WINDOW_MIN_MS &&
         options->window_ms <= NETPULSE_WINDOW_MAX_MS;
}

NetpulseSubscription *
netpulse_subscription_new (const char                        *object_path,
                           const char                        *owner,
                           const NetpulseSubscriptionOptions *options,
                           NetpulseStream                    *stream)
{
  NetpulseSubscription *self;

  g_return_val_if_fail (g_variant_is_object_path (object_path), NULL);
  g_return_val_if_fail (owner != NULL, NULL);
  g_return_val_if_fail (options_are_valid (options), NULL);
  g_return_val_if_fail (NETPULSE_IS_STREAM (stream), NULL);

  self = g_object_new (NETPULSE_TYPE_SUBSCRIPTION, NULL);
  self->object_path = g_strdup (object_path);
  self->owner = g_strdup (owner);
  self->interval_ms = options->interval_ms;
  self->window_ms = options->window_ms;
  self->stream = g_object_ref (stream);
  return self;
}

void
netpulse_subscription_get_options (NetpulseSubscription        *self,
                                   NetpulseSubscriptionOptions *options)
{
  g_return_if_fail (NETPULSE_IS_SUBSCRIPTION (self));

  options->interval_ms = self->interval_ms;
  options->window_ms = self->window_ms;
}

void
netpulse_subscription_set_options (NetpulseSubscription              *self,
                                   const NetpulseSubscriptionOptions *options)
{
  g_return_if_fail (NETPULSE_IS_SUBSCRIPTION (self));
  g_return_if_fail (options_are_valid (options));

  self->interval_ms = options->interval_ms;
  self->window_ms = options->window_ms;
}

guint
netpulse_subscription_get_window_ms (NetpulseSubscription *self)
{
  g_return_val_if_fail (NETPULSE_IS_SUBSCRIPTION (self), 0);

  return self->window_ms;
}

const char *
netpulse_subscription_get_object_path (NetpulseSubscription *self)
{
  g_return_val_if_fail (NETPULSE_IS_SUBSCRIPTION (self), NULL);

  return self->object_path;
}

const char *
netpulse_subscription_get_owner (NetpulseSubscription *self)
{
  g_return_val_if_fail (NETPULSE_IS_SUBSCRIPTION (self), NULL);

  return self->owner;
}

guint
netpulse_subscription_get_interval_ms (NetpulseSubscription *self)
{
  g_return_val_if_fail (NETPULSE_IS_SUBSCRIPTION (self), 0);

  return self->interval_ms;
}

NetpulseStream *
netpulse_subscription_get_stream (NetpulseSubscription *self)
{
  g_return_val_if_fail (NETPULSE_IS_SUBSCRIPTION (self), NULL);

  return self->stream;
}

gboolean
netpulse_subscription_is_busy (NetpulseSubscription *self)
{
  g_return_val_if_fail (NETPULSE_IS_SUBSCRIPTION (self), FALSE);

  return self->building || netpulse_stream_is_busy (self->stream);
}

void
netpulse_subscription_set_building (NetpulseSubscription *self,
                                    gboolean              building)
{
  g_return_if_fail (NETPULSE_IS_SUBSCRIPTION (self));

  self->building = building;
}

guint
netpulse_subscription_skip (NetpulseSubscription *self,
                            gint64                now_us,
                            gint64               *since_us)
{
  g_return_val_if_fail (NETPULSE_IS_SUBSCRIPTION (self), 0);

  if (self->skipped++ == 0)
    self->skipping_since_us = now_us;
  /* The skipped interval counts as gone by: the next one is due an
   * interval later, not at every tick. */
  self->last_update_us = now_us;
  if (since_us != NULL)
    *since_us = self->skipping_since_us;
  return self->skipped;
}

guint64
netpulse_subscription_request_snapshot (NetpulseSubscription *self)
{
  g_return_val_if_fail (NETPULSE_IS_SUBSCRIPTION (self), 0);

  self->snapshot_next = TRUE;
  return self->sequence + 1;
}

gboolean
netpulse_subscription_wants_snapshot (NetpulseSubscription *self)
{
  g_return_val_if_fail (NETPULSE_IS_SUBSCRIPTION (self), FALSE);

  return self->sequence == 0 || self->snapshot_next;
}

guint64
netpulse_subscription_get_sequence (NetpulseSubscription *self)
{
  g_return_val_if_fail (NETPULSE_IS_SUBSCRIPTION (self), 0);

  return self->sequence;
}

gboolean
netpulse_subscription_is_due (NetpulseSubscription *self,
                              gint64                now_us,
                              gint64                slack_us)
{
  g_return_val_if_fail (NETPULSE_IS_SUBSCRIPTION (self), FALSE);

  if (self->sequence == 0)
    return TRUE;

  return now_us - self->last_update_us + slack_us >= (gint64) self->interval_ms * 1000;
}

guint64
netpulse_subscription_get_generation (NetpulseSubscription *self)
{
  g_return_val_if_fail (NETPULSE_IS_SUBSCRIPTION (self), 0);

  return self->generation;
}

guint64
netpulse_subscription_advance (NetpulseSubscription *self,
                               NetpulseCollector    *collector,
                               gint64                now_us,
                               guint32              *flags)
{
  g_return_val_if_fail (NETPULSE_IS_SUBSCRIPTION (self), 0);
  g_return_val_if_fail (NETPULSE_IS_COLLECTOR (collector), 0);

  *flags = netpulse_subscription_wants_snapshot (self) ? NETPULSE_FRAME_SNAPSHOT : 0;
  self->snapshot_next = FALSE;
  self->skipped = 0;
  self->generation = netpulse_collector_get_generation (collector);
  self->last_update_us = now_us;
  return ++self->sequence;
}

struct _NetpulseChanges
{
  /* The records written as they are collected, straight into the form
   * they travel in: at 100,000 flows a copy of each record (1 KiB) and a
   * GVariant per record cost more than the rest of the first Update. */
  NetpulseRecordWriter *writer;
  guint                 n_records;
  GArray               *removed;         /* guint64 */
  GVariant             *records_variant; /* built on first use */
  GVariant             *removed_variant;
};

static void
add_changed_record (const NetpulseRecord *record,
                    gpointer              user_data)
{
  NetpulseChanges *changes = user_data;

  /* A closed connection is sent once: its final record, flagged CLOSED.
   * `removed` is for ids dropped without one (none today). */
  netpulse_record_writer_add (changes->writer, record);
}

NetpulseChanges *
netpulse_changes_collect (NetpulseCollector *collector,
                          guint64            since_generation,
                          guint              window_ms)
{
  NetpulseChanges *changes;

  g_return_val_if_fail (NETPULSE_IS_COLLECTOR (collector), NULL);

  changes = g_atomic_rc_box_new0 (NetpulseChanges);
  changes->writer = netpulse_record_writer_new ();
  changes->removed = g_array_new (FALSE, FALSE, sizeof (guint64));
  netpulse_collector_foreach_changed (collector, since_generation, window_ms, add_changed_record, changes);
  changes->n_records = netpulse_record_writer_get_n_records (changes->writer);
  return changes;
}

NetpulseChanges *
netpulse_changes_ref (NetpulseChanges *changes)
{
  return g_atomic_rc_box_acquire (changes);
}

static void
netpulse_changes_clear (gpointer data)
{
  NetpulseChanges *changes = data;

  netpulse_record_writer_free (changes->writer);
  g_array_unref (changes->removed);
  g_clear_pointer (&changes->records_variant, g_variant_unref);
  g_clear_pointer (&changes->removed_variant, g_variant_unref);
}

void
netpulse_changes_unref (NetpulseChanges *changes)
{
  g_atomic_rc_box_release_full (changes, netpulse_changes_clear);
}

guint
netpulse_changes_get_n_records (NetpulseChanges *changes)
{
  return changes->n_records;
}

static void
build_arrays (NetpulseChanges *changes)
{
  if (changes->records_variant != NULL)
    return;

  changes->records_variant = g_variant_ref_sink (netpulse_record_writer_end (changes->writer));
  changes->removed_variant =
    g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64,
                                                   changes->removed->data,
                                                   changes->removed->len,
                                                   sizeof (guint64)));
}

GPtrArray *
netpulse_changes_build_frame (NetpulseChanges *changes,
                              guint64          sequence,
                              guint64          timestamp_ns,
                              guint32          flags,
                              const char      *instance_id)
{
  g_auto(GVariantDict) extra = G_VARIANT_DICT_INIT (NULL);

  g_return_val_if_fail (changes != NULL, NULL);
  g_return_val_if_fail (instance_id != NULL, NULL);

  build_arrays (changes);
  g_variant_dict_insert (&extra, "instance", "s", instance_id);
  return netpulse_frame_encode_pieces (sequence, timestamp_ns, flags,
                                       changes->records_variant,
                                       changes->removed_variant,
                                       g_variant_dict_end (&extra));
}

GBytes *
netpulse_frame_new_end (guint64       sequence,
                        const GError *reason,
                        const char   *instance_id)
{
  g_auto(GVariantDict) extra = G_VARIANT_DICT_INIT (NULL);
  g_autofree char *name = g_dbus_error_encode_gerror (reason);

  g_variant_dict_insert (&extra, "instance", "s", instance_id);
  g_variant_dict_insert (&extra, "error", "s", name);
  g_variant_dict_insert (&extra, "message", "s", reason->message);
  return netpulse_frame_encode (g_variant_new ("(ttu@a" NETPULSE_RECORD_SIGNATURE "@at@a{sv})",
                                               sequence, (guint64) g_get_real_time () * 1000,
                                               (guint32) NETPULSE_FRAME_END,
                                               g_variant_new_array (NETPULSE_RECORD_TYPE, NULL, 0),
                                               g_variant_new_array (G_VARIANT_TYPE_UINT64, NULL, 0),
                                               g_variant_dict_end (&extra)));
}
