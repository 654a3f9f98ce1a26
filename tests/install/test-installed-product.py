#!/usr/bin/env python3
# test-installed-product.py — the installed Netpulse, end to end, the way a
# person's machine runs it:
#
#   test-installed-product.py VARIANT_DIR
#
# The helper-only build (--prefix=/usr -Dapp=false, shared with the
# install-helper-only test) is installed with `meson install --destdir`
# into a temporary tree.  Then, in a private mount and PID namespace
# (unshare), that tree is laid over the real / with read-only overlay
# mounts, so that every installed file is at its real place (/usr/libexec,
# /usr/share/dbus-1, /usr/share/polkit-1/actions, ...) for the processes of
# the test and for nobody else; a tmpfs over /run gives the test its own
# system bus socket, and a polkit rules file is laid over
# /etc/polkit-1/rules.d the same way.  In the directories the bus and
# polkitd read, any other Netpulse file the host has (another test's policy
# copy, a real installation) is hidden, so that only the installed files
# can make the test pass.  Nothing on the host changes, and the kernel tears
# all of it down with the namespace, even on SIGKILL.
#
# In there, the stock system bus runs (`dbus-daemon --system`: Debian's own
# configuration, its service helper, its standard directories), and:
#   1. the bus offers the helper for activation (the installed activation file),
#   2. `netpulsectl status` as the unprivileged user nobody (no
#      DBUS_SYSTEM_BUS_ADDRESS: the default socket) activates the installed
#      /usr/libexec/netpulse-helper as root through the bus's service
#      helper, and polkitd (activated by the bus in turn) authorizes nobody
#      through the test rules,
#   3. `netpulsectl monitor --json` as nobody streams records, and a TCP
#      connection made by the test shows up with its exact byte counts,
#   4. the user daemon, whom no rule names, is refused (the installed
#      policy's defaults: no session, no authorization).
#
# Needs root; skips (77) without it, fails under CI=true.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'lib'))

from installtree import (HELPER_BUS_NAME, HELPER_ONLY_OPTIONS, POLKIT_ACTION_ID,  # noqa: E402
                         Failure, build_variant, check_tree, destdir_install, log, main_wrapper,
                         parent_werror, require)
from nptest import start_dbus_daemon, wait_until  # noqa: E402
HELPER_OBJECT_PATH = '/io/github/netpulse/Helper1'

LAUNCH_HELPER = '/usr/lib/dbus-1.0/dbus-daemon-launch-helper'
POLKITD = '/usr/lib/polkit-1/polkitd'
POLKIT_ACTIVATION = '/usr/share/dbus-1/system-services/org.freedesktop.PolicyKit1.service'
POLKIT_RULES_DIR = '/etc/polkit-1/rules.d'
BUS_DIR = '/run/dbus'

# Where the system bus and polkitd look for files.  In the namespace each
# shows the installed files plus the host's, minus any other Netpulse file
# the host has (another test's policy copy, a real installation): the test
# must see the installed files and nothing else of ours.
SYSTEM_DIRS = [
    '/usr/share/polkit-1/actions',
    '/usr/share/polkit-1/rules.d',
    POLKIT_RULES_DIR,
    '/usr/share/dbus-1/system.d',
    '/etc/dbus-1/system.d',
    '/usr/share/dbus-1/system-services',
    '/usr/local/share/dbus-1/system-services',
    '/lib/dbus-1/system-services',
]
OURS = b'io.github.netpulse'

GRANTED_USER = 'nobody'
DENIED_USER = 'daemon'

# netpulsectl's documented exit statuses.
EXIT_OK = 0
EXIT_NOT_AUTHORIZED = 4

# Odd sizes that no other count can be mistaken for.
SENT = 283741
RECEIVED = 176399

WAIT = 60            # only decides when the test gives up


class Terminated(BaseException):
    pass


def wait_for(predicate, what, timeout=WAIT):
    value = wait_until(predicate, timeout, 0.1)
    if not value:
        raise Failure(f'gave up waiting for {what} after {timeout} s')
    return value


# -- outside: prerequisites, build, install, then the namespace ---------------------

def check_requirements():
    require(os.geteuid() == 0, 'needs root (mount and PID namespaces, the system bus, polkitd)')
    for tool in ('dbus-daemon', 'dbus-send', 'unshare', 'mount'):
        require(shutil.which(tool) is not None, f'{tool} is not installed')
    require(os.access(LAUNCH_HELPER, os.X_OK), f'{LAUNCH_HELPER} is missing (package dbus)')
    require(os.access(POLKITD, os.X_OK), f'{POLKITD} is missing (package polkitd)')
    require(os.path.exists(POLKIT_ACTIVATION), f'{POLKIT_ACTIVATION} is missing (package polkitd)')
    require(os.path.isdir(POLKIT_RULES_DIR), f'{POLKIT_RULES_DIR} is missing (package polkitd)')
    require(os.path.exists('/sys/kernel/btf/vmlinux'), 'the kernel has no BTF')
    for user in ('messagebus', GRANTED_USER):
        try:
            pwd.getpwnam(user)
        except KeyError:
            require(False, f'there is no user {user}')
    help_text = subprocess.run(['unshare', '--help'], capture_output=True, text=True).stdout
    require('--kill-child' in help_text, 'unshare has no --kill-child (util-linux too old)')


def outer(variant_dir):
    check_requirements()
    # meson's timeout: unwind, so that the temporary tree goes too (the
    # namespace dies with unshare, see --kill-child).
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    layout = build_variant(variant_dir, HELPER_ONLY_OPTIONS + [f'-Dwerror={parent_werror()}'])
    tmp = tempfile.mkdtemp(prefix='netpulse-installed-product-')
    try:
        os.chmod(tmp, 0o755)
        root = os.path.join(tmp, 'root')
        destdir_install(variant_dir, root)
        check_tree(layout, root)
        write_rules(os.path.join(tmp, 'rules'))
        with open(os.path.join(tmp, 'layout.json'), 'w') as f:
            json.dump({'bindir': layout.bindir, 'helper': layout.helper_path,
                       'version': layout.version}, f)

        log('entering a private mount and PID namespace')
        # --kill-child: should this process die, the namespace's init gets
        # SIGKILL, and with it every process of the namespace.
        result = subprocess.run(['unshare', '--mount', '--propagation', 'private', '--pid', '--fork',
                                 '--kill-child', '--mount-proc',
                                 sys.executable, os.path.abspath(__file__), '--inside', tmp])
        if result.returncode != 0:
            raise Failure(f'the test in the namespace failed ({result.returncode})')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_rules(rules_dir):
    os.mkdir(rules_dir, 0o755)
    path = os.path.join(rules_dir, '00-netpulse-installed-product-test.rules')
    with open(path, 'w') as f:
        f.write(f"""// The netpulse install test: only in its own mount namespace.
polkit.addRule(function(action, subject) {{
    if (action.id == "{POLKIT_ACTION_ID}" && subject.user == "{GRANTED_USER}")
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
}});
""")
    os.chmod(path, 0o644)


# -- inside the namespace ---------------------------------------------------------------

class Inside:
    def __init__(self, tmp):
        self.tmp = tmp
        with open(os.path.join(tmp, 'layout.json')) as f:
            self.layout = json.load(f)
        self.netpulsectl = os.path.join(self.layout['bindir'], 'netpulsectl')
        self.bus = None
        self.bus_log_path = os.path.join(tmp, 'system-bus.log')
        self.children = []

    # -- the world ------------------------------------------------------------

    @staticmethod
    def mount_overlay(layers, target):
        """A read-only overlay of @layers (first on top) on @target."""
        subprocess.run(['mount', '-t', 'overlay', 'overlay', '-o', 'lowerdir=' + ':'.join(layers), target],
                       check=True)

    def host_copy_without_ours(self, directory, index):
        """A copy of the host's @directory without the files that mention
        Netpulse; None if there is no such directory."""
        if not os.path.isdir(directory) or os.path.islink(directory):
            return None
        copy = os.path.join(self.tmp, 'host', str(index))
        os.makedirs(copy)
        shutil.copystat(directory, copy)
        st = os.stat(directory)
        os.chown(copy, st.st_uid, st.st_gid)
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if not os.path.isfile(path):
                continue
            with open(path, 'rb') as f:
                if OURS in f.read():
                    log(f'hidden in the namespace: {path}')
                    continue
            shutil.copy2(path, os.path.join(copy, name))
        return copy

    def setup(self):
        if os.getpid() != 1:
            raise Failure('not the init of a new PID namespace')
        root = os.path.join(self.tmp, 'root')
        empty = os.path.join(self.tmp, 'empty')
        os.mkdir(empty)

        # Read the host's directories before anything is laid over them.
        system_dirs = []
        for index, directory in enumerate(SYSTEM_DIRS):
            if os.path.realpath(directory) in [os.path.realpath(d) for d, _ in system_dirs]:
                continue
            copy = self.host_copy_without_ours(directory, index)
            if copy is not None:
                system_dirs.append((directory, copy))

        for top in sorted(os.listdir(root)):
            log(f'overlay: {root}/{top} over /{top}')
            self.mount_overlay([os.path.join(root, top), '/' + top], '/' + top)
        for directory, copy in system_dirs:
            layers = []
            if directory == POLKIT_RULES_DIR:
                layers.append(os.path.join(self.tmp, 'rules'))
            installed = os.path.join(root, directory.lstrip('/'))
            if os.path.isdir(installed):
                layers.append(installed)
            layers += [copy, empty]
            log(f'overlay: {" + ".join(layers)} over {directory}')
            self.mount_overlay(layers, directory)
        # A /run of our own: the system bus socket of the namespace, and no
        # sign of the host's systemd or its running services.
        subprocess.run(['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', '/run'], check=True)
        os.mkdir(BUS_DIR, 0o755)

        for path in (self.netpulsectl, self.layout['helper']):
            if not os.access(path, os.X_OK):
                raise Failure(f'{path} is not at its installed place in the namespace')

    def start_bus(self):
        self.bus_log = open(self.bus_log_path, 'w')
        # The distribution's own system bus configuration, as at boot;
        # --nosyslog keeps its log (and the activated services' output) here.
        self.bus, address = start_dbus_daemon(['--system', '--nosyslog'], self.bus_log, self.bus_log)
        if not address.startswith(f'unix:path={BUS_DIR}/system_bus_socket'):
            raise Failure(f'the system bus did not start (address {address!r}):\n{self.bus_log_text()}')
        log(f'system bus at {address}')

    def bus_log_text(self):
        try:
            with open(self.bus_log_path, errors='replace') as f:
                return f.read()
        except FileNotFoundError:
            return ''

    # -- D-Bus as root --------------------------------------------------------------

    def bus_call(self, method, *args, dest='org.freedesktop.DBus', path='/org/freedesktop/DBus',
                 check=True):
        result = subprocess.run(['dbus-send', '--system', '--print-reply', f'--dest={dest}', path,
                                 method, *args], capture_output=True, text=True, timeout=WAIT)
        if check and result.returncode != 0:
            raise Failure(f'dbus-send {method} failed: {result.stderr.strip()}')
        return result

    def name_has_owner(self, name):
        out = self.bus_call('org.freedesktop.DBus.NameHasOwner', f'string:{name}').stdout
        return 'boolean true' in out

    def name_pid(self, name):
        out = self.bus_call('org.freedesktop.DBus.GetConnectionUnixProcessID', f'string:{name}').stdout
        m = re.search(r'uint32 (\d+)', out)
        if not m:
            raise Failure(f'no pid for {name}: {out}')
        return int(m.group(1))

    def helper_subscriptions(self):
        result = self.bus_call('org.freedesktop.DBus.Properties.Get', f'string:{HELPER_BUS_NAME}',
                               'string:Subscriptions', dest=HELPER_BUS_NAME, path=HELPER_OBJECT_PATH,
                               check=False)
        m = re.search(r'uint32 (\d+)', result.stdout)
        return int(m.group(1)) if m else None

    # -- as a user ------------------------------------------------------------------------

    def user_kwargs(self, name):
        entry = pwd.getpwnam(name)
        # A login's environment: no DBUS_SYSTEM_BUS_ADDRESS, the default
        # system bus socket is the one of this namespace.
        env = {'PATH': '/usr/local/bin:/usr/bin:/bin', 'HOME': entry.pw_dir, 'USER': name,
               'LOGNAME': name, 'LANG': 'C.UTF-8'}
        return dict(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[], env=env, cwd='/')

    def run_as(self, name, argv):
        log(f'as {name}: {" ".join(argv)}')
        result = subprocess.run(argv, capture_output=True, text=True, errors='replace', timeout=WAIT,
                                **self.user_kwargs(name))
        log(f'  exit {result.returncode}; stderr: {result.stderr.strip()!r}')
        return result

    def spawn_as(self, name, argv, stdout_path):
        log(f'as {name}, in the background: {" ".join(argv)}')
        with open(stdout_path, 'w') as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, text=True,
                                    **self.user_kwargs(name))
        self.children.append(proc)
        return proc

    # -- the steps ----------------------------------------------------------------------

    def check_activatable(self):
        out = self.bus_call('org.freedesktop.DBus.ListActivatableNames').stdout
        if f'"{HELPER_BUS_NAME}"' not in out:
            raise Failure(f'the system bus does not offer {HELPER_BUS_NAME} for activation:\n{out}')
        if self.name_has_owner(HELPER_BUS_NAME):
            raise Failure('the helper runs before anyone asked for it')
        log(f'the system bus offers {HELPER_BUS_NAME} from the installed activation file')

    def check_status(self):
        result = self.run_as(GRANTED_USER, [self.netpulsectl, 'status', '--json'])
        if result.returncode != EXIT_OK:
            raise Failure(f'netpulsectl status failed ({result.returncode}): {result.stderr}')
        status = json.loads(result.stdout)
        log(f'status: {status}')
        if status.get('version') != self.layout['version']:
            raise Failure(f'the helper reports version {status.get("version")!r}, '
                          f'not {self.layout["version"]}')
        if status.get('authorized') is not True:
            raise Failure(f'polkit did not authorize {GRANTED_USER} through the test rules: {status}')

        pid = self.name_pid(HELPER_BUS_NAME)
        exe = os.readlink(f'/proc/{pid}/exe')
        if exe != self.layout['helper']:
            raise Failure(f'the bus started {exe}, not the installed {self.layout["helper"]}')
        with open(f'/proc/{pid}/status') as f:
            uid = next(line.split()[1] for line in f if line.startswith('Uid:'))
        if uid != '0':
            raise Failure(f'the helper runs as uid {uid}, not root')
        text = self.bus_log_text()
        if f"Activating service name='{HELPER_BUS_NAME}'" not in text or 'using servicehelper' not in text:
            raise Failure(f'the bus log does not show the activation through the service helper:\n{text}')
        if not self.name_has_owner('org.freedesktop.PolicyKit1'):
            raise Failure('polkitd is not on the bus: who authorized?')
        log(f'the installed helper was activated as root (pid {pid}, {exe}); polkit said yes')

    def traffic(self, tag):
        """A TCP connection over loopback with exactly SENT bytes one way and
        RECEIVED the other; both ends named after @tag."""
        server_comm, client_comm = f'npi{tag}s', f'npi{tag}c'
        listener = socket.create_server(('127.0.0.1', 0))
        port = listener.getsockname()[1]

        def child(comm, body):
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    with open('/proc/self/comm', 'w') as f:
                        f.write(comm)
                    body()
                    code = 0
                finally:
                    os._exit(code)
            return pid

        def recv_exactly(sock, n):
            got = 0
            while got < n:
                chunk = sock.recv(min(65536, n - got))
                if not chunk:
                    raise RuntimeError(f'peer closed after {got} of {n} bytes')
                got += len(chunk)

        def server():
            conn, _ = listener.accept()
            recv_exactly(conn, SENT)
            conn.sendall(b's' * RECEIVED)
            recv_exactly(conn, 1)          # the client has read everything
            conn.close()

        def client():
            c = socket.create_connection(('127.0.0.1', port))
            c.sendall(b'c' * SENT)
            recv_exactly(c, RECEIVED)
            c.sendall(b'.')
            c.close()

        pids = [child(server_comm, server), child(client_comm, client)]
        listener.close()
        for pid in pids:
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                raise Failure('the test connection failed')
        log(f'traffic: {client_comm} sent {SENT + 1}, received {RECEIVED}; port {port}')
        return client_comm, server_comm

    def check_monitor(self):
        out_path = os.path.join(self.tmp, 'monitor.jsonl')
        monitor = self.spawn_as(GRANTED_USER, [self.netpulsectl, 'monitor', '--json', '--interval', '200'],
                                out_path)
        wait_for(lambda: self.helper_subscriptions() == 1 or monitor.poll() is not None,
                 'the subscription of netpulsectl monitor')
        if monitor.poll() is not None:
            raise Failure(f'netpulsectl monitor exited ({monitor.returncode}): {monitor.stderr.read()}')

        client_comm, server_comm = self.traffic(secrets.token_hex(3))

        def final(comm):
            try:
                with open(out_path, errors='replace') as f:
                    lines = [l for l in f.read().split('\n')[:-1] if l.strip()]
            except FileNotFoundError:
                return None
            closed = [r for r in map(json.loads, lines) if r.get('comm') == comm and r.get('closed')]
            return closed[-1] if closed else None

        client, server = wait_for(lambda: (final(client_comm), final(server_comm))
                                  if final(client_comm) and final(server_comm) else None,
                                  'the final records of the test connection')
        log(f'client record: {client}')
        log(f'server record: {server}')
        if (client['tx_bytes'], client['rx_bytes']) != (SENT + 1, RECEIVED):
            raise Failure(f'the client side counted {client["tx_bytes"]}/{client["rx_bytes"]}, '
                          f'not {SENT + 1}/{RECEIVED}')
        if (server['tx_bytes'], server['rx_bytes']) != (RECEIVED, SENT + 1):
            raise Failure(f'the server side counted {server["tx_bytes"]}/{server["rx_bytes"]}, '
                          f'not {RECEIVED}/{SENT + 1}')

        monitor.send_signal(signal.SIGTERM)
        try:
            _, stderr = monitor.communicate(timeout=WAIT)
        except subprocess.TimeoutExpired:
            monitor.kill()
            raise Failure('netpulsectl monitor did not exit after SIGTERM')
        if monitor.returncode != EXIT_OK:
            raise Failure(f'netpulsectl monitor exited with {monitor.returncode}: {stderr}')
        wait_for(lambda: self.helper_subscriptions() == 0, 'the end of the subscription')
        log('records streamed through the installed helper with exact totals')

    def check_denied(self):
        try:
            pwd.getpwnam(DENIED_USER)
        except KeyError:
            log(f'no user {DENIED_USER}: the refusal is not checked')
            return
        result = self.run_as(DENIED_USER, [self.netpulsectl, 'monitor', '--json', '--count', '1'])
        if result.returncode != EXIT_NOT_AUTHORIZED or result.stdout.strip():
            raise Failure(f'{DENIED_USER}, whom no rule grants anything, got exit {result.returncode} '
                          f'and {len(result.stdout)} bytes of records')
        log(f'{DENIED_USER} is refused by the installed policy\'s defaults')

    # -- teardown ------------------------------------------------------------------------

    def teardown(self):
        for proc in self.children:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        # The helper and polkitd were started by the bus; as the namespace's
        # init we are their parent now.  The kernel kills whatever is left
        # when we exit; stopping them first lets the helper unload its
        # kernel programs itself.
        if self.bus is not None and self.bus.poll() is None:
            for name in (HELPER_BUS_NAME, 'org.freedesktop.PolicyKit1'):
                try:
                    if self.name_has_owner(name):
                        pid = self.name_pid(name)
                        os.kill(pid, signal.SIGTERM)
                        wait_for(lambda: self.reaped(pid), f'{name} to exit', timeout=20)
                except (Failure, ProcessLookupError, subprocess.TimeoutExpired) as e:
                    log(f'stopping {name}: {e}')
            self.bus.terminate()
            try:
                self.bus.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.bus.kill()
                self.bus.wait()

    @staticmethod
    def reaped(pid):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            return done == pid
        except ChildProcessError:
            return not os.path.exists(f'/proc/{pid}')

    def run(self):
        try:
            self.setup()
            self.start_bus()
            self.check_activatable()
            self.check_status()
            self.check_monitor()
            self.check_denied()
        except BaseException:
            print('----- system bus, helper and polkitd log -----')
            print(self.bus_log_text()[-20000:])
            raise
        finally:
            self.teardown()


def on_signal(signum, frame):
    raise Terminated(f'signal {signum}')


def inside(tmp):
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    Inside(tmp).run()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--inside':
        main_wrapper(lambda: inside(sys.argv[2]), done='# done in the namespace')
    elif len(sys.argv) == 2:
        main_wrapper(lambda: outer(sys.argv[1]))
    else:
        print(f'usage: {sys.argv[0]} VARIANT_DIR', file=sys.stderr)
        sys.exit(2)


if __name__ == '__main__':
    main()
