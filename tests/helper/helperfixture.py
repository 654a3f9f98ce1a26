# helperfixture.py — the world the netpulse-helper end-to-end tests run in.
#
# A private system bus (dbus-daemon --config-file, from system-bus.conf.in)
# whose activation directory points at the helper of the build directory,
# a real polkitd on that bus, the helper's polkit policy plus a JS rules file
# installed where polkitd reads them, and two unprivileged users: one the
# rules grant io.github.netpulse.monitor to, one they deny it to.
#
# Everything installed system-wide (policy, rules, users, network
# namespaces) is removed when the fixture ends, also on failure, on an
# exception and on SIGTERM/SIGINT (meson's timeout).
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from nptest import start_dbus_daemon, wait_until  # noqa: E402

SKIP = 77
HELPER_BUS_NAME = 'io.github.netpulse.Helper1'
HELPER_OBJECT_PATH = '/io/github/netpulse/Helper1'
HELPER_INTERFACE = 'io.github.netpulse.Helper1'
NO_REPLY = 'org.freedesktop.DBus.Error.NoReply'
POLKIT_ACTION_ID = 'io.github.netpulse.monitor'

POLKITD = '/usr/lib/polkit-1/polkitd'
POLKIT_ACTIONS_DIR = '/usr/share/polkit-1/actions'
POLKIT_RULES_DIR = '/etc/polkit-1/rules.d'

# Generous upper bounds for things that normally take milliseconds; they
# only decide when a test gives up, nothing is asserted about durations.
STARTUP_TIMEOUT = 30
DEFAULT_WAIT = 60


class TestFailure(Exception):
    pass


class Terminated(BaseException):
    """SIGTERM/SIGINT: unwinds through every finally: clause."""


def log(*args):
    print('#', *args, flush=True)


def skip_or_fail(reason):
    """Cannot run here: skip, but fail under CI=true."""
    if os.environ.get('CI') == 'true':
        print(f'FAIL (CI=true, so not skipped): {reason}', flush=True)
        sys.exit(1)
    print(f'SKIP: {reason}', flush=True)
    sys.exit(SKIP)


def wait_for(predicate, what, timeout=DEFAULT_WAIT, interval=0.1):
    value = wait_until(predicate, timeout, interval)
    if not value:
        raise TestFailure(f'gave up waiting for {what} after {timeout} s')
    return value


def parse_gvariant_scalar(text):
    """The value of gdbus call's '(<uint32 3>,)', '(true,)', "('x',)"…"""
    text = re.sub(r'\b(u?int(16|32|64)|byte|objectpath|signature|handle|double)\s+', '', text)
    m = re.search(r"(true|false|-?\d+|'[^']*')", text)
    if not m:
        raise TestFailure(f'cannot parse gdbus output {text!r}')
    value = m.group(1)
    if value in ('true', 'false'):
        return value == 'true'
    if value.startswith("'"):
        return value[1:-1]
    return int(value)


class User:
    def __init__(self, name):
        self.name = name
        import pwd
        entry = pwd.getpwnam(name)
        self.uid = entry.pw_uid
        self.gid = entry.pw_gid


class HelperFixture:
    """with HelperFixture(...) as fx: … — see the module comment."""

    def __init__(self, build_root, source_root, idle_timeout_ms=3000, helper_args=(),
                 helper_wrapper=(), prompt_user=False):
        self.build_root = build_root
        self.source_root = source_root
        self.idle_timeout_ms = idle_timeout_ms
        self.helper_args = list(helper_args)
        self.helper_wrapper = list(helper_wrapper)
        self.tag = secrets.token_hex(4)
        self.tmpdir = None
        self.bus_proc = None
        self.polkitd_proc = None
        self.bus_address = None
        self.installed_files = []
        self.users = []
        self.netns = []
        self.processes = []
        self.granted = None
        self.denied = None
        # With prompt_user: a third user the rules answer AUTH_ADMIN for
        # (polkit asks an authentication agent, if there is one).
        self.want_prompt_user = prompt_user
        self.prompt = None
        # What /etc/shadow held for root before set_root_password().
        self.saved_root_password = None

    # -- paths of the build ---------------------------------------------

    def built(self, *parts):
        path = os.path.join(self.build_root, *parts)
        if not os.path.exists(path):
            raise TestFailure(f'{path} is not built')
        return path

    @property
    def helper_path(self):
        # NETPULSE_TEST_HELPER: another build's helper, to show that a
        # test fails on an older version (the test programs stay ours).
        return os.environ.get('NETPULSE_TEST_HELPER') or self.built('helper', 'netpulse-helper')

    # -- setup ------------------------------------------------------------

    @staticmethod
    def check_requirements():
        if os.geteuid() != 0:
            skip_or_fail('needs root (private system bus, polkitd, test users, kernel programs)')
        for tool in ('dbus-daemon', 'gdbus', 'useradd', 'userdel', 'bpftool', 'ip'):
            if shutil.which(tool) is None and not os.path.exists(f'/usr/sbin/{tool}'):
                skip_or_fail(f'{tool} is not installed')
        if not os.access(POLKITD, os.X_OK):
            skip_or_fail(f'{POLKITD} is not installed (package polkitd)')
        if not os.path.isdir(POLKIT_ACTIONS_DIR) or not os.path.isdir(POLKIT_RULES_DIR):
            skip_or_fail('polkit directories are missing')
        if not os.path.exists('/sys/kernel/btf/vmlinux'):
            skip_or_fail('the kernel has no BTF')

    def __enter__(self):
        self.check_requirements()
        self._old_handlers = {}
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            self._old_handlers[signum] = signal.signal(signum, self._on_signal)
        try:
            self._setup()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def _on_signal(self, signum, frame):
        raise Terminated(f'signal {signum}')

    def _setup(self):
        self.tmpdir = tempfile.mkdtemp(prefix=f'netpulse-helper-test-{self.tag}-')
        # The test users must reach the bus socket and the copied binaries.
        os.chmod(self.tmpdir, 0o755)
        self.bin_dir = os.path.join(self.tmpdir, 'bin')
        os.mkdir(self.bin_dir, 0o755)
        self.log_dir = os.path.join(self.tmpdir, 'log')
        os.mkdir(self.log_dir, 0o755)
        self.state_path = os.path.join(self.tmpdir, 'cleanup.json')
        self._save_state()
        self._start_janitor()

        self.granted = self._add_user(f'npg{self.tag}')
        self.denied = self._add_user(f'npd{self.tag}')
        if self.want_prompt_user:
            self.prompt = self._add_user(f'npa{self.tag}')
        self._install_polkit_files()
        self._start_bus()
        self._start_polkitd()

    # Everything system-wide is written down *before* it is created, so that
    # the janitor can remove it whenever this process dies.

    def _save_state(self):
        state = {
            'files': self.installed_files,
            'users': self.users,
            'netns': self.netns,
            'root_password': self.saved_root_password,
            'tmpdir': self.tmpdir,
            'keep_tmpdir': bool(os.environ.get('NETPULSE_KEEP_TEST_DIR')),
        }
        tmp = self.state_path + '.new'
        with open(tmp, 'w') as f:
            json.dump(state, f)
        os.replace(tmp, self.state_path)

    def _start_janitor(self):
        # In a session of its own: meson's timeout kills our whole process
        # group, with SIGKILL half a second after SIGTERM.
        self.janitor = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), '--janitor', str(os.getpid()),
             self.state_path],
            start_new_session=True, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _add_user(self, name):
        self.users.append(name)
        self._save_state()
        run_retrying(['useradd', '--system', '--user-group', '--no-create-home',
                      '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin',
                      '--comment', 'netpulse helper test', name])
        return User(name)

    def _install_file(self, path, content, mode=0o644):
        self.installed_files.append(path)
        self._save_state()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, 'w') as f:
            f.write(content)
        os.chmod(path, mode)

    def _install_polkit_files(self):
        # A name of our own: a real installation's io.github.netpulse.policy,
        # or another test's copy, is neither replaced nor removed.
        with open(self.built('data', 'system', 'io.github.netpulse.policy')) as f:
            policy = f.read()
        self.policy_path = os.path.join(POLKIT_ACTIONS_DIR,
                                        f'io.github.netpulse.test-{self.tag}.policy')
        self._install_file(self.policy_path, policy)

        self.rules_path = os.path.join(POLKIT_RULES_DIR, f'00-netpulse-test-{self.tag}.rules')
        self.installed_files.append(self.rules_path)
        self._save_state()
        self.write_rules()

    def write_rules(self, granted_result='YES'):
        """(Re)writes the test's rules file; polkitd reloads it on its own
        (and emits Changed)."""
        # Only our fresh users are concerned: anyone else falls through to
        # the policy's defaults (allow_any=no, as there is no session).
        prompt = (f'    if (subject.user == "{self.prompt.name}")\n'
                  '        return polkit.Result.AUTH_ADMIN;\n') if self.prompt else ''
        rules = f"""// Installed by the netpulse-helper tests ({self.tmpdir}); removed at the end.
polkit.addRule(function(action, subject) {{
    if (action.id != "{POLKIT_ACTION_ID}")
        return polkit.Result.NOT_HANDLED;
    if (subject.user == "{self.granted.name}")
        return polkit.Result.{granted_result};
    if (subject.user == "{self.denied.name}")
        return polkit.Result.NO;
{prompt}    return polkit.Result.NOT_HANDLED;
}});
"""
        tmp = os.path.join(POLKIT_RULES_DIR, f'.00-netpulse-test-{self.tag}.tmp')
        self.installed_files.append(tmp)
        self._save_state()
        with open(tmp, 'w') as f:
            f.write(rules)
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.rules_path)

    def set_root_password(self):
        """Gives root a fresh password (the administrator's password polkit
        asks for with AUTH_ADMIN) and returns it; what root had before is
        put back when the fixture ends, also by the janitor."""
        if self.saved_root_password is None:
            with open('/etc/shadow') as f:
                self.saved_root_password = next(line.split(':')[1] for line in f
                                                if line.startswith('root:'))
            self._save_state()
        password = secrets.token_urlsafe(12)
        subprocess.run(['chpasswd'], input=f'root:{password}\n', text=True, check=True)
        return password

    def _start_bus(self):
        self.socket_path = os.path.join(self.tmpdir, 'system_bus_socket')
        self.bus_address = f'unix:path={self.socket_path}'
        service_dir = os.path.join(self.tmpdir, 'system-services')
        os.mkdir(service_dir)

        # The helper of the build directory, with a short idle timeout.
        with open(os.path.join(service_dir, f'{HELPER_BUS_NAME}.service'), 'w') as f:
            f.write('[D-BUS Service]\n'
                    f'Name={HELPER_BUS_NAME}\n'
                    f'Exec={"".join(w + " " for w in self.helper_wrapper)}'
                    f'{self.helper_path} --idle-timeout={self.idle_timeout_ms} --verbose'
                    f'{"".join(" " + a for a in self.helper_args)}\n'
                    'User=root\n')

        with open(os.path.join(self.source_root, 'tests', 'helper', 'system-bus.conf.in')) as f:
            conf = f.read()
        conf = (conf.replace('@SOCKET_PATH@', self.socket_path)
                    .replace('@SERVICE_DIR@', service_dir)
                    .replace('@HELPER_BUS_POLICY@',
                             self.built('data', 'system', 'io.github.netpulse.Helper1.conf')))
        conf_path = os.path.join(self.tmpdir, 'system-bus.conf')
        with open(conf_path, 'w') as f:
            f.write(conf)

        # dbus-daemon passes its environment to the services it starts: the
        # helper finds this bus through DBUS_SYSTEM_BUS_ADDRESS.
        env = self.root_env()
        env['G_MESSAGES_DEBUG'] = 'all'
        self.bus_log_path = os.path.join(self.log_dir, 'bus-and-helper.log')
        self.bus_log = open(self.bus_log_path, 'w')
        # The helper inherits dbus-daemon's stdout, as it would on a machine
        # without a journal.  It goes to a file that must stay empty (see
        # check_helper_log_clean()); the address comes through a pipe of its
        # own (start_dbus_daemon()).
        self.bus_stdout_path = os.path.join(self.log_dir, 'bus-and-helper.stdout')
        with open(self.bus_stdout_path, 'w') as bus_stdout:
            self.bus_proc, address = start_dbus_daemon([f'--config-file={conf_path}'],
                                                       bus_stdout, self.bus_log, env)
        if not address:
            raise TestFailure(f'dbus-daemon did not start:\n{self.read_log(self.bus_log_path)}')
        log(f'private system bus at {address}')
        os.chmod(self.socket_path, 0o777)

    def _start_polkitd(self):
        self.polkitd_log_path = os.path.join(self.log_dir, 'polkitd.log')
        self.polkitd_log = open(self.polkitd_log_path, 'w')
        self.polkitd_proc = subprocess.Popen([POLKITD], env=self.root_env(),
                                             stdout=self.polkitd_log, stderr=subprocess.STDOUT)
        wait_for(lambda: self.name_has_owner('org.freedesktop.PolicyKit1')
                 or self.polkitd_proc.poll() is not None,
                 'polkitd on the private bus', timeout=STARTUP_TIMEOUT)
        if self.polkitd_proc.poll() is not None:
            raise TestFailure(f'polkitd exited:\n{self.read_log(self.polkitd_log_path)}')
        log('polkitd is up')

    # -- environment and processes ---------------------------------------

    def root_env(self):
        env = dict(os.environ)
        env['DBUS_SYSTEM_BUS_ADDRESS'] = self.bus_address
        env.pop('DBUS_SESSION_BUS_ADDRESS', None)
        return env

    def user_env(self, user):
        env = {
            'PATH': '/usr/local/bin:/usr/bin:/bin',
            'HOME': '/nonexistent',
            'USER': user.name,
            'LOGNAME': user.name,
            'LANG': 'C.UTF-8',
            'DBUS_SYSTEM_BUS_ADDRESS': self.bus_address,
        }
        # Sanitizer settings of the ASan build apply to the clients too.
        for key in ('ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS', 'G_DEBUG'):
            if key in os.environ:
                env[key] = os.environ[key]
        return env

    def user_binary(self, *parts):
        """A copy of a built program the test users can execute (the build
        directory may be somewhere they cannot reach, e.g. under /root)."""
        return self.user_copy(self.built(*parts))

    def user_copy(self, source):
        """A copy of @source the test users can read and execute."""
        target = os.path.join(self.bin_dir, os.path.basename(source))
        if not os.path.exists(target):
            shutil.copy2(source, target)
            os.chmod(target, 0o755)
        return target

    def _user_kwargs(self, user):
        return dict(user=user.uid, group=user.gid, extra_groups=[],
                    env=self.user_env(user), cwd='/')

    def run_as(self, user, argv, timeout=DEFAULT_WAIT, check=False):
        log(f'as {user.name}: {" ".join(argv)}')
        try:
            result = subprocess.run(argv, capture_output=True, text=True, errors='replace',
                                    timeout=timeout, **self._user_kwargs(user))
        except subprocess.TimeoutExpired as e:
            # The logs are dumped with a failure, not with a traceback.
            raise TestFailure(f'{argv} did not finish in {timeout} s: {e.stderr!r}')
        if check and result.returncode != 0:
            raise TestFailure(f'{argv} failed ({result.returncode}): {result.stderr}')
        return result

    def spawn_as(self, user, argv, stdout_path):
        log(f'as {user.name}, in the background: {" ".join(argv)}')
        # stderr to a file as well: a pipe read only at the end would stop a
        # chatty client once it is full.
        stderr_path = stdout_path + '.stderr'
        with open(stdout_path, 'w') as out, open(stderr_path, 'w') as err:
            proc = subprocess.Popen(argv, stdout=out, stderr=err, **self._user_kwargs(user))
        proc.stderr_path = stderr_path
        self.processes.append(proc)
        return proc

    def run_root(self, argv, timeout=DEFAULT_WAIT, check=True):
        result = subprocess.run(argv, capture_output=True, text=True, errors='replace',
                                timeout=timeout, env=self.root_env())
        if check and result.returncode != 0:
            raise TestFailure(f'{argv} failed ({result.returncode}): {result.stderr}')
        return result

    # -- the bus -----------------------------------------------------------

    def bus_call(self, method, *args, check=True):
        """A call to the bus daemon itself (never activates anything)."""
        result = self.run_root(['gdbus', 'call', '--system', '--dest', 'org.freedesktop.DBus',
                                '--object-path', '/org/freedesktop/DBus',
                                '--method', f'org.freedesktop.DBus.{method}', *args],
                               check=check)
        return result

    def name_has_owner(self, name):
        result = self.bus_call('NameHasOwner', name, check=False)
        return result.returncode == 0 and parse_gvariant_scalar(result.stdout) is True

    def helper_running(self):
        return self.name_has_owner(HELPER_BUS_NAME)

    def helper_pid(self):
        result = self.bus_call('GetConnectionUnixProcessID', HELPER_BUS_NAME, check=False)
        if result.returncode != 0:
            return None
        return parse_gvariant_scalar(result.stdout)

    def helper_property(self, name):
        """Read as root; activates the helper if it is not running."""
        argv = ['gdbus', 'call', '--system', '--dest', HELPER_BUS_NAME,
                '--object-path', HELPER_OBJECT_PATH,
                '--method', 'org.freedesktop.DBus.Properties.Get', HELPER_INTERFACE, name]
        result = self.run_root(argv, check=False)
        if result.returncode != 0 and NO_REPLY in result.stderr:
            # Sent as the helper was leaving on its idle timeout: the bus
            # starts a new one for the second call (as the client library
            # does for Subscribe).
            log(f'{name}: no reply (the helper was exiting), asking again')
            result = self.run_root(argv, check=False)
        if result.returncode != 0:
            raise TestFailure(f'{argv} failed ({result.returncode}): {result.stderr}')
        return result.stdout.strip()

    def helper_counters(self):
        """The Counters property, as a dict (read as root)."""
        text = self.helper_property('Counters')
        return {k: int(v) for k, v in re.findall(r"'([a-z-]+)': (?:uint64 )?(\d+)", text)}

    @staticmethod
    def process_status(pid):
        """Threads and open descriptors of @pid."""
        with open(f'/proc/{pid}/status') as f:
            threads = next(int(line.split()[1]) for line in f if line.startswith('Threads:'))
        return {'threads': threads, 'fds': len(os.listdir(f'/proc/{pid}/fd'))}

    def subscriptions(self):
        return parse_gvariant_scalar(self.helper_property('Subscriptions'))

    def wait_subscriptions(self, n, timeout=DEFAULT_WAIT):
        # None left also when the helper has already idled out: reading the
        # property would start a new one.
        if n == 0:
            wait_for(lambda: not self.helper_running() or self.subscriptions() == 0,
                     'no subscription on the helper', timeout=timeout)
            return
        wait_for(lambda: self.helper_running() and self.subscriptions() == n,
                 f'{n} subscription(s) on the helper', timeout=timeout)

    def gdbus_call_as(self, user, method, *args, timeout=DEFAULT_WAIT):
        """A raw call of the helper's interface as @user: (returncode, stdout, stderr)."""
        argv = ['gdbus', 'call', '--system', '--dest', HELPER_BUS_NAME,
                '--object-path', HELPER_OBJECT_PATH, '--method', method, *args]
        result = self.run_as(user, argv, timeout=timeout)
        return result.returncode, result.stdout.strip(), result.stderr.strip()

    # -- kernel programs -----------------------------------------------------

    @staticmethod
    def bpf_ids_of_process(pid):
        """Ids of the BPF programs @pid holds a descriptor of (from its
        fdinfo: bpftool here cannot show owners)."""
        ids = set()
        fdinfo = f'/proc/{pid}/fdinfo'
        try:
            names = os.listdir(fdinfo)
        except FileNotFoundError:
            return ids
        for name in names:
            try:
                with open(os.path.join(fdinfo, name)) as f:
                    for line in f:
                        if line.startswith('prog_id:'):
                            ids.add(int(line.split()[1]))
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
        return ids

    @staticmethod
    def loaded_bpf_program_ids():
        result = subprocess.run(['bpftool', '--json', 'prog', 'show'],
                                capture_output=True, text=True, check=True)
        return {prog['id'] for prog in json.loads(result.stdout or '[]')}

    # -- network namespaces -------------------------------------------------

    def add_netns(self):
        name = f'netpulse-test-{self.tag}-{len(self.netns)}'
        self.netns.append(name)
        self._save_state()
        self.run_root(['ip', 'netns', 'add', name])
        self.run_root(['ip', '-n', name, 'link', 'set', 'lo', 'up'])
        return name

    # -- logs ------------------------------------------------------------------

    @staticmethod
    def read_log(path):
        try:
            with open(path, errors='replace') as f:
                return f.read()
        except FileNotFoundError:
            return ''

    def helper_log(self):
        return self.read_log(self.bus_log_path)

    def dump_logs(self):
        for path in (getattr(self, 'bus_log_path', None), getattr(self, 'bus_stdout_path', None),
                     getattr(self, 'polkitd_log_path', None)):
            if path:
                print(f'----- {os.path.basename(path)} -----')
                print(self.read_log(path)[-20000:])

    def check_helper_log_clean(self):
        """No sanitizer report, no critical warning in the helper's output."""
        text = self.helper_log()
        for marker in ('AddressSanitizer', 'runtime error:', 'LeakSanitizer', '-CRITICAL **',
                       'GLib-GIO-CRITICAL', 'GLib-CRITICAL', 'GLib-GObject-CRITICAL',
                       'Segmentation fault'):
            if marker in text:
                raise TestFailure(f'the helper log contains {marker!r}')
        stdout = self.read_log(self.bus_stdout_path)
        if stdout:
            raise TestFailure('the helper wrote to stdout, which in service mode may be a '
                              f'pipe that nobody reads: {stdout[:2000]!r}')

    # -- teardown ----------------------------------------------------------------

    def _stop_process(self, proc, sig=signal.SIGTERM, timeout=10):
        if proc is None or proc.poll() is not None:
            return
        try:
            proc.send_signal(sig)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        except ProcessLookupError:
            pass

    @staticmethod
    def _wait_pid_gone(pid, timeout):
        deadline = time.monotonic() + timeout
        while os.path.exists(f'/proc/{pid}') and time.monotonic() < deadline:
            try:
                with open(f'/proc/{pid}/stat', errors='replace') as f:
                    if f.read().split(') ')[-1].startswith('Z'):
                        return True
            except FileNotFoundError:
                return True
            time.sleep(0.05)
        return not os.path.exists(f'/proc/{pid}')

    def stop_helper(self):
        if self.bus_proc is None or self.bus_proc.poll() is not None:
            return
        pid = self.helper_pid() if self.helper_running() else None
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            if not self._wait_pid_gone(pid, 15):
                os.kill(pid, signal.SIGKILL)
                self._wait_pid_gone(pid, 5)

    def __exit__(self, exc_type, exc, tb):
        # Do not let a second signal interrupt the cleanup.
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        problems = []

        def attempt(what, func, *args):
            try:
                func(*args)
            except Exception as e:          # keep cleaning up
                problems.append(f'{what}: {e}')

        for proc in self.processes:
            attempt('stopping a client', self._stop_process, proc, signal.SIGKILL, 5)
        attempt('stopping the helper', self.stop_helper)
        attempt('stopping polkitd', self._stop_process, self.polkitd_proc)
        attempt('stopping dbus-daemon', self._stop_process, self.bus_proc)

        if exc_type is not None and exc_type is not SystemExit:
            self.dump_logs()
        for f in (getattr(self, 'bus_log', None), getattr(self, 'polkitd_log', None)):
            if f:
                f.close()

        if self.tmpdir:
            problems += cleanup_system(self.installed_files, self.users, self.netns,
                                       self.tmpdir,
                                       bool(os.environ.get('NETPULSE_KEEP_TEST_DIR')),
                                       self.saved_root_password)
        janitor = getattr(self, 'janitor', None)
        if janitor is not None:
            attempt('stopping the janitor', self._stop_process, janitor, signal.SIGKILL, 5)

        for signum, handler in getattr(self, '_old_handlers', {}).items():
            signal.signal(signum, handler)

        if problems:
            print('cleanup problems:\n  ' + '\n  '.join(problems), flush=True)
            if exc_type is None:
                raise TestFailure('cleanup failed')
        return False


def run_fixture(func, fixture_args=None, **extra_args):
    """Runs @func(fx) in a fresh fixture and prints PASS or FAIL; returns
    the exit status.  @fixture_args: HelperFixture's keyword arguments, or a
    function of the build root that gives them (and may skip first);
    @extra_args are added to them."""
    build_root = os.environ.get('NETPULSE_BUILD_ROOT')
    source_root = os.environ.get('NETPULSE_SOURCE_ROOT',
                                 os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
    if not build_root:
        print('NETPULSE_BUILD_ROOT is not set (run through meson test)', file=sys.stderr)
        return 1
    args = dict(fixture_args(build_root) if callable(fixture_args) else fixture_args or {})
    args.update(extra_args)
    try:
        with HelperFixture(build_root, source_root, **args) as fx:
            func(fx)
            fx.check_helper_log_clean()
    except TestFailure as e:
        print(f'FAIL: {e}', flush=True)
        return 1
    except Terminated as e:
        print(f'FAIL: terminated ({e})', flush=True)
        return 1
    print('PASS', flush=True)
    return 0


def run_case(cases):
    """main() of a test script: runs the case named by sys.argv[1] of
    @cases (name → function, or (function, fixture arguments as
    run_fixture() takes them)); PASS/FAIL on stdout, the exit status."""
    if len(sys.argv) != 2 or sys.argv[1] not in cases:
        print(f'usage: {sys.argv[0]} {"|".join(cases)}', file=sys.stderr)
        return 1
    case = cases[sys.argv[1]]
    func, fixture_args = case if isinstance(case, tuple) else (case, {})
    return run_fixture(func, fixture_args)


def run_retrying(argv, attempts=20):
    # Another test may hold the lock on /etc/passwd for a moment.
    for attempt in range(attempts):
        result = subprocess.run(argv, capture_output=True, text=True)
        if result.returncode == 0:
            return
        time.sleep(0.25)
    raise TestFailure(f'{" ".join(argv)} failed: {result.stderr.strip()}')


def kill_processes_of(uid):
    """SIGKILL every process running as @uid, by pid: used only for the
    test's own fresh users, whose processes are all the test's."""
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            # Bytes: a process name need not be UTF-8.
            with open(f'/proc/{name}/status', 'rb') as f:
                for line in f:
                    if line.startswith(b'Uid:'):
                        if int(line.split()[1]) == uid:
                            os.kill(int(name), signal.SIGKILL)
                        break
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue


def cleanup_system(files, users, netns, tmpdir, keep_tmpdir, root_password=None):
    """Removes what a fixture installed system-wide (and its temporary
    directory), and puts root's password back; what is already gone is
    fine.  Returns the problems."""
    import pwd
    problems = []
    if root_password is not None:
        result = subprocess.run(['usermod', '-p', root_password, 'root'],
                                capture_output=True, text=True)
        if result.returncode != 0:
            problems.append(f"restoring root's password: {result.stderr.strip()}")
    for path in files:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as e:
            problems.append(f'removing {path}: {e}')
    for name in netns:
        if os.path.exists(f'/run/netns/{name}'):
            result = subprocess.run(['ip', 'netns', 'delete', name], capture_output=True, text=True)
            if result.returncode != 0:
                problems.append(f'deleting netns {name}: {result.stderr.strip()}')
    for name in users:
        try:
            uid = pwd.getpwnam(name).pw_uid
        except KeyError:
            continue
        # userdel refuses while the user has processes (a client that
        # forked, a holder of a test connection).
        try:
            for attempt in range(3):
                kill_processes_of(uid)
                time.sleep(0.1)
        except Exception as e:
            problems.append(f'stopping the processes of {name}: {e}')
        try:
            # useradd --user-group made a group of the same name: userdel
            # removes it too.
            run_retrying(['userdel', name])
        except TestFailure as e:
            problems.append(str(e))
    if tmpdir and not keep_tmpdir:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return problems


def janitor_main(parent_pid, state_path):
    """Waits for the test process to end, then removes whatever it left
    installed (it normally cleans up itself; this covers SIGKILL)."""
    while True:
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    try:
        with open(state_path) as f:
            state = json.load(f)
    except (FileNotFoundError, ValueError):
        return 0                            # cleaned up already
    cleanup_system(state['files'], state['users'], state['netns'], state['tmpdir'],
                   state['keep_tmpdir'], state.get('root_password'))
    return 0


if __name__ == '__main__' and len(sys.argv) == 4 and sys.argv[1] == '--janitor':
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    sys.exit(janitor_main(int(sys.argv[2]), sys.argv[3]))
