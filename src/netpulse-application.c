/* netpulse-application.c
 *
 * Command line (the last three are for developers and tests, hidden from
 * --help):
 *   --replay FILE          play a recorded stream instead of asking the helper
 *   --replay-interval MS   pace of the replay: MS per tick, 0 = as recorded
 *                          (default 200)
 *   --sort COLUMN[:asc|:desc]  sort by this column (see netpulse-columns.h)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse"

#include "config.h"

#include <glib/gi18n.h>

#include "netpulse-application.h"
#include "netpulse-columns.h"
#include "netpulse-helper-source.h"
#include "netpulse-replay-source.h"
#include "netpulse-test-hooks.h"
#include "netpulse-window.h"

struct _NetpulseApplication
{
  AdwApplication  parent_instance;

  char           *replay;
  int             replay_interval;
  char           *sort;
};

G_DEFINE_FINAL_TYPE (NetpulseApplication, netpulse_application, ADW_TYPE_APPLICATION)

static void
apply_sort (NetpulseApplication *self,
            NetpulseWindow      *window)
{
  g_auto(GStrv) parts = NULL;
  gboolean descending;

  if (self->sort == NULL)
    return;
  parts = g_strsplit (self->sort, ":", 2);
  descending = parts[1] != NULL ? g_strcmp0 (parts[1], "desc") == 0
                                : netpulse_columns_prefers_descending (parts[0]);
  if (!netpulse_window_sort_by (window, parts[0], descending))
    g_printerr (_("netpulse: no column named “%s”\n"), parts[0]);
}

static NetpulseSource *
create_source (NetpulseApplication *self)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.netpulse.Netpulse");

  if (self->replay != NULL)
    return netpulse_replay_source_new (self->replay, (guint) MAX (self->replay_interval, 0));
  return netpulse_helper_source_new (g_settings_get_uint (settings, "update-interval"));
}

static void
netpulse_application_activate (GApplication *app)
{
  NetpulseApplication *self = NETPULSE_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_autoptr(NetpulseSource) source = NULL;

  if (window == NULL)
    {
      source = create_source (self);
      window = GTK_WINDOW (netpulse_window_new (GTK_APPLICATION (app), source));
      apply_sort (self, NETPULSE_WINDOW (window));
      netpulse_test_hooks_install (NETPULSE_WINDOW (window));
    }
  gtk_window_present (window);
}

static int
netpulse_application_handle_local_options (GApplication *app,
                                           GVariantDict *options)
{
  NetpulseApplication *self = NETPULSE_APPLICATION (app);

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("netpulse %s\n", PACKAGE_VERSION);
      return 0;
    }
  g_variant_dict_lookup (options, "replay", "^ay", &self->replay);
  g_variant_dict_lookup (options, "replay-interval", "i", &self->replay_interval);
  g_variant_dict_lookup (options, "sort", "s", &self->sort);

  /* A replay is a separate instance, never handed to a running app. */
  if (self->replay != NULL)
    g_application_set_flags (app, g_application_get_flags (app) | G_APPLICATION_NON_UNIQUE);
  return -1;
}

static void
netpulse_application_finalize (GObject *object)
{
  NetpulseApplication *self = NETPULSE_APPLICATION (object);

  g_free (self->replay);
  g_free (self->sort);

  G_OBJECT_CLASS (netpulse_application_parent_class)->finalize (object);
}

static void
netpulse_application_class_init (NetpulseApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = netpulse_application_finalize;
  app_class->activate = netpulse_application_activate;
  app_class->handle_local_options = netpulse_application_handle_local_options;
}

static void
about_activate (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  GtkApplication *app = user_data;
  const char *developers[] = { "The Netpulse developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (app),
                        "application-name", _("Netpulse"),
                        "application-icon", APP_ID,
                        "developer-name", _("The Netpulse developers"),
                        "version", PACKAGE_VERSION,
                        "comments", _("See which programs use the network, with whom, and how fast"),
                        "website", "https://github.com/netpulse/netpulse",
                        "license-type", GTK_LICENSE_GPL_2_0,
                        "developers", developers,
                        /* Translators: your names, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_activate (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static const GActionEntry app_actions[] = {
  { "about", about_activate },
  { "quit", quit_activate },
};

static const GOptionEntry option_entries[] = {
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and exit"), NULL },
  { "replay", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, NULL,
    N_("Play a recorded stream instead of asking the helper"), N_("FILE") },
  { "replay-interval", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, NULL,
    N_("Milliseconds per recorded tick, 0 for the recorded pace"), N_("MS") },
  { "sort", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, NULL,
    N_("Sort by a column, e.g. rx-rate or process:asc"), N_("COLUMN") },
  { NULL }
};

static void
netpulse_application_init (NetpulseApplication *self)
{
  const char *quit_accels[] = { "<Control>q", NULL };
  const char *search_accels[] = { "<Control>f", NULL };
  const char *copy_accels[] = { "<Control><Shift>c", NULL };

  self->replay_interval = 200;
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.search", search_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.copy-address", copy_accels);
}

NetpulseApplication *
netpulse_application_new (void)
{
  return g_object_new (NETPULSE_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       /* The same resources for the .Devel id. */
                       "resource-base-path", "/io/github/netpulse/Netpulse",
                       NULL);
}
