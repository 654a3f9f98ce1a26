/* helper-flood.c — load for the authorization tests of netpulse-helper:
 * unauthorized floods, a polkit agent that never answers, and a probe
 * that measures how fast the helper answers meanwhile.
 *
 *   helper-flood flood CONNECTIONS CALLS TIMEOUT_S
 *       CALLS calls over CONNECTIONS connections, Subscribe and interactive
 *       CheckAuthorization in turn, all sent before any reply; waits up to
 *       TIMEOUT_S for the replies; prints a JSON summary.
 *   helper-flood agent CONNECTIONS CALLS HOLD_S
 *       Registers itself as the polkit authentication agent of its own
 *       process (as `pkttyagent --process` does) and never answers
 *       BeginAuthentication; sends CALLS interactive Subscribe calls over
 *       CONNECTIONS other connections; prints a JSON line, holds for
 *       HOLD_S, closes those connections, waits for polkitd to cancel what
 *       it began, and prints a final JSON line.
 *   helper-flood huge CALLS
 *       CALLS Unsubscribe and GetSnapshot calls with a 1 MiB object path,
 *       and a Subscribe with a 1 MiB option key; prints the longest error
 *       message each got back.
 *   helper-flood probe SECONDS INTERVAL_MS
 *       Every INTERVAL_MS, one after the other: Peer.Ping, a
 *       non-interactive CheckAuthorization and Properties.Get; prints the
 *       worst latency of each as JSON.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper-args.h"
#include "netpulse-protocol.h"

#define HELPER_INTERFACE NETPULSE_HELPER_INTERFACE
#define AGENT_PATH "/io/github/netpulse/TestAgent"

typedef struct
{
  GMainLoop  *loop;
  guint       pending;
  guint       answered;
  guint       ok;
  GHashTable *errors;     /* name → count */
} Tally;

static void
tally_init (Tally *tally)
{
  tally->loop = g_main_loop_new (NULL, FALSE);
  tally->errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
tally_clear (Tally *tally)
{
  g_main_loop_unref (tally->loop);
  g_hash_table_unref (tally->errors);
}

static char *
errors_json (GHashTable *errors)
{
  GString *out = g_string_new ("{");
  GHashTableIter iter;
  gpointer key, value;
  gboolean first = TRUE;

  g_hash_table_iter_init (&iter, errors);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_string_append_printf (out, "%s\"%s\":%u", first ? "" : ",", (char *) key,
                              GPOINTER_TO_UINT (value));
      first = FALSE;
    }
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

static void
replied_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Tally *tally = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  tally->pending--;
  tally->answered++;
  if (reply != NULL)
    tally->ok++;
  else
    {
      char *name = g_dbus_error_get_remote_error (error);
      guint n;

      if (name == NULL)
        name = g_strdup ("(local)");
      n = GPOINTER_TO_UINT (g_hash_table_lookup (tally->errors, name));
      g_hash_table_insert (tally->errors, name, GUINT_TO_POINTER (n + 1));
    }
  if (tally->pending == 0)
    g_main_loop_quit (tally->loop);
}

static GDBusConnection *
connect_new (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  GDBusConnection *connection = NULL;

  if (address != NULL)
    connection = g_dbus_connection_new_for_address_sync (address,
                                                         G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                         G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                         NULL, NULL, &error);
  if (connection == NULL)
    {
      g_printerr ("helper-flood: %s\n", error->message);
      exit (2);
    }
  return connection;
}

static void
send_calls (GPtrArray *connections,
            guint      calls,
            gboolean   only_subscribe,
            Tally     *tally)
{
  for (guint i = 0; i < calls; i++)
    {
      GDBusConnection *connection = g_ptr_array_index (connections, i % connections->len);
      gboolean subscribe = only_subscribe || i % 2 == 0;

      g_dbus_connection_call (connection, HELPER_BUS_NAME, HELPER_OBJECT_PATH, HELPER_INTERFACE,
                              subscribe ? "Subscribe" : "CheckAuthorization",
                              subscribe ? g_variant_new_parsed ("(@a{sv} {},)")
                                        : g_variant_new ("(b)", TRUE),
                              NULL, G_DBUS_CALL_FLAGS_NONE, G_MAXINT, NULL, replied_cb, tally);
      tally->pending++;
    }
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* flood {{{1 */

static int
cmd_flood (guint connections_n,
           guint calls,
           guint timeout_s)
{
  g_autoptr(GPtrArray) connections = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *errors = NULL;
  Tally tally = { 0 };
  gint64 start;
  double seconds;

  tally_init (&tally);
  for (guint i = 0; i < connections_n; i++)
    g_ptr_array_add (connections, connect_new ());

  start = g_get_monotonic_time ();
  send_calls (connections, calls, FALSE, &tally);
  g_timeout_add_seconds (timeout_s, quit_cb, tally.loop);
  if (tally.pending > 0)
    g_main_loop_run (tally.loop);
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  errors = errors_json (tally.errors);
  g_print ("{\"sent\":%u,\"answered\":%u,\"ok\":%u,\"errors\":%s,\"seconds\":%.3f}\n",
           calls, tally.answered, tally.ok, errors, seconds);
  tally_clear (&tally);
  /* Unanswered calls still hold the tally: leave without tearing down. */
  fflush (stdout);
  _exit (0);
}

/* agent {{{1 */

static const char agent_xml[] =
  "<node>"
  " <interface name='org.freedesktop.PolicyKit1.AuthenticationAgent'>"
  "  <method name='BeginAuthentication'>"
  "   <arg name='action_id' direction='in' type='s'/>"
  "   <arg name='message' direction='in' type='s'/>"
  "   <arg name='icon_name' direction='in' type='s'/>"
  "   <arg name='details' direction='in' type='a{ss}'/>"
  "   <arg name='cookie' direction='in' type='s'/>"
  "   <arg name='identities' direction='in' type='a(sa{sv})'/>"
  "  </method>"
  "  <method name='CancelAuthentication'>"
  "   <arg name='cookie' direction='in' type='s'/>"
  "  </method>"
  " </interface>"
  "</node>";

typedef struct
{
  GHashTable *begun;        /* cookie → GDBusMethodInvocation, never answered */
  guint       n_begun;
  guint       n_cancelled;
} Agent;

static void
agent_method_call (GDBusConnection       *connection,
                   const char            *sender,
                   const char            *object_path,
                   const char            *interface_name,
                   const char            *method_name,
                   GVariant              *parameters,
                   GDBusMethodInvocation *invocation,
                   gpointer               user_data)
{
  Agent *agent = user_data;
  const char *cookie;

  if (g_str_equal (method_name, "BeginAuthentication"))
    {
      g_variant_get (parameters, "(&s&s&s@a{ss}&s@a(sa{sv}))", NULL, NULL, NULL, NULL, &cookie, NULL);
      /* Never answered: the prompt nobody fills in. */
      g_hash_table_insert (agent->begun, g_strdup (cookie), invocation);
      agent->n_begun++;
      return;
    }

  g_variant_get (parameters, "(&s)", &cookie);
  {
    GDBusMethodInvocation *begun = NULL;

    if (g_hash_table_steal_extended (agent->begun, cookie, NULL, (gpointer *) &begun))
      {
        agent->n_cancelled++;
        g_dbus_method_invocation_return_dbus_error (begun, "org.freedesktop.PolicyKit1.Error.Cancelled",
                                                    "Cancelled");
      }
  }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static guint64
process_start_time (void)
{
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after;

  if (!g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL))
    return 0;
  /* Field 22, counted after the ")" that ends the command name. */
  after = strrchr (stat, ')');
  fields = g_strsplit (after + 2, " ", -1);
  return g_ascii_strtoull (fields[19], NULL, 10);
}

static gboolean
register_agent (GDBusConnection *connection,
                Agent           *agent)
{
  static const GDBusInterfaceVTable vtable = { agent_method_call, NULL, NULL, { 0 } };
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (agent_xml, NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GVariantBuilder) details = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  g_dbus_connection_register_object (connection, AGENT_PATH, info->interfaces[0], &vtable,
                                     agent, NULL, &error);
  g_assert_no_error (error);

  g_variant_builder_add (&details, "{sv}", "pid", g_variant_new_uint32 (getpid ()));
  g_variant_builder_add (&details, "{sv}", "start-time", g_variant_new_uint64 (process_start_time ()));
  g_variant_builder_add (&details, "{sv}", "uid", g_variant_new_int32 (getuid ()));
  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.PolicyKit1",
                                       "/org/freedesktop/PolicyKit1/Authority",
                                       "org.freedesktop.PolicyKit1.Authority",
                                       "RegisterAuthenticationAgent",
                                       g_variant_new ("((s@a{sv})ss)", "unix-process",
                                                      g_variant_builder_end (&details),
                                                      "C", AGENT_PATH),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &error);
  if (reply == NULL)
    {
      g_printerr ("helper-flood: RegisterAuthenticationAgent: %s\n", error->message);
      return FALSE;
    }
  return TRUE;
}

/* Runs the main context for @ms, or until @done (if given) says so. */
static void
run_for (guint      ms,
         gboolean (*done) (Agent *),
         Agent     *agent)
{
  gint64 end = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < end && !(done != NULL && done (agent)))
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (10000);
    }
}

static gboolean
all_cancelled (Agent *agent)
{
  return agent->n_begun > 0 && agent->n_cancelled >= agent->n_begun;
}

static int
cmd_agent (guint connections_n,
           guint calls,
           guint hold_s)
{
  g_autoptr(GDBusConnection) agent_connection = connect_new ();
  g_autoptr(GPtrArray) connections = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *errors = NULL;
  Agent agent = { g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL), 0, 0 };
  Tally tally = { 0 };

  tally_init (&tally);
  if (!register_agent (agent_connection, &agent))
    return 1;

  for (guint i = 0; i < connections_n; i++)
    g_ptr_array_add (connections, connect_new ());
  send_calls (connections, calls, TRUE, &tally);

  /* The refusals beyond the caps come at once; the rest waits. */
  run_for (3000, NULL, &agent);
  errors = errors_json (tally.errors);
  g_print ("{\"event\":\"sent\",\"sent\":%u,\"answered\":%u,\"ok\":%u,\"errors\":%s,\"begun\":%u}\n",
           calls, tally.answered, tally.ok, errors, agent.n_begun);
  fflush (stdout);

  run_for (hold_s * 1000, NULL, &agent);

  /* The callers leave; the agent stays to see polkitd cancel. */
  for (guint i = 0; i < connections->len; i++)
    g_dbus_connection_close_sync (g_ptr_array_index (connections, i), NULL, NULL);
  run_for (15000, all_cancelled, &agent);
  g_clear_pointer (&errors, g_free);
  errors = errors_json (tally.errors);
  g_print ("{\"event\":\"closed\",\"answered\":%u,\"ok\":%u,\"errors\":%s,\"begun\":%u,\"cancelled\":%u}\n",
           tally.answered, tally.ok, errors, agent.n_begun, agent.n_cancelled);
  fflush (stdout);

  run_for (10000, NULL, &agent);
  _exit (0);
}

/* probe {{{1 */

static double
timed_call (GDBusConnection *connection,
            const char      *interface,
            const char      *method,
            GVariant        *params,
            GVariant       **reply_out)
{
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  GVariant *reply = g_dbus_connection_call_sync (connection, HELPER_BUS_NAME, HELPER_OBJECT_PATH,
                                                 interface, method, params, NULL,
                                                 G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  double seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  if (reply == NULL)
    {
      g_printerr ("probe %s: %s\n", method, error->message);
      return -1;
    }
  if (reply_out != NULL)
    *reply_out = reply;
  else
    g_variant_unref (reply);
  return seconds;
}

static int
cmd_probe (guint seconds,
           guint interval_ms)
{
  g_autoptr(GDBusConnection) connection = connect_new ();
  gint64 end = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  double max_ping = 0, max_check = 0, max_get = 0;
  guint rounds = 0, failures = 0, authorized = 0;

  while (g_get_monotonic_time () < end)
    {
      g_autoptr(GVariant) reply = NULL;
      double ping, check, get;
      gboolean yes = FALSE;

      ping = timed_call (connection, "org.freedesktop.DBus.Peer", "Ping", NULL, NULL);
      check = timed_call (connection, HELPER_INTERFACE, "CheckAuthorization",
                          g_variant_new ("(b)", FALSE), &reply);
      get = timed_call (connection, "org.freedesktop.DBus.Properties", "Get",
                        g_variant_new ("(ss)", HELPER_INTERFACE, "Subscriptions"), NULL);
      if (ping < 0 || check < 0 || get < 0)
        failures++;
      if (reply != NULL)
        g_variant_get (reply, "(b)", &yes);
      authorized += yes;
      max_ping = MAX (max_ping, ping);
      max_check = MAX (max_check, check);
      max_get = MAX (max_get, get);
      rounds++;
      g_usleep (interval_ms * 1000);
    }

  g_print ("{\"rounds\":%u,\"failures\":%u,\"authorized\":%u,\"max_ping\":%.3f,"
           "\"max_check\":%.3f,\"max_get\":%.3f}\n",
           rounds, failures, authorized, max_ping, max_check, max_get);
  return 0;
}

/* huge {{{1 */

static gsize
error_length (GDBusConnection *connection,
              const char      *method,
              GVariant        *params,
              char           **name_out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (connection, HELPER_BUS_NAME,
                                                           HELPER_OBJECT_PATH, HELPER_INTERFACE,
                                                           method, params, NULL,
                                                           G_DBUS_CALL_FLAGS_NONE, 60000, NULL,
                                                           &error);

  if (reply != NULL)
    return 0;
  g_free (*name_out);
  *name_out = g_dbus_error_get_remote_error (error);
  if (*name_out == NULL)
    *name_out = g_strdup (error->message);
  return strlen (error->message);
}

static int
cmd_huge (guint calls)
{
  g_autoptr(GDBusConnection) connection = connect_new ();
  g_autoptr(GString) path = g_string_new (NULL);
  g_autoptr(GString) key = g_string_new (NULL);
  g_autofree char *unsubscribe_error = NULL, *snapshot_error = NULL, *subscribe_error = NULL;
  gsize unsubscribe_max = 0, snapshot_max = 0, subscribe_max = 0;
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  /* "/aaaa…/aaaa…": a valid object path of 1 MiB. */
  while (path->len < 1024 * 1024)
    g_string_append (path, "/aaaaaaaaaaaaaaa");
  while (key->len < 1024 * 1024)
    g_string_append (key, "k\xc3\xa9y\001");

  for (guint i = 0; i < calls; i++)
    {
      unsubscribe_max = MAX (unsubscribe_max,
                             error_length (connection, "Unsubscribe",
                                           g_variant_new ("(o)", path->str), &unsubscribe_error));
      if (i % 10 == 0)
        snapshot_max = MAX (snapshot_max,
                            error_length (connection, "GetSnapshot",
                                          g_variant_new ("(o)", path->str), &snapshot_error));
    }
  g_variant_builder_add (&options, "{sv}", key->str, g_variant_new_uint32 (1));
  subscribe_max = error_length (connection, "Subscribe",
                                g_variant_new ("(@a{sv})", g_variant_builder_end (&options)),
                                &subscribe_error);

  g_print ("{\"unsubscribe\":{\"error\":\"%s\",\"length\":%" G_GSIZE_FORMAT "},"
           "\"snapshot\":{\"error\":\"%s\",\"length\":%" G_GSIZE_FORMAT "},"
           "\"subscribe\":{\"error\":\"%s\",\"length\":%" G_GSIZE_FORMAT "}}\n",
           unsubscribe_error ? unsubscribe_error : "", unsubscribe_max,
           snapshot_error ? snapshot_error : "", snapshot_max,
           subscribe_error ? subscribe_error : "", subscribe_max);
  return 0;
}

/* main {{{1 */

static guint
parse_uint (const char *text)
{
  return helper_args_parse_uint ("helper-flood", text);
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 5 && g_str_equal (argv[1], "flood"))
    return cmd_flood (parse_uint (argv[2]), parse_uint (argv[3]), parse_uint (argv[4]));
  if (argc == 5 && g_str_equal (argv[1], "agent"))
    return cmd_agent (parse_uint (argv[2]), parse_uint (argv[3]), parse_uint (argv[4]));
  if (argc == 3 && g_str_equal (argv[1], "huge"))
    return cmd_huge (parse_uint (argv[2]));
  if (argc == 4 && g_str_equal (argv[1], "probe"))
    return cmd_probe (parse_uint (argv[2]), parse_uint (argv[3]));

  g_printerr ("usage: helper-flood flood CONNECTIONS CALLS TIMEOUT_S | agent CONNECTIONS CALLS HOLD_S"
              " | huge CALLS | probe SECONDS INTERVAL_MS\n");
  return 1;
}
