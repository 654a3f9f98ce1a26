/* test-bus.h — for the unit tests that run on a private dbus-daemon
 * (GTestDBus): without dbus-daemon they skip (77), and under CI=true they
 * fail instead, so that a green CI means the real bus was used.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <stdlib.h>

#include <gio/gio.h>

static inline void
test_bus_require_dbus_daemon (void)
{
  g_autofree char *daemon = g_find_program_in_path ("dbus-daemon");

  if (daemon != NULL)
    return;
  if (g_strcmp0 (g_getenv ("CI"), "true") == 0)
    g_error ("dbus-daemon is not installed (tools/install-deps.sh installs it)");
  g_printerr ("dbus-daemon is not installed: skipping\n");
  exit (77);
}

/* A new private connection to the bus at @address, as a bus client. */
static inline GDBusConnection *
test_bus_connect (const char *address)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *connection =
    g_dbus_connection_new_for_address_sync (address,
                                            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                            NULL, NULL, &error);

  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (connection, FALSE);
  return connection;
}
