#!/usr/bin/env python3
# test-netpulsectl.py — netpulsectl as a person uses it, against the real
# helper on a private system bus with a real polkitd (helperfixture.py):
#
#   test-netpulsectl.py CASE
#     tty       monitor in an 80×24 pty: no line wider than the terminal, the
#               header stays on top, "q" exits 0 and the terminal's mode is
#               restored; at 200 columns every column is shown
#     prompt    a user polkit answers AUTH_ADMIN for: the password prompt
#               appears in the pty, the right password brings records, a
#               wrong one a clear refusal
#     status    "authorization: granted / needs an administrator's password
#               / denied" for the three kinds of users
#     by-app    --by app --json: exact totals per application from real
#               traffic of several processes
#
# Needs root; skips (77) without it, fails under CI=true.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import ctypes
import fcntl
import json
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from helperfixture import TestFailure, log, run_fixture, wait_for, wait_until  # noqa: E402

TRAFFIC = os.path.join(HERE, 'helper-traffic.py')
EXIT_OK = 0
EXIT_NOT_AUTHORIZED = 4
SENT = 1234567
RECEIVED = 765433

ALL_TITLES = ['PID', 'COMM', 'USER', 'PROTO', 'LOCAL', 'REMOTE', 'STATE', 'RTT',
              'RX/s', 'TX/s', 'RX', 'TX', 'TOTAL']
# What an 80-column table keeps (name/pid, download, upload, total).
NARROW_TITLES = ['PID', 'COMM', 'RX/s', 'TX/s', 'TOTAL']
ESCAPE = re.compile(r'\x1b(\[[0-9;?]*[A-Za-z]|[()][A-Za-z0-9]|[=>])')
SUMMARY = re.compile(r'^\d\d:\d\d:\d\d  \d+ connections?  backend ')


def check(condition, message, *details):
    if not condition:
        raise TestFailure(message + ''.join(f'\n  {d}' for d in details))


def cells(text):
    """Terminal cells of @text, as wcwidth counts them."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ('Mn', 'Me', 'Cf'):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ('W', 'F') else 1
    return width


def read_json_lines(path):
    records = []
    try:
        with open(path, errors='replace') as f:
            for line in f:
                if line.endswith('\n') and line.strip():
                    records.append(json.loads(line))
    except FileNotFoundError:
        pass
    return records


CLONE_NEWNS = 0x00020000
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
SYSTEM_BUS_DIR = '/run/dbus'


def see_test_bus_as_system_bus(bus_dir):
    """In a new mount namespace, @bus_dir (holding system_bus_socket) over
    /run/dbus.  Runs in the child, before it drops root."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), 'unshare(CLONE_NEWNS)')
    if libc.mount(b'none', b'/', None, MS_REC | MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), 'mount --make-rprivate /')
    if libc.mount(bus_dir.encode(), SYSTEM_BUS_DIR.encode(), None, MS_BIND, None) != 0:
        raise OSError(ctypes.get_errno(), f'mount --bind {bus_dir} {SYSTEM_BUS_DIR}')


class PtyProcess:
    """A program as @user on the slave side of a fresh pty of @cols×@rows,
    its controlling terminal; everything it writes is collected."""

    def __init__(self, fx, user, argv, cols, rows):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
        self.initial_mode = termios.tcgetattr(slave)
        log(f'as {user.name}, in a {cols}x{rows} pty: {" ".join(argv)}')

        def child_setup():
            # polkit-agent-helper-1 (setuid, started by pkttyagent to check
            # the password) clears its environment and reaches polkitd
            # through the standard socket: in a mount namespace of its own,
            # the standard socket is the test's bus.
            see_test_bus_as_system_bus(fx.tmpdir)
            os.setgroups([])
            os.setgid(user.gid)
            os.setuid(user.uid)
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                                     start_new_session=True, preexec_fn=child_setup,
                                     env=fx.user_env(user), cwd='/')
        os.close(slave)
        fx.processes.append(self.proc)
        self.data = bytearray()
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if not ready:
                # Exited: what it wrote last may have come after the
                # select timed out; read until nothing is left.
                if self.proc.poll() is not None and not select.select([self.master], [], [], 0)[0]:
                    return
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:      # EIO: every slave fd is closed
                return
            if not chunk:
                return
            with self.lock:
                self.data += chunk

    def output(self):
        with self.lock:
            return bytes(self.data)

    def text(self):
        return self.output().decode('utf-8', errors='replace')

    def wait_text(self, predicate, what, timeout=60):
        wait_for(lambda: predicate(self.text()) or self.proc.poll() is not None, what, timeout)
        if not predicate(self.text()):
            raise TestFailure(f'{what}: the program exited ({self.proc.returncode}) first; '
                              f'it wrote {self.text()[-2000:]!r}')

    def settle(self, quiet=0.05, timeout=5):
        """Until nothing came for @quiet s: the reader has what the program
        wrote so far (it draws every 200 ms)."""
        deadline = time.monotonic() + timeout
        size = len(self.output())
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = len(self.output())
            if now == size:
                return
            size = now

    def resize(self, cols, rows):
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))

    def type(self, keys):
        os.write(self.master, keys)

    def mode(self):
        """The terminal's mode now (the master sees the slave's)."""
        return termios.tcgetattr(self.master)

    def wait_exit(self, what, timeout=30):
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise TestFailure(f'{what} did not exit; it wrote {self.text()[-2000:]!r}')
        # The program's last bytes (the terminal put back) may still be in
        # the pty when it is reaped: the reader stops once they are read.
        self.reader.join(timeout=10)
        return code

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=5)
        os.close(self.master)


def frames(data):
    """The screens drawn (text after each "home" sequence), escapes
    removed, as lists of lines."""
    text = data.decode('utf-8', errors='replace')
    result = []
    for chunk in text.split('\x1b[H')[1:]:
        plain = ESCAPE.sub('', chunk).replace('\r', '')
        result.append(plain.split('\n'))
    return result


def complete_frames(data):
    """Every frame but the last, which may still be being written."""
    return frames(data)[:-1]


def hold_connection(fx, netns):
    """A TCP connection in @netns that stays open: a row to show."""
    holder = subprocess.Popen(['ip', 'netns', 'exec', netns, sys.executable, TRAFFIC,
                               '--hold', '127.0.0.1', '4321'],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              env=fx.root_env())
    fx.processes.append(holder)
    info = json.loads(holder.stdout.readline())
    log(f'holding {info}')
    return holder


def check_screen(term, cols, rows, titles, since=0):
    """The frames drawn after byte @since of the output (once one of them
    has rows) fit @cols×@rows, with the header on top."""
    def after():
        # Without the one that was being drawn at a resize.
        return complete_frames(term.output()[since:])[1 if since else 0:]

    def drawn():
        return any(len(f) > 2 and all(t in f[1].split() for t in titles) and
                   any(re.match(r'\s*\d+\s', line) for line in f[2:])
                   for f in after())
    term.wait_text(lambda _: drawn(), f'a {cols}-column table with rows')
    shown = after()
    log(f'{len(shown)} frames; the last one:\n' + '\n'.join(shown[-1]))
    for f in shown:
        check(len(f) <= rows, f'a frame of {len(f)} lines in a {rows}-line terminal', f)
        check(SUMMARY.match(f[0]), 'the summary line is not on top of a frame', f[:3])
        check(f[1].split()[:2] == ['PID', 'COMM'], 'the titles are not the second line', f[:3])
        for line in f:
            check(cells(line) <= cols, f'a line of {cells(line)} cells in {cols} columns', line)
    # Between the frames no text either (before the screen is ours, a
    # password prompt is pkttyagent's).
    ours = term.output()[since:].decode('utf-8', errors='replace').split('\x1b[?1049h', 1)[-1]
    plain = ESCAPE.sub('', ours.replace('\x1b[H', '\n')).replace('\r', '')
    for line in plain.split('\n'):
        check(cells(line) <= cols, f'a line of {cells(line)} cells in {cols} columns', line)


def quit_with_q(term, what):
    term.type(b'q')
    code = term.wait_exit(what)
    check(code == EXIT_OK, f'{what} exited with {code} after "q", not 0', term.text()[-500:])
    mode = term.mode()
    check(mode[3] == term.initial_mode[3],
          f'{what} left the terminal in another mode: lflag {mode[3]:#x}, was '
          f'{term.initial_mode[3]:#x}')
    tail = term.output()[-64:]
    check(b'\x1b[?1049l' in tail and b'\x1b[?25h' in tail,
          f'{what} did not leave the alternate screen or show the cursor again', tail)


# -- the cases -----------------------------------------------------------------

def test_tty(fx):
    ctl = fx.user_binary('tools', 'netpulsectl')
    netns = fx.add_netns()
    holder = hold_connection(fx, netns)
    try:
        term = PtyProcess(fx, fx.granted, [ctl, 'monitor', '--interval', '200'], 80, 24)
        try:
            check_screen(term, 80, 24, NARROW_TITLES)
            # Made smaller (SIGWINCH): the next screens fit the new size.
            term.settle()
            since = len(term.output())
            term.resize(60, 12)
            check_screen(term, 60, 12, ['PID', 'COMM', 'RX/s'], since)
            quit_with_q(term, 'netpulsectl monitor (80x24, then 60x12)')
        finally:
            term.close()

        # With --count the tables stay on the screen: lines, not a screen
        # of its own, still as wide as the terminal.
        term = PtyProcess(fx, fx.granted, [ctl, 'monitor', '--interval', '200', '--count', '2'],
                          80, 24)
        try:
            code = term.wait_exit('netpulsectl monitor --count 2')
            text = term.text()
            check(code == EXIT_OK, f'--count 2 exited with {code}', text)
            check('\x1b[?1049h' not in text, '--count 2 took the screen')
            lines = ESCAPE.sub('', text).replace('\r', '').split('\n')
            check(sum(1 for line in lines if SUMMARY.match(line)) == 2, 'not two tables', text)
            check(all(cells(line) <= 80 for line in lines), '--count 2: a line wider than 80',
                  max(lines, key=cells))
        finally:
            term.close()

        term = PtyProcess(fx, fx.granted, [ctl, 'monitor', '--interval', '200'], 200, 50)
        try:
            check_screen(term, 200, 50, ALL_TITLES)
            # SIGTERM restores the terminal as well.
            term.proc.send_signal(signal.SIGTERM)
            code = term.wait_exit('netpulsectl monitor (200x50)')
            check(code == EXIT_OK, f'exit {code} after SIGTERM, not 0')
            check(term.mode()[3] == term.initial_mode[3], 'SIGTERM left the terminal in raw mode')
        finally:
            term.close()
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def prompt_session(fx, ctl, typed):
    term = PtyProcess(fx, fx.prompt, [ctl, 'monitor', '--interval', '200'], 100, 30)
    term.wait_text(lambda t: 'Password:' in t, 'the password prompt of pkttyagent')
    log(f'prompt: {term.text()[-300:]!r}')
    check('Authentication is needed' in term.text() or 'AUTHENTICATING' in term.text(),
          'the prompt does not say what it is for', term.text())
    term.type(typed.encode() + b'\n')
    return term


def test_prompt(fx):
    ctl = fx.user_binary('tools', 'netpulsectl')
    # Put back when the fixture ends (also by its janitor).
    password = fx.set_root_password()
    # A connection of the test's own, so that the table has rows on a
    # machine where nothing else talks.
    holder = hold_connection(fx, fx.add_netns())
    try:
        term = prompt_session(fx, ctl, password)
        try:
            check_screen(term, 100, 30, NARROW_TITLES)
            check(password not in term.text(), 'the password was echoed')
            quit_with_q(term, 'netpulsectl monitor after the password')
        finally:
            term.close()
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)

    term = prompt_session(fx, ctl, password + 'x')
    try:
        code = term.wait_exit('netpulsectl monitor after a wrong password', timeout=60)
        text = ESCAPE.sub('', term.text())
        log(f'after a wrong password: exit {code}, {text[-400:]!r}')
        check(code == EXIT_NOT_AUTHORIZED,
              f'exit {code} after a wrong password, not {EXIT_NOT_AUTHORIZED}', text)
        last = [line for line in text.replace('\r', '').split('\n') if line.strip()][-1]
        check(last.startswith('netpulsectl: ') and 'password' in last.lower(),
              'no clear refusal after a wrong password', last)
        check('\x1b[?1049h' not in term.text(), 'a table was drawn without authorization')
    finally:
        term.close()


def test_status(fx):
    ctl = fx.user_binary('tools', 'netpulsectl')
    for user, wording, word in ((fx.granted, 'granted', 'granted'),
                                (fx.prompt, "needs an administrator's password", 'challenge'),
                                (fx.denied, 'denied', 'denied')):
        result = fx.run_as(user, [ctl, 'status'])
        log(f'{user.name}: {result.stdout}')
        check(result.returncode == EXIT_OK, 'netpulsectl status failed', result.stderr)
        lines = [line for line in result.stdout.split('\n') if line.startswith('Authorization:')]
        check(len(lines) == 1, 'no one "Authorization:" line', result.stdout)
        said = lines[0].split(':', 1)[1].strip().replace('\u2019', "'")
        check(said == wording,
              f'{user.name}: status says {lines[0]!r}, not {wording!r}')
        check('Authorized:' not in result.stdout, 'the old yes/no line is still there')

        result = fx.run_as(user, [ctl, 'status', '--json'])
        status = json.loads(result.stdout)
        check(status['authorization'] == word and status['authorized'] == (word == 'granted'),
              f'{user.name}: status --json says {status}')

        # The helper's method, as the XML documents it.
        rc, out, err = fx.gdbus_call_as(user, 'io.github.netpulse.Helper1.CheckAuthorizationDetails',
                                        'false')
        expected = {'granted': '(true, false)', 'challenge': '(false, true)',
                    'denied': '(false, false)'}[word]
        check(rc == 0 and out.strip() == expected,
              f'{user.name}: CheckAuthorizationDetails answered {out.strip()!r}, not {expected}', err)


def app_rows(path):
    return [r for r in read_json_lines(path) if r.get('type') == 'app']


def test_by_app(fx):
    ctl = fx.user_binary('tools', 'netpulsectl')
    out = os.path.join(fx.tmpdir, 'apps.jsonl')
    monitor = fx.spawn_as(fx.granted, [ctl, 'monitor', '--by', 'app', '--json',
                                       '--interval', '200'], out)
    fx.wait_subscriptions(1)
    netns = fx.add_netns()
    # Two runs of application A (one after the other), one of B; each run
    # is a client and a server process.  A plain process is named by its
    # executable (a copy of Python under each application's name), not by
    # the comm each sets, whether it still runs when the helper looks or has
    # exited already (the kernel names the executable while it runs).  The
    # second run leaves its processes as zombies for a second (exited, not
    # reaped): a zombie's /proc has no exe, and it was named by its comm.
    names = {'A': f'npa-{fx.tag}', 'B': f'npb-{fx.tag}'}
    programs = {}
    for app, name in names.items():
        programs[app] = os.path.join(fx.tmpdir, name)
        shutil.copy2(os.path.realpath('/usr/bin/python3'), programs[app])
    runs = []
    for app, reap_delay_ms in (('A', 0), ('A', 1000), ('B', 0)):
        result = fx.run_root(['ip', 'netns', 'exec', netns, programs[app], TRAFFIC, '127.0.0.1',
                              str(SENT), str(RECEIVED), names[app].encode().hex(), str(reap_delay_ms)])
        runs.append((app, json.loads(result.stdout)))
    log(f'traffic: {runs}')
    both_ways = SENT + RECEIVED
    expected = {names[a]: (n * both_ways, n * both_ways) for a, n in (('A', 2), ('B', 1))}

    def final():
        latest = {}
        for r in app_rows(out):
            if r['app_id'] in expected:
                latest[r['app_id']] = r
        done = all(k in latest and (latest[k]['tx_bytes'], latest[k]['rx_bytes']) == v
                   for k, v in expected.items())
        return latest if done else None
    latest = wait_until(final, 30, 0.1)
    if not latest:
        # What the client saw last of every application, to tell a split
        # name from lost bytes.
        seen = {}
        for r in app_rows(out):
            seen[(r['app_kind'], r['app_id'])] = r
        log(f'expected {expected}; last rows: '
            + json.dumps([{k: r[k] for k in ('app_kind', 'app_id', 'tx_bytes', 'rx_bytes',
                                               'processes', 'connections') if k in r}
                          for r in seen.values()]))
        raise TestFailure('gave up waiting for the exact totals per application after 30 s')
    log(f'final: {latest}')
    for name in expected:
        seen = [r for r in app_rows(out) if r['app_id'] == name]
        check(all(r['tx_bytes'] <= expected[name][0] and r['rx_bytes'] <= expected[name][1]
                  for r in seen), f'{name}: totals above the traffic', seen[-3:])
        check(latest[name]['app_kind'] == 'process', f'{name}: not a process', latest[name])
        check(max(r['processes'] for r in seen) >= 1, f'{name}: never had a process', seen)
    # One object per application per update: the same ts_ns never twice
    # for one application.
    keys = [(r['ts_ns'], r['app_id'], r['app_kind']) for r in app_rows(out)]
    check(len(keys) == len(set(keys)), 'an application twice in one update')
    monitor.send_signal(signal.SIGTERM)
    check(monitor.wait(timeout=30) == EXIT_OK, 'netpulsectl monitor --by app did not exit 0')

    # The table: one line per application, within $COLUMNS.
    env = dict(fx.user_env(fx.granted), COLUMNS='70')
    result = subprocess.run([ctl, 'monitor', '--by', 'app', '--count', '2', '--interval', '200'],
                            capture_output=True, text=True, timeout=60, env=env, user=fx.granted.uid,
                            group=fx.granted.gid, extra_groups=[], cwd='/')
    log(f'--by app table:\n{result.stdout}')
    check(result.returncode == EXIT_OK, 'netpulsectl monitor --by app failed', result.stderr)
    lines = result.stdout.split('\n')
    check(lines[1].split()[:3] == ['PROCS', 'CONNS', 'APP'], 'no application table', lines[:3])
    table = [line for line in lines if not SUMMARY.match(line)]
    check(all(cells(line) <= 70 for line in table), 'a line wider than $COLUMNS', table)


CASES = {
    'tty': test_tty,
    'prompt': test_prompt,
    'status': test_status,
    'by-app': test_by_app,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print(f'usage: {sys.argv[0]} {"|".join(CASES)}', file=sys.stderr)
        return 1
    return run_fixture(CASES[sys.argv[1]], prompt_user=True)


if __name__ == '__main__':
    sys.exit(main())
