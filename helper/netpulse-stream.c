/* netpulse-stream.c — the helper's end of one subscriber's stream.
 *
 * Why a socket of its own per subscriber: over the bus, a subscriber that
 * stops reading makes dbus-daemon buffer the helper's messages for it and
 * then stop reading the helper's connection, which freezes the helper for
 * everyone.  Here the only buffer a stopped reader fills is this socket's,
 * and a full socket only makes this stream busy: writes never block (the
 * socket is non-blocking, the rest of a frame goes out from a G_IO_OUT
 * watch), and the caller skips the intervals that come due meanwhile.
 *
 * The helper's end is shut down for reading: a subscriber cannot make the
 * helper buffer anything either.  Its hang-up (the subscriber closed its
 * end, or exited) is watched all the time, busy or not.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-stream"

#include "config.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netpulse-stream.h"

struct _NetpulseStream
{
  GObject   parent_instance;

  GSocket  *socket;
  GSource  *watch;
  GPtrArray *frame;      /* GBytes being written, in order; NULL when idle */
  guint     piece;       /* the first not written in full */
  gsize     written;     /* of that piece */
  gboolean  closed;
};

G_DEFINE_FINAL_TYPE (NetpulseStream, netpulse_stream, G_TYPE_OBJECT)

enum {
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void watch (NetpulseStream *self);

static void
set_closed (NetpulseStream *self)
{
  if (self->closed)
    return;

  self->closed = TRUE;
  g_clear_pointer (&self->frame, g_ptr_array_unref);
  if (self->watch != NULL)
    {
      g_source_destroy (self->watch);
      g_clear_pointer (&self->watch, g_source_unref);
    }
  if (self->socket != NULL)
    g_socket_close (self->socket, NULL);

  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
}

#define MAX_VECTORS 8

/* The rest of the frame as vectors for one sendmsg(). */
static guint
unsent_vectors (NetpulseStream *self,
                GOutputVector  *vectors)
{
  guint n = 0;

  for (guint i = self->piece; i < self->frame->len && n < MAX_VECTORS; i++)
    {
      gsize size = 0;
      const guint8 *data = g_bytes_get_data (g_ptr_array_index (self->frame, i), &size);
      gsize skip = i == self->piece ? self->written : 0;

      vectors[n].buffer = data + skip;
      vectors[n].size = size - skip;
      n++;
    }
  return n;
}

/* @n bytes were sent: past the pieces they finish. */
static void
advance (NetpulseStream *self,
         gsize           n)
{
  while (self->piece < self->frame->len)
    {
      gsize left = g_bytes_get_size (g_ptr_array_index (self->frame, self->piece)) - self->written;

      if (n < left)
        {
          self->written += n;
          return;
        }
      n -= left;
      self->piece++;
      self->written = 0;
    }
  g_clear_pointer (&self->frame, g_ptr_array_unref);
  self->piece = 0;
}

/* Writes as much of the frame as the socket takes now.  Returns FALSE when
 * the stream is gone. */
static gboolean
write_some (NetpulseStream *self)
{
  while (self->frame != NULL)
    {
      g_autoptr(GError) error = NULL;
      GOutputVector vectors[MAX_VECTORS];
      guint n_vectors = unsent_vectors (self, vectors);
      gssize n;

      /* GSocket sends with MSG_NOSIGNAL: a closed peer is EPIPE, not SIGPIPE. */
      n = g_socket_send_message (self->socket, NULL, vectors, n_vectors, NULL, 0, 0, NULL, &error);
      if (n < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return TRUE;
          g_debug ("Stream write failed: %s", error->message);
          set_closed (self);
          return FALSE;
        }
      advance (self, (gsize) n);
    }
  return TRUE;
}

static gboolean
socket_cb (GSocket      *socket,
           GIOCondition  condition,
           gpointer      user_data)
{
  NetpulseStream *self = user_data;
  gboolean was_busy = self->frame != NULL;

  if (condition & (G_IO_HUP | G_IO_ERR))
    {
      g_autoptr(NetpulseStream) keep = g_object_ref (self);

      g_clear_pointer (&self->watch, g_source_unref);
      set_closed (self);
      return G_SOURCE_REMOVE;
    }

  if ((condition & G_IO_OUT) && !write_some (self))
    return G_SOURCE_REMOVE;

  /* Done with the frame: back to watching for the hang-up only. */
  if (was_busy && self->frame == NULL)
    {
      g_clear_pointer (&self->watch, g_source_unref);
      watch (self);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
watch (NetpulseStream *self)
{
  GIOCondition condition = G_IO_HUP | G_IO_ERR;

  if (self->closed)
    return;
  if (self->watch != NULL)
    {
      g_source_destroy (self->watch);
      g_clear_pointer (&self->watch, g_source_unref);
    }
  if (self->frame != NULL)
    condition |= G_IO_OUT;

  self->watch = g_socket_create_source (self->socket, condition, NULL);
  g_source_set_callback (self->watch, (GSourceFunc) (void (*) (void)) socket_cb, self, NULL);
  g_source_set_static_name (self->watch, "[netpulse] subscriber stream");
  g_source_attach (self->watch, g_main_context_get_thread_default ());
}

NetpulseStream *
netpulse_stream_new (int     *peer_fd,
                     GError **error)
{
  g_autoptr(NetpulseStream) self = NULL;
  int fds[2];

  g_return_val_if_fail (peer_fd != NULL, NULL);

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not create a stream: %s", g_strerror (saved));
      return NULL;
    }

  /* Nothing is ever read from the subscriber. */
  shutdown (fds[0], SHUT_RD);

  self = g_object_new (NETPULSE_TYPE_STREAM, NULL);
  self->socket = g_socket_new_from_fd (fds[0], error);
  if (self->socket == NULL)
    {
      close (fds[0]);
      close (fds[1]);
      return NULL;
    }
  g_socket_set_blocking (self->socket, FALSE);
  watch (self);

  *peer_fd = fds[1];
  return g_steal_pointer (&self);
}

gboolean
netpulse_stream_is_busy (NetpulseStream *self)
{
  g_return_val_if_fail (NETPULSE_IS_STREAM (self), FALSE);

  return self->frame != NULL;
}

gboolean
netpulse_stream_is_closed (NetpulseStream *self)
{
  g_return_val_if_fail (NETPULSE_IS_STREAM (self), TRUE);

  return self->closed;
}

gsize
netpulse_stream_get_unsent (NetpulseStream *self)
{
  gsize unsent = 0;

  g_return_val_if_fail (NETPULSE_IS_STREAM (self), 0);

  if (self->frame == NULL)
    return 0;
  for (guint i = self->piece; i < self->frame->len; i++)
    unsent += g_bytes_get_size (g_ptr_array_index (self->frame, i));
  return unsent - self->written;
}

void
netpulse_stream_send (NetpulseStream *self,
                      GPtrArray      *frame)
{
  g_return_if_fail (NETPULSE_IS_STREAM (self));
  g_return_if_fail (frame != NULL);
  g_return_if_fail (self->frame == NULL);

  if (self->closed || frame->len == 0)
    return;

  self->frame = g_ptr_array_ref (frame);
  self->piece = 0;
  self->written = 0;
  if (!write_some (self))
    return;
  if (self->frame != NULL)
    watch (self);
}

gboolean
netpulse_stream_send_last (NetpulseStream *self,
                           GBytes         *frame)
{
  gsize size = 0;
  const char *data;
  gssize n;

  g_return_val_if_fail (NETPULSE_IS_STREAM (self), FALSE);
  g_return_val_if_fail (frame != NULL, FALSE);

  if (self->closed || self->frame != NULL)
    return FALSE;

  /* All or nothing would need MSG_DONTWAIT and a size check the kernel does
   * not offer for stream sockets; a short write leaves a torn last frame,
   * which the reader reports as such — the Ended signal still says why. */
  data = g_bytes_get_data (frame, &size);
  n = g_socket_send (self->socket, data, size, NULL, NULL);
  return n >= 0 && (gsize) n == size;
}

void
netpulse_stream_close (NetpulseStream *self)
{
  g_return_if_fail (NETPULSE_IS_STREAM (self));

  if (self->closed)
    return;

  /* Not set_closed(): "closed" is for the subscriber's doing. */
  self->closed = TRUE;
  g_clear_pointer (&self->frame, g_ptr_array_unref);
  if (self->watch != NULL)
    {
      g_source_destroy (self->watch);
      g_clear_pointer (&self->watch, g_source_unref);
    }
  g_socket_close (self->socket, NULL);
}

static void
netpulse_stream_dispose (GObject *object)
{
  NetpulseStream *self = NETPULSE_STREAM (object);

  if (self->socket != NULL)
    netpulse_stream_close (self);

  G_OBJECT_CLASS (netpulse_stream_parent_class)->dispose (object);
}

static void
netpulse_stream_finalize (GObject *object)
{
  NetpulseStream *self = NETPULSE_STREAM (object);

  g_clear_object (&self->socket);

  G_OBJECT_CLASS (netpulse_stream_parent_class)->finalize (object);
}

static void
netpulse_stream_class_init (NetpulseStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = netpulse_stream_dispose;
  object_class->finalize = netpulse_stream_finalize;

  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
netpulse_stream_init (NetpulseStream *self)
{
}
