# shellcheck shell=bash
# as-root.sh — sourced by the scripts that need root (bash).
#
#   exec_as_root "VAR1 VAR2" /path/to/script "$@"
#
# Run as root: returns at once.  Run as a user with sudo: re-executes the
# script through sudo, handing over the named variables (sudo drops them),
# and never returns.  Without sudo: returns 1, and the caller decides.
#
# SPDX-License-Identifier: GPL-2.0-or-later

exec_as_root () {
  local vars=$1 script=$2 var
  local pass=()
  shift 2

  [ "$(id -u)" = 0 ] && return 0
  command -v sudo >/dev/null || return 1
  for var in $vars; do
    if [ -n "${!var:-}" ]; then
      pass+=("$var=${!var}")
    fi
  done
  exec sudo -- env "${pass[@]}" "$script" "$@"
}
