/* netpulse-frame.c — the frames of a subscription's stream, and their reader.
 *
 * The reader trusts nothing it reads: the magic and the length limit are
 * checked before anything is allocated for the payload, and the payload is
 * accepted only in GVariant normal form, so that a hostile or broken writer
 * gets an error, never a crash or a table made of defaults.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-frame"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "netpulse-frame.h"
#include "netpulse-gvariant.h"

GBytes *
netpulse_frame_encode (GVariant *payload)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (payload);
  gsize size = g_variant_get_size (owned);
  guint32 header[2] = { NETPULSE_FRAME_MAGIC, (guint32) size };
  guint8 *data;

  g_return_val_if_fail (g_variant_is_of_type (owned, NETPULSE_FRAME_TYPE), NULL);
  g_return_val_if_fail (size <= NETPULSE_FRAME_MAX_LENGTH, NULL);

  data = g_malloc (sizeof header + size);
  memcpy (data, header, sizeof header);
  g_variant_store (owned, data + sizeof header);
  return g_bytes_new_take (data, sizeof header + size);
}

/* An empty array has no data at all (NULL). */
static void
copy_serialised (guint8   *dest,
                 GVariant *value)
{
  gsize size = g_variant_get_size (value);

  if (size > 0)
    memcpy (dest, g_variant_get_data (value), size);
}

/* The payload (ttua(…)ata{sv}) laid out as GVariant would: the three
 * numbers (24 bytes with the padding before the array), the records, then
 * the removed ids and extra each at a multiple of 8, then the end of the
 * records and of the removed ids as framing offsets, the first last. */
GPtrArray *
netpulse_frame_encode_pieces (guint64   sequence,
                              guint64   timestamp_ns,
                              guint32   flags,
                              GVariant *records,
                              GVariant *removed,
                              GVariant *extra)
{
  g_autoptr(GVariant) owned_records = g_variant_ref_sink (records);
  g_autoptr(GVariant) owned_removed = g_variant_ref_sink (removed);
  g_autoptr(GVariant) owned_extra = g_variant_ref_sink (extra);
  g_autoptr(GPtrArray) pieces = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gsize records_end = 24 + g_variant_get_size (owned_records);
  gsize removed_start = netpulse_gvariant_align (records_end, 8);
  gsize removed_end = removed_start + g_variant_get_size (owned_removed);
  gsize extra_start = netpulse_gvariant_align (removed_end, 8);
  gsize body = extra_start + g_variant_get_size (owned_extra);
  guint width = netpulse_gvariant_offset_size (body, 2);
  gsize size = body + 2 * (gsize) width;
  guint32 head[8] = { NETPULSE_FRAME_MAGIC, (guint32) size };
  gsize tail_size = size - records_end;
  guint8 *tail, *p;

  g_return_val_if_fail (g_variant_is_of_type (owned_records, NETPULSE_RECORDS_TYPE), NULL);
  g_return_val_if_fail (g_variant_is_of_type (owned_removed, G_VARIANT_TYPE ("at")), NULL);
  g_return_val_if_fail (g_variant_is_of_type (owned_extra, G_VARIANT_TYPE_VARDICT), NULL);
  g_return_val_if_fail (size <= NETPULSE_FRAME_MAX_LENGTH, NULL);

  /* The numbers in host order, as g_variant_store() writes them. */
  memcpy (&head[2], &sequence, sizeof sequence);
  memcpy (&head[4], &timestamp_ns, sizeof timestamp_ns);
  memcpy (&head[6], &flags, sizeof flags);
  head[7] = 0;
  g_ptr_array_add (pieces, g_bytes_new (head, sizeof head));
  g_ptr_array_add (pieces, g_variant_get_data_as_bytes (owned_records));

  tail = g_malloc0 (tail_size);
  copy_serialised (tail + (removed_start - records_end), owned_removed);
  copy_serialised (tail + (extra_start - records_end), owned_extra);
  p = tail + (body - records_end);
  p = netpulse_gvariant_write_offset (p, removed_end, width);
  netpulse_gvariant_write_offset (p, records_end, width);
  g_ptr_array_add (pieces, g_bytes_new_take (tail, tail_size));
  return g_steal_pointer (&pieces);
}

gsize
netpulse_frame_pieces_get_size (GPtrArray *pieces)
{
  gsize size = 0;

  for (guint i = 0; i < pieces->len; i++)
    size += g_bytes_get_size (g_ptr_array_index (pieces, i));
  return size;
}

struct _NetpulseFrameReader
{
  GObject       parent_instance;

  GInputStream *stream;
  GCancellable *cancellable;
  guint32       header[2];
  guint8       *payload;          /* being read */
  gsize         length;
  gboolean      running;
};

G_DEFINE_FINAL_TYPE (NetpulseFrameReader, netpulse_frame_reader, G_TYPE_OBJECT)

enum {
  SIGNAL_FRAME,
  SIGNAL_END,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void read_header (NetpulseFrameReader *self);

static void
finish (NetpulseFrameReader *self,
        GError              *error)
{
  g_autoptr(GError) owned = error;

  if (!self->running)
    return;
  self->running = FALSE;
  g_clear_pointer (&self->payload, g_free);
  g_signal_emit (self, signals[SIGNAL_END], 0, owned);
}

static GError *
invalid (const char *message)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA, message);
}

/* After a read: stop()ped meanwhile, or the read failed. */
static void
stopped_or_failed (NetpulseFrameReader *self,
                   GError              *error)
{
  if (!self->running)
    {
      g_clear_error (&error);
      return;
    }
  finish (self, error);
}

static void
payload_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(NetpulseFrameReader) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) frame = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize got = 0;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (object), result, &got, &error) ||
      !self->running)
    {
      stopped_or_failed (self, g_steal_pointer (&error));
      return;
    }
  if (got < self->length)
    {
      finish (self, invalid (_("The helper's stream ended in the middle of a frame")));
      return;
    }

  bytes = g_bytes_new_take (g_steal_pointer (&self->payload), self->length);
  frame = g_variant_ref_sink (g_variant_new_from_bytes (NETPULSE_FRAME_TYPE, bytes, FALSE));
  /* Not in normal form: the bytes are not what the helper's serialiser
   * makes (wrong type, truncated, garbage). */
  if (!g_variant_is_normal_form (frame))
    {
      finish (self, invalid (_("The helper sent a malformed frame")));
      return;
    }

  g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_FRAME], 0, frame);
  if (self->running)
    read_header (self);
  g_object_unref (self);
}

static void
header_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(NetpulseFrameReader) self = user_data;
  g_autoptr(GError) error = NULL;
  gsize got = 0;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (object), result, &got, &error) ||
      !self->running)
    {
      stopped_or_failed (self, g_steal_pointer (&error));
      return;
    }

  if (got == 0)
    {
      finish (self, NULL);
      return;
    }
  if (got < sizeof self->header)
    {
      finish (self, invalid (_("The helper's stream ended in the middle of a frame")));
      return;
    }
  if (self->header[0] != NETPULSE_FRAME_MAGIC)
    {
      finish (self, invalid (_("The helper's stream is not a stream of frames (bad magic)")));
      return;
    }
  self->length = self->header[1];
  if (self->length > NETPULSE_FRAME_MAX_LENGTH)
    {
      finish (self, invalid (_("The helper sent a frame longer than the limit")));
      return;
    }

  /* g_malloc0: a frame shorter than announced is refused above, but the
   * buffer must never hold stale heap bytes either way. */
  self->payload = g_malloc0 (MAX (self->length, 1));
  g_input_stream_read_all_async (self->stream, self->payload, self->length, G_PRIORITY_DEFAULT,
                                 self->cancellable, payload_cb, g_object_ref (self));
}

static void
read_header (NetpulseFrameReader *self)
{
  g_input_stream_read_all_async (self->stream, self->header, sizeof self->header,
                                 G_PRIORITY_DEFAULT, self->cancellable, header_cb,
                                 g_object_ref (self));
}

NetpulseFrameReader *
netpulse_frame_reader_new (GInputStream *stream)
{
  NetpulseFrameReader *self;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);

  self = g_object_new (NETPULSE_TYPE_FRAME_READER, NULL);
  self->stream = g_object_ref (stream);
  return self;
}

void
netpulse_frame_reader_start (NetpulseFrameReader *self)
{
  g_return_if_fail (NETPULSE_IS_FRAME_READER (self));
  g_return_if_fail (!self->running && self->cancellable == NULL);

  self->running = TRUE;
  self->cancellable = g_cancellable_new ();
  read_header (self);
}

void
netpulse_frame_reader_stop (NetpulseFrameReader *self)
{
  g_return_if_fail (NETPULSE_IS_FRAME_READER (self));

  self->running = FALSE;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

static void
netpulse_frame_reader_dispose (GObject *object)
{
  NetpulseFrameReader *self = NETPULSE_FRAME_READER (object);

  /* A read in flight holds a reference: none is pending here. */
  if (self->stream != NULL && !g_input_stream_is_closed (self->stream))
    g_input_stream_close (self->stream, NULL, NULL);

  G_OBJECT_CLASS (netpulse_frame_reader_parent_class)->dispose (object);
}

static void
netpulse_frame_reader_finalize (GObject *object)
{
  NetpulseFrameReader *self = NETPULSE_FRAME_READER (object);

  g_clear_object (&self->stream);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->payload, g_free);

  G_OBJECT_CLASS (netpulse_frame_reader_parent_class)->finalize (object);
}

static void
netpulse_frame_reader_class_init (NetpulseFrameReaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = netpulse_frame_reader_dispose;
  object_class->finalize = netpulse_frame_reader_finalize;

  signals[SIGNAL_FRAME] =
    g_signal_new ("frame", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_VARIANT | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_END] =
    g_signal_new ("end", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
netpulse_frame_reader_init (NetpulseFrameReader *self)
{
}
