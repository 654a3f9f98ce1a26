#!/bin/sh
# Installs what the benchmarks need on top of tools/install-deps.sh (which
# the test suite and CI use): nethogs for the comparison, valgrind for the
# instruction counts.  Debian 12 or a close relative; run as root.
set -eu

if [ "$(id -u)" != 0 ]; then
  echo "install-bench-deps.sh: run as root (it calls apt-get)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends nethogs valgrind
