#!/usr/bin/env python3
# check-manifest.py — static checks of the Flatpak manifest (flatpak-builder
# cannot reach its runtimes here, so this is what can be tested offline):
#
#   check-manifest.py MANIFEST MESON_OPTIONS SOURCE_ROOT APP_ID HELPER_BUS_NAME
#
# - strict JSON (no duplicate keys, no NaN),
# - the app id, the GNOME runtime and SDK, the command,
# - the sandbox: talks to the helper on the system bus and to nothing that
#   would let it out (no host file system, no whole system/session bus, no
#   org.freedesktop.Flatpak),
# - the netpulse module: meson, its config-opts name only options that exist
#   (meson_options.txt, or a few safe built-in ones) with values of the
#   right type, the helper and the tests are off, the app and netpulsectl on,
#   and its source is this source tree.
# tests/install/test-install.py app-only then really builds and installs
# with those options, the way flatpak-builder runs meson.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import re
import sys

# Built-in meson options a manifest may reasonably set.  Directory options
# are not among them: flatpak-builder sets --prefix=/app --libdir=lib itself.
BUILTIN_OPTIONS = {
    'buildtype': ('combo', ['plain', 'debug', 'debugoptimized', 'release', 'minsize', 'custom']),
    'optimization': ('combo', ['plain', '0', 'g', '1', '2', '3', 's']),
    'debug': ('boolean', None),
    'werror': ('boolean', None),
    'warning_level': ('combo', ['0', '1', '2', '3', 'everything']),
    'b_ndebug': ('combo', ['true', 'false', 'if-release']),
    'b_lto': ('boolean', None),
    'b_pie': ('boolean', None),
    'c_args': ('string', None),
    'c_link_args': ('string', None),
}
DIRECTORY_OPTIONS = {'prefix', 'bindir', 'libdir', 'libexecdir', 'datadir', 'localedir',
                     'sysconfdir', 'localstatedir', 'includedir', 'mandir', 'infodir',
                     'sbindir', 'sharedstatedir'}

# Permissions that would undo the sandbox.
FORBIDDEN_FINISH_ARGS = [
    (re.compile(r'^--filesystem='), 'no file system access: export goes through the file chooser portal'),
    (re.compile(r'^--socket=system-bus$'), 'only the helper\'s name on the system bus, not all of it'),
    (re.compile(r'^--socket=session-bus$'), 'no whole session bus'),
    (re.compile(r'^--talk-name=org\.freedesktop\.Flatpak$'), 'org.freedesktop.Flatpak is a sandbox escape'),
    (re.compile(r'^--device=all$'), 'no access to all devices'),
    (re.compile(r'^--system-talk-name=(?!io\.github\.netpulse\.)'), 'no system bus name other than the helper\'s'),
    (re.compile(r'^--system-own-name='), 'the app owns no system bus name'),
]

# What the GNOME runtime already has: building it again is a mistake.
IN_RUNTIME = {'json-glib', 'glib', 'gtk', 'gtk4', 'libadwaita', 'polkit'}

failures = []


def fail(message):
    failures.append(message)
    print(f'FAIL: {message}', flush=True)


def ok(message):
    print(f'ok: {message}', flush=True)


def strict_object(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f'duplicate key {key!r}')
        obj[key] = value
    return obj


def reject_constant(name):
    raise ValueError(f'{name} is not JSON')


def load_manifest(path):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    return json.loads(text, object_pairs_hook=strict_object, parse_constant=reject_constant)


def parse_meson_options(path):
    """{name: (type, choices or None)} from meson_options.txt."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    # Comments out, then one option(...) call at a time.
    text = re.sub(r'#[^\n]*', '', text)
    options = {}
    for m in re.finditer(r"option\(\s*'([A-Za-z0-9_]+)'(.*?)\)\s*(?=option\(|$)", text, re.S):
        name, rest = m.group(1), m.group(2)
        t = re.search(r"type\s*:\s*'(\w+)'", rest)
        if not t:
            raise ValueError(f'option {name} has no type in {path}')
        choices = None
        c = re.search(r"choices\s*:\s*\[(.*?)\]", rest, re.S)
        if c:
            choices = re.findall(r"'([^']*)'", c.group(1))
        options[name] = (t.group(1), choices)
    if not options:
        raise ValueError(f'no options found in {path}')
    return options


def value_fits(kind, choices, value):
    if kind == 'boolean':
        return value in ('true', 'false')
    if kind == 'combo':
        return value in choices
    if kind == 'integer':
        return re.fullmatch(r'-?\d+', value) is not None
    if kind == 'feature':
        return value in ('enabled', 'disabled', 'auto')
    if kind == 'array':
        return True
    return kind == 'string'


def check_finish_args(manifest, bus_name):
    args = manifest.get('finish-args')
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        fail('finish-args is not a list of strings')
        return
    talk = f'--system-talk-name={bus_name}'
    if talk in args:
        ok(f'finish-args has {talk}')
    else:
        fail(f'finish-args lacks {talk}: the app could not reach the helper')
    for arg in args:
        for pattern, why in FORBIDDEN_FINISH_ARGS:
            if pattern.search(arg) and arg != talk:
                fail(f'finish-args has {arg}: {why}')
    for needed in ('--socket=wayland', '--socket=fallback-x11', '--share=ipc'):
        if needed not in args:
            fail(f'finish-args lacks {needed}: no window')
    if len(set(args)) != len(args):
        fail('finish-args has duplicates')


def check_config_opts(module, options):
    opts = module.get('config-opts', [])
    if not isinstance(opts, list) or not all(isinstance(o, str) for o in opts):
        fail('config-opts of the netpulse module is not a list of strings')
        return
    before = len(failures)
    given = {}
    for opt in opts:
        m = re.fullmatch(r'-D([A-Za-z0-9_]+)=(.*)', opt) or re.fullmatch(r'--([a-z_]+)=(.*)', opt)
        if not m:
            fail(f'config-opts: {opt!r} is not -Dname=value')
            continue
        name, value = m.group(1).replace('-', '_'), m.group(2)
        if name in DIRECTORY_OPTIONS:
            fail(f'config-opts: {opt!r}: flatpak-builder sets the directories itself (--prefix=/app)')
            continue
        if name in options:
            kind, choices = options[name]
        elif name in BUILTIN_OPTIONS:
            kind, choices = BUILTIN_OPTIONS[name]
        else:
            fail(f'config-opts: {opt!r}: there is no option {name!r} in meson_options.txt')
            continue
        if not value_fits(kind, choices, value):
            fail(f'config-opts: {opt!r}: not a valid value for the {kind} option {name}'
                 + (f' (one of {", ".join(choices)})' if choices else ''))
            continue
        if name in given:
            fail(f'config-opts: {name} is given twice')
        given[name] = value
    if given.get('helper') == 'false':
        ok('the helper is not built (it runs on the host)')
    else:
        fail('config-opts lacks -Dhelper=false: the helper cannot run inside the sandbox '
             '(it is installed on the host)')
    if given.get('tests') == 'false':
        ok('the tests are not built')
    else:
        fail('config-opts lacks -Dtests=false')
    for part in ('app', 'cli'):
        if part not in options:
            fail(f'meson_options.txt has no option {part!r}')
        elif given.get(part, 'true') == 'false':
            fail(f'config-opts turns {part} off: the Flatpak ships the app and netpulsectl')
    if len(failures) == before:
        ok(f'config-opts {" ".join(opts)} match meson_options.txt')


def check_sources(module, manifest_dir, source_root):
    sources = module.get('sources')
    if not isinstance(sources, list) or not sources:
        fail('the netpulse module has no sources')
        return
    for source in sources:
        if not isinstance(source, dict):
            fail('a source is not an object')
            continue
        if source.get('type') == 'dir':
            path = os.path.realpath(os.path.join(manifest_dir, source.get('path', '')))
            if path != os.path.realpath(source_root):
                fail(f'the dir source {source.get("path")!r} is {path}, not the source tree {source_root}')
            else:
                ok('the module builds this source tree')
        elif source.get('type') == 'git':
            if not source.get('url') and not source.get('path'):
                fail('the git source has neither url nor path')
        else:
            fail(f'unexpected source type {source.get("type")!r}')


def main():
    manifest_path, options_path, source_root, app_id, bus_name = sys.argv[1:6]
    try:
        manifest = load_manifest(manifest_path)
    except (ValueError, OSError) as e:
        print(f'FAIL: {manifest_path} is not valid JSON: {e}')
        return 1
    ok(f'{os.path.basename(manifest_path)} is valid JSON')
    if not isinstance(manifest, dict):
        print('FAIL: the manifest is not a JSON object')
        return 1
    options = parse_meson_options(options_path)

    ids = [manifest[k] for k in ('id', 'app-id') if k in manifest]
    if ids != [app_id]:
        fail(f'the app id is {ids}, expected exactly one id {app_id!r} (key "id" or "app-id")')
    else:
        ok(f'app id {app_id}')

    if manifest.get('runtime') != 'org.gnome.Platform' or manifest.get('sdk') != 'org.gnome.Sdk':
        fail('runtime/sdk must be org.gnome.Platform/org.gnome.Sdk (GTK 4 and libadwaita are in it)')
    version = str(manifest.get('runtime-version', ''))
    # GNOME 43 was the first with GTK 4.8 and libadwaita 1.2.
    if not re.fullmatch(r'\d+', version) or int(version) < 43:
        fail(f'runtime-version {version!r}: a GNOME runtime 43 or newer is needed '
             '(GTK 4.8, libadwaita 1.2)')
    else:
        ok(f'runtime org.gnome.Platform//{version}')

    if manifest.get('command') != 'netpulse':
        fail(f'command is {manifest.get("command")!r}, not netpulse')

    check_finish_args(manifest, bus_name)

    modules = manifest.get('modules')
    if not isinstance(modules, list) or not modules or not isinstance(modules[-1], dict):
        fail('modules must be a list whose last entry is the netpulse module')
        return 1
    for module in modules[:-1]:
        name = module.get('name', '') if isinstance(module, dict) else ''
        if name in IN_RUNTIME:
            fail(f'module {name} is in the GNOME runtime already')
    netpulse = modules[-1]
    if netpulse.get('name') != 'netpulse' or netpulse.get('buildsystem') != 'meson':
        fail('the last module must be "netpulse" with buildsystem "meson"')
    check_config_opts(netpulse, options)
    check_sources(netpulse, os.path.dirname(os.path.abspath(manifest_path)), source_root)

    if failures:
        print(f'{len(failures)} problem(s) in {manifest_path}')
        return 1
    print('the manifest is fine')
    return 0


if __name__ == '__main__':
    sys.exit(main())
