#!/bin/bash
# Runs every Netpulse benchmark and prints a summary of the ratios.
#
#   bench/run-all.sh [BUILD_DIR]       (as root, or it asks sudo)
#
# BUILD_DIR (default /tmp/netpulse-bench-build) is configured and built if
# needed (an optimized build: never a sanitizer build).  Results go to
# BUILD_DIR/bench-results/<date>/ (JSON per benchmark, the logs, and
# summary.md); BUILD_DIR/bench-results/latest points at the last run.
#
# Environment: BENCH_ONLY="overhead churn" runs only those; BENCH_ROUNDS and
# BENCH_SECONDS change the rounds of the overhead benchmark (default 4 x 1.5 s).
#
# Extra packages (nethogs, valgrind): bench/install-bench-deps.sh.
# Takes about 5 minutes on 2 cores; every benchmark stays under 2 minutes.
# Never part of the test suite.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-/tmp/netpulse-bench-build}

# shellcheck source=tools/as-root.sh
. "$src/tools/as-root.sh"
if ! exec_as_root "BENCH_ONLY BENCH_ROUNDS BENCH_SECONDS" "$here/run-all.sh" "$@"; then
  echo "run-all.sh: needs root (kernel programs, network namespaces)" >&2
  exit 1
fi

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$src" -Dbuildtype=debugoptimized -Dtests=false
fi
sanitize=$(meson introspect --buildoptions "$build" |
           python3 -c 'import json,sys; print(next((o["value"] for o in json.load(sys.stdin) if o["name"] == "b_sanitize"), "none"))')
if [ "$sanitize" != none ]; then
  echo "run-all.sh: $build is a sanitizer build (b_sanitize=$sanitize): benchmark an optimized build" >&2
  exit 1
fi
meson compile -C "$build"
build=$(cd "$build" && pwd)

# The tools: from the meson build when bench/ is part of it, else with cc.
if [ -x "$build/bench/np-load" ]; then
  tools=$build/bench
else
  "$here/build-tools.sh" "$build" "$build/bench-tools"
  tools=$build/bench-tools
fi

out=$build/bench-results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
ln -sfn "$out" "$build/bench-results/latest"

export NETPULSE_BUILD_ROOT=$build
export NETPULSE_BENCH_TOOLS=$tools
export NETPULSE_BENCH_OUT=$out
export PYTHONDONTWRITEBYTECODE=1

for tool in nethogs valgrind Xvfb bpftool; do
  command -v "$tool" >/dev/null || echo "run-all.sh: $tool is not installed (bench/install-bench-deps.sh); its part will be missing" >&2
done

failed=()
for bench in ${BENCH_ONLY:-overhead churn scale dbus app}; do
  echo
  echo "=== $bench ($(date +%H:%M:%S))"
  start=$(date +%s)
  if python3 "$here/$bench.py" > >(tee "$out/$bench.txt") 2> "$out/$bench.log"; then
    echo "--- $bench took $(( $(date +%s) - start )) s"
  else
    echo "--- $bench FAILED after $(( $(date +%s) - start )) s; last lines of $out/$bench.log:"
    tail -15 "$out/$bench.log"
    failed+=("$bench")
  fi
done

echo
python3 "$here/summarize.py" "$out" | tee "$out/summary.md"
echo
echo "Results in $out"
if [ ${#failed[@]} -gt 0 ]; then
  echo "Failed: ${failed[*]}" >&2
  exit 1
fi
