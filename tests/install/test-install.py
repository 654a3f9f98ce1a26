#!/usr/bin/env python3
# test-install.py — Netpulse installs into its places (no root needed:
# everything goes into a temporary DESTDIR, never into the real system).
#
#   test-install.py tree
#       `meson install --destdir` of the build directory running the tests;
#       checks the installed tree (installtree.py), then that
#       tools/uninstall.sh --destdir removes every file again.
#   test-install.py app-only VARIANT_DIR MANIFEST
#       a build with the Flatpak manifest's config-opts, configured the way
#       flatpak-builder does (--prefix=/app --libdir=lib --buildtype=release):
#       the app, netpulsectl and the translations, no helper part.
#   test-install.py helper-only VARIANT_DIR
#       a -Dapp=false build with --prefix=/usr, what a distribution's helper
#       package (or the host side of the Flatpak) installs: the helper, its
#       system files, netpulsectl, no app part.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from installtree import (HELPER_ONLY_OPTIONS, Failure, Layout, build_variant,  # noqa: E402
                         check_tree, destdir_install, installed_files, log, main_wrapper,
                         parent_werror, require)

# What flatpak-builder passes to meson before the manifest's config-opts.
FLATPAK_BUILDER_OPTIONS = ['-Dprefix=/app', '-Dlibdir=lib', '-Dbuildtype=release']


def source_root():
    return os.environ['NETPULSE_SOURCE_ROOT']


def test_tree():
    build_root = os.environ['NETPULSE_BUILD_ROOT']
    layout = Layout(build_root)
    log(f'build directory {build_root}: prefix {layout.prefix}, app {layout.app}, '
        f'helper {layout.helper}, cli {layout.cli}')
    with tempfile.TemporaryDirectory(prefix='netpulse-install-tree-') as destdir:
        destdir_install(build_root, destdir)
        check_tree(layout, destdir)

        uninstall = os.path.join(source_root(), 'tools', 'uninstall.sh')
        log(f'{uninstall} --builddir {build_root} --destdir {destdir}')
        result = subprocess.run([uninstall, '--builddir', build_root, '--destdir', destdir],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print(result.stdout, end='')
        if result.returncode != 0:
            raise Failure(f'uninstall.sh failed ({result.returncode})')
        left = installed_files(destdir)
        if left:
            raise Failure('uninstall.sh left files behind:\n  ' + '\n  '.join(sorted(left)))
        log('uninstall.sh removed every installed file')


def flatpak_config_opts(manifest_path):
    with open(manifest_path) as f:
        manifest = json.load(f)
    module = manifest['modules'][-1]
    opts = []
    for opt in module.get('config-opts', []):
        # meson configure only takes the -Dname=value form.
        if opt.startswith('--'):
            name, _, value = opt[2:].partition('=')
            opt = f'-D{name.replace("-", "_")}={value}'
        opts.append(opt)
    return opts


def test_app_only(variant_dir, manifest_path):
    opts = FLATPAK_BUILDER_OPTIONS + flatpak_config_opts(manifest_path) + [f'-Dwerror={parent_werror()}']
    layout = build_variant(variant_dir, opts)
    if layout.helper or not layout.app or not layout.cli:
        raise Failure(f'the manifest\'s options {opts} do not give the app and netpulsectl without the helper')
    with tempfile.TemporaryDirectory(prefix='netpulse-install-app-only-') as destdir:
        destdir_install(variant_dir, destdir)
        check_tree(layout, destdir)


def test_helper_only(variant_dir):
    layout = build_variant(variant_dir, HELPER_ONLY_OPTIONS + [f'-Dwerror={parent_werror()}'])
    if layout.app or not layout.helper:
        raise Failure('-Dapp=false does not give a helper-only build')
    with tempfile.TemporaryDirectory(prefix='netpulse-install-helper-only-') as destdir:
        destdir_install(variant_dir, destdir)
        check_tree(layout, destdir)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ''
    require('NETPULSE_SOURCE_ROOT' in os.environ and 'NETPULSE_BUILD_ROOT' in os.environ,
            'run me through meson test (NETPULSE_SOURCE_ROOT, NETPULSE_BUILD_ROOT)')
    if mode == 'tree':
        main_wrapper(test_tree)
    elif mode == 'app-only':
        main_wrapper(lambda: test_app_only(sys.argv[2], sys.argv[3]))
    elif mode == 'helper-only':
        main_wrapper(lambda: test_helper_only(sys.argv[2]))
    else:
        print(f'usage: {sys.argv[0]} tree | app-only VARIANT_DIR MANIFEST | helper-only VARIANT_DIR',
              file=sys.stderr)
        sys.exit(2)


if __name__ == '__main__':
    main()
