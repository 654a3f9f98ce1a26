/* main.c — netpulse, the app.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "netpulse-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(NetpulseApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_application_name (_("Netpulse"));
  app = netpulse_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
