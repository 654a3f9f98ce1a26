/* netpulsectl-status.c — “netpulsectl status”: the helper's properties and whether
 * this user is authorized, as text or JSON.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulsectl"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <unistd.h>

#include "netpulse-client.h"
#include "netpulse-text.h"

#include "netpulsectl-private.h"

/* status {{{1 */

typedef struct {
  GMainLoop *loop;
  GVariant  *status;
  GError    *error;
} StatusCall;

static void
status_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  StatusCall *call = user_data;

  call->status = netpulse_client_get_status_finish (NETPULSE_CLIENT (object), result, &call->error);
  g_main_loop_quit (call->loop);
}

/* What status prints, copied out of the a{sv}: pointers into a GVariant
 * (the "&s" forms) may not outlive the lookup that made them. */
typedef struct {
  char      *version;
  char      *backend;
  char     **features;
  guint32    subscriptions;
  gboolean   authorized;
  char      *authorization;    /* "granted", "challenge" or "denied" */
  GPtrArray *counter_names;    /* sorted, for a stable output */
  GArray    *counter_values;   /* guint64, in the same order */
} Status;

static void
status_clear (Status *status)
{
  g_free (status->version);
  g_free (status->backend);
  g_free (status->authorization);
  g_strfreev (status->features);
  g_clear_pointer (&status->counter_names, g_ptr_array_unref);
  g_clear_pointer (&status->counter_values, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Status, status_clear)

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static void
status_load (Status   *status,
             GVariant *dict)
{
  g_autoptr(GVariant) counters = g_variant_lookup_value (dict, "counters", G_VARIANT_TYPE ("a{st}"));
  g_autoptr(GHashTable) values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GVariantIter iter;
  char *name;
  guint64 value;

  if (!g_variant_lookup (dict, "version", "s", &status->version))
    status->version = g_strdup ("");
  if (!g_variant_lookup (dict, "backend", "s", &status->backend))
    status->backend = g_strdup ("none");
  if (!g_variant_lookup (dict, "kernel-features", "^as", &status->features))
    status->features = g_new0 (char *, 1);
  g_variant_lookup (dict, "subscriptions", "u", &status->subscriptions);
  g_variant_lookup (dict, "authorized", "b", &status->authorized);
  if (!g_variant_lookup (dict, "authorization", "s", &status->authorization))
    status->authorization = g_strdup (status->authorized ? "granted" : "denied");

  status->counter_names = g_ptr_array_new_with_free_func (g_free);
  status->counter_values = g_array_new (FALSE, FALSE, sizeof (guint64));
  if (counters == NULL)
    return;

  g_variant_iter_init (&iter, counters);
  while (g_variant_iter_next (&iter, "{st}", &name, &value))
    g_hash_table_replace (values, name, g_memdup2 (&value, sizeof value));

  {
    g_autofree gpointer *keys = g_hash_table_get_keys_as_array (values, NULL);
    guint n = g_hash_table_size (values);

    qsort (keys, n, sizeof (gpointer), compare_strings);
    for (guint i = 0; i < n; i++)
      {
        g_ptr_array_add (status->counter_names, g_strdup (keys[i]));
        g_array_append_val (status->counter_values,
                            *(guint64 *) g_hash_table_lookup (values, keys[i]));
      }
  }
}

static void
print_status_json (const Status *status)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GString) text = g_string_new (NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, status->version);
  json_builder_set_member_name (builder, "client_version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_set_member_name (builder, "backend");
  json_builder_add_string_value (builder, status->backend);
  json_builder_set_member_name (builder, "kernel_features");
  json_builder_begin_array (builder);
  for (guint i = 0; status->features[i] != NULL; i++)
    json_builder_add_string_value (builder, status->features[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "counters");
  json_builder_begin_object (builder);
  for (guint i = 0; i < status->counter_names->len; i++)
    {
      guint64 value = g_array_index (status->counter_values, guint64, i);

      json_builder_set_member_name (builder, g_ptr_array_index (status->counter_names, i));
      json_builder_add_int_value (builder, (gint64) MIN (value, (guint64) G_MAXINT64));
    }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "subscriptions");
  json_builder_add_int_value (builder, status->subscriptions);
  json_builder_set_member_name (builder, "authorized");
  json_builder_add_boolean_value (builder, status->authorized);
  json_builder_set_member_name (builder, "authorization");
  json_builder_add_string_value (builder, status->authorization);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_to_gstring (generator, text);
  /* json-glib escapes C0 only: DEL, C1 and bidi controls too. */
  netpulse_text_harden_json (text);
  printf ("%s\n", text->str);
}

/* One line per counter, the values in one column however long the
 * names (a printf width counts bytes and stops at 18). */
static void
print_counters (const Status *status)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  glong width = 0;

  for (guint i = 0; i < status->counter_names->len; i++)
    {
      const char *name = g_ptr_array_index (status->counter_names, i);
      char *safe = NULL;

      netpulse_text_safe (name, &safe);
      g_ptr_array_add (names, safe != NULL ? safe : g_strdup (name));
      width = MAX (width, g_utf8_strlen (g_ptr_array_index (names, i), -1));
    }
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);

      printf ("  %s%*s %" G_GUINT64_FORMAT "\n", name, (int) (width - g_utf8_strlen (name, -1)), "",
              g_array_index (status->counter_values, guint64, i));
    }
}

/* What polkit would answer this user, in words. */
static const char *
authorization_text (const char *authorization)
{
  if (g_str_equal (authorization, "granted"))
    /* Translators: “Authorization: granted” in netpulsectl status */
    return _("granted");
  if (g_str_equal (authorization, "challenge"))
    /* Translators: “Authorization: …” in netpulsectl status: monitoring
     * will ask for the password of an administrator */
    return _("needs an administrator’s password");
  return _("denied");
}

/* The helper's own words, but they reach a terminal all the same. */
static void
print_status_text (const Status *status)
{
  g_autofree char *feature_list = g_strjoinv (", ", status->features);
  g_autofree char *version = NULL, *backend = NULL, *features = NULL;

  printf (_("Helper version:   %s\n"), netpulse_text_safe (status->version, &version));
  printf (_("Client version:   %s\n"), PACKAGE_VERSION);
  printf (_("Backend:          %s\n"), netpulse_text_safe (status->backend, &backend));
  printf (_("Kernel features:  %s\n"), feature_list[0] != '\0' ? netpulse_text_safe (feature_list, &features) : "-");
  printf (_("Subscriptions:    %u\n"), status->subscriptions);
  printf (_("Authorization:    %s\n"), authorization_text (status->authorization));
  printf (_("Counters:\n"));
  print_counters (status);
}

int
netpulsectl_cmd_status (int    argc,
            char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL },
    { NULL }
  };
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(NetpulseClient) client = NULL;
  StatusCall call = { 0 };
  int status;

  if (!netpulsectl_parse_options ("status",
                      _("Show the helper’s version, kernel backend and counters, and whether "
                        "you may monitor.  Needs no authorization."),
                      entries, argc, argv, &status))
    return status;

  loop = g_main_loop_new (NULL, FALSE);
  client = netpulse_client_new ();
  call.loop = loop;

  netpulse_client_get_status_async (client, NULL, status_cb, &call);
  g_main_loop_run (loop);

  if (call.status == NULL)
    {
      status = netpulsectl_report_error (call.error);
      g_clear_error (&call.error);
      return status;
    }

  {
    g_auto(Status) loaded = { 0 };

    status_load (&loaded, call.status);
    g_variant_unref (call.status);
    if (json)
      print_status_json (&loaded);
    else
      print_status_text (&loaded);
  }

  fflush (stdout);
  return EXIT_OK;
}
