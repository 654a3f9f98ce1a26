#!/bin/sh
# Installs every package Netpulse needs to build, test and run on Debian 12
# (bookworm) or a close relative.  Run as root.
set -eu

if [ "$(id -u)" != 0 ]; then
  echo "install-deps.sh: run as root (it calls apt-get)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive

packages="
  build-essential pkg-config meson ninja-build gettext itstool
  clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
  libglib2.0-dev libglib2.0-bin libjson-glib-dev
  libgtk-4-dev libadwaita-1-dev adwaita-icon-theme hicolor-icon-theme fonts-cantarell
  libpolkit-gobject-1-dev polkitd pkexec libseccomp-dev
  libsqlite3-dev sqlite3
  prometheus prometheus-node-exporter
  dbus dbus-daemon
  xvfb xauth
  iproute2 procps passwd util-linux python3 jq netbase libxtst6 systemd
  desktop-file-utils appstream libxml2-utils
  python3-pyflakes shellcheck
"

apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $packages
