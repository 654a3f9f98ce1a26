#!/bin/bash
# setup.sh — the first command of README.md: sets up a Debian 12 (or
# Ubuntu-like) machine, builds and installs Netpulse, and starts the app.
#
#   ./tools/setup.sh [--no-deps] [--no-start] [--builddir DIR]
#
#   --no-deps        do not install packages (tools/install-deps.sh)
#   --no-start       do not start the app at the end
#   --builddir DIR   build directory (default: _build)
#
# Steps: installs the packages, configures with --prefix=/usr (like a
# distribution package: the system bus and polkitd only look for their
# files under /usr/share and /etc, never under /usr/local), builds as the
# user who called sudo, installs as root, tells systemd, the system bus and
# the caches about the new files, checks that the bus activates the helper,
# and starts the app as that user when there is a display.  On a headless
# machine it builds, installs and says so.  Running it again updates the
# installation (and restarts a running helper).
#
# SPDX-License-Identifier: GPL-2.0-or-later
set -euo pipefail
cd "$(dirname "$0")/.."
srcdir=$(pwd)

# tools/uninstall.sh configures a throwaway build with the same options.
setup_options=(--prefix=/usr --buildtype=release -Dapp=true -Dhelper=true -Dcli=true -Dtests=false)
session_vars="DISPLAY WAYLAND_DISPLAY XAUTHORITY XDG_RUNTIME_DIR DBUS_SESSION_BUS_ADDRESS XDG_SESSION_TYPE XDG_CURRENT_DESKTOP LANG LANGUAGE LC_ALL LC_MESSAGES"

usage() {
  sed -n '5,9s/^# \{0,1\}//p' "$0"
}

with_deps=1
start_app=1
builddir=_build
while [ $# -gt 0 ]; do
  case $1 in
    --no-deps) with_deps=0; shift ;;
    --no-start) start_app=0; shift ;;
    --builddir) builddir=${2:?--builddir needs a directory}; shift 2 ;;
    --builddir=*) builddir=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "setup.sh: unknown argument '$1'" >&2; usage >&2; exit 1 ;;
  esac
done

say() { printf '\n== %s\n' "$*"; }
warn() { printf 'setup.sh: %s\n' "$*" >&2; }

# -- root ---------------------------------------------------------------------
# Installing packages and system files needs root.  Called without sudo,
# ask for it, and hand the desktop session's variables over (sudo drops
# them) so that the app can be started on this display at the end.
if [ "$(id -u)" != 0 ]; then
  if ! command -v sudo >/dev/null; then
    warn "run as root: it installs packages and system files (sudo is not installed)"
    exit 1
  fi
  pass=()
  for var in $session_vars; do
    if [ -n "${!var:-}" ]; then
      pass+=("NETPULSE_SETUP_$var=${!var}")
    fi
  done
  exec sudo -- env "${pass[@]}" "$0" "$@"
fi

# -- who is the desktop user, and their session ---------------------------------------
desktop_user=${SUDO_USER:-}
if [ "$desktop_user" = root ]; then
  desktop_user=
fi
desktop_uid=
desktop_home=
if [ -n "$desktop_user" ]; then
  desktop_uid=$(id -u "$desktop_user")
  desktop_home=$(getent passwd "$desktop_user" | cut -d: -f6)
fi

declare -A session=()
# From our own re-exec through sudo (above), or kept by sudo -E.
for var in $session_vars; do
  passed=NETPULSE_SETUP_$var
  if [ -n "${!passed:-}" ]; then
    session[$var]=${!passed}
  elif [ -n "${SUDO_USER:-}" ] && [ -n "${!var:-}" ]; then
    session[$var]=${!var}
  fi
done
# `sudo ./tools/setup.sh` from a terminal: sudo dropped the variables, but
# the shell that ran sudo (owned by the desktop user) still has them.
if [ -n "$desktop_uid" ] && [ -z "${session[DISPLAY]:-}${session[WAYLAND_DISPLAY]:-}" ]; then
  pid=$PPID
  while [ "${pid:-0}" -gt 1 ] && [ -r "/proc/$pid/status" ]; do
    uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
    if [ "$uid" = "$desktop_uid" ]; then
      while IFS= read -r -d '' entry; do
        name=${entry%%=*}
        case " $session_vars " in
          *" $name "*) session[$name]=${entry#*=} ;;
        esac
      done < "/proc/$pid/environ"
      break
    fi
    pid=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")
  done
fi

# -- 1. packages -------------------------------------------------------------------------
if [ "$with_deps" = 1 ]; then
  say "Installing the packages Netpulse needs (tools/install-deps.sh)"
  ./tools/install-deps.sh
fi

# -- 2. build ------------------------------------------------------------------------------
# Built as the desktop user when they can write the source tree, so that
# no root-owned files end up in their checkout; installed as root.
build_user=
if [ -n "$desktop_user" ] &&
   runuser -u "$desktop_user" -- test -w "$srcdir" &&
   { [ ! -e "$builddir" ] || runuser -u "$desktop_user" -- test -w "$builddir"; }; then
  build_user=$desktop_user
fi
as_builder() {
  if [ -n "$build_user" ]; then
    runuser -u "$build_user" -- "$@"
  else
    "$@"
  fi
}

say "Building in $builddir (${setup_options[*]})${build_user:+ as $build_user}"
if [ -f "$builddir/build.ninja" ]; then
  # meson configure takes every option in the -Dname=value form.
  configure_options=()
  for opt in "${setup_options[@]}"; do
    case $opt in
      --*=*) name=${opt%%=*}; name=${name#--}; configure_options+=("-D${name//-/_}=${opt#*=}") ;;
      *) configure_options+=("$opt") ;;
    esac
  done
  if ! as_builder meson configure "$builddir" "${configure_options[@]}"; then
    warn "reconfiguring $builddir failed; configuring it from scratch"
    as_builder meson setup --wipe "$builddir" "${setup_options[@]}"
  fi
else
  as_builder meson setup "$builddir" "${setup_options[@]}"
fi
as_builder meson compile -C "$builddir"

# -- 3. install ------------------------------------------------------------------------------
say "Installing into /usr"
# Also compiles the GSettings schemas and updates the icon and desktop
# caches (meson's post-install, skipped only when staging into DESTDIR).
meson install -C "$builddir" --no-rebuild
if [ -n "$build_user" ]; then
  # meson install wrote its log as root into the user's build directory.
  chown -R "$build_user:" "$builddir/meson-logs"
fi
glib-compile-schemas /usr/share/glib-2.0/schemas

# -- 4. tell the system --------------------------------------------------------------------------
systemd_running=0
if [ -d /run/systemd/system ]; then
  systemd_running=1
fi
system_bus_running() {
  [ -S /run/dbus/system_bus_socket ] &&
    dbus-send --system --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.GetId >/dev/null 2>&1
}

if [ "$systemd_running" = 1 ]; then
  # The bus asks systemd for netpulse-helper.service: systemd must know it.
  systemctl daemon-reload
fi

bus_ok=0
if system_bus_running; then
  say "Reloading the system bus configuration"
  if [ "$systemd_running" = 1 ] && systemctl reload dbus.service 2>/dev/null; then
    :
  else
    dbus-send --system --print-reply --type=method_call --dest=org.freedesktop.DBus / \
      org.freedesktop.DBus.ReloadConfig >/dev/null
  fi
  # A helper from an earlier installation keeps running its old binary
  # until it is idle: stop it, the next client activates the new one.
  if [ "$systemd_running" = 1 ]; then
    systemctl stop netpulse-helper.service 2>/dev/null || true
  else
    pid=$(dbus-send --system --print-reply --dest=org.freedesktop.DBus / \
            org.freedesktop.DBus.GetConnectionUnixProcessID string:io.github.netpulse.Helper1 2>/dev/null |
          awk '/uint32/ { print $2 }') || true
    if [ -n "${pid:-}" ]; then
      echo "Stopping the helper of the earlier installation (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
    fi
  fi

  say "Checking that the system bus starts the helper: netpulsectl status"
  check_user=${desktop_user:-nobody}
  if runuser -u "$check_user" -- /usr/bin/netpulsectl status; then
    bus_ok=1
  else
    warn "netpulsectl status failed for $check_user: the helper cannot be activated (see above)"
    exit 1
  fi
fi

# -- 5. start the app ---------------------------------------------------------------------------------
say "Done"
echo "Installed: netpulse and netpulsectl in /usr/bin, netpulse-helper in /usr/libexec."
if [ "$bus_ok" = 0 ]; then
  echo "The system bus is not running on this machine, so the helper could not be tried;"
  echo "D-Bus activates it as soon as a system bus runs (normally from boot on)."
fi

display=${session[DISPLAY]:-}${session[WAYLAND_DISPLAY]:-}
if [ "$start_app" = 1 ] && [ -n "$desktop_user" ] && [ -n "$display" ]; then
  app_env=(HOME="$desktop_home" USER="$desktop_user" LOGNAME="$desktop_user"
           PATH=/usr/local/bin:/usr/bin:/bin)
  for var in "${!session[@]}"; do
    app_env+=("$var=${session[$var]}")
  done
  # Detached from this terminal; a running Netpulse just raises its window.
  runuser -u "$desktop_user" -- env -i "${app_env[@]}" setsid -f /usr/bin/netpulse >/dev/null 2>&1 </dev/null
  echo "Netpulse is starting on your desktop ($desktop_user)."
elif [ "$start_app" = 1 ]; then
  if [ -z "$desktop_user" ]; then
    echo "Not starting the app: it never runs as root, and no desktop user called sudo."
  else
    echo "Not starting the app: no display (DISPLAY/WAYLAND_DISPLAY) in $desktop_user's session."
  fi
  echo "Start it from your desktop's app menu (Netpulse) or with: netpulse"
  echo "On the command line: netpulsectl monitor"
fi
