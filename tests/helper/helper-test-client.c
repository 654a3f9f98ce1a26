/* helper-test-client.c — a raw D-Bus client of io.github.netpulse.Helper1
 * for the end-to-end tests: the things netpulsectl never does on purpose
 * (malformed calls, many subscriptions on one connection, listening for
 * other clients' signals, closing a stream) and a stream with the protocol
 * checks visible.
 *
 *   helper-test-client malformed
 *       A battery of bad calls; prints one JSON line per case and exits 1
 *       if any answer was not the expected error.
 *   helper-test-client subscribe-many N INTERVAL_MS
 *       N Subscribe calls at once on one connection; waits for two frames
 *       on each stream that succeeded, checks sequences and GetSnapshot
 *       (the next frame is a SNAPSHOT with the sequence it returned),
 *       unsubscribes; prints a JSON summary.
 *   helper-test-client stream INTERVAL_MS COUNT
 *       Subscribes and prints one JSON line per frame (COUNT of them, or
 *       until SIGTERM/SIGINT), checking that sequences have no gap and that
 *       the first frame is a SNAPSHOT; then checks GetSnapshot.
 *   helper-test-client watch INTERVAL_MS
 *       Like stream, but one short JSON line per frame (sequence, flags,
 *       sizes, arrival time) until SIGTERM, and the Ended signal if one
 *       comes: for big frames at a fast pace.
 *   helper-test-client close-stream INTERVAL_MS
 *       Subscribes, reads the first frame, closes the stream without
 *       unsubscribing, prints a JSON line and stays on the bus until
 *       SIGTERM.
 *   helper-test-client ping PERIOD_MS
 *       Every PERIOD_MS, Peer.Ping and Properties.Get (Subscriptions) on
 *       one connection, one after the other; one JSON line per call with
 *       its latency, until SIGTERM.  A caller that is not a subscriber.
 *   helper-test-client hold N INTERVAL_MS
 *       N Subscribe calls one after the other; prints a JSON summary, then
 *       keeps the subscriptions (and their streams, unread) until SIGTERM
 *       and leaves without unsubscribing.
 *   helper-test-client listen SECONDS
 *       Subscribes to nothing but asks the bus for every signal of the
 *       helper's interface (and tries to eavesdrop); prints how many
 *       arrived.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper-args.h"
#include "netpulse-frame.h"

#define HELPER_INTERFACE NETPULSE_HELPER_INTERFACE
#define CALL_TIMEOUT_MS (60 * 1000)

typedef struct
{
  GDBusConnection *connection;
  GMainLoop       *loop;
  GMutex           lock;               /* the filter runs in GDBus's worker thread */
  guint            signals_seen;       /* helper signals seen by the filter */
  guint            misaddressed;       /* … whose destination was not us */
  char            *unique_name;
} Client;

static GDBusMessage *
count_signals_filter (GDBusConnection *connection,
                      GDBusMessage    *message,
                      gboolean         incoming,
                      gpointer         user_data)
{
  Client *client = user_data;

  if (incoming &&
      g_dbus_message_get_message_type (message) == G_DBUS_MESSAGE_TYPE_SIGNAL &&
      g_strcmp0 (g_dbus_message_get_interface (message), HELPER_INTERFACE) == 0)
    {
      g_mutex_lock (&client->lock);
      client->signals_seen++;
      if (g_strcmp0 (g_dbus_message_get_destination (message), client->unique_name) != 0)
        client->misaddressed++;
      g_mutex_unlock (&client->lock);
    }

  return message;
}

static void
client_init (Client *client)
{
  g_autoptr(GError) error = NULL;

  g_mutex_init (&client->lock);
  client->connection = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  if (client->connection == NULL)
    {
      g_printerr ("helper-test-client: %s\n", error->message);
      exit (2);
    }
  client->unique_name = g_strdup (g_dbus_connection_get_unique_name (client->connection));
  client->loop = g_main_loop_new (NULL, FALSE);
  g_dbus_connection_add_filter (client->connection, count_signals_filter, client, NULL);
}

static void
client_clear (Client *client)
{
  g_dbus_connection_flush_sync (client->connection, NULL, NULL);
  g_clear_object (&client->connection);
  g_clear_pointer (&client->loop, g_main_loop_unref);
  g_clear_pointer (&client->unique_name, g_free);
  g_mutex_clear (&client->lock);
}

/* @text as a JSON string body: quotes, backslashes and control characters
 * escaped, anything else (valid UTF-8 from D-Bus) as it is. */
static char *
json_escape (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p; p++)
    {
      guchar c = *p;

      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, c);
    }
  return g_string_free (out, FALSE);
}

static char *
error_name (const GError *error)
{
  char *name = g_dbus_error_get_remote_error (error);

  return name != NULL ? name : g_strdup_printf ("(local) %s", error->message);
}

static GVariant *
call_sync (GDBusConnection  *connection,
           const char       *interface,
           const char       *method,
           GVariant         *params,
           GError          **error)
{
  return g_dbus_connection_call_sync (connection, HELPER_BUS_NAME, HELPER_OBJECT_PATH,
                                      interface, method, params, NULL,
                                      G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, error);
}

static GVariant *
subscribe_options (guint interval_ms)
{
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  g_variant_builder_add (&options, "{sv}", "interval-ms", g_variant_new_uint32 (interval_ms));
  return g_variant_new ("(@a{sv})", g_variant_builder_end (&options));
}

/* Subscribe's (oh) reply: the path, and our descriptor of the stream. */
static gboolean
take_subscription (GVariant     *reply,
                   GUnixFDList  *fds,
                   char        **path,
                   int          *fd,
                   GError      **error)
{
  gint32 handle = -1;

  if (!g_variant_is_of_type (reply, G_VARIANT_TYPE ("(oh)")))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Subscribe returned %s",
                   g_variant_get_type_string (reply));
      return FALSE;
    }
  g_variant_get (reply, "(oh)", path, &handle);
  if (fds == NULL || handle < 0 || handle >= g_unix_fd_list_get_length (fds))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Subscribe returned no stream");
      return FALSE;
    }
  *fd = g_unix_fd_list_get (fds, handle, error);
  return *fd >= 0;
}

static GVariant *
subscribe_sync (GDBusConnection  *connection,
                guint             interval_ms,
                char            **path,
                int              *fd,
                GError          **error)
{
  g_autoptr(GUnixFDList) fds = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_with_unix_fd_list_sync (connection, HELPER_BUS_NAME,
                                                         HELPER_OBJECT_PATH, HELPER_INTERFACE,
                                                         "Subscribe", subscribe_options (interval_ms),
                                                         NULL, G_DBUS_CALL_FLAGS_NONE,
                                                         CALL_TIMEOUT_MS, NULL, &fds, NULL, error);
  if (reply == NULL || !take_subscription (reply, fds, path, fd, error))
    return NULL;
  return g_steal_pointer (&reply);
}

/* malformed {{{1 */

typedef struct
{
  const char *name;
  const char *interface;     /* NULL: the helper's */
  const char *method;
  const char *params;        /* GVariant text */
  const char *expected;      /* D-Bus error name; NULL: success; "*": any error */
} MalformedCase;

static const MalformedCase malformed_cases[] = {
  { "wrong-signature", NULL, "Subscribe", "(uint32 5,)", "org.freedesktop.DBus.Error.InvalidArgs" },
  { "no-arguments", NULL, "Subscribe", "()", "org.freedesktop.DBus.Error.InvalidArgs" },
  { "extra-argument", NULL, "Subscribe", "(@a{sv} {}, 1)", "org.freedesktop.DBus.Error.InvalidArgs" },
  { "string-interval", NULL, "Subscribe", "({'interval-ms': <'fast'>},)", "io.github.netpulse.Error.InvalidOption" },
  { "double-interval", NULL, "Subscribe", "({'interval-ms': <1000.0>},)", "io.github.netpulse.Error.InvalidOption" },
  { "boolean-interval", NULL, "Subscribe", "({'interval-ms': <true>},)", "io.github.netpulse.Error.InvalidOption" },
  { "array-interval", NULL, "Subscribe", "({'interval-ms': <[uint32 500]>},)", "io.github.netpulse.Error.InvalidOption" },
  { "nested-variant", NULL, "Subscribe", "({'interval-ms': <<uint32 500>>},)", "io.github.netpulse.Error.InvalidOption" },
  { "interval-zero", NULL, "Subscribe", "({'interval-ms': <uint32 0>},)", "io.github.netpulse.Error.InvalidOption" },
  { "interval-too-small", NULL, "Subscribe", "({'interval-ms': <uint32 99>},)", "io.github.netpulse.Error.InvalidOption" },
  { "interval-too-big", NULL, "Subscribe", "({'interval-ms': <uint32 10001>},)", "io.github.netpulse.Error.InvalidOption" },
  { "interval-huge-u", NULL, "Subscribe", "({'interval-ms': <uint32 4294967295>},)", "io.github.netpulse.Error.InvalidOption" },
  { "interval-huge-t", NULL, "Subscribe", "({'interval-ms': <uint64 18446744073709551615>},)", "io.github.netpulse.Error.InvalidOption" },
  { "interval-negative", NULL, "Subscribe", "({'interval-ms': <int32 -1000>},)", "io.github.netpulse.Error.InvalidOption" },
  { "interval-negative-x", NULL, "Subscribe", "({'interval-ms': <int64 -9223372036854775808>},)", "io.github.netpulse.Error.InvalidOption" },
  { "unknown-key", NULL, "Subscribe", "({'bogus': <uint32 1>},)", "io.github.netpulse.Error.InvalidOption" },
  { "empty-key", NULL, "Subscribe", "({'': <uint32 500>},)", "io.github.netpulse.Error.InvalidOption" },
  { "duplicate-key", NULL, "Subscribe", "({'interval-ms': <uint32 500>, 'interval-ms': <uint32 600>},)", "io.github.netpulse.Error.InvalidOption" },
  { "unknown-method", NULL, "Frobnicate", "()", "org.freedesktop.DBus.Error.UnknownMethod" },
  { "unknown-interface", "io.github.netpulse.Nope", "Subscribe", "(@a{sv} {},)", "org.freedesktop.DBus.Error.AccessDenied" },
  { "unsubscribe-unknown", NULL, "Unsubscribe", "(objectpath '/io/github/netpulse/Helper1/Subscription999999',)", "io.github.netpulse.Error.NoSuchSubscription" },
  { "unsubscribe-root", NULL, "Unsubscribe", "(objectpath '/',)", "io.github.netpulse.Error.NoSuchSubscription" },
  { "snapshot-unknown", NULL, "GetSnapshot", "(objectpath '/io/github/netpulse/Helper1/Subscription999999',)", "io.github.netpulse.Error.NoSuchSubscription" },
  { "set-property", "org.freedesktop.DBus.Properties", "Set", "('io.github.netpulse.Helper1', 'Version', <'9.9'>)", "*" },
  { "get-unknown-property", "org.freedesktop.DBus.Properties", "Get", "('io.github.netpulse.Helper1', 'Nope')", "*" },
  { "interval-as-int32", NULL, "Subscribe", "({'interval-ms': <int32 500>},)", NULL },
  { "no-options", NULL, "Subscribe", "(@a{sv} {},)", NULL },
};

/* @fds_out: the descriptors of a reply (Subscribe's stream), kept open
 * for the caller: closing the stream would end the subscription. */
static gboolean
run_case (Client              *client,
          const MalformedCase *test,
          GVariant           **reply_out,
          GUnixFDList        **fds_out)
{
  g_autoptr(GVariant) params = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *got = NULL;
  gboolean ok;

  params = g_variant_parse (NULL, test->params, NULL, NULL, &error);
  if (params == NULL)
    g_error ("case %s: bad test parameters: %s", test->name, error->message);

  {
    g_autoptr(GUnixFDList) fds = NULL;

    reply = g_dbus_connection_call_with_unix_fd_list_sync (client->connection, HELPER_BUS_NAME,
                                                           HELPER_OBJECT_PATH,
                                                           test->interface ? test->interface
                                                                           : HELPER_INTERFACE,
                                                           test->method, g_steal_pointer (&params),
                                                           NULL, G_DBUS_CALL_FLAGS_NONE,
                                                           CALL_TIMEOUT_MS, NULL, &fds, NULL, &error);
    if (fds_out != NULL)
      *fds_out = g_steal_pointer (&fds);
  }
  got = reply != NULL ? g_strdup ("success") : error_name (error);

  if (test->expected == NULL)
    ok = reply != NULL;
  else if (g_str_equal (test->expected, "*"))
    ok = reply == NULL;
  else
    ok = reply == NULL && g_str_equal (got, test->expected);

  {
    g_autofree char *message = json_escape (error ? error->message : "");

    g_print ("{\"case\":\"%s\",\"expected\":\"%s\",\"got\":\"%s\",\"ok\":%s,\"message\":\"%s\"}\n",
             test->name, test->expected ? test->expected : "success", got,
             ok ? "true" : "false", message);
  }

  if (reply_out != NULL)
    *reply_out = g_steal_pointer (&reply);
  return ok;
}

static int
cmd_malformed (Client *client)
{
  g_autoptr(GDBusConnection) other = NULL;
  g_autoptr(GVariant) other_reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *other_path = NULL;
  g_autofree char *address = NULL;
  gboolean all_ok = TRUE;
  int other_fd = -1;

  for (guint i = 0; i < G_N_ELEMENTS (malformed_cases); i++)
    {
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GUnixFDList) fds = NULL;

      all_ok &= run_case (client, &malformed_cases[i], &reply, &fds);

      /* Successful subscriptions: end them, and check that a second end
       * is refused. */
      if (reply != NULL && g_variant_is_of_type (reply, G_VARIANT_TYPE ("(oh)")))
        {
          const char *path;
          g_autofree char *params = NULL;
          MalformedCase again = { "unsubscribe", NULL, "Unsubscribe", NULL, NULL };

          g_variant_get (reply, "(&oh)", &path, NULL);
          params = g_strdup_printf ("(objectpath '%s',)", path);
          again.params = params;
          all_ok &= run_case (client, &again, NULL, NULL);
          again.name = "unsubscribe-twice";
          again.expected = "io.github.netpulse.Error.NoSuchSubscription";
          all_ok &= run_case (client, &again, NULL, NULL);
        }
    }

  /* Someone else's subscription can be neither read nor ended. */
  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  if (address != NULL)
    other = g_dbus_connection_new_for_address_sync (address,
                                                    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                    G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                    NULL, NULL, &error);
  if (other == NULL ||
      (other_reply = subscribe_sync (other, 1000, &other_path, &other_fd, &error)) == NULL)
    {
      g_autofree char *message = json_escape (error->message);

      g_print ("{\"case\":\"second-connection\",\"ok\":false,\"message\":\"%s\"}\n", message);
      return 1;
    }
  else
    {
      g_autofree char *params = g_strdup_printf ("(objectpath '%s',)", other_path);
      MalformedCase foreign = { "snapshot-foreign", NULL, "GetSnapshot", params,
                                "io.github.netpulse.Error.NoSuchSubscription" };

      all_ok &= run_case (client, &foreign, NULL, NULL);
      foreign.name = "unsubscribe-foreign";
      foreign.method = "Unsubscribe";
      all_ok &= run_case (client, &foreign, NULL, NULL);
      g_dbus_connection_close_sync (other, NULL, NULL);
      close (other_fd);
    }

  return all_ok ? 0 : 1;
}

/* Stream bookkeeping shared by subscribe-many, stream and watch {{{1 */

typedef enum {
  PRINT_NOTHING,
  PRINT_RECORDS,     /* stream: every record */
  PRINT_SUMMARY,     /* watch: sizes and arrival times */
} PrintMode;

typedef struct
{
  Client     *client;
  GHashTable *streams;          /* path → Stream */
  PrintMode   print;
  guint       count;            /* stream: stop after this many */
  guint       unknown_updates;  /* Ended for a path we do not have */
} Updates;

typedef struct
{
  Updates             *updates;
  char                *path;
  NetpulseFrameReader *reader;
  guint64              last_sequence;
  guint                updates_seen;       /* frames */
  gboolean             gap;                /* or a first frame that is no SNAPSHOT */
  guint64              snapshot_expected;  /* GetSnapshot's answer; 0: none asked */
  gboolean             snapshot_seen;      /* that frame came, as a SNAPSHOT */
  gboolean             snapshot_wrong;     /* that frame came, but not as a SNAPSHOT */
  gboolean             ended;              /* END frame or end of the stream */
  char                *end_reason;
} Stream;

static void
stream_free (Stream *stream)
{
  if (stream->reader != NULL)
    {
      g_signal_handlers_disconnect_by_data (stream->reader, stream);
      netpulse_frame_reader_stop (stream->reader);
      g_object_unref (stream->reader);
    }
  g_free (stream->path);
  g_free (stream->end_reason);
  g_free (stream);
}

static double
now_s (void)
{
  return g_get_monotonic_time () / (double) G_USEC_PER_SEC;
}

static void
print_records (const char *path,
               guint64     sequence,
               guint64     timestamp,
               guint32     frame_flags,
               GVariant   *changed,
               GVariant   *removed)
{
  g_autoptr(GString) line = g_string_new (NULL);
  GVariantIter iter;
  GVariant *child;
  guint64 id;
  gboolean first = TRUE;

  g_string_append_printf (line, "{\"path\":\"%s\",\"sequence\":%" G_GUINT64_FORMAT
                          ",\"timestamp\":%" G_GUINT64_FORMAT ",\"frame_flags\":%u,\"changed\":[",
                          path, sequence, timestamp, frame_flags);

  g_variant_iter_init (&iter, changed);
  while ((child = g_variant_iter_next_value (&iter)) != NULL)
    {
      NetpulseRecord r;
      g_autofree char *escaped = NULL;

      netpulse_record_from_variant (&r, child, NULL);
      g_variant_unref (child);
      escaped = json_escape (r.comm);
      g_string_append_printf (line, "%s{\"id\":%" G_GUINT64_FORMAT ",\"pid\":%u,\"comm\":\"%s\""
                              ",\"uid\":%u,\"tx_bytes\":%" G_GUINT64_FORMAT
                              ",\"rx_bytes\":%" G_GUINT64_FORMAT ",\"netns\":%u,\"flags\":%u}",
                              first ? "" : ",", r.id, r.pid, escaped, r.uid, r.tx_bytes, r.rx_bytes,
                              r.netns, r.flags);
      first = FALSE;
    }

  g_string_append (line, "],\"removed\":[");
  first = TRUE;
  g_variant_iter_init (&iter, removed);
  while (g_variant_iter_next (&iter, "t", &id))
    {
      g_string_append_printf (line, "%s%" G_GUINT64_FORMAT, first ? "" : ",", id);
      first = FALSE;
    }
  g_string_append (line, "]}\n");

  fputs (line->str, stdout);
  fflush (stdout);
}

static void
print_end (Stream     *stream,
           const char *kind,
           const char *error_name,
           const char *message)
{
  g_autofree char *escaped_name = json_escape (error_name);
  g_autofree char *escaped = json_escape (message);

  if (stream->updates->print == PRINT_NOTHING)
    return;
  g_print ("{\"path\":\"%s\",\"%s\":true,\"error\":\"%s\",\"message\":\"%s\",\"t\":%.3f}\n",
           stream->path, kind, escaped_name, escaped, now_s ());
  fflush (stdout);
}

static void
on_frame (NetpulseFrameReader *reader,
          GVariant            *frame,
          gpointer             user_data)
{
  Stream *stream = user_data;
  Updates *updates = stream->updates;
  g_autoptr(GVariant) changed = NULL;
  g_autoptr(GVariant) removed = NULL;
  g_autoptr(GVariant) extra = NULL;
  guint64 sequence, timestamp;
  guint32 flags;

  g_variant_get (frame, "(ttu@a" NETPULSE_RECORD_SIGNATURE "@at@a{sv})", &sequence, &timestamp, &flags,
                 &changed, &removed, &extra);

  if (flags & NETPULSE_FRAME_END)
    {
      const char *name = "", *message = "";

      g_variant_lookup (extra, "error", "&s", &name);
      g_variant_lookup (extra, "message", "&s", &message);
      stream->ended = TRUE;
      stream->end_reason = g_strdup (name);
      print_end (stream, "end_frame", name, message);
      if (updates->print != PRINT_NOTHING)
        g_main_loop_quit (updates->client->loop);
      return;
    }

  if (sequence != stream->last_sequence + 1)
    {
      g_printerr ("%s: frame %" G_GUINT64_FORMAT " after %" G_GUINT64_FORMAT "\n",
                  stream->path, sequence, stream->last_sequence);
      stream->gap = TRUE;
    }
  if (sequence == 1 && !(flags & NETPULSE_FRAME_SNAPSHOT))
    {
      g_printerr ("%s: the first frame is not a SNAPSHOT\n", stream->path);
      stream->gap = TRUE;
    }
  if (stream->snapshot_expected != 0 && sequence == stream->snapshot_expected)
    {
      stream->snapshot_seen = (flags & NETPULSE_FRAME_SNAPSHOT) != 0;
      stream->snapshot_wrong = !stream->snapshot_seen;
    }
  stream->last_sequence = sequence;
  stream->updates_seen++;

  if (updates->print == PRINT_RECORDS)
    print_records (stream->path, sequence, timestamp, flags, changed, removed);
  else if (updates->print == PRINT_SUMMARY)
    {
      g_print ("{\"sequence\":%" G_GUINT64_FORMAT ",\"flags\":%u,\"changed\":%" G_GSIZE_FORMAT
               ",\"removed\":%" G_GSIZE_FORMAT ",\"bytes\":%" G_GSIZE_FORMAT ",\"t\":%.3f}\n",
               sequence, flags, g_variant_n_children (changed), g_variant_n_children (removed),
               g_variant_get_size (frame), now_s ());
      fflush (stdout);
    }

  if (updates->count > 0 && stream->updates_seen >= updates->count)
    g_main_loop_quit (updates->client->loop);
}

static void
on_stream_end (NetpulseFrameReader *reader,
               GError              *error,
               gpointer             user_data)
{
  Stream *stream = user_data;

  stream->ended = TRUE;
  print_end (stream, "end_of_stream", "", error != NULL ? error->message : "");
  if (stream->updates->print != PRINT_NOTHING)
    g_main_loop_quit (stream->updates->client->loop);
}

/* Starts reading @fd (taken) as @path's stream. */
static Stream *
stream_add (Updates    *updates,
            const char *path,
            int         fd)
{
  Stream *stream = g_new0 (Stream, 1);
  g_autoptr(GInputStream) input = g_unix_input_stream_new (fd, TRUE);

  stream->updates = updates;
  stream->path = g_strdup (path);
  stream->reader = netpulse_frame_reader_new (input);
  g_signal_connect (stream->reader, "frame", G_CALLBACK (on_frame), stream);
  g_signal_connect (stream->reader, "end", G_CALLBACK (on_stream_end), stream);
  g_hash_table_insert (updates->streams, stream->path, stream);
  netpulse_frame_reader_start (stream->reader);
  return stream;
}

static void
on_ended (GDBusConnection *connection,
          const char      *sender,
          const char      *object_path,
          const char      *interface,
          const char      *signal,
          GVariant        *params,
          gpointer         user_data)
{
  Updates *updates = user_data;
  const char *path, *name, *message;
  Stream *stream;

  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(oss)")))
    return;
  g_variant_get (params, "(&o&s&s)", &path, &name, &message);
  stream = g_hash_table_lookup (updates->streams, path);
  if (stream == NULL)
    {
      updates->unknown_updates++;
      return;
    }
  print_end (stream, "ended_signal", name, message);
}

static void
subscribe_ended (Updates *updates)
{
  g_dbus_connection_signal_subscribe (updates->client->connection, HELPER_BUS_NAME,
                                      HELPER_INTERFACE, "Ended", HELPER_OBJECT_PATH,
                                      NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                      on_ended, updates, NULL);
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* GetSnapshot: the frame with the sequence it returns must come, and be a
 * SNAPSHOT. */
static gboolean
check_snapshot (Client *client,
                Stream *stream)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  guint64 sequence = 0, before = stream->last_sequence;
  gboolean timed_out = FALSE;
  guint timeout_id;

  reply = g_dbus_connection_call_sync (client->connection, HELPER_BUS_NAME, HELPER_OBJECT_PATH,
                                       HELPER_INTERFACE, "GetSnapshot",
                                       g_variant_new ("(o)", stream->path), G_VARIANT_TYPE ("(t)"),
                                       G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, &error);
  if (reply == NULL)
    {
      g_printerr ("GetSnapshot %s: %s\n", stream->path, error->message);
      return FALSE;
    }
  g_variant_get (reply, "(t)", &sequence);
  if (sequence <= before)
    {
      g_printerr ("GetSnapshot %s: sequence %" G_GUINT64_FORMAT ", but frame %" G_GUINT64_FORMAT
                  " came already\n", stream->path, sequence, before);
      return FALSE;
    }

  stream->snapshot_expected = sequence;
  stream->snapshot_seen = stream->snapshot_wrong = FALSE;
  timeout_id = g_timeout_add_seconds (30, flag_cb, &timed_out);
  /* Not the main loop: a frame may quit it meanwhile (stream's count). */
  while (!stream->snapshot_seen && !stream->snapshot_wrong && !stream->ended && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout_id);

  if (!stream->snapshot_seen)
    g_printerr ("GetSnapshot %s: frame %" G_GUINT64_FORMAT " %s\n", stream->path, sequence,
                stream->snapshot_wrong ? "is not a SNAPSHOT" : "never came");
  stream->snapshot_expected = 0;
  return stream->snapshot_seen;
}

/* subscribe-many {{{1 */

typedef struct
{
  Updates    *updates;
  guint       pending;
  guint       ok;
  GHashTable *errors;          /* error name → count */
} Many;

static void
many_subscribed_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Many *many = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  int fd = -1;

  reply = g_dbus_connection_call_with_unix_fd_list_finish (G_DBUS_CONNECTION (object), &fds,
                                                           result, &error);
  if (reply != NULL && take_subscription (reply, fds, &path, &fd, &error))
    {
      stream_add (many->updates, path, fd);
      many->ok++;
    }
  else
    {
      char *name = error_name (error);
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (many->errors, name));

      g_hash_table_insert (many->errors, name, GUINT_TO_POINTER (n + 1));
    }

  if (--many->pending == 0)
    g_main_loop_quit (many->updates->client->loop);
}

static gboolean
all_streams_have (GHashTable *streams,
                  guint       n)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, streams);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((Stream *) value)->updates_seen < n)
      return FALSE;
  return TRUE;
}

static gboolean
check_streams_cb (gpointer user_data)
{
  Updates *updates = user_data;

  if (all_streams_have (updates->streams, 2))
    g_main_loop_quit (updates->client->loop);
  return G_SOURCE_CONTINUE;
}

static int
cmd_subscribe_many (Client *client,
                    guint   n,
                    guint   interval_ms)
{
  Updates updates = { client, NULL, PRINT_NOTHING, 0, 0 };
  Many many = { &updates, 0, 0, NULL };
  g_autoptr(GString) summary = g_string_new ("{");
  GHashTableIter iter;
  gpointer key, value;
  gboolean snapshots_ok = TRUE, unsubscribes_ok = TRUE, gaps = FALSE;
  guint timeout_id, check_id;
  gboolean timed_out = FALSE;

  updates.streams = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) stream_free);
  many.errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  subscribe_ended (&updates);

  /* All at once, before any reply: the limits must hold under a burst. */
  for (guint i = 0; i < n; i++)
    {
      g_dbus_connection_call_with_unix_fd_list (client->connection, HELPER_BUS_NAME,
                                                HELPER_OBJECT_PATH, HELPER_INTERFACE, "Subscribe",
                                                subscribe_options (interval_ms),
                                                G_VARIANT_TYPE ("(oh)"), G_DBUS_CALL_FLAGS_NONE,
                                                CALL_TIMEOUT_MS, NULL, NULL, many_subscribed_cb,
                                                &many);
      many.pending++;
    }
  if (n > 0)
    g_main_loop_run (client->loop);

  /* Two frames on every stream. */
  timeout_id = g_timeout_add_seconds (60, quit_cb, client->loop);
  check_id = g_timeout_add (50, check_streams_cb, &updates);
  if (!all_streams_have (updates.streams, 2))
    g_main_loop_run (client->loop);
  timed_out = !all_streams_have (updates.streams, 2);
  g_source_remove (check_id);
  if (!timed_out)
    g_source_remove (timeout_id);

  g_hash_table_iter_init (&iter, updates.streams);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Stream *stream = value;
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GError) error = NULL;

      gaps |= stream->gap;
      snapshots_ok &= check_snapshot (client, stream);

      reply = call_sync (client->connection, HELPER_INTERFACE, "Unsubscribe",
                         g_variant_new ("(o)", stream->path), &error);
      if (reply == NULL)
        {
          g_printerr ("Unsubscribe %s: %s\n", stream->path, error->message);
          unsubscribes_ok = FALSE;
        }
    }

  g_string_append_printf (summary, "\"requested\":%u,\"ok\":%u,\"errors\":{", n, many.ok);
  {
    gboolean first = TRUE;

    g_hash_table_iter_init (&iter, many.errors);
    while (g_hash_table_iter_next (&iter, &key, &value))
      {
        g_string_append_printf (summary, "%s\"%s\":%u", first ? "" : ",", (char *) key,
                                GPOINTER_TO_UINT (value));
        first = FALSE;
      }
  }
  g_mutex_lock (&client->lock);
  g_string_append_printf (summary,
                          "},\"two_updates_each\":%s,\"gaps\":%s,\"snapshots_ok\":%s"
                          ",\"unsubscribes_ok\":%s,\"misaddressed\":%u,\"unknown_updates\":%u}\n",
                          timed_out ? "false" : "true", gaps ? "true" : "false",
                          snapshots_ok ? "true" : "false", unsubscribes_ok ? "true" : "false",
                          client->misaddressed, updates.unknown_updates);
  g_mutex_unlock (&client->lock);
  fputs (summary->str, stdout);

  g_hash_table_unref (updates.streams);
  g_hash_table_unref (many.errors);
  return 0;
}

/* stream, watch {{{1 */

static int
cmd_stream (Client    *client,
            guint      interval_ms,
            guint      count,
            PrintMode  print)
{
  Updates updates = { client, NULL, print, count, 0 };
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  Stream *stream;
  int status = 0;
  int fd = -1;

  updates.streams = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) stream_free);
  subscribe_ended (&updates);
  g_unix_signal_add (SIGTERM, quit_cb, client->loop);
  g_unix_signal_add (SIGINT, quit_cb, client->loop);

  reply = subscribe_sync (client->connection, interval_ms, &path, &fd, &error);
  if (reply == NULL)
    {
      g_autofree char *name = error_name (error);

      g_printerr ("Subscribe: %s: %s\n", name, error->message);
      g_hash_table_unref (updates.streams);
      return 4;
    }
  stream = stream_add (&updates, path, fd);

  g_main_loop_run (client->loop);

  if (stream->ended)
    {
      /* Ended by the helper: say so in the status, there is nothing to
       * unsubscribe. */
      g_hash_table_unref (updates.streams);
      return 3;
    }

  if (print == PRINT_RECORDS && !check_snapshot (client, stream))
    status = 1;

  g_clear_pointer (&reply, g_variant_unref);
  reply = call_sync (client->connection, HELPER_INTERFACE, "Unsubscribe",
                     g_variant_new ("(o)", path), &error);
  if (reply == NULL)
    {
      g_printerr ("Unsubscribe: %s\n", error->message);
      status = 1;
    }

  if (stream->gap || updates.unknown_updates > 0)
    status = 1;
  g_mutex_lock (&client->lock);
  if (client->misaddressed > 0)
    {
      g_printerr ("%u signal(s) were not addressed to us\n", client->misaddressed);
      status = 1;
    }
  g_mutex_unlock (&client->lock);

  g_hash_table_unref (updates.streams);
  return status;
}

/* close-stream {{{1 */

static int
cmd_close_stream (Client *client,
                  guint   interval_ms)
{
  Updates updates = { client, NULL, PRINT_NOTHING, 1, 0 };
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  guint64 frames;
  int fd = -1;

  updates.streams = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) stream_free);
  reply = subscribe_sync (client->connection, interval_ms, &path, &fd, &error);
  if (reply == NULL)
    {
      g_printerr ("Subscribe: %s\n", error->message);
      g_hash_table_unref (updates.streams);
      return 4;
    }
  stream_add (&updates, path, fd);
  g_main_loop_run (client->loop);      /* the first frame */
  frames = ((Stream *) g_hash_table_lookup (updates.streams, path))->updates_seen;

  /* Stops reading and closes our only descriptor of the stream. */
  g_hash_table_remove (updates.streams, path);
  g_print ("{\"path\":\"%s\",\"frames\":%" G_GUINT64_FORMAT ",\"closed\":true}\n", path, frames);
  fflush (stdout);

  /* Still on the bus: the helper must notice the stream, not our leaving. */
  g_unix_signal_add (SIGTERM, quit_cb, client->loop);
  g_unix_signal_add (SIGINT, quit_cb, client->loop);
  g_main_loop_run (client->loop);
  g_hash_table_unref (updates.streams);
  return 0;
}

/* ping {{{1 */

typedef struct
{
  Client  *client;
  gboolean busy;
} Pinger;

static void
ping_call (Pinger     *pinger,
           const char *interface,
           const char *method,
           GVariant   *params)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  reply = g_dbus_connection_call_sync (pinger->client->connection, HELPER_BUS_NAME,
                                       HELPER_OBJECT_PATH, interface, method, params, NULL,
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL,
                                       &error);
  g_print ("{\"method\":\"%s\",\"ok\":%s,\"latency\":%.4f,\"t\":%.3f}\n", method,
           reply != NULL ? "true" : "false",
           (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC, now_s ());
  fflush (stdout);
}

static gboolean
ping_cb (gpointer user_data)
{
  Pinger *pinger = user_data;

  ping_call (pinger, "org.freedesktop.DBus.Peer", "Ping", NULL);
  ping_call (pinger, "org.freedesktop.DBus.Properties", "Get",
             g_variant_new ("(ss)", HELPER_INTERFACE, "Subscriptions"));
  return G_SOURCE_CONTINUE;
}

static int
cmd_ping (Client *client,
          guint   period_ms)
{
  Pinger pinger = { client, FALSE };

  g_timeout_add (period_ms, ping_cb, &pinger);
  g_unix_signal_add (SIGTERM, quit_cb, client->loop);
  g_unix_signal_add (SIGINT, quit_cb, client->loop);
  g_main_loop_run (client->loop);
  return 0;
}

/* hold {{{1 */

static int
cmd_hold (Client *client,
          guint   n,
          guint   interval_ms)
{
  g_autoptr(GHashTable) errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GString) summary = g_string_new (NULL);
  g_autoptr(GArray) fds = g_array_new (FALSE, FALSE, sizeof (int));
  GHashTableIter iter;
  gpointer key, value;
  gboolean first = TRUE;
  guint ok = 0;

  /* One after the other: which ones fail must not depend on timing. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *path = NULL;
      int fd = -1;

      reply = subscribe_sync (client->connection, interval_ms, &path, &fd, &error);
      if (reply != NULL)
        {
          g_array_append_val (fds, fd);
          ok++;
        }
      else
        {
          char *name = error_name (error);
          guint count = GPOINTER_TO_UINT (g_hash_table_lookup (errors, name));

          g_hash_table_insert (errors, name, GUINT_TO_POINTER (count + 1));
        }
    }

  g_string_append_printf (summary, "{\"requested\":%u,\"ok\":%u,\"errors\":{", n, ok);
  g_hash_table_iter_init (&iter, errors);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_string_append_printf (summary, "%s\"%s\":%u", first ? "" : ",", (char *) key,
                              GPOINTER_TO_UINT (value));
      first = FALSE;
    }
  g_string_append (summary, "}}\n");
  fputs (summary->str, stdout);
  fflush (stdout);

  /* Keep them (and the streams, open and unread) until told to go; then
   * leave without unsubscribing: the helper must clean up after a client
   * that just disappears. */
  g_unix_signal_add (SIGTERM, quit_cb, client->loop);
  g_unix_signal_add (SIGINT, quit_cb, client->loop);
  g_main_loop_run (client->loop);
  for (guint i = 0; i < fds->len; i++)
    close (g_array_index (fds, int, i));
  return 0;
}

/* listen {{{1 */

static void
ignore_signal (GDBusConnection *connection,
               const char      *sender,
               const char      *object_path,
               const char      *interface,
               const char      *signal,
               GVariant        *params,
               gpointer         user_data)
{
}

static int
cmd_listen (Client *client,
            guint   seconds)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  const char *eavesdrop;
  const char *monitor;
  guint seen;

  /* An ordinary match rule for every signal of the interface, from
   * anyone… (the filter counts what arrives) */
  g_dbus_connection_signal_subscribe (client->connection, NULL, HELPER_INTERFACE, NULL,
                                      NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                      ignore_signal, NULL, NULL);

  /* …an eavesdropping one (the bus should refuse it or deliver nothing)… */
  reply = g_dbus_connection_call_sync (client->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus", "AddMatch",
                                       g_variant_new ("(s)", "type='signal',interface='" HELPER_INTERFACE
                                                             "',eavesdrop='true'"),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, &error);
  eavesdrop = reply != NULL ? "accepted" : "refused";
  g_clear_error (&error);
  g_clear_pointer (&reply, g_variant_unref);

  /* …and becoming a monitor, which only root may. */
  reply = g_dbus_connection_call_sync (client->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus.Monitoring",
                                       "BecomeMonitor",
                                       g_variant_new ("(^asu)", (const char * const[]) { NULL }, 0),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, &error);
  monitor = reply != NULL ? "accepted" : "refused";

  if (reply == NULL)
    {
      g_timeout_add_seconds (seconds, quit_cb, client->loop);
      g_main_loop_run (client->loop);
    }

  g_mutex_lock (&client->lock);
  seen = client->signals_seen;
  g_mutex_unlock (&client->lock);

  g_print ("{\"updates\":%u,\"eavesdrop\":\"%s\",\"monitor\":\"%s\"}\n", seen, eavesdrop, monitor);
  return 0;
}

/* main {{{1 */

static guint
parse_uint (const char *text)
{
  return helper_args_parse_uint ("helper-test-client", text);
}

int
main (int   argc,
      char *argv[])
{
  Client client = { 0 };
  int status = 1;

  if (argc < 2)
    {
      g_printerr ("usage: helper-test-client malformed | subscribe-many N MS | stream MS COUNT"
                  " | watch MS | close-stream MS | ping MS | hold N MS | listen S\n");
      return 1;
    }

  client_init (&client);

  if (g_str_equal (argv[1], "malformed"))
    status = cmd_malformed (&client);
  else if (g_str_equal (argv[1], "subscribe-many") && argc == 4)
    status = cmd_subscribe_many (&client, parse_uint (argv[2]), parse_uint (argv[3]));
  else if (g_str_equal (argv[1], "stream") && argc == 4)
    status = cmd_stream (&client, parse_uint (argv[2]), parse_uint (argv[3]), PRINT_RECORDS);
  else if (g_str_equal (argv[1], "watch") && argc == 3)
    status = cmd_stream (&client, parse_uint (argv[2]), 0, PRINT_SUMMARY);
  else if (g_str_equal (argv[1], "close-stream") && argc == 3)
    status = cmd_close_stream (&client, parse_uint (argv[2]));
  else if (g_str_equal (argv[1], "ping") && argc == 3)
    status = cmd_ping (&client, parse_uint (argv[2]));
  else if (g_str_equal (argv[1], "hold") && argc == 4)
    status = cmd_hold (&client, parse_uint (argv[2]), parse_uint (argv[3]));
  else if (g_str_equal (argv[1], "listen") && argc == 3)
    status = cmd_listen (&client, parse_uint (argv[2]));
  else
    g_printerr ("helper-test-client: bad arguments\n");

  client_clear (&client);
  return status;
}
