/* main.c — netpulse, the app.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "netpulse-application.h"

/* Asked to draw with cairo (GSK_RENDERER=cairo: no GPU, a remote display,
 * the tests under Xvfb), GTK 4.8 still opens an OpenGL context for the
 * display and maps the whole GL driver (58 MiB of resident memory here)
 * that nothing then draws with.  Unless GDK_DEBUG says otherwise, tell
 * GDK not to. */
static void
skip_gl_when_drawing_with_cairo (void)
{
  if (g_strcmp0 (g_getenv ("GSK_RENDERER"), "cairo") == 0 && g_getenv ("GDK_DEBUG") == NULL)
    g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(NetpulseApplication) app = NULL;

  skip_gl_when_drawing_with_cairo ();
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_application_name (_("Netpulse"));
  app = netpulse_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
