# installtree.py — shared pieces of the install tests (Python 3, stdlib only).
#
# - Layout: where a build directory installs each file, from its own
#   configuration (meson introspect), so that the tests check the paths
#   meson really uses, not a copy of them.
# - build_variant(): a build of this source tree with other options
#   (helper only, app only), kept in the test build directory and shared
#   by the tests that need it (a file lock makes the second one wait).
# - destdir_install(): `meson install --destdir` into a temporary tree.
# - check_tree(): every installed file present and nothing else, paths
#   substituted, and each file checked by the tool that reads it for real
#   (desktop-file-validate, appstreamcli, glib-compile-schemas, xmllint,
#   dbus-daemon itself for the bus policy and the activation file).
#
# A tool that is missing skips the test (77), or fails it under CI=true.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import configparser
import fcntl
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'lib'))

from nptest import require, start_dbus_daemon  # noqa: E402,F401  (re-exported to the install tests)

HELPER_BUS_NAME = 'io.github.netpulse.Helper1'
POLKIT_ACTION_ID = 'io.github.netpulse.monitor'
BASE_APP_ID = 'io.github.netpulse.Netpulse'
SCHEMA_FILE = 'io.github.netpulse.Netpulse.gschema.xml'
HELPER_UNIT = 'netpulse-helper.service'
# The helper-only build: what a distribution's helper package (or the host
# side of the Flatpak) installs.  Shared by install-helper-only and
# install-installed-product (one build, see build_variant()).
HELPER_ONLY_OPTIONS = ['-Dprefix=/usr', '-Dapp=false', '-Dhelper=true', '-Dcli=true', '-Dtests=false']
POLKIT_DEFAULTS = {'no', 'yes', 'auth_self', 'auth_admin', 'auth_self_keep', 'auth_admin_keep'}


class Failure(Exception):
    pass


def log(*args):
    print('#', *args, flush=True)


def run(argv, what=None, **kwargs):
    """Runs @argv; on failure raises Failure with its output."""
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors='replace', **kwargs)
    if result.returncode != 0:
        raise Failure(f'{what or shlex.join(argv)} failed ({result.returncode}):\n'
                      f'{result.stdout[-6000:]}')
    return result.stdout


def meson_command():
    meson = os.environ.get('NETPULSE_MESON') or shutil.which('meson')
    require(meson is not None, 'meson is not installed')
    return [meson]


def require_tools(*tools):
    for tool in tools:
        require(shutil.which(tool) is not None, f'{tool} is not installed')


# -- where things go ----------------------------------------------------------

class Layout:
    """The install locations of a configured build directory."""

    def __init__(self, build_dir):
        self.build_dir = build_dir
        out = run(meson_command() + ['introspect', '--buildoptions', build_dir])
        self.options = {o['name']: o['value'] for o in json.loads(out)}
        info = json.loads(run(meson_command() + ['introspect', '--projectinfo', build_dir]))
        self.version = info['version']
        self.source_root = os.environ.get('NETPULSE_SOURCE_ROOT') or os.path.dirname(os.path.dirname(HERE))

        self.prefix = self.options['prefix']
        self.bindir = self.dir('bindir')
        self.libexecdir = self.dir('libexecdir')
        self.datadir = self.dir('datadir')
        self.localedir = self.dir('localedir')
        self.app = self.options['app']
        self.helper = self.options['helper']
        self.cli = self.options['cli']
        self.app_id = BASE_APP_ID + ('.Devel' if self.options['development'] else '')
        self.unitdir = (self.options['systemdsystemunitdir']
                        or os.path.join(self.prefix, 'lib', 'systemd', 'system'))
        self.servicesdir = (self.options['dbus_system_bus_services_dir']
                            or os.path.join(self.datadir, 'dbus-1', 'system-services'))

    def dir(self, name):
        value = self.options[name]
        return value if os.path.isabs(value) else os.path.join(self.prefix, value)

    @property
    def helper_path(self):
        return os.path.join(self.libexecdir, 'netpulse-helper')

    def linguas(self):
        with open(os.path.join(self.source_root, 'po', 'LINGUAS')) as f:
            return [w for line in f for w in line.split('#')[0].split()]

    def expected(self):
        """{absolute installed path: kind} of everything that must be installed."""
        files = {}
        if self.cli:
            files[os.path.join(self.bindir, 'netpulsectl')] = 'elf'
        if self.app:
            icons = os.path.join(self.datadir, 'icons', 'hicolor')
            files.update({
                os.path.join(self.bindir, 'netpulse'): 'elf',
                os.path.join(self.datadir, 'applications', self.app_id + '.desktop'): 'desktop',
                os.path.join(self.datadir, 'metainfo', self.app_id + '.metainfo.xml'): 'metainfo',
                os.path.join(self.datadir, 'glib-2.0', 'schemas', SCHEMA_FILE): 'schema',
                os.path.join(icons, 'scalable', 'apps', self.app_id + '.svg'): 'svg',
                os.path.join(icons, 'symbolic', 'apps', self.app_id + '-symbolic.svg'): 'svg',
            })
        if self.helper:
            files.update({
                self.helper_path: 'elf',
                os.path.join(self.datadir, 'polkit-1', 'actions', 'io.github.netpulse.policy'): 'polkit',
                os.path.join(self.datadir, 'dbus-1', 'system.d', HELPER_BUS_NAME + '.conf'): 'busconf',
                os.path.join(self.servicesdir, HELPER_BUS_NAME + '.service'): 'activation',
                os.path.join(self.unitdir, HELPER_UNIT): 'unit',
                os.path.join(self.unitdir, 'netpulse-recorder.target'): 'target',
            })
        for lang in self.linguas():
            files[os.path.join(self.localedir, lang, 'LC_MESSAGES', 'netpulse.mo')] = 'mo'
        return files


# -- builds ----------------------------------------------------------------------

def parent_werror():
    """The nested builds are as strict as the build running the tests."""
    build_root = os.environ.get('NETPULSE_BUILD_ROOT')
    if not build_root:
        return 'false'
    out = run(meson_command() + ['introspect', '--buildoptions', build_root])
    werror = {o['name']: o['value'] for o in json.loads(out)}.get('werror', False)
    return 'true' if werror else 'false'


def build_variant(variant_dir, options):
    """Configures (or reconfigures) and compiles a build of the source tree
    in @variant_dir with @options (a list of -Dname=value).  Tests that
    share a variant wait for each other."""
    source_root = os.environ['NETPULSE_SOURCE_ROOT']
    meson = meson_command()
    os.makedirs(os.path.dirname(variant_dir), exist_ok=True)
    with open(variant_dir + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(os.path.join(variant_dir, 'build.ninja')):
            log(f'reconfiguring {variant_dir}: {" ".join(options)}')
            run(meson + ['configure', variant_dir] + options)
        else:
            shutil.rmtree(variant_dir, ignore_errors=True)
            log(f'configuring {variant_dir}: {" ".join(options)}')
            run(meson + ['setup', variant_dir, source_root] + options)
        log(f'compiling {variant_dir}')
        run(meson + ['compile', '-C', variant_dir])
        return Layout(variant_dir)


def destdir_install(build_dir, destdir):
    log(f'meson install -C {build_dir} --destdir {destdir}')
    out = run(meson_command() + ['install', '-C', build_dir, '--destdir', destdir, '--no-rebuild'])
    # With DESTDIR the caches are for the packager's post-install to update.
    if 'glib-compile-schemas' in out and 'Skipping custom install script because DESTDIR is set' not in out:
        raise Failure(f'meson install ran the post-install scripts into the real system with DESTDIR set:\n{out}')
    return out


def installed_files(destdir):
    """Absolute paths (as installed, without @destdir) of the files in the tree."""
    found = set()
    for dirpath, dirnames, filenames in os.walk(destdir):
        for name in filenames:
            found.add('/' + os.path.relpath(os.path.join(dirpath, name), destdir))
        for name in dirnames:
            if os.path.islink(os.path.join(dirpath, name)):
                found.add('/' + os.path.relpath(os.path.join(dirpath, name), destdir))
    return found


# -- the checks --------------------------------------------------------------------

class TreeChecker:
    """check_tree(): collects every problem, then fails with all of them."""

    def __init__(self, layout, destdir):
        self.layout = layout
        self.destdir = destdir
        self.problems = []

    def staged(self, path):
        return os.path.join(self.destdir, path.lstrip('/'))

    def problem(self, message):
        log(f'PROBLEM: {message}')
        self.problems.append(message)

    def ok(self, message):
        log(f'ok: {message}')

    def check(self):
        expected = self.layout.expected()
        found = installed_files(self.destdir)
        missing = sorted(set(expected) - found)
        extra = sorted(found - set(expected))
        for path in missing:
            self.problem(f'not installed: {path}')
        for path in extra:
            self.problem(f'installed but not expected (add it to tests/install/installtree.py if wanted): {path}')
        if not missing and not extra:
            self.ok(f'exactly the {len(expected)} expected files are installed under {self.layout.prefix}')

        for path, kind in sorted(expected.items()):
            if path in found:
                getattr(self, 'check_' + kind)(path)
        self.check_no_placeholders(expected)
        if self.layout.helper:
            self.check_bus_loads_files()
        if self.problems:
            raise Failure(f'{len(self.problems)} problem(s) in the installed tree:\n  '
                          + '\n  '.join(self.problems))

    # -- per kind ----------------------------------------------------------------

    def check_elf(self, path):
        staged = self.staged(path)
        with open(staged, 'rb') as f:
            data = f.read()
        if not data.startswith(b'\x7fELF'):
            self.problem(f'{path} is not an ELF executable')
        if os.stat(staged).st_mode & 0o111 != 0o111:
            self.problem(f'{path} is not executable by everyone')
        # bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR): configured at setup time.
        if (self.layout.localedir + '\0').encode() not in data:
            self.problem(f'{path} does not contain the configured LOCALEDIR {self.layout.localedir}: '
                         'its translations would not be found')
        else:
            self.ok(f'{path}: ELF, executable, LOCALEDIR {self.layout.localedir}')

    def check_mo(self, path):
        with open(self.staged(path), 'rb') as f:
            magic = f.read(4)
        if magic not in (b'\xde\x12\x04\x95', b'\x95\x04\x12\xde'):
            self.problem(f'{path} is not a compiled message catalogue')

    def xml(self, path, tool_check=True):
        """Parses @path (xmllint first, for its clear messages); None on error."""
        staged = self.staged(path)
        if tool_check:
            require_tools('xmllint')
            result = subprocess.run(['xmllint', '--noout', '--nonet', staged],
                                    capture_output=True, text=True)
            if result.returncode != 0:
                self.problem(f'{path} is not well-formed XML:\n{result.stderr}')
                return None
        try:
            return ET.parse(staged).getroot()
        except ET.ParseError as e:
            self.problem(f'{path}: {e}')
            return None

    def check_svg(self, path):
        root = self.xml(path, tool_check=False)
        if root is not None and not root.tag.endswith('svg'):
            self.problem(f'{path} is not an SVG image')

    def check_desktop(self, path):
        before = len(self.problems)
        require_tools('desktop-file-validate')
        result = subprocess.run(['desktop-file-validate', self.staged(path)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            self.problem(f'desktop-file-validate {path}:\n{result.stdout}{result.stderr}')
        elif result.stdout.strip():
            log(f'desktop-file-validate {path} (hints only):\n{result.stdout.strip()}')
        entry = self.ini(path, 'Desktop Entry')
        if entry is None:
            return
        exec_argv = shlex.split(entry.get('Exec', ''))
        binary = exec_argv[0] if exec_argv else ''
        target = binary if os.path.isabs(binary) else os.path.join(self.layout.bindir, binary)
        if not binary or not os.path.exists(self.staged(target)):
            self.problem(f'{path}: Exec={entry.get("Exec")} does not name an installed program in {self.layout.bindir}')
        if entry.get('Icon') != self.layout.app_id:
            self.problem(f'{path}: Icon={entry.get("Icon")}, but the icons are installed as {self.layout.app_id}')
        if len(self.problems) == before:
            self.ok(f'{path} is valid, Exec and Icon resolve')

    def check_metainfo(self, path):
        require_tools('appstreamcli')
        result = subprocess.run(['appstreamcli', 'validate', '--no-net', '--explain', self.staged(path)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            self.problem(f'appstreamcli validate {path}:\n{result.stdout}{result.stderr}')
        root = self.xml(path)
        if root is None:
            return
        if root.findtext('id') != self.layout.app_id:
            self.problem(f'{path}: <id> is {root.findtext("id")!r}, not {self.layout.app_id}')
        launchable = root.findtext("launchable[@type='desktop-id']")
        if launchable != self.layout.app_id + '.desktop':
            self.problem(f'{path}: launchable {launchable!r} is not the installed desktop file')
        for binary in root.findall('provides/binary'):
            if not os.path.exists(self.staged(os.path.join(self.layout.bindir, binary.text or ''))):
                self.problem(f'{path}: provides binary {binary.text!r}, which is not installed')
        self.ok(f'{path} validates and names the installed desktop file')

    def check_schema(self, path):
        require_tools('glib-compile-schemas')
        schemas = os.path.dirname(self.staged(path))
        result = subprocess.run(['glib-compile-schemas', '--strict', '--dry-run', schemas],
                                capture_output=True, text=True)
        if result.returncode != 0:
            self.problem(f'glib-compile-schemas --strict {os.path.dirname(path)}:\n{result.stderr}')
        root = self.xml(path, tool_check=False)
        if root is not None:
            ids = [s.get('id') for s in root.findall('schema')]
            if BASE_APP_ID not in ids:
                self.problem(f'{path} has no schema {BASE_APP_ID} (has {ids})')
            else:
                self.ok(f'{path} compiles (--strict)')

    def check_polkit(self, path):
        root = self.xml(path)
        if root is None:
            return
        if root.tag != 'policyconfig':
            self.problem(f'{path}: root element is <{root.tag}>, not <policyconfig>')
        actions = {a.get('id'): a for a in root.findall('action')}
        action = actions.get(POLKIT_ACTION_ID)
        if action is None:
            self.problem(f'{path} does not define the action {POLKIT_ACTION_ID} (has {list(actions)})')
            return
        for tag in ('description', 'message'):
            if not (action.findtext(tag) or '').strip():
                self.problem(f'{path}: the action has no <{tag}>')
        for tag in ('allow_any', 'allow_inactive', 'allow_active'):
            value = (action.findtext(f'defaults/{tag}') or '').strip()
            if value not in POLKIT_DEFAULTS:
                self.problem(f'{path}: <defaults><{tag}> is {value!r}')
        self.ok(f'{path}: well-formed, defines {POLKIT_ACTION_ID}')

    def check_busconf(self, path):
        root = self.xml(path)
        if root is None:
            return
        if root.tag != 'busconfig':
            self.problem(f'{path}: root element is <{root.tag}>, not <busconfig>')
            return
        owners = []
        callers = []
        for policy in root.findall('policy'):
            for allow in policy.findall('allow'):
                if allow.get('own') is not None:
                    owners.append((policy.attrib, allow.get('own')))
                if allow.get('send_destination') == HELPER_BUS_NAME:
                    callers.append(policy.attrib)
        if owners != [({'user': 'root'}, HELPER_BUS_NAME)]:
            self.problem(f'{path}: only root may own {HELPER_BUS_NAME}; the policy allows {owners}')
        if {'context': 'default'} not in callers:
            self.problem(f'{path}: the default policy does not let clients call {HELPER_BUS_NAME}')
        self.ok(f'{path}: well-formed, root owns {HELPER_BUS_NAME}, anyone may call it')

    def ini(self, path, section):
        parser = configparser.ConfigParser(interpolation=None, strict=True)
        parser.optionxform = str
        try:
            parser.read(self.staged(path), encoding='utf-8')
        except configparser.Error as e:
            self.problem(f'{path} cannot be parsed: {e}')
            return None
        if not parser.has_section(section):
            self.problem(f'{path} has no [{section}] section')
            return None
        return parser[section]

    def check_executable_path(self, path, key, value):
        words = shlex.split(value or '')
        program = words[0].lstrip('-@+!:') if words else ''
        if program != self.layout.helper_path:
            self.problem(f'{path}: {key}={value} does not start the installed helper {self.layout.helper_path}')
        elif not os.access(self.staged(program), os.X_OK):
            self.problem(f'{path}: {key} names {program}, which is not installed executable')
        else:
            self.ok(f'{path}: {key}={value}')

    def check_activation(self, path):
        service = self.ini(path, 'D-BUS Service')
        if service is None:
            return
        if service.get('Name') != HELPER_BUS_NAME:
            self.problem(f'{path}: Name={service.get("Name")}, not {HELPER_BUS_NAME}')
        if os.path.basename(path) != HELPER_BUS_NAME + '.service':
            self.problem(f'{path}: the system bus only activates files named after the bus name')
        self.check_executable_path(path, 'Exec', service.get('Exec'))
        if service.get('User') != 'root':
            self.problem(f'{path}: User={service.get("User")}: the helper must run as root')
        unit = service.get('SystemdService')
        if unit is not None and unit != HELPER_UNIT:
            self.problem(f'{path}: SystemdService={unit}, but the unit is installed as {HELPER_UNIT}')

    def check_unit(self, path):
        # systemd unit files may repeat keys: a small parser of their own.
        sections = {}
        current = None
        with open(self.staged(path), encoding='utf-8') as f:
            for line in f:
                line = line.strip()
                if not line or line[0] in '#;':
                    continue
                if line.startswith('[') and line.endswith(']'):
                    current = sections.setdefault(line[1:-1], {})
                elif '=' in line and current is not None:
                    key, value = line.split('=', 1)
                    current.setdefault(key.strip(), []).append(value.strip())
                else:
                    self.problem(f'{path}: cannot parse the line {line!r}')
        service = sections.get('Service', {})
        starts = service.get('ExecStart', [])
        if len(starts) != 1:
            self.problem(f'{path}: {len(starts)} ExecStart= lines')
        else:
            self.check_executable_path(path, 'ExecStart', starts[0])
        if service.get('BusName') != [HELPER_BUS_NAME]:
            self.problem(f'{path}: BusName={service.get("BusName")}, not {HELPER_BUS_NAME}')
        if service.get('Type') != ['dbus']:
            self.problem(f'{path}: Type={service.get("Type")}, not dbus')

    def check_target(self, path):
        # Started at boot while recording (helper/netpulse-boot-unit.c links it).
        with open(self.staged(path), encoding='utf-8') as f:
            lines = {line.strip() for line in f}
        for needed in (f'Wants={HELPER_UNIT}', 'WantedBy=multi-user.target'):
            if needed not in lines:
                self.problem(f'{path}: no {needed}')

    def check_no_placeholders(self, expected):
        for path, kind in expected.items():
            if kind in ('elf', 'mo') or not os.path.exists(self.staged(path)):
                continue
            with open(self.staged(path), encoding='utf-8', errors='replace') as f:
                left = sorted(set(re.findall(r'@[A-Za-z_]+@', f.read())))
            if left:
                self.problem(f'{path} still has the placeholders {", ".join(left)}')

    def check_bus_loads_files(self):
        """dbus-daemon itself reads the installed policy (an error in it is
        fatal) and the activation directory, and must offer the helper."""
        require_tools('dbus-daemon', 'dbus-send')
        policy = self.staged(os.path.join(self.layout.datadir, 'dbus-1', 'system.d',
                                          HELPER_BUS_NAME + '.conf'))
        services = self.staged(self.layout.servicesdir)
        with tempfile.TemporaryDirectory(prefix='netpulse-bus-check-') as tmp:
            conf = os.path.join(tmp, 'bus.conf')
            with open(conf, 'w') as f:
                f.write(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={tmp}/bus</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{services}</servicedir>
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="org.freedesktop.DBus"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
  </policy>
  <include>{policy}</include>
</busconfig>
""")
            bus_log_path = os.path.join(tmp, 'bus.log')
            with open(bus_log_path, 'w') as bus_log:
                bus, address = start_dbus_daemon([f'--config-file={conf}'], subprocess.DEVNULL, bus_log)
            try:
                if not address:
                    bus.wait(timeout=30)
                    with open(bus_log_path, errors='replace') as f:
                        self.problem(f'dbus-daemon rejects the installed bus policy:\n{f.read()}')
                    return
                out = run(['dbus-send', f'--bus={address}', '--print-reply', '--dest=org.freedesktop.DBus',
                           '/org/freedesktop/DBus', 'org.freedesktop.DBus.ListActivatableNames'])
                if f'"{HELPER_BUS_NAME}"' not in out:
                    self.problem(f'dbus-daemon does not offer {HELPER_BUS_NAME} for activation from '
                                 f'{self.layout.servicesdir}:\n{out}')
                else:
                    self.ok('dbus-daemon loads the installed policy and offers the helper for activation')
            finally:
                bus.send_signal(signal.SIGTERM)
                try:
                    bus.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    bus.kill()
                    bus.wait()


def check_tree(layout, destdir):
    TreeChecker(layout, destdir).check()


def main_wrapper(func, done='PASS'):
    """Runs func(); a Failure prints its message and exits 1."""
    try:
        func()
    except Failure as e:
        print(f'FAIL: {e}', flush=True)
        sys.exit(1)
    print(done, flush=True)
    sys.exit(0)
