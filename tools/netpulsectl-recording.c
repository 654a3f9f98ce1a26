/* netpulsectl-recording.c — `netpulsectl recording on|off|status`: the
 * helper's usage history (GetRecording, SetRecording).  Turning it on or
 * off asks for io.github.netpulse.configure (an administrator's password,
 * through the tty agent in a terminal).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulsectl"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "netpulse-client.h"
#include "netpulse-text.h"
#include "netpulse-units.h"
#include "netpulsectl-private.h"

typedef struct {
  GMainLoop *loop;
  GVariant  *state;
  gboolean   done;
  GError    *error;
} Call;

static void
get_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  Call *call = user_data;

  call->state = netpulse_client_get_recording_finish (NETPULSE_CLIENT (object), result, &call->error);
  g_main_loop_quit (call->loop);
}

static void
set_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  Call *call = user_data;

  call->done = netpulse_client_set_recording_finish (NETPULSE_CLIENT (object), result, &call->error);
  g_main_loop_quit (call->loop);
}

static const char *
lookup_string (GVariant   *state,
               const char *key)
{
  const char *value = "";

  g_variant_lookup (state, key, "&s", &value);
  return value;
}

static guint64
lookup_u64 (GVariant   *state,
            const char *key)
{
  guint64 value = 0;

  g_variant_lookup (state, key, "t", &value);
  return value;
}

static void
print_state (GVariant *state,
             gboolean  json)
{
  gboolean enabled = FALSE, paused = FALSE, at_boot = FALSE;
  g_autofree char *size = netpulse_format_bytes (lookup_u64 (state, "database-size"));
  const char *last_error = lookup_string (state, "last-error");
  const char *warning = lookup_string (state, "warning");

  g_variant_lookup (state, "enabled", "b", &enabled);
  g_variant_lookup (state, "paused", "b", &paused);
  /* Helpers before the boot link do not say: false, "". */
  g_variant_lookup (state, "starts-at-boot", "b", &at_boot);
  if (json)
    {
      g_autoptr(GString) out = g_string_new (NULL);

      g_string_append_printf (out, "{\"enabled\":%s,\"paused\":%s,\"bucket_ms\":%" G_GUINT64_FORMAT
                              ",\"retention_fine_s\":%" G_GUINT64_FORMAT ",\"retention_hour_s\":%" G_GUINT64_FORMAT
                              ",\"retention_day_s\":%" G_GUINT64_FORMAT ",\"database_size\":%" G_GUINT64_FORMAT
                              ",\"database_path\":",
                              enabled ? "true" : "false", paused ? "true" : "false",
                              lookup_u64 (state, "bucket-ms"), lookup_u64 (state, "retention-fine-s"),
                              lookup_u64 (state, "retention-hour-s"), lookup_u64 (state, "retention-day-s"),
                              lookup_u64 (state, "database-size"));
      netpulse_text_append_json_string (out, lookup_string (state, "database-path"));
      g_string_append (out, ",\"last_error\":");
      netpulse_text_append_json_string (out, last_error);
      g_string_append (out, ",\"warning\":");
      netpulse_text_append_json_string (out, warning);
      g_string_append_printf (out, ",\"starts_at_boot\":%s,\"boot_error\":", at_boot ? "true" : "false");
      netpulse_text_append_json_string (out, lookup_string (state, "boot-error"));
      g_string_append (out, "}\n");
      fputs (out->str, stdout);
      return;
    }

  g_print (_("Recording: %s\n"), !enabled ? _("off") : paused ? _("on, paused") : _("on"));
  /* gettext cannot read G_GUINT64_FORMAT in a msgid: plain C widths. */
  g_print (_("Buckets:   %llu ms, kept %llu h; hourly %llu d; daily %llu d\n"),
           (unsigned long long) lookup_u64 (state, "bucket-ms"),
           (unsigned long long) (lookup_u64 (state, "retention-fine-s") / 3600),
           (unsigned long long) (lookup_u64 (state, "retention-hour-s") / 86400),
           (unsigned long long) (lookup_u64 (state, "retention-day-s") / 86400));
  g_print (_("Database:  %s (%s)\n"), lookup_string (state, "database-path"), size);
  if (*last_error != '\0')
    g_print (_("Error:     %s\n"), last_error);
  if (*warning != '\0')
    g_print (_("Warning:   %s\n"), warning);
  if (at_boot)
    g_print ("%s\n", _("At boot:   starts by itself (netpulse-recorder.target)"));
  if (*lookup_string (state, "boot-error") != '\0')
    g_print (_("At boot:   %s\n"), lookup_string (state, "boot-error"));
}

static gboolean
parse_retention (const char  *text,
                 const char  *key,
                 GVariantDict *options,
                 GError     **error)
{
  char *end = NULL;
  guint64 value;

  if (text == NULL)
    return TRUE;
  value = g_ascii_strtoull (text, &end, 10);
  if (end == text || (*end != '\0' && (end[1] != '\0' || (end[0] != 'h' && end[0] != 'd'))))
    return g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        _("“%s” is not a retention: use e.g. 48h or 90d"), text), FALSE;
  value *= end[0] == 'h' ? 3600 : end[0] == 'd' ? 86400 : 1;
  g_variant_dict_insert (options, key, "t", value);
  return TRUE;
}

int
netpulsectl_cmd_recording (int    argc,
                           char **argv)
{
  g_autofree char *keep_fine = NULL, *keep_hour = NULL, *keep_day = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "keep-minutes", 0, 0, G_OPTION_ARG_STRING, &keep_fine, N_("With on: keep minute buckets this long (e.g. 48h)"), N_("TIME") },
    { "keep-hours", 0, 0, G_OPTION_ARG_STRING, &keep_hour, N_("With on: keep hourly buckets this long (e.g. 90d)"), N_("TIME") },
    { "keep-days", 0, 0, G_OPTION_ARG_STRING, &keep_day, N_("With on: keep daily buckets this long (e.g. 730d)"), N_("TIME") },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json, N_("status: print one JSON object"), NULL },
    { NULL }
  };
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(NetpulseClient) client = netpulse_client_new ();
  g_auto(GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GError) error = NULL;
  Call call = { loop, NULL, FALSE, NULL };
  const char *what;
  int status;

  /* `recording ACTION [options]`: the action is the command to parse. */
  if (argc < 3 || argv[2][0] == '-')
    what = "status";
  else
    {
      what = argv[2];
      argv[2] = argv[1];
      argv++;
      argc--;
    }
  if (!netpulsectl_parse_options ("recording",
                                  _("on, off or status (the default) of the usage history.  "
                                    "Turning it on or off needs an administrator."),
                                  entries, argc, argv, &status))
    return status;
  if (!g_str_equal (what, "on") && !g_str_equal (what, "off") && !g_str_equal (what, "status"))
    return netpulsectl_usage_error ("recording", _("say on, off or status"));
  if (!parse_retention (keep_fine, "retention-fine-s", &options, &error) ||
      !parse_retention (keep_hour, "retention-hour-s", &options, &error) ||
      !parse_retention (keep_day, "retention-day-s", &options, &error))
    return netpulsectl_usage_error ("recording", error->message);

  if (!g_str_equal (what, "status"))
    {
      g_autoptr(GSubprocess) agent = netpulsectl_start_tty_agent ();

      netpulse_client_set_recording_async (client, g_str_equal (what, "on"),
                                           g_variant_dict_end (&options), NULL, set_cb, &call);
      g_main_loop_run (loop);
      netpulsectl_stop_tty_agent (agent);
      if (!call.done)
        {
          status = netpulsectl_report_error (call.error);
          g_clear_error (&call.error);
          return status;
        }
    }

  netpulse_client_get_recording_async (client, NULL, get_cb, &call);
  g_main_loop_run (loop);
  if (call.state == NULL)
    {
      status = netpulsectl_report_error (call.error);
      g_clear_error (&call.error);
      return status;
    }
  print_state (call.state, json);
  g_variant_unref (call.state);
  return EXIT_OK;
}
