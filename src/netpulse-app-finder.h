/* netpulse-app-finder.h — which desktop app a process belongs to.
 *
 * Desktops start apps in a systemd scope or service named after the app
 * (app-gnome-org.gnome.Terminal-1234.scope, app-flatpak-<id>-….scope,
 * app-<id>@….service), so /proc/PID/cgroup names the app; a process that
 * runs outside such a unit is matched by its command name against the
 * installed desktop files.  Results are cached per pid and command.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define NETPULSE_TYPE_APP_FINDER (netpulse_app_finder_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseAppFinder, netpulse_app_finder, NETPULSE, APP_FINDER, GObject)

/* @use_proc: read /proc (FALSE when the pids are not of this machine,
 * e.g. when replaying a recording). */
NetpulseAppFinder  *netpulse_app_finder_new          (gboolean           use_proc);
/* Returns (transfer none) the app, or NULL. */
GAppInfo           *netpulse_app_finder_lookup       (NetpulseAppFinder *self,
                                                      guint              pid,
                                                      const char        *comm);
/* The app ids that a /proc/PID/cgroup text names, most specific first. */
char              **netpulse_app_finder_parse_cgroup (const char        *cgroup);

/* The name and icon of application (@kind, @app_id) (NETPULSE_APP_KIND_*):
 * the desktop file of a desktop or Flatpak application, else the symbol
 * of its kind and its id as the name (a process's executable name, a
 * service's unit, a container's id). */
void                netpulse_app_finder_describe     (guint8             kind,
                                                      const char        *app_id,
                                                      char             **name,
                                                      GIcon            **icon);

G_END_DECLS
