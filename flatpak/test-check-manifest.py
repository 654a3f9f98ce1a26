#!/usr/bin/env python3
# test-check-manifest.py — shows that check-manifest.py catches what it is
# meant to catch: each broken copy of the real manifest must be rejected,
# and the real one accepted.
#
#   test-check-manifest.py CHECKER MANIFEST MESON_OPTIONS SOURCE_ROOT APP_ID HELPER_BUS_NAME
#
# SPDX-License-Identifier: GPL-2.0-or-later

import copy
import json
import os
import subprocess
import sys
import tempfile


def module(m):
    return m['modules'][-1]


def set_opts(m, opts):
    module(m)['config-opts'] = opts


def mutations(bus):
    """(what, change) — change edits the parsed manifest, or returns text."""
    yield 'no system-talk-name', lambda m: m['finish-args'].remove(f'--system-talk-name={bus}')
    yield 'host file system', lambda m: m['finish-args'].append('--filesystem=host')
    yield 'home directory', lambda m: m['finish-args'].append('--filesystem=home:ro')
    yield 'whole system bus', lambda m: m['finish-args'].append('--socket=system-bus')
    yield 'flatpak escape', lambda m: m['finish-args'].append('--talk-name=org.freedesktop.Flatpak')
    yield 'wrong app id', lambda m: m.update({'id': 'org.example.Other'})
    yield 'two app ids', lambda m: m.update({'app-id': m['id']})
    yield 'old runtime', lambda m: m.update({'runtime-version': '42'})
    yield 'KDE runtime', lambda m: m.update({'runtime': 'org.kde.Platform'})
    yield 'wrong command', lambda m: m.update({'command': 'netpulse-helper'})
    yield 'helper built', lambda m: set_opts(m, ['-Dhelper=true', '-Dtests=false'])
    yield 'helper option missing', lambda m: set_opts(m, ['-Dtests=false'])
    yield 'misspelt option', lambda m: set_opts(m, ['-Dhelpr=false', '-Dtests=false'])
    yield 'non-boolean value', lambda m: set_opts(m, ['-Dhelper=no', '-Dtests=false'])
    yield 'prefix set', lambda m: set_opts(m, ['-Dhelper=false', '-Dtests=false', '--prefix=/usr'])
    yield 'tests built', lambda m: set_opts(m, ['-Dhelper=false'])
    yield 'no netpulsectl', lambda m: set_opts(m, ['-Dhelper=false', '-Dtests=false', '-Dcli=false'])
    yield 'option given twice', lambda m: set_opts(m, ['-Dhelper=false', '-Dtests=false', '-Dhelper=false'])
    yield 'json-glib module', lambda m: m['modules'].insert(0, {'name': 'json-glib', 'buildsystem': 'meson'})
    yield 'wrong source dir', lambda m: module(m)['sources'][0].update({'path': '/usr/share'})
    yield 'duplicate key', lambda m: json.dumps(m, indent=2).replace(
        '"command": "netpulse",', '"command": "netpulse",\n  "command": "netpulse",')
    yield 'not JSON', lambda m: json.dumps(m)[:-2]


def run(checker, manifest, rest):
    return subprocess.run([sys.executable, checker, manifest] + rest,
                          capture_output=True, text=True)


def main():
    checker, manifest_path = sys.argv[1:3]
    rest = sys.argv[3:]
    bus = rest[3]
    with open(manifest_path) as f:
        original = json.load(f)

    failures = 0
    result = run(checker, manifest_path, rest)
    if result.returncode != 0:
        print(f'FAIL: the real manifest is rejected:\n{result.stdout}{result.stderr}')
        failures += 1
    else:
        print('ok: the real manifest is accepted')

    # The copies live in a temporary directory: their source path becomes
    # the absolute path of the source tree, which means the same.
    source_root = os.path.abspath(rest[1])
    with tempfile.TemporaryDirectory(prefix='netpulse-manifest-test-') as tmp:
        for n, (what, change) in enumerate(mutations(bus)):
            m = copy.deepcopy(original)
            module(m)['sources'][0]['path'] = source_root
            text = change(m)
            if not isinstance(text, str):
                text = json.dumps(m, indent=2)
            path = os.path.join(tmp, f'mutation-{n}.json')
            with open(path, 'w') as f:
                f.write(text)
            failures += check_rejected(checker, path, rest, what)

    return 1 if failures else 0


def check_rejected(checker, path, rest, what):
    result = run(checker, path, rest)
    if result.returncode == 0:
        print(f'FAIL: a manifest with "{what}" is accepted:\n{result.stdout}')
        return 1
    reason = [l for l in result.stdout.splitlines() if l.startswith('FAIL')][:1]
    print(f'ok: "{what}" is rejected ({reason[0] if reason else result.stdout.strip()})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
