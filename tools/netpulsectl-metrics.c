/* netpulsectl-metrics.c — `netpulsectl metrics [on|off|status]`: the
 * helper's counters for Prometheus (GetMetrics, GetMetricsExport,
 * SetMetricsExport).  Without an action it prints the exposition, the
 * same page node_exporter serves (for scripts, and for `promtool check
 * metrics`); on and off ask for io.github.netpulse.configure.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulsectl"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "netpulse-client.h"
#include "netpulse-protocol.h"
#include "netpulse-text.h"
#include "netpulsectl-private.h"

/* One call to the helper; no timeout: SetMetricsExport may wait for a
 * password. */
static GVariant *
call_helper (const char  *method,
             GVariant    *parameters,
             const char  *reply_type,
             GError     **error)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) local_error = NULL;
  GVariant *reply;

  bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &local_error);
  if (bus != NULL)
    reply = g_dbus_connection_call_sync (bus, HELPER_BUS_NAME, HELPER_OBJECT_PATH, NETPULSE_HELPER_INTERFACE,
                                         method, parameters, G_VARIANT_TYPE (reply_type),
                                         G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION,
                                         G_MAXINT, NULL, &local_error);
  else
    {
      g_variant_unref (g_variant_ref_sink (parameters));
      reply = NULL;
    }
  if (reply == NULL)
    g_propagate_error (error, netpulse_client_error_from_dbus (local_error));
  return reply;
}

static void
print_state (GVariant *state)
{
  gboolean enabled = FALSE;
  const char *dir = "", *file = "", *last_error = "";
  guint32 interval_s = 0, max_apps = 0;
  guint64 writes = 0;
  g_autofree char *owned_dir = NULL, *owned_error = NULL;

  g_variant_lookup (state, "enabled", "b", &enabled);
  g_variant_lookup (state, "textfile-dir", "&s", &dir);
  g_variant_lookup (state, "file", "&s", &file);
  g_variant_lookup (state, "interval-s", "u", &interval_s);
  g_variant_lookup (state, "max-apps", "u", &max_apps);
  g_variant_lookup (state, "writes", "t", &writes);
  g_variant_lookup (state, "last-error", "&s", &last_error);

  g_print (_("Metrics export: %s\n"), enabled ? _("on") : _("off"));
  if (*dir != '\0')
    g_print (_("File:           %s\n"), netpulse_text_safe (file, &owned_dir));
  g_print (_("Every:          %u s, at most %u applications (the rest as “other”)\n"),
           interval_s, max_apps);
  g_print (_("Pages written:  %llu since the helper started\n"), (unsigned long long) writes);
  if (*last_error != '\0')
    g_print (_("Error:          %s\n"), netpulse_text_safe (last_error, &owned_error));
}

static int
set_export (gboolean     enabled,
            const char  *dir,
            int          interval_s,
            int          max_apps)
{
  g_autoptr(GSubprocess) agent = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *absolute = NULL;

  if (interval_s < 0 || max_apps < 0)
    return netpulsectl_usage_error ("metrics", _("--interval and --max-apps cannot be negative"));
  if (enabled && dir == NULL)
    return netpulsectl_usage_error ("metrics",
                                    _("on needs --textfile-dir DIR (node_exporter’s --collector.textfile.directory)"));
  /* The helper runs elsewhere: a relative path means nothing there. */
  if (dir != NULL)
    absolute = g_canonicalize_filename (dir, NULL);

  agent = netpulsectl_start_tty_agent ();
  reply = call_helper ("SetMetricsExport",
                       g_variant_new ("(bsuu)", enabled, absolute != NULL ? absolute : "",
                                      (guint32) interval_s, (guint32) max_apps),
                       "()", &error);
  netpulsectl_stop_tty_agent (agent);
  return reply != NULL ? EXIT_OK : netpulsectl_report_error (error);
}

int
netpulsectl_cmd_metrics (int    argc,
                         char **argv)
{
  g_autofree char *dir = NULL;
  int interval_s = 0, max_apps = 0;
  const GOptionEntry entries[] = {
    { "textfile-dir", 0, 0, G_OPTION_ARG_FILENAME, &dir,
      N_("With on: the directory node_exporter’s textfile collector reads"), N_("DIR") },
    { "interval", 0, 0, G_OPTION_ARG_INT, &interval_s, N_("With on: seconds between writes (default 15)"), N_("S") },
    { "max-apps", 0, 0, G_OPTION_ARG_INT, &max_apps,
      N_("With on: applications with series of their own (default 50)"), N_("N") },
    { NULL }
  };
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  const char *what = NULL;
  int status;

  /* `metrics [ACTION] [options]`: the action is the command to parse. */
  if (argc >= 3 && argv[2][0] != '-')
    {
      what = argv[2];
      argv[2] = argv[1];
      argv++;
      argc--;
    }
  if (!netpulsectl_parse_options ("metrics",
                                  _("Without an action, print Netpulse’s counters in the Prometheus text "
                                    "format.  on, off: write them for node_exporter’s textfile collector "
                                    "(needs an administrator, and recording on); status: show that setting."),
                                  entries, argc, argv, &status))
    return status;
  if (what != NULL && !g_str_equal (what, "on") && !g_str_equal (what, "off") && !g_str_equal (what, "status"))
    return netpulsectl_usage_error ("metrics", _("say on, off or status, or nothing to print the metrics"));

  if (what == NULL)
    {
      const char *text;

      reply = call_helper ("GetMetrics", g_variant_new ("()"), "(s)", &error);
      if (reply == NULL)
        return netpulsectl_report_error (error);
      g_variant_get (reply, "(&s)", &text);
      /* Escaped by the helper already (label values are safe to print). */
      fputs (text, stdout);
      return EXIT_OK;
    }
  if (!g_str_equal (what, "status") &&
      (status = set_export (g_str_equal (what, "on"), dir, interval_s, max_apps)) != EXIT_OK)
    return status;

  reply = call_helper ("GetMetricsExport", g_variant_new ("()"), "(a{sv})", &error);
  if (reply == NULL)
    return netpulsectl_report_error (error);
  {
    g_autoptr(GVariant) state = g_variant_get_child_value (reply, 0);

    print_state (state);
  }
  return EXIT_OK;
}
