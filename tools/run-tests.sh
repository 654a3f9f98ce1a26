#!/bin/bash
# Runs the whole Netpulse test suite: a -Werror build and all tests, then the
# same tests once more in a build with AddressSanitizer and UBSan.
#
# Many tests need root (kernel programs, network namespaces, a private system
# bus with polkitd, an unprivileged test user): called as a user, it asks
# sudo.  Without root they skip, and under CI=true they fail instead: a green
# CI means the real thing ran.
#
# Extra arguments for `meson test` can be given in NETPULSE_TEST_ARGS
# (e.g. NETPULSE_TEST_ARGS="--suite collector").
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

# Called as a user: ask sudo for root, keeping the variables that steer the
# run.  As root (a fresh machine, CI) this is not needed, and there may be no
# sudo at all: then the tests that need root skip (or fail under CI=true).
# shellcheck source=tools/as-root.sh
. tools/as-root.sh
exec_as_root "CI NETPULSE_TEST_ARGS ASAN_OPTIONS UBSAN_OPTIONS" "$PWD/tools/run-tests.sh" "$@"

jobs=$(nproc)
status=0

run_suite() {
  local builddir=$1; shift
  if [ ! -f "$builddir/build.ninja" ]; then
    meson setup "$builddir" -Dwerror=true "$@" || return 1
  else
    meson configure "$builddir" -Dwerror=true "$@" >/dev/null || return 1
  fi
  meson compile -C "$builddir" || return 1
  # shellcheck disable=SC2086
  meson test -C "$builddir" --print-errorlogs --num-processes "$jobs" ${NETPULSE_TEST_ARGS:-}
}

# "N passed, N failed" over both runs, from meson's JSON logs.
summarize() {
  python3 - "$@" <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        with open(path) as f:
            for line in f:
                result = json.loads(line).get("result")
                if result in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif result == "SKIP":
                    skipped += 1
                else:
                    failed += 1
    except FileNotFoundError:
        failed += 1
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
PY
}

echo "== -Werror build, all tests"
run_suite build-tests || status=1

echo "== AddressSanitizer + UBSan build, all tests"
# GTK, fontconfig and polkit keep caches alive to exit: leaks there are not ours.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false || status=1

summarize build-tests/meson-logs/testlog.json build-asan/meson-logs/testlog.json
exit $status
