#!/usr/bin/env python3
# verify-unit.py UNIT HELPER — checks the built netpulse-helper.service with
# `systemd-analyze verify`, which reads it the way systemd would and
# complains (on stderr, with exit status 0) about unknown keys, unknown
# capabilities, unknown system call groups and a missing executable.  The
# ExecStart= path is pointed at the helper of the build directory, since
# the installed one may not exist yet.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def main():
    unit, helper = sys.argv[1], os.path.abspath(sys.argv[2])
    analyze = shutil.which('systemd-analyze')
    if analyze is None:
        reason = 'systemd-analyze is not installed (package systemd)'
        if os.environ.get('CI') == 'true':
            print(f'FAIL (CI=true): {reason}')
            return 1
        print(f'SKIP: {reason}')
        return SKIP

    with open(unit) as f:
        text = f.read()
    text, n = re.subn(r'^ExecStart=\S+', f'ExecStart={helper}', text, flags=re.M)
    if n != 1:
        print('FAIL: no single ExecStart= line in the unit')
        return 1

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'netpulse-helper.service')
        with open(path, 'w') as f:
            f.write(text)
        result = subprocess.run([analyze, 'verify', path], capture_output=True, text=True)
        print(result.stdout, end='')
        print(result.stderr, end='')
        if result.returncode != 0 or result.stderr.strip():
            print('FAIL: systemd-analyze verify complained')
            return 1

        # For the record (not judged): how exposed the service is.
        security = subprocess.run([analyze, 'security', '--offline=yes', path],
                                  capture_output=True, text=True)
        for line in security.stdout.splitlines():
            if 'Overall exposure level' in line:
                print(line)
    print('PASS')
    return 0


if __name__ == '__main__':
    sys.exit(main())
