/* netpulse-client-stream.c — the frames of a subscription's stream, checked and turned
 * into NetpulseClient's update and snapshot signals.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "netpulse-client-private.h"
#include "netpulse-record-reader.h"

/* Records {{{1 */

/* Straight from the frame's bytes (netpulse-record-reader.c): the frame
 * reader took it in normal form only, so every record parses. */
static GArray *
records_from_variant (GVariant *array)
{
  GArray *records = g_array_sized_new (FALSE, FALSE, sizeof (NetpulseRecord), 0);
  g_autoptr(GError) error = NULL;

  if (!netpulse_record_reader_read (array, records, &error))
    g_warning ("A frame in normal form whose records do not read: %s", error->message);
  return records;
}

static GArray *
ids_from_variant (GVariant *array)
{
  gsize n = 0;
  const guint64 *ids = g_variant_get_fixed_array (array, &n, sizeof (guint64));
  GArray *removed = g_array_sized_new (FALSE, FALSE, sizeof (guint64), n);

  g_array_append_vals (removed, ids, n);
  return removed;
}

/* The stream {{{1 */


void
_netpulse_client_on_frame (NetpulseFrameReader *reader,
          GVariant            *frame,
          gpointer             user_data)
{
  NetpulseClient *self = user_data;
  g_autoptr(GVariant) changed_v = NULL;
  g_autoptr(GVariant) removed_v = NULL;
  g_autoptr(GVariant) extra = NULL;
  g_autoptr(GArray) changed = NULL;
  g_autoptr(GArray) removed = NULL;
  guint64 sequence, timestamp;
  guint32 flags;

  if (self->state != NETPULSE_CLIENT_STATE_SUBSCRIBED)
    return;

  g_variant_get (frame, "(ttu@a" NETPULSE_RECORD_SIGNATURE "@at@a{sv})",
                 &sequence, &timestamp, &flags, &changed_v, &removed_v, &extra);

  if (flags & NETPULSE_FRAME_END)
    {
      const char *name = "", *message = "";

      g_variant_lookup (extra, "error", "&s", &name);
      g_variant_lookup (extra, "message", "&s", &message);
      g_debug ("END frame: %s: %s", name, message);
      _netpulse_client_fail (self, _netpulse_client_ended_error (name, message), FALSE);
      return;
    }

  if (sequence != self->sequence + 1)
    {
      g_autofree char *got = g_strdup_printf ("%" G_GUINT64_FORMAT, sequence);
      g_autofree char *last = g_strdup_printf ("%" G_GUINT64_FORMAT, self->sequence);
      /* Translators: frame numbers of the helper's stream. */
      g_autofree char *text = g_strdup_printf (_("frame %s after frame %s"), got, last);

      _netpulse_client_fail (self, _netpulse_client_broken_stream_error (text), TRUE);
      return;
    }
  if (sequence == 1 && !(flags & NETPULSE_FRAME_SNAPSHOT))
    {
      _netpulse_client_fail (self, _netpulse_client_broken_stream_error (_("the first frame is not a snapshot")), TRUE);
      return;
    }

  changed = records_from_variant (changed_v);
  removed = ids_from_variant (removed_v);
  self->sequence = sequence;
  _netpulse_client_set_instance_id (self, extra);

  /* The first frame (and one after GetSnapshot) is the whole table. */
  if (flags & NETPULSE_FRAME_SNAPSHOT)
    g_signal_emit_by_name (self, "snapshot", sequence, timestamp, changed);
  else
    g_signal_emit_by_name (self, "update", sequence, timestamp, changed, removed);
}

typedef struct {
  NetpulseClient *self;
  guint           session;
  GError         *error;     /* the stream's, NULL at a clean end */
} StreamEnd;

static void
stream_end_ping_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  StreamEnd *end = user_data;
  NetpulseClient *self = end->self;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);

  /* The Ended signal, if any, came before this reply and has ended the
   * session with its reason. */
  if (self->session == end->session && self->state == NETPULSE_CLIENT_STATE_SUBSCRIBED)
    {
      if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _netpulse_client_fail (self, g_error_new (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_LOST,
                                 _("The Netpulse helper left the system bus")), FALSE);
      else if (end->error != NULL)
        _netpulse_client_fail (self, _netpulse_client_broken_stream_error (end->error->message), TRUE);
      else
        _netpulse_client_fail (self, g_error_new_literal (NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_SUBSCRIPTION_ENDED,
                                         _("The Netpulse helper ended the subscription")), TRUE);
    }

  g_clear_error (&end->error);
  g_object_unref (end->self);
  g_free (end);
}

void
_netpulse_client_on_stream_end (NetpulseFrameReader *reader,
               GError              *error,
               gpointer             user_data)
{
  NetpulseClient *self = user_data;
  StreamEnd *end;

  if (self->state != NETPULSE_CLIENT_STATE_SUBSCRIBED)
    return;

  g_debug ("End of the stream%s%s", error ? ": " : "", error ? error->message : "");

  end = g_new0 (StreamEnd, 1);
  end->self = g_object_ref (self);
  end->session = self->session;
  end->error = error != NULL ? g_error_copy (error) : NULL;
  g_dbus_connection_call (self->connection, self->helper_owner, "/",
                          "org.freedesktop.DBus.Peer", "Ping", NULL, G_VARIANT_TYPE_UNIT,
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, stream_end_ping_cb, end);
}

