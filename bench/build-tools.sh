#!/bin/bash
# Builds the benchmark tools (np-load, np-dbus-probe, np-collector-bench,
# np-frame-stats.so, np-gtk-floor) into DEST with cc, against an existing meson build of
# Netpulse (for the collector's static library and the generated files).
#
#   bench/build-tools.sh BUILD_DIR [DEST]      (DEST defaults to BUILD_DIR/bench-tools)
#
# Not needed when bench/ is part of the meson build (subdir('bench')): the
# tools are then in BUILD_DIR/bench/ and the benchmarks use those.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:?usage: build-tools.sh BUILD_DIR [DEST]}
build=$(cd "$build" && pwd)
dest=${2:-$build/bench-tools}
mkdir -p "$dest"

cc=${CC:-cc}
flags=(-std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
       -Wmissing-prototypes -Wstrict-prototypes -Wformat=2 -Wshadow -Wundef -Werror
       -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 -DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74)

newer() { # target sources… : true when target is missing or older than a source
  local target=$1; shift
  [ ! -e "$target" ] && return 0
  for s in "$@"; do [ "$s" -nt "$target" ] && return 0; done
  return 1
}

if newer "$dest/np-load" "$here/np-load.c"; then
  echo "bench: building np-load"
  "$cc" "${flags[@]}" -o "$dest/np-load" "$here/np-load.c"
fi

if newer "$dest/np-dbus-probe" "$here/np-dbus-probe.c"; then
  echo "bench: building np-dbus-probe"
  # shellcheck disable=SC2046
  "$cc" "${flags[@]}" -I"$here/../common" -o "$dest/np-dbus-probe" "$here/np-dbus-probe.c" $(pkg-config --cflags --libs gio-unix-2.0)
fi

collector_lib=$build/helper/libnetpulse-collector.a
subscription_lib=$build/helper/libnetpulse-subscription.a
# The flow table is a library of its own (main's builds before issue 10 have none).
flow_table_lib=()
[ -e "$build/helper/libnetpulse-flow-table.a" ] && flow_table_lib=("$build/helper/libnetpulse-flow-table.a")
common_lib=$build/common/libnetpulse-common.a
if [ -e "$collector_lib" ] && [ -e "$subscription_lib" ] && [ -e "$common_lib" ]; then
  if newer "$dest/np-collector-bench" "$here/np-collector-bench.c" "$collector_lib" "$subscription_lib" "$common_lib"; then
    echo "bench: building np-collector-bench"
    callgrind=()
    [ -e /usr/include/valgrind/callgrind.h ] && callgrind=(-DHAVE_CALLGRIND_H=1)
    # shellcheck disable=SC2046
    "$cc" "${flags[@]}" "${callgrind[@]}" -I"$src/helper" -I"$src/common" -I"$src/bpf" -I"$build" -I"$build/common" \
      -o "$dest/np-collector-bench" "$here/np-collector-bench.c" "$subscription_lib" "$collector_lib" \
      "${flow_table_lib[@]}" "$common_lib" \
      $(pkg-config --cflags --libs libbpf libelf zlib gio-unix-2.0 json-glib-1.0)
  fi
else
  echo "bench: $collector_lib not built (configured with -Dhelper=false?): no np-collector-bench" >&2
fi

if pkg-config --exists gtk4; then
  if newer "$dest/np-frame-stats.so" "$here/np-frame-stats.c"; then
    echo "bench: building np-frame-stats.so"
    # shellcheck disable=SC2046
    "$cc" "${flags[@]}" -shared -fPIC -o "$dest/np-frame-stats.so" "$here/np-frame-stats.c" \
      $(pkg-config --cflags --libs gtk4)
  fi
fi
if pkg-config --exists libadwaita-1; then
  if newer "$dest/np-gtk-floor" "$here/np-gtk-floor.c"; then
    echo "bench: building np-gtk-floor"
    # shellcheck disable=SC2046
    "$cc" "${flags[@]}" -o "$dest/np-gtk-floor" "$here/np-gtk-floor.c" $(pkg-config --cflags --libs libadwaita-1)
  fi
fi
echo "bench: tools in $dest"
