/* np-dbus-probe.c — a subscriber of io.github.netpulse.Helper1 that
 * measures what each Update costs on the bus.
 *
 *   np-dbus-probe [--interval-ms MS] [--count N]
 *
 * Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured), adds
 * the match rule for Update, subscribes, and prints one JSON line per
 * Update it receives:
 *
 *   {"sequence":…,"changed":…,"removed":…,"bytes":…,"body_bytes":…,"t":…}
 *
 * bytes is the size of the whole D-Bus message (header + body, serialized
 * as the bus delivered it), body_bytes the body alone; t the monotonic
 * arrival time in seconds.  Stops after N Updates (0: until SIGTERM/SIGINT),
 * then unsubscribes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <gio/gio.h>
#include <glib-unix.h>
#include <stdio.h>

#define HELPER_BUS_NAME    "io.github.netpulse.Helper1"
#define HELPER_OBJECT_PATH "/io/github/netpulse/Helper1"
#define HELPER_INTERFACE   "io.github.netpulse.Helper1"
#define CALL_TIMEOUT_MS    (120 * 1000)

typedef struct {
  GMainLoop *loop;
  guint      count;
  guint      seen;
  GMutex     lock;
  GQueue     sizes;    /* the filter runs in GDBus's worker thread: sizes pass through here */
} Probe;

typedef struct {
  guint64 sequence;
  gsize   bytes;
  gsize   body_bytes;
} Size;

/* Sizes are taken in a filter, where the message is still whole. */
static GDBusMessage *
measure_filter (GDBusConnection *connection,
                GDBusMessage    *message,
                gboolean         incoming,
                gpointer         user_data)
{
  Probe *probe = user_data;
  GVariant *body;
  gsize size = 0;
  Size *s;
  g_autofree guchar *blob = NULL;

  if (!incoming ||
      g_dbus_message_get_message_type (message) != G_DBUS_MESSAGE_TYPE_SIGNAL ||
      g_strcmp0 (g_dbus_message_get_interface (message), HELPER_INTERFACE) != 0 ||
      g_strcmp0 (g_dbus_message_get_member (message), "Update") != 0)
    return message;

  body = g_dbus_message_get_body (message);
  blob = g_dbus_message_to_blob (message, &size, G_DBUS_CAPABILITY_FLAGS_NONE, NULL);
  s = g_new0 (Size, 1);
  if (body != NULL && g_variant_is_of_type (body, G_VARIANT_TYPE ("(ott*at)")))
    g_variant_get_child (body, 1, "t", &s->sequence);
  s->bytes = size;
  s->body_bytes = body != NULL ? g_variant_get_size (body) : 0;

  g_mutex_lock (&probe->lock);
  g_queue_push_tail (&probe->sizes, s);
  g_mutex_unlock (&probe->lock);
  return message;
}

static void
on_update (GDBusConnection *connection,
           const char      *sender,
           const char      *object_path,
           const char      *interface,
           const char      *signal_name,
           GVariant        *parameters,
           gpointer         user_data)
{
  Probe *probe = user_data;
  g_autoptr(GVariant) changed = NULL;
  g_autoptr(GVariant) removed = NULL;
  guint64 sequence = 0;
  gsize bytes = 0, body_bytes = 0;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ott*at)")))
    return;
  g_variant_get_child (parameters, 1, "t", &sequence);
  changed = g_variant_get_child_value (parameters, 3);
  removed = g_variant_get_child_value (parameters, 4);

  g_mutex_lock (&probe->lock);
  while (!g_queue_is_empty (&probe->sizes))
    {
      g_autofree Size *s = g_queue_pop_head (&probe->sizes);

      if (s->sequence == sequence)
        {
          bytes = s->bytes;
          body_bytes = s->body_bytes;
          break;
        }
    }
  g_mutex_unlock (&probe->lock);

  printf ("{\"sequence\":%" G_GUINT64_FORMAT ",\"changed\":%" G_GSIZE_FORMAT ",\"removed\":%" G_GSIZE_FORMAT
          ",\"bytes\":%" G_GSIZE_FORMAT ",\"body_bytes\":%" G_GSIZE_FORMAT ",\"t\":%.6f}\n",
          sequence, g_variant_n_children (changed), g_variant_n_children (removed),
          bytes, body_bytes, g_get_monotonic_time () / 1e6);
  fflush (stdout);

  if (probe->count > 0 && ++probe->seen >= probe->count)
    g_main_loop_quit (probe->loop);
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
    { "interval-ms", 0, 0, G_OPTION_ARG_INT, &interval_ms, "Update interval (default 1000)", "MS" },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, "Stop after N updates (default: until SIGTERM)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autofree char *path = NULL;
  Probe probe = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("np-dbus-probe: %s\n", error->message);
      return 2;
    }

  probe.loop = g_main_loop_new (NULL, FALSE);
  probe.count = (guint) MAX (count, 0);
  g_mutex_init (&probe.lock);
  g_queue_init (&probe.sizes);

  bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  if (bus == NULL)
    {
      g_printerr ("np-dbus-probe: %s\n", error->message);
      return 1;
    }
  g_dbus_connection_add_filter (bus, measure_filter, &probe, NULL);
  /* The match rule first: the first Update follows the reply at once. */
  g_dbus_connection_signal_subscribe (bus, HELPER_BUS_NAME, HELPER_INTERFACE, "Update",
                                      HELPER_OBJECT_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                      on_update, &probe, NULL);

  g_variant_builder_add (&options, "{sv}", "interval-ms", g_variant_new_uint32 ((guint32) interval_ms));
  reply = g_dbus_connection_call_sync (bus, HELPER_BUS_NAME, HELPER_OBJECT_PATH, HELPER_INTERFACE,
                                       "Subscribe", g_variant_new ("(@a{sv})", g_variant_builder_end (&options)),
                                       G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS,
                                       NULL, &error);
  if (reply == NULL)
    {
      g_printerr ("np-dbus-probe: Subscribe failed: %s\n", error->message);
      return 1;
    }
  g_variant_get (reply, "(o)", &path);
  g_printerr ("np-dbus-probe: subscribed as %s\n", path);

  g_unix_signal_add (SIGTERM, on_quit, &probe);
  g_unix_signal_add (SIGINT, on_quit, &probe);
  g_main_loop_run (probe.loop);

  g_clear_pointer (&reply, g_variant_unref);
  reply = g_dbus_connection_call_sync (bus, HELPER_BUS_NAME, HELPER_OBJECT_PATH, HELPER_INTERFACE,
                                       "Unsubscribe", g_variant_new ("(o)", path), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, 10000, NULL, NULL);
  g_queue_clear_full (&probe.sizes, g_free);
  g_main_loop_unref (probe.loop);
  return 0;
}
