#!/bin/bash
# Runs the whole Netpulse test suite: a -Werror build and all tests, then the
# same tests once more in a build with AddressSanitizer and UBSan.
#
# Many tests need root (kernel programs, network namespaces, a private system
# bus with polkitd, an unprivileged test user).  Without root they skip, and
# under CI=true they fail instead: a green CI means the real thing ran.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)

run_suite() {
  local builddir=$1; shift
  if [ ! -f "$builddir/build.ninja" ]; then
    meson setup "$builddir" -Dwerror=true "$@"
  else
    meson configure "$builddir" -Dwerror=true "$@" >/dev/null
  fi
  meson compile -C "$builddir"
  meson test -C "$builddir" --print-errorlogs --num-processes "$jobs" \
    ${NETPULSE_TEST_ARGS:-}
}

echo "== -Werror build, all tests"
run_suite build-tests

echo "== AddressSanitizer + UBSan build, all tests"
# GTK, fontconfig and polkit keep caches alive to exit: leaks there are not ours.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false
