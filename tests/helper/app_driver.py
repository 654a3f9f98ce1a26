# app_driver.py — the real netpulse app, run as a test user of a
# HelperFixture under Xvfb, looked at through its test hooks
# (src/netpulse-test-hooks.h): the view dump and the screenshot, taken
# again on SIGUSR1.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import os
import shutil
import signal
import subprocess
import sys

from helperfixture import TestFailure, log, skip_or_fail, wait_for

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import npgui  # noqa: E402
from nptest import terminate  # noqa: E402

APP_START_TIMEOUT = 25      # the first (automatic) capture: settled + 500 ms, or 15 s
CAPTURE_TIMEOUT = 15


def require_gui(build_root):
    """Before the fixture: Xvfb and the built app, or skip (fail under CI)."""
    if shutil.which('Xvfb') is None:
        skip_or_fail('needs Xvfb (package xvfb)')
    if not os.path.exists(os.path.join(build_root, 'src', 'netpulse')):
        skip_or_fail('the app (netpulse) is not built')


class Xvfb(npgui.Xvfb):
    def __enter__(self):
        try:
            super().__enter__()
        except npgui.GuiError as e:
            raise TestFailure(str(e)) from e
        log(f'Xvfb on {self.display}')
        return self


def read_dump(path):
    """(header, rows) of the app's view dump: see npgui.read_dump."""
    header, _, rows = npgui.read_dump(path)
    return header, rows


class App:
    """with App(fx, xvfb, user, name) as app: the app as @user, its dump
    and screenshot in a directory of the user's; stopped on the way out."""

    def __init__(self, fx, xvfb, user, name, env=None):
        self.extra_env = dict(env or {})
        self.fx = fx
        self.xvfb = xvfb
        self.user = user
        self.name = name

    def _env(self):
        home = os.path.join(self.fx.tmpdir, f'home-{self.name}')
        os.mkdir(home, 0o700)
        os.chown(home, self.user.uid, self.user.gid)
        schemas = os.path.join(self.fx.tmpdir, 'schemas')
        if not os.path.isdir(schemas):
            os.mkdir(schemas, 0o755)
            shutil.copy2(self.fx.built('data', 'gschemas.compiled'), schemas)
        self.out_dir = os.path.join(self.fx.tmpdir, f'app-{self.name}')
        os.mkdir(self.out_dir, 0o755)
        os.chown(self.out_dir, self.user.uid, self.user.gid)
        self.dump = os.path.join(self.out_dir, 'view.txt')
        self.shot = os.path.join(self.out_dir, 'window.png')

        # The user's own runtime directory is their home here.
        return npgui.app_env(self.fx.user_env(self.user), self.xvfb.display, schemas, home,
                             HOME=home,
                             XDG_CACHE_HOME=os.path.join(home, 'cache'),
                             XDG_CONFIG_HOME=os.path.join(home, 'config'),
                             XDG_DATA_HOME=os.path.join(home, 'data'),
                             NETPULSE_SCREENSHOT=self.shot,
                             NETPULSE_DUMP_VIEW=self.dump,
                             **self.extra_env)

    def __enter__(self):
        env = self._env()
        app = self.fx.user_binary('src', 'netpulse')
        self.log_path = os.path.join(self.fx.log_dir, f'app-{self.name}.log')
        log(f'as {self.user.name}, on {self.xvfb.display}: {app}')
        with open(self.log_path, 'w') as out:
            self.proc = subprocess.Popen([app], stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, user=self.user.uid,
                                         group=self.user.gid, extra_groups=[], env=env, cwd='/')
        self.fx.processes.append(self.proc)     # killed by the fixture, too
        return self

    def __exit__(self, exc_type, exc, tb):
        terminate(self.proc)
        if exc_type is not None:
            print(f'----- app-{self.name}.log -----')
            print(self.output()[-10000:])
        return False

    def output(self):
        return self.fx.read_log(self.log_path)

    def check_alive(self):
        if self.proc.poll() is not None:
            raise TestFailure(f'the app exited ({self.proc.returncode}):\n{self.output()[-5000:]}')

    def _wait_files(self, timeout):
        def ready():
            self.check_alive()
            # The screenshot is written before the dump, which is replaced
            # atomically: once the dump is there, both are complete.
            return os.path.exists(self.dump) and os.path.exists(self.shot)
        wait_for(ready, f'the view dump of the app ({self.name})', timeout=timeout)
        return read_dump(self.dump)

    def first_capture(self):
        """The capture the app makes by itself once settled."""
        return self._wait_files(APP_START_TIMEOUT)

    def capture(self):
        """A fresh dump and screenshot (SIGUSR1; only once the hooks are
        armed, i.e. after first_capture)."""
        for path in (self.dump, self.shot):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        self.check_alive()
        self.proc.send_signal(signal.SIGUSR1)
        return self._wait_files(CAPTURE_TIMEOUT)

    def capture_until(self, predicate, what, timeout=25):
        """Captures again until predicate(header, rows) holds."""
        last = {}

        def attempt():
            header, rows = self.capture()
            last['dump'] = (header, rows)
            return (header, rows) if predicate(header, rows) else None
        try:
            return wait_for(attempt, what, timeout=timeout, interval=0.3)
        except TestFailure:
            log(f'last dump: {last.get("dump")}')
            raise

    def check_screenshot(self, min_colours):
        try:
            width, height, colours = npgui.check_not_blank(self.shot, min_colours)
        except npgui.GuiError as e:
            raise TestFailure(str(e)) from e
        log(f'screenshot {width}x{height}, {colours} colours')
        keep = os.environ.get('NETPULSE_KEEP_SCREENSHOT_DIR')
        if keep:
            shutil.copyfile(self.shot, os.path.join(keep, f'{self.name}.png'))

    def click_status_button(self, header):
        """A real click (XTest) on the status page's button; False when
        XTest is not available, which fails the test under CI=true.  No
        window manager: the window is at the origin of the screen."""
        bounds = header.get('button-bounds')
        if not bounds:
            raise TestFailure(f'the dump gives no position of the status button: {header}')
        x, y, w, h = (int(v) for v in bounds.split(','))
        if npgui.xtest_click(self.xvfb.display, x + w // 2, y + h // 2):
            return True
        if os.environ.get('CI') == 'true':
            raise TestFailure('XTest (libXtst) is not available for a real click (CI=true: it must run)')
        return False

    def check_log_clean(self):
        text = self.output()
        for marker in ('CRITICAL', 'AddressSanitizer', 'runtime error:', 'Segmentation fault'):
            if marker in text:
                raise TestFailure(f'the app log contains {marker!r}:\n{text[-5000:]}')


def wait_gone(pid, timeout=30):
    wait_for(lambda: not os.path.exists(f'/proc/{pid}') or _zombie(pid),
             f'process {pid} to end', timeout=timeout)


def _zombie(pid):
    try:
        with open(f'/proc/{pid}/stat', errors='replace') as f:
            return f.read().split(') ')[-1].startswith('Z')
    except FileNotFoundError:
        return True
