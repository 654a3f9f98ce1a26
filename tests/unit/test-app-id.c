/* test-app-id.c — application identity from cgroup paths, executables and
 * command lines (common/netpulse-app-id.h): real-world paths of GNOME,
 * KDE, Flatpak, snap, Docker, Podman, Kubernetes and systemd services, and
 * hostile input (overlong, not UTF-8, control characters).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <string.h>

#include "netpulse-app-id.h"

typedef struct {
  const char *cgroup;
  const char *exe;
  const char *comm;
  const char *unit;
  const char *app_id;
  guint8      kind;
} Case;

#define USER_APP "/user.slice/user-1000.slice/user@1000.service/app.slice/"

static const Case cases[] = {
  /* desktop: GNOME Shell launches with its own launcher name */
  { USER_APP "app-gnome-org.gnome.Epiphany-4321.scope", "/usr/bin/epiphany", "epiphany",
    "app-gnome-org.gnome.Epiphany-4321.scope", "org.gnome.Epiphany", NETPULSE_APP_KIND_DESKTOP },
  { USER_APP "app-gnome-firefox\\x2desr-8812.scope", "/usr/lib/firefox-esr/firefox-esr", "firefox-esr",
    "app-gnome-firefox\\x2desr-8812.scope", "firefox-esr", NETPULSE_APP_KIND_DESKTOP },
  { USER_APP "app-gnome-xdg\\x2duser\\x2ddirs-autostart.service", "/usr/bin/xdg-user-dirs-gtk-update", "xdg-user-dirs-g",
    "app-gnome-xdg\\x2duser\\x2ddirs-autostart.service", "xdg-user-dirs", NETPULSE_APP_KIND_DESKTOP },
  /* KDE Plasma: no launcher, a random suffix, services with @ */
  { USER_APP "app-org.kde.konsole-4f0e2a3b9c1d4e5f8a7b6c5d4e3f2a1b.scope", "/usr/bin/konsole", "konsole",
    "app-org.kde.konsole-4f0e2a3b9c1d4e5f8a7b6c5d4e3f2a1b.scope", "org.kde.konsole", NETPULSE_APP_KIND_DESKTOP },
  { USER_APP "app-org.kde.kalendarac@autostart.service", "/usr/bin/kalendarac", "kalendarac",
    "app-org.kde.kalendarac@autostart.service", "org.kde.kalendarac", NETPULSE_APP_KIND_DESKTOP },
  { USER_APP "app-kde-org.kde.dolphin@7a1b2c3d.service", "/usr/bin/dolphin", "dolphin",
    "app-kde-org.kde.dolphin@7a1b2c3d.service", "org.kde.dolphin", NETPULSE_APP_KIND_DESKTOP },
  /* systemd-run --user --scope style without launcher */
  { USER_APP "app-org.example.Test-12.scope", NULL, "test",
    "app-org.example.Test-12.scope", "org.example.Test", NETPULSE_APP_KIND_DESKTOP },
  /* Flatpak */
  { USER_APP "app-flatpak-org.mozilla.firefox-1234.scope", "/app/lib/firefox/firefox", "firefox",
    "app-flatpak-org.mozilla.firefox-1234.scope", "org.mozilla.firefox", NETPULSE_APP_KIND_FLATPAK },
  { USER_APP "app-flatpak-com.valvesoftware.Steam-98765.scope/steam", "/app/bin/steam", "steam",
    "app-flatpak-com.valvesoftware.Steam-98765.scope", "com.valvesoftware.Steam", NETPULSE_APP_KIND_FLATPAK },
  /* snap */
  { USER_APP "snap.firefox.firefox-0f3a4c2e-9d1b-4b8e-a6f7-2c3d4e5f6a7b.scope", "/snap/firefox/4336/usr/lib/firefox/firefox", "firefox",
    "snap.firefox.firefox-0f3a4c2e-9d1b-4b8e-a6f7-2c3d4e5f6a7b.scope", "firefox", NETPULSE_APP_KIND_SNAP },
  { "/system.slice/snap.lxd.daemon.service", "/snap/lxd/current/bin/lxd", "lxd",
    "snap.lxd.daemon.service", "snap.lxd.daemon", NETPULSE_APP_KIND_SERVICE },
  /* containers */
  { "/system.slice/docker-4f1d5c2b8a9e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a4938271605f4e.scope", "/usr/sbin/nginx", "nginx",
    "docker-4f1d5c2b8a9e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a4938271605f4e.scope", "4f1d5c2b8a9e", NETPULSE_APP_KIND_CONTAINER },
  { "/machine.slice/libpod-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope/container", "/usr/bin/redis-server", "redis-server",
    "libpod-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope", "0123456789ab", NETPULSE_APP_KIND_CONTAINER },
  { "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod5b1f.slice/cri-containerd-aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899.scope", "/coredns", "coredns",
    "cri-containerd-aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899.scope", "aabbccddeeff", NETPULSE_APP_KIND_CONTAINER },
  { "/docker/4f1d5c2b8a9e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a4938271605f4e", "/usr/sbin/nginx", "nginx",
    "", "4f1d5c2b8a9e", NETPULSE_APP_KIND_CONTAINER },
  /* a docker- scope that is not a container id */
  { "/system.slice/docker-compose-up.scope", "/usr/bin/docker-compose", "docker-compose",
    "docker-compose-up.scope", "docker-compose", NETPULSE_APP_KIND_PROCESS },
  /* services, system and user */
  { "/system.slice/sshd.service", "/usr/sbin/sshd", "sshd", "sshd.service", "sshd", NETPULSE_APP_KIND_SERVICE },
  { "/system.slice/system-getty.slice/getty@tty1.service", "/sbin/agetty", "agetty",
    "getty@tty1.service", "getty@tty1", NETPULSE_APP_KIND_SERVICE },
  { "/system.slice/systemd\\x2dresolved.service", "/usr/lib/systemd/systemd-resolved", "systemd-resolve",
    "systemd\\x2dresolved.service", "systemd-resolved", NETPULSE_APP_KIND_SERVICE },
  { "/user.slice/user-1000.slice/user@1000.service/session.slice/pipewire.service", "/usr/bin/pipewire", "pipewire",
    "pipewire.service", "pipewire", NETPULSE_APP_KIND_SERVICE },
  { "/user.slice/user-1000.slice/user@1000.service/init.scope", "/usr/lib/systemd/systemd", "systemd",
    "init.scope", "systemd", NETPULSE_APP_KIND_PROCESS },
  { "/system.slice/docker.service", "/usr/bin/dockerd", "dockerd", "docker.service", "docker", NETPULSE_APP_KIND_SERVICE },
  /* a process in a terminal's scope is itself, not the terminal */
  { USER_APP "app-org.gnome.Terminal.slice/vte-spawn-0d8f7a0e-6c5b-4a39-8271-605f4e3d2c1b.scope", "/usr/bin/curl", "curl",
    "vte-spawn-0d8f7a0e-6c5b-4a39-8271-605f4e3d2c1b.scope", "curl", NETPULSE_APP_KIND_PROCESS },
  { "/user.slice/user-1000.slice/session-2.scope", "/usr/bin/python3.11", "python3",
    "session-2.scope", "python3.11", NETPULSE_APP_KIND_PROCESS },
  /* no unit */
  { "/", "/usr/bin/curl", "curl", "", "curl", NETPULSE_APP_KIND_PROCESS },
  { "", NULL, "kworker", "", "kworker", NETPULSE_APP_KIND_PROCESS },
  { NULL, "/usr/bin/nc.openbsd (deleted)", "nc", "", "nc.openbsd", NETPULSE_APP_KIND_PROCESS },
  /* a test's cgroups directly under the root */
  { "/app-gnome-org.example.Test-4242.scope", "/usr/bin/python3.11", "python3",
    "app-gnome-org.example.Test-4242.scope", "org.example.Test", NETPULSE_APP_KIND_DESKTOP },
  { "/test1b2c.service", "/usr/bin/python3.11", "python3", "test1b2c.service", "test1b2c", NETPULSE_APP_KIND_SERVICE },
  /* units that only look like app scopes */
  { "/app-.scope", "/bin/x", "x", "app-.scope", "x", NETPULSE_APP_KIND_PROCESS },
  { "/app-gnome--1.scope", "/bin/x", "x", "app-gnome--1.scope", "x", NETPULSE_APP_KIND_PROCESS },
  { "/snap..scope", "/bin/x", "x", "snap..scope", "x", NETPULSE_APP_KIND_PROCESS },
};

static void
test_cases (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *c = &cases[i];
      NetpulseAppId id;

      netpulse_app_id_parse (&id, c->cgroup, c->exe, c->comm);
      g_test_message ("%s", c->cgroup ? c->cgroup : "(null)");
      g_assert_cmpstr (id.unit, ==, c->unit);
      g_assert_cmpstr (id.app_id, ==, c->app_id);
      g_assert_cmpstr (netpulse_app_kind_name (id.kind), ==, netpulse_app_kind_name (c->kind));
    }
}

static void
test_proc_cgroup (void)
{
  g_autofree char *v2 = netpulse_app_id_cgroup_v2 ("12:pids:/user.slice\n1:name=systemd:/user.slice/x.scope\n0::/user.slice/user-1000.slice/session-2.scope\n");
  g_autofree char *only_v2 = netpulse_app_id_cgroup_v2 ("0::/system.slice/sshd.service");
  g_autofree char *v1 = netpulse_app_id_cgroup_v2 ("12:pids:/a\n11:cpu:/b\n");

  g_assert_cmpstr (v2, ==, "/user.slice/user-1000.slice/session-2.scope");
  g_assert_cmpstr (only_v2, ==, "/system.slice/sshd.service");
  g_assert_null (v1);
  g_assert_null (netpulse_app_id_cgroup_v2 (""));
  g_assert_null (netpulse_app_id_cgroup_v2 (NULL));
}

static void
test_cmdline (void)
{
  static const char python[] = "python3\0-m\0http.server\0" "8000\0";
  static const char hostile[] = "sh\0-c\0echo \x1b]0;PWNED\x07\n\xff\xfe ok\0";
  static const char utf8[] = "gedit\0r\xc3\xa9sum\xc3\xa9.txt\0";
  g_autofree char *joined = netpulse_app_id_cmdline (python, sizeof python - 1, 257);
  g_autofree char *escaped = netpulse_app_id_cmdline (hostile, sizeof hostile - 1, 257);
  g_autofree char *accents = netpulse_app_id_cmdline (utf8, sizeof utf8 - 1, 257);
  g_autofree char *empty = netpulse_app_id_cmdline ("", 0, 257);
  g_autofree char *none = netpulse_app_id_cmdline (NULL, 0, 257);

  g_assert_cmpstr (joined, ==, "python3 -m http.server 8000");
  g_assert_cmpstr (escaped, ==, "sh -c echo \\x1b]0;PWNED\\x07\\x0a\\xff\\xfe ok");
  g_assert_cmpstr (accents, ==, "gedit r\xc3\xa9sum\xc3\xa9.txt");
  g_assert_cmpstr (empty, ==, "");
  g_assert_cmpstr (none, ==, "");
}

/* Cut at 256 bytes, never inside a character or an escape. */
static void
test_cmdline_overlong (void)
{
  g_autoptr(GString) raw = g_string_new ("prog");
  g_autofree char *ascii = NULL, *multibyte = NULL, *escapes = NULL, *huge = NULL;
  g_autofree char *big = g_malloc (1 << 20);

  for (guint i = 0; i < 300; i++)
    g_string_append_len (raw, "\0a", 2);
  ascii = netpulse_app_id_cmdline (raw->str, raw->len, 257);
  g_assert_cmpuint (strlen (ascii), ==, 256);
  g_assert_true (g_str_has_prefix (ascii, "prog a a a"));

  g_string_assign (raw, "x");
  for (guint i = 0; i < 200; i++)
    g_string_append (raw, "\xe2\x82\xac");     /* € (3 bytes) */
  multibyte = netpulse_app_id_cmdline (raw->str, raw->len, 257);
  g_assert_cmpuint (strlen (multibyte), ==, 1 + 85 * 3);
  g_assert_true (g_utf8_validate (multibyte, -1, NULL));

  g_string_assign (raw, "x");
  for (guint i = 0; i < 200; i++)
    g_string_append_c (raw, '\x01');
  escapes = netpulse_app_id_cmdline (raw->str, raw->len, 257);
  g_assert_cmpuint (strlen (escapes), ==, 1 + 63 * 4);
  g_assert_true (g_str_has_suffix (escapes, "\\x01"));

  /* a megabyte of NULs and invalid bytes */
  for (gsize i = 0; i < (1 << 20); i++)
    big[i] = (i % 3 == 0) ? '\0' : (char) 0xc3;
  huge = netpulse_app_id_cmdline (big, 1 << 20, 257);
  g_assert_cmpuint (strlen (huge), <=, 256);
  g_assert_true (g_utf8_validate (huge, -1, NULL));
}

static void
test_hostile_paths (void)
{
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GString) long_id = g_string_new ("/app-gnome-org.");
  NetpulseAppId id;

  for (guint i = 0; i < 5000; i++)
    g_string_append (deep, "/x.slice");
  g_string_append (deep, "/sshd.service");
  netpulse_app_id_parse (&id, deep->str, "/usr/sbin/sshd", "sshd");
  g_assert_cmpstr (id.unit, ==, "sshd.service");
  g_assert_cmpuint (id.kind, ==, NETPULSE_APP_KIND_SERVICE);

  for (guint i = 0; i < 500; i++)
    g_string_append (long_id, "a\xc3\xa9");
  g_string_append (long_id, "-1.scope");
  netpulse_app_id_parse (&id, long_id->str, NULL, "x");
  g_assert_cmpuint (id.kind, ==, NETPULSE_APP_KIND_DESKTOP);
  g_assert_cmpuint (strlen (id.unit), <=, sizeof id.unit - 1);
  g_assert_cmpuint (strlen (id.app_id), <=, sizeof id.app_id - 1);
  g_assert_true (g_utf8_validate (id.unit, -1, NULL));
  g_assert_true (g_utf8_validate (id.app_id, -1, NULL));
  g_assert_true (g_str_has_prefix (id.app_id, "org.a\xc3\xa9"));

  /* control characters and invalid UTF-8, raw or behind systemd's escapes */
  netpulse_app_id_parse (&id, "/evil\x1b[2J\xff.service", NULL, "x");
  g_assert_cmpstr (id.unit, ==, "evil\\x1b[2J\\xff.service");
  g_assert_cmpstr (id.app_id, ==, "evil\\x1b[2J\\xff");
  netpulse_app_id_parse (&id, "/app-gnome-a\\x0ab\\xc3-1.scope", NULL, "x");
  g_assert_cmpstr (id.unit, ==, "app-gnome-a\\x0ab\\xc3-1.scope");
  g_assert_cmpstr (id.app_id, ==, "a\\x0ab\\xc3");
  /* an escape cut short stays as it is */
  netpulse_app_id_parse (&id, "/ab\\x2.service", NULL, "x");
  g_assert_cmpstr (id.app_id, ==, "ab\\x2");

  /* an exe or comm name of control characters */
  netpulse_app_id_parse (&id, NULL, "/tmp/\x1b]0;x\x07", "y");
  g_assert_cmpstr (id.app_id, ==, "\\x1b]0;x\\x07");
  netpulse_app_id_parse (&id, NULL, NULL, "a\nb");
  g_assert_cmpstr (id.app_id, ==, "a\\x0ab");
  netpulse_app_id_parse (&id, NULL, NULL, NULL);
  g_assert_cmpstr (id.app_id, ==, "");
}

static void
test_escape (void)
{
  g_autofree char *c1 = netpulse_app_id_escape ("a\xc2\x9b" "b", -1, 64);
  g_autofree char *cut = netpulse_app_id_escape ("abc\xc3\xa9", -1, 5);
  g_autofree char *nul = netpulse_app_id_escape ("a\0b", 3, 64);

  g_assert_cmpstr (c1, ==, "a\\xc2\\x9bb");
  g_assert_cmpstr (cut, ==, "abc");
  g_assert_cmpstr (nul, ==, "a\\x00b");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/app-id/cgroup-paths", test_cases);
  g_test_add_func ("/app-id/proc-cgroup", test_proc_cgroup);
  g_test_add_func ("/app-id/cmdline", test_cmdline);
  g_test_add_func ("/app-id/cmdline-overlong", test_cmdline_overlong);
  g_test_add_func ("/app-id/hostile-paths", test_hostile_paths);
  g_test_add_func ("/app-id/escape", test_escape);
  return g_test_run ();
}
