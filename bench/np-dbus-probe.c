/* np-dbus-probe.c — a subscriber of io.github.netpulse.Helper1 that
 * measures what each frame of its stream costs.
 *
 *   np-dbus-probe [--interval-ms MS] [--count N]
 *
 * Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured),
 * subscribes, and prints one JSON line per frame it reads from the stream
 * Subscribe hands out:
 *
 *   {"sequence":…,"changed":…,"removed":…,"bytes":…,"body_bytes":…,"t":…}
 *
 * bytes is the size of the whole frame (8-byte header + payload),
 * body_bytes the payload alone; t the monotonic arrival time in seconds.
 * Stops after N frames (0: until SIGTERM/SIGINT), then unsubscribes.
 * Standalone (GIO only), so that bench/build-tools.sh can build it with cc:
 * the frame format is spelled out here, see data/io.github.netpulse.Helper1.xml.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <stdio.h>

#include "netpulse-protocol.h"

#define HELPER_BUS_NAME    NETPULSE_HELPER_BUS_NAME
#define HELPER_OBJECT_PATH NETPULSE_HELPER_OBJECT_PATH
#define HELPER_INTERFACE   NETPULSE_HELPER_INTERFACE
#define CALL_TIMEOUT_MS    (120 * 1000)

#define FRAME_MAGIC      NETPULSE_FRAME_MAGIC
#define FRAME_MAX_LENGTH NETPULSE_FRAME_MAX_LENGTH
#define FRAME_TYPE       G_VARIANT_TYPE (NETPULSE_FRAME_SIGNATURE)

typedef struct {
  GMainLoop    *loop;
  guint         count;
  guint         seen;
  GInputStream *stream;
  guint32       header[2];
  guint8       *payload;
} Probe;

static void read_header (Probe *probe);

static void
payload_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Probe *probe = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) frame = NULL;
  g_autoptr(GVariant) changed = NULL;
  g_autoptr(GVariant) removed = NULL;
  gsize got = 0, length = probe->header[1];
  guint64 sequence = 0;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (object), result, &got, &error) || got < length)
    {
      g_printerr ("np-dbus-probe: the stream ended: %s\n", error ? error->message : "short frame");
      g_main_loop_quit (probe->loop);
      return;
    }

  frame = g_variant_ref_sink (g_variant_new_from_bytes (FRAME_TYPE,
                                                        g_bytes_new_take (g_steal_pointer (&probe->payload),
                                                                          length),
                                                        FALSE));
  g_variant_get_child (frame, 0, "t", &sequence);
  changed = g_variant_get_child_value (frame, 3);
  removed = g_variant_get_child_value (frame, 4);

  printf ("{\"sequence\":%" G_GUINT64_FORMAT ",\"changed\":%" G_GSIZE_FORMAT ",\"removed\":%" G_GSIZE_FORMAT
          ",\"bytes\":%" G_GSIZE_FORMAT ",\"body_bytes\":%" G_GSIZE_FORMAT ",\"t\":%.6f}\n",
          sequence, g_variant_n_children (changed), g_variant_n_children (removed),
          length + sizeof probe->header, length, g_get_monotonic_time () / 1e6);
  fflush (stdout);

  if (probe->count > 0 && ++probe->seen >= probe->count)
    g_main_loop_quit (probe->loop);
  else
    read_header (probe);
}

static void
header_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Probe *probe = user_data;
  g_autoptr(GError) error = NULL;
  gsize got = 0;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (object), result, &got, &error) ||
      got < sizeof probe->header || probe->header[0] != FRAME_MAGIC ||
      probe->header[1] > FRAME_MAX_LENGTH)
    {
      g_printerr ("np-dbus-probe: the stream ended or is not a stream of frames\n");
      g_main_loop_quit (probe->loop);
      return;
    }

  probe->payload = g_malloc (MAX (probe->header[1], 1));
  g_input_stream_read_all_async (probe->stream, probe->payload, probe->header[1],
                                 G_PRIORITY_DEFAULT, NULL, payload_cb, probe);
}

static void
read_header (Probe *probe)
{
  g_input_stream_read_all_async (probe->stream, probe->header, sizeof probe->header,
                                 G_PRIORITY_DEFAULT, NULL, header_cb, probe);
}

static gboolean
on_quit (gpointer user_data)
{
  g_main_loop_quit (((Probe *) user_data)->loop);
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  int interval_ms = 1000, count = 0;
  const GOptionEntry entries[] = {
    { "interval-ms", 0, 0, G_OPTION_ARG_INT, &interval_ms, "Frame interval (default 1000)", "MS" },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, "Stop after N frames (default: until SIGTERM)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autoptr(GUnixFDList) fds = NULL;
  g_autofree char *path = NULL;
  Probe probe = { 0 };
  gint32 handle = -1;
  int fd;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("np-dbus-probe: %s\n", error->message);
      return 2;
    }

  probe.loop = g_main_loop_new (NULL, FALSE);
  probe.count = (guint) MAX (count, 0);

  bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  if (bus == NULL)
    {
      g_printerr ("np-dbus-probe: %s\n", error->message);
      return 1;
    }

  g_variant_builder_add (&options, "{sv}", "interval-ms", g_variant_new_uint32 ((guint32) interval_ms));
  reply = g_dbus_connection_call_with_unix_fd_list_sync (bus, HELPER_BUS_NAME, HELPER_OBJECT_PATH,
                                                         HELPER_INTERFACE, "Subscribe",
                                                         g_variant_new ("(@a{sv})", g_variant_builder_end (&options)),
                                                         G_VARIANT_TYPE ("(oh)"), G_DBUS_CALL_FLAGS_NONE,
                                                         CALL_TIMEOUT_MS, NULL, &fds, NULL, &error);
  if (reply == NULL)
    {
      g_printerr ("np-dbus-probe: Subscribe failed: %s\n", error->message);
      return 1;
    }
  g_variant_get (reply, "(oh)", &path, &handle);
  fd = fds != NULL ? g_unix_fd_list_get (fds, handle, &error) : -1;
  if (fd < 0)
    {
      g_printerr ("np-dbus-probe: Subscribe returned no stream\n");
      return 1;
    }
  g_printerr ("np-dbus-probe: subscribed as %s\n", path);
  probe.stream = g_unix_input_stream_new (fd, TRUE);
  read_header (&probe);

  g_unix_signal_add (SIGTERM, on_quit, &probe);
  g_unix_signal_add (SIGINT, on_quit, &probe);
  g_main_loop_run (probe.loop);

  g_clear_pointer (&reply, g_variant_unref);
  reply = g_dbus_connection_call_sync (bus, HELPER_BUS_NAME, HELPER_OBJECT_PATH, HELPER_INTERFACE,
                                       "Unsubscribe", g_variant_new ("(o)", path), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, 10000, NULL, NULL);
  g_clear_object (&probe.stream);
  g_main_loop_unref (probe.loop);
  return 0;
}
