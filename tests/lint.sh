#!/bin/sh
# Static checks of the scripts around the C code: pyflakes on every Python
# file (tests, benchmarks, po and tools), shellcheck on every shell script.
# The C code has its own: -Wall -Wextra -Werror.  Without the linters this
# skips (77), under CI=true it fails.
#
# SPDX-License-Identifier: GPL-2.0-or-later
set -u
cd "${NETPULSE_SOURCE_ROOT:?}" || exit 1

for tool in pyflakes3 shellcheck; do
  if ! command -v "$tool" >/dev/null; then
    if [ "${CI:-}" = true ]; then
      echo "FAIL: $tool is not installed (CI=true: this test must run for real)" >&2
      exit 1
    fi
    echo "SKIP: needs $tool (tools/install-deps.sh installs it)" >&2
    exit 77
  fi
done

status=0
# Tracked and new files alike; a tarball without .git is walked instead.
if git rev-parse --git-dir >/dev/null 2>&1; then
  list() { git ls-files --cached --others --exclude-standard; }
else
  list() { find . -path ./.git -prune -o -path './build*' -prune -o -type f -print | sed 's|^\./||'; }
fi

python_files=$(list | grep '\.py$')
# shellcheck disable=SC2086
pyflakes3 $python_files || status=1

shell_files=$(list | grep -E '\.sh$|^\.ci/run$')
# shellcheck disable=SC2086
shellcheck $shell_files || status=1

[ $status = 0 ] && echo "lint: $(echo "$python_files" | wc -w) Python files, $(echo "$shell_files" | wc -w) shell scripts clean"
exit $status
