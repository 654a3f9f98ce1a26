/* helper-test-client.c — a raw D-Bus client of io.github.netpulse.Helper1
 * for the end-to-end tests: the things netpulsectl never does on purpose
 * (malformed calls, many subscriptions on one connection, listening for
 * other clients' Updates) and a stream with the protocol checks visible.
 *
 *   helper-test-client malformed
 *       A battery of bad calls; prints one JSON line per case and exits 1
 *       if any answer was not the expected error.
 *   helper-test-client subscribe-many N INTERVAL_MS
 *       N Subscribe calls at once on one connection; waits for two Updates
 *       on each that succeeded, checks sequences, destinations and
 *       GetSnapshot, unsubscribes; prints a JSON summary.
 *   helper-test-client stream INTERVAL_MS COUNT
 *       Subscribes and prints one JSON line per Update (COUNT of them, or
 *       until SIGTERM/SIGINT), checking that sequences have no gap and that
 *       each Update was addressed to this connection.  When the helper
 *       ends the subscription (the Ended signal), prints
 *       {"ended":PATH,"error":NAME,"message":TEXT} and exits with 3.
 *   helper-test-client hold N INTERVAL_MS
 *       N Subscribe calls one after the other; prints a JSON summary, then
 *       keeps the subscriptions until SIGTERM and leaves without
 *       unsubscribing.
 *   helper-test-client listen SECONDS
 *       Subscribes to nothing but asks the bus for every Update signal (and
 *       tries to eavesdrop); prints how many arrived.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HELPER_INTERFACE HELPER_BUS_NAME
#define RECORDS_SIGNATURE "a(tusuyysqsqyttttdduututtu)"
#define CALL_TIMEOUT_MS (60 * 1000)

typedef struct
{
  GDBusConnection *connection;
  GMainLoop       *loop;
  GMutex           lock;               /* the filter runs in GDBus's worker thread */
  guint            updates_seen;       /* Update messages seen by the filter */
  guint            misaddressed;       /* … whose destination was not us */
  char            *unique_name;
} Client;

static GDBusMessage *
count_updates_filter (GDBusConnection *connection,
                      GDBusMessage    *message,
                      gboolean         incoming,
                      gpointer         user_data)
{
  Client *client = user_data;

  if (incoming &&
      g_dbus_message_get_message_type (message) == G_DBUS_MESSAGE_TYPE_SIGNAL &&
      g_strcmp0 (g_dbus_message_get_interface (message), HELPER_INTERFACE) == 0 &&
      g_strcmp0 (g_dbus_message_get_member (message), "Update") == 0)
    {
      g_mutex_lock (&client->lock);
      client->updates_seen++;
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
  g_dbus_connection_add_filter (client->connection, count_updates_filter, client, NULL);
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
subscribe_sync (GDBusConnection  *connection,
                guint             interval_ms,
                char            **path,
                GError          **error)
{
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  GVariant *reply;

  g_variant_builder_add (&options, "{sv}", "interval-ms", g_variant_new_uint32 (interval_ms));
  reply = call_sync (connection, HELPER_INTERFACE, "Subscribe",
                     g_variant_new ("(@a{sv})", g_variant_builder_end (&options)), error);
  if (reply != NULL)
    g_variant_get (reply, "(o)", path);
  return reply;
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

static gboolean
run_case (Client              *client,
          const MalformedCase *test,
          GVariant           **reply_out)
{
  g_autoptr(GVariant) params = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *got = NULL;
  gboolean ok;

  params = g_variant_parse (NULL, test->params, NULL, NULL, &error);
  if (params == NULL)
    g_error ("case %s: bad test parameters: %s", test->name, error->message);

  reply = call_sync (client->connection, test->interface ? test->interface : HELPER_INTERFACE,
                     test->method, g_steal_pointer (&params), &error);
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

  for (guint i = 0; i < G_N_ELEMENTS (malformed_cases); i++)
    {
      g_autoptr(GVariant) reply = NULL;

      all_ok &= run_case (client, &malformed_cases[i], &reply);

      /* Successful subscriptions: end them, and check that a second end
       * is refused. */
      if (reply != NULL && g_variant_is_of_type (reply, G_VARIANT_TYPE ("(o)")))
        {
          const char *path;
          g_autofree char *params = NULL;
          MalformedCase again = { "unsubscribe", NULL, "Unsubscribe", NULL, NULL };

          g_variant_get (reply, "(&o)", &path);
          params = g_strdup_printf ("(objectpath '%s',)", path);
          again.params = params;
          all_ok &= run_case (client, &again, NULL);
          again.name = "unsubscribe-twice";
          again.expected = "io.github.netpulse.Error.NoSuchSubscription";
          all_ok &= run_case (client, &again, NULL);
        }
    }

  /* Someone else's subscription can be neither read nor ended. */
  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  if (address != NULL)
    other = g_dbus_connection_new_for_address_sync (address,
                                                    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                    G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                    NULL, NULL, &error);
  if (other == NULL || (other_reply = subscribe_sync (other, 1000, &other_path, &error)) == NULL)
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

      all_ok &= run_case (client, &foreign, NULL);
      foreign.name = "unsubscribe-foreign";
      foreign.method = "Unsubscribe";
      all_ok &= run_case (client, &foreign, NULL);
      g_dbus_connection_close_sync (other, NULL, NULL);
    }

  return all_ok ? 0 : 1;
}

/* Update bookkeeping shared by subscribe-many and stream {{{1 */

typedef struct
{
  char    *path;
  guint64  last_sequence;
  guint    updates;
  gboolean gap;
} Stream;

static void
stream_free (Stream *stream)
{
  g_free (stream->path);
  g_free (stream);
}

typedef struct
{
  Client     *client;
  GHashTable *streams;          /* path → Stream */
  gboolean    print;            /* stream: one JSON line per Update */
  guint       count;            /* stream: stop after this many */
  guint       unknown_updates;  /* for a path we do not have */
  gboolean    ended;            /* the helper ended one of ours (Ended) */
} Updates;

static void
print_update (const char *path,
              guint64     sequence,
              guint64     timestamp,
              GVariant   *changed,
              GVariant   *removed)
{
  g_autoptr(GString) line = g_string_new (NULL);
  GVariantIter iter;
  guint64 id;
  guint32 pid, uid, netns, flags;
  const char *comm;
  guint64 tx_bytes, rx_bytes;
  gboolean first = TRUE;

  g_string_append_printf (line, "{\"path\":\"%s\",\"sequence\":%" G_GUINT64_FORMAT
                          ",\"timestamp\":%" G_GUINT64_FORMAT ",\"changed\":[",
                          path, sequence, timestamp);

  g_variant_iter_init (&iter, changed);
  while (g_variant_iter_next (&iter, "(tu&suyy&sq&sqyttttdduututtu)",
                              &id, &pid, &comm, &uid, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                              &tx_bytes, &rx_bytes, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                              &netns, NULL, NULL, &flags))
    {
      g_autofree char *escaped = json_escape (comm);

      g_string_append_printf (line, "%s{\"id\":%" G_GUINT64_FORMAT ",\"pid\":%u,\"comm\":\"%s\""
                              ",\"uid\":%u,\"tx_bytes\":%" G_GUINT64_FORMAT
                              ",\"rx_bytes\":%" G_GUINT64_FORMAT ",\"netns\":%u,\"flags\":%u}",
                              first ? "" : ",", id, pid, escaped, uid, tx_bytes, rx_bytes,
                              netns, flags);
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
on_update (GDBusConnection *connection,
           const char      *sender,
           const char      *object_path,
           const char      *interface,
           const char      *signal,
           GVariant        *params,
           gpointer         user_data)
{
  Updates *updates = user_data;
  g_autoptr(GVariant) changed = NULL;
  g_autoptr(GVariant) removed = NULL;
  const char *path;
  guint64 sequence, timestamp;
  Stream *stream;

  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(ott" RECORDS_SIGNATURE "at)")))
    {
      g_printerr ("Update with the wrong signature %s\n", g_variant_get_type_string (params));
      updates->unknown_updates++;
      return;
    }

  g_variant_get (params, "(&ott@" RECORDS_SIGNATURE "@at)", &path, &sequence, &timestamp,
                 &changed, &removed);

  stream = g_hash_table_lookup (updates->streams, path);
  if (stream == NULL)
    {
      updates->unknown_updates++;
      return;
    }

  if (sequence != stream->last_sequence + 1)
    {
      g_printerr ("%s: sequence %" G_GUINT64_FORMAT " after %" G_GUINT64_FORMAT "\n",
                  path, sequence, stream->last_sequence);
      stream->gap = TRUE;
    }
  stream->last_sequence = sequence;
  stream->updates++;

  if (updates->print)
    print_update (path, sequence, timestamp, changed, removed);

  if (updates->count > 0 && stream->updates >= updates->count)
    g_main_loop_quit (updates->client->loop);
}

/* The helper ended a subscription of ours: one JSON line, and stop. */
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
  g_autofree char *escaped = NULL;

  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(oss)")))
    return;
  g_variant_get (params, "(&o&s&s)", &path, &name, &message);
  if (g_hash_table_lookup (updates->streams, path) == NULL)
    return;

  escaped = json_escape (message);
  g_print ("{\"ended\":\"%s\",\"error\":\"%s\",\"message\":\"%s\"}\n", path, name, escaped);
  fflush (stdout);
  updates->ended = TRUE;
  g_main_loop_quit (updates->client->loop);
}

static guint
subscribe_updates (Updates *updates)
{
  g_dbus_connection_signal_subscribe (updates->client->connection, HELPER_BUS_NAME,
                                      HELPER_INTERFACE, "Ended", HELPER_OBJECT_PATH,
                                      NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                      on_ended, updates, NULL);
  return g_dbus_connection_signal_subscribe (updates->client->connection, HELPER_BUS_NAME,
                                             HELPER_INTERFACE, "Update", HELPER_OBJECT_PATH,
                                             NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                             on_update, updates, NULL);
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* GetSnapshot, asynchronously like a real client: its reply is dispatched
 * in order with the Update signals, so the last Update seen when the reply
 * arrives must carry the sequence number the snapshot gives. */
typedef struct
{
  Stream    *stream;
  GVariant  *reply;
  GError    *error;
  guint64    seen;
  gboolean   done;
} SnapshotCall;

static void
snapshot_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  SnapshotCall *call = user_data;

  call->reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &call->error);
  call->seen = call->stream->last_sequence;
  call->done = TRUE;
}

static gboolean
check_snapshot (Client *client,
                Stream *stream)
{
  SnapshotCall call = { stream, NULL, NULL, 0, FALSE };
  guint64 sequence = 0;
  gboolean ok = TRUE;

  g_dbus_connection_call (client->connection, HELPER_BUS_NAME, HELPER_OBJECT_PATH,
                          HELPER_INTERFACE, "GetSnapshot", g_variant_new ("(o)", stream->path),
                          G_VARIANT_TYPE ("(t" RECORDS_SIGNATURE ")"), G_DBUS_CALL_FLAGS_NONE,
                          CALL_TIMEOUT_MS, NULL, snapshot_cb, &call);
  /* Not the main loop: an Update may quit it meanwhile (stream's count). */
  while (!call.done)
    g_main_context_iteration (NULL, TRUE);

  if (call.reply == NULL)
    {
      g_printerr ("GetSnapshot %s: %s\n", stream->path, call.error->message);
      g_error_free (call.error);
      return FALSE;
    }

  g_variant_get (call.reply, "(t@" RECORDS_SIGNATURE ")", &sequence, NULL);
  if (sequence != call.seen)
    {
      g_printerr ("GetSnapshot %s: sequence %" G_GUINT64_FORMAT ", last Update seen %" G_GUINT64_FORMAT "\n",
                  stream->path, sequence, call.seen);
      ok = FALSE;
    }
  g_variant_unref (call.reply);
  return ok;
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
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply != NULL)
    {
      Stream *stream = g_new0 (Stream, 1);

      g_variant_get (reply, "(o)", &stream->path);
      g_hash_table_insert (many->updates->streams, stream->path, stream);
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
    if (((Stream *) value)->updates < n)
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
  Updates updates = { client, NULL, FALSE, 0, 0, FALSE };
  Many many = { &updates, 0, 0, NULL };
  g_autoptr(GString) summary = g_string_new ("{");
  GHashTableIter iter;
  gpointer key, value;
  gboolean snapshots_ok = TRUE, unsubscribes_ok = TRUE, gaps = FALSE;
  guint timeout_id, check_id;
  gboolean timed_out = FALSE;

  updates.streams = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) stream_free);
  many.errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  subscribe_updates (&updates);

  /* All at once, before any reply: the limits must hold under a burst. */
  for (guint i = 0; i < n; i++)
    {
      g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

      g_variant_builder_add (&options, "{sv}", "interval-ms", g_variant_new_uint32 (interval_ms));
      g_dbus_connection_call (client->connection, HELPER_BUS_NAME, HELPER_OBJECT_PATH,
                              HELPER_INTERFACE, "Subscribe",
                              g_variant_new ("(@a{sv})", g_variant_builder_end (&options)),
                              G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS,
                              NULL, many_subscribed_cb, &many);
      many.pending++;
    }
  if (n > 0)
    g_main_loop_run (client->loop);

  /* Two Updates on every subscription. */
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

/* stream {{{1 */

static int
cmd_stream (Client *client,
            guint   interval_ms,
            guint   count)
{
  Updates updates = { client, NULL, TRUE, count, 0, FALSE };
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  Stream *stream;
  int status = 0;

  updates.streams = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) stream_free);
  subscribe_updates (&updates);
  g_unix_signal_add (SIGTERM, quit_cb, client->loop);
  g_unix_signal_add (SIGINT, quit_cb, client->loop);

  reply = subscribe_sync (client->connection, interval_ms, &path, &error);
  if (reply == NULL)
    {
      g_autofree char *name = error_name (error);

      g_printerr ("Subscribe: %s: %s\n", name, error->message);
      return 4;
    }
  stream = g_new0 (Stream, 1);
  stream->path = g_strdup (path);
  g_hash_table_insert (updates.streams, stream->path, stream);

  g_main_loop_run (client->loop);

  /* Ended by the helper: nothing left to check or to end. */
  if (updates.ended)
    {
      g_hash_table_unref (updates.streams);
      return 3;
    }

  if (!check_snapshot (client, stream))
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
      g_printerr ("%u Update(s) were not addressed to us\n", client->misaddressed);
      status = 1;
    }
  g_mutex_unlock (&client->lock);

  g_hash_table_unref (updates.streams);
  return status;
}

/* hold {{{1 */

static int
cmd_hold (Client *client,
          guint   n,
          guint   interval_ms)
{
  g_autoptr(GHashTable) errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GString) summary = g_string_new (NULL);
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

      reply = subscribe_sync (client->connection, interval_ms, &path, &error);
      if (reply != NULL)
        ok++;
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

  /* Keep them until told to go; then leave without unsubscribing: the
   * helper must clean up after a client that just disappears. */
  g_unix_signal_add (SIGTERM, quit_cb, client->loop);
  g_unix_signal_add (SIGINT, quit_cb, client->loop);
  g_main_loop_run (client->loop);
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

  /* An ordinary match rule for every Update, from anyone… (the filter
   * counts what arrives) */
  g_dbus_connection_signal_subscribe (client->connection, NULL, HELPER_INTERFACE, "Update",
                                      NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                      ignore_signal, NULL, NULL);

  /* …an eavesdropping one (the bus should refuse it or deliver nothing)… */
  reply = g_dbus_connection_call_sync (client->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus", "AddMatch",
                                       g_variant_new ("(s)", "type='signal',interface='" HELPER_INTERFACE
                                                             "',member='Update',eavesdrop='true'"),
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
  seen = client->updates_seen;
  g_mutex_unlock (&client->lock);

  g_print ("{\"updates\":%u,\"eavesdrop\":\"%s\",\"monitor\":\"%s\"}\n", seen, eavesdrop, monitor);
  return 0;
}

/* main {{{1 */

static guint
parse_uint (const char *text)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT, &value, NULL))
    {
      g_printerr ("helper-test-client: not a number: %s\n", text);
      exit (1);
    }
  return (guint) value;
}

int
main (int   argc,
      char *argv[])
{
  Client client = { 0 };

  if (argc < 2)
    {
      g_printerr ("usage: helper-test-client malformed | subscribe-many N MS | stream MS COUNT"
                  " | hold N MS | listen S\n");
      return 1;
    }

  client_init (&client);

  if (g_str_equal (argv[1], "malformed"))
    return cmd_malformed (&client);
  if (g_str_equal (argv[1], "subscribe-many") && argc == 4)
    return cmd_subscribe_many (&client, parse_uint (argv[2]), parse_uint (argv[3]));
  if (g_str_equal (argv[1], "stream") && argc == 4)
    return cmd_stream (&client, parse_uint (argv[2]), parse_uint (argv[3]));
  if (g_str_equal (argv[1], "hold") && argc == 4)
    return cmd_hold (&client, parse_uint (argv[2]), parse_uint (argv[3]));
  if (g_str_equal (argv[1], "listen") && argc == 3)
    return cmd_listen (&client, parse_uint (argv[2]));

  g_printerr ("helper-test-client: bad arguments\n");
  return 1;
}
