#!/bin/bash
# uninstall.sh — removes what tools/setup.sh (or `meson install` of a build
# directory) installed, and tells the system about it.
#
#   sudo ./tools/uninstall.sh [--builddir DIR] [--destdir DIR]
#
#   --builddir DIR  the build directory that was installed (default: _build,
#                   the one setup.sh uses).  Without one (deleted), a
#                   throwaway build directory is configured with setup.sh's
#                   options, only to compute the list of files.
#   --destdir DIR   remove from a staged tree (meson install --destdir DIR)
#                   instead of the real system; needs no root and touches
#                   nothing else.
#
# The list of files comes from the build directory's configuration
# (meson introspect --installed), not from meson's install log, which the
# last `meson install --destdir` may have overwritten.  Directories are
# left in place: they may be shared with other packages.
#
# SPDX-License-Identifier: GPL-2.0-or-later
set -euo pipefail
cd "$(dirname "$0")/.."
srcdir=$(pwd)

# Must match the options tools/setup.sh configures with.
setup_options=(--prefix=/usr --buildtype=release -Dapp=true -Dhelper=true -Dcli=true -Dtests=false)

usage() {
  sed -n '5,14s/^# \{0,1\}//p' "$0"
}

builddir=_build
destdir=
while [ $# -gt 0 ]; do
  case $1 in
    --builddir) builddir=${2:?--builddir needs a directory}; shift 2 ;;
    --builddir=*) builddir=${1#*=}; shift ;;
    --destdir) destdir=${2:?--destdir needs a directory}; shift 2 ;;
    --destdir=*) destdir=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "uninstall.sh: unknown argument '$1'" >&2; usage >&2; exit 1 ;;
  esac
done

if [ -z "$destdir" ] && [ "$(id -u)" != 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "uninstall.sh: run as root (it removes files from the system)" >&2
    exit 1
  fi
  exec sudo -- "$0" --builddir "$builddir"
fi

say() { printf 'uninstall.sh: %s\n' "$*"; }

if ! command -v meson >/dev/null; then
  echo "uninstall.sh: meson is not installed: it is needed to know what was installed" >&2
  exit 1
fi

tmpdir=
cleanup() { if [ -n "$tmpdir" ]; then rm -rf "$tmpdir"; fi; }
trap cleanup EXIT

if [ ! -f "$builddir/meson-info/meson-info.json" ]; then
  tmpdir=$(mktemp -d)
  say "no build directory '$builddir': configuring a throwaway one (${setup_options[*]}) to list the files"
  if ! meson setup "$tmpdir/build" "$srcdir" "${setup_options[@]}" >"$tmpdir/setup.log" 2>&1; then
    cat "$tmpdir/setup.log" >&2
    echo "uninstall.sh: cannot configure a build directory; pass the one you installed with --builddir" >&2
    exit 1
  fi
  builddir=$tmpdir/build
fi

# Only ever a Netpulse build directory: its list is what gets deleted.
project=$(meson introspect --projectinfo "$builddir" |
          python3 -c 'import json, sys; print(json.load(sys.stdin)["descriptive_name"])')
if [ "$project" != netpulse ]; then
  echo "uninstall.sh: $builddir is a build directory of '$project', not of netpulse" >&2
  exit 1
fi

mapfile -t files < <(meson introspect --installed "$builddir" |
                     python3 -c 'import json, sys; print("\n".join(sorted(set(json.load(sys.stdin).values()))))')
datadir=$(meson introspect --buildoptions "$builddir" | python3 -c '
import json, os, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print(os.path.join(o["prefix"], o["datadir"]))')

system_bus_running() {
  [ -S /run/dbus/system_bus_socket ] &&
    dbus-send --system --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.GetId >/dev/null 2>&1
}

# A running helper keeps its deleted binary alive: stop it first.
if [ -z "$destdir" ]; then
  if [ -d /run/systemd/system ]; then
    systemctl stop netpulse-helper.service 2>/dev/null || true
  elif system_bus_running; then
    pid=$(dbus-send --system --print-reply --dest=org.freedesktop.DBus / \
            org.freedesktop.DBus.GetConnectionUnixProcessID string:io.github.netpulse.Helper1 2>/dev/null |
          awk '/uint32/ { print $2 }') || true
    if [ -n "${pid:-}" ]; then
      say "stopping the running helper (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
    fi
  fi
fi

removed=0
for file in "${files[@]}"; do
  target=$destdir$file
  if [ -e "$target" ] || [ -L "$target" ]; then
    rm -f -- "$target"
    echo "removed $target"
    removed=$((removed + 1))
  fi
done
# The helper's boot link (made while recording was on, netpulse-boot-unit.c).
boot_link=$destdir/etc/systemd/system/multi-user.target.wants/netpulse-recorder.target
if [ -L "$boot_link" ]; then
  rm -f -- "$boot_link"
  echo "removed $boot_link"
  removed=$((removed + 1))
fi
say "removed $removed file(s)"

if [ -n "$destdir" ]; then
  exit 0
fi

# Tell the system: settings schemas, icon and desktop caches, systemd and
# the system bus (polkitd notices removed actions by itself).
if [ -d "$datadir/glib-2.0/schemas" ] && command -v glib-compile-schemas >/dev/null; then
  glib-compile-schemas "$datadir/glib-2.0/schemas"
fi
for cache_tool in gtk4-update-icon-cache gtk-update-icon-cache; do
  if [ -d "$datadir/icons/hicolor" ] && command -v "$cache_tool" >/dev/null; then
    "$cache_tool" -q -t -f "$datadir/icons/hicolor" || true
    break
  fi
done
if [ -d "$datadir/applications" ] && command -v update-desktop-database >/dev/null; then
  update-desktop-database -q "$datadir/applications" || true
fi
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
if system_bus_running; then
  dbus-send --system --type=method_call --dest=org.freedesktop.DBus / org.freedesktop.DBus.ReloadConfig || true
fi
say "Netpulse is uninstalled"
