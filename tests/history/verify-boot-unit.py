#!/usr/bin/env python3
# verify-boot-unit.py TARGET HELPER_UNIT HELPER — netpulse-recorder.target as
# systemd reads it, beside the built netpulse-helper.service it starts
# (ExecStart= pointed at the built helper, as tests/helper/verify-unit.py
# does): `systemd-analyze verify` must not complain, and the target must
# want and order itself after the helper and install into
# multi-user.target (the link netpulse-boot-unit.c makes).
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
    target, unit, helper = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3])
    analyze = shutil.which('systemd-analyze')
    if analyze is None:
        reason = 'systemd-analyze is not installed (package systemd)'
        if os.environ.get('CI') == 'true':
            print(f'FAIL (CI=true): {reason}')
            return 1
        print(f'SKIP: {reason}')
        return SKIP
    with tempfile.TemporaryDirectory() as tmp:
        with open(unit) as f:
            text = re.sub(r'^ExecStart=\S+', f'ExecStart={helper}', f.read(), flags=re.M)
        with open(os.path.join(tmp, 'netpulse-helper.service'), 'w') as f:
            f.write(text)
        shutil.copy(target, os.path.join(tmp, 'netpulse-recorder.target'))
        paths = [os.path.join(tmp, n) for n in ('netpulse-recorder.target', 'netpulse-helper.service')]
        result = subprocess.run([analyze, 'verify', *paths], capture_output=True, text=True,
                                env=dict(os.environ, SYSTEMD_UNIT_PATH=f'{tmp}:'))
        print(result.stdout, end='')
        print(result.stderr, end='')
        if result.returncode != 0 or result.stderr.strip():
            print('FAIL: systemd-analyze verify complained')
            return 1
    with open(target) as f:
        text = f.read()
    for line in ('Wants=netpulse-helper.service', 'After=netpulse-helper.service', 'WantedBy=multi-user.target'):
        if not re.search(rf'^{re.escape(line)}$', text, flags=re.M):
            print(f'FAIL: no {line} in the target')
            return 1
    print('PASS')
    return 0


if __name__ == '__main__':
    sys.exit(main())
