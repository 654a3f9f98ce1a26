#!/usr/bin/env python3
# test-helper-app.py — end-to-end tests of netpulse-helper as a D-Bus service:
# the app (src/netpulse) as a test user, under Xvfb. A private system bus, a
# real polkitd, the helper started by bus activation as root, and unprivileged
# test users; the fixture and the checks the files share are in
# helpercases.py.
#
#   test-helper-app.py CASE   (app-granted, app-denied)
#
# Needs root; skips (77) without it, fails under CI=true.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from helperfixture import log  # noqa: E402
import app_driver  # noqa: E402
from helpercases import TRAFFIC, check, run_case, stop_client  # noqa: E402


def app_fixture_args(build_root):
    app_driver.require_gui(build_root)
    return {}


def hold_connection(fx, netns):
    """A connection of known process names that stays open (so it is on
    screen whenever the app is captured) until the returned process's stdin
    is closed."""
    holder = subprocess.Popen(['ip', 'netns', 'exec', netns, sys.executable, TRAFFIC,
                               '--hold', '127.0.0.1', '4321'],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    fx.processes.append(holder)
    line = holder.stdout.readline()
    check(line, 'helper-traffic.py --hold printed nothing')
    held = json.loads(line)
    log(f'held connection: {held}')
    return holder, held


def release_connection(holder):
    holder.stdin.close()
    holder.wait(timeout=30)


def test_app_granted(fx):
    """The app, as the authorized unprivileged user, shows a connection made
    while it is subscribed: its process, pid and remote port."""
    with app_driver.Xvfb() as xvfb, app_driver.App(fx, xvfb, fx.granted, 'granted') as app:
        fx.wait_subscriptions(1, timeout=20)
        header, rows = app.first_capture()
        log(f'first capture: {header}')
        check(header.get('page') == 'monitor', 'the app does not show the table', header)
        with open(f'/proc/{app.proc.pid}/status') as f:
            uids = next(line for line in f if line.startswith('Uid:')).split()[1:]
        check(all(int(u) == fx.granted.uid for u in uids), 'the app does not run as the test user', uids)

        netns = fx.add_netns()
        holder, held = hold_connection(fx, netns)
        remote = f'127.0.0.1:{held["port"]}'

        def client_rows(rows):
            return [r for r in rows if r[0] == 'np-hold-client' and r[2] == remote]

        # The server's accepted socket is seen by the kernel (in softirq)
        # before the server process touches it, so for a tick or two it may
        # be shown without its owner; both sides, named, must come.
        def both_shown(header, rows):
            return client_rows(rows) and any(r[0] == 'np-hold-server' for r in rows)
        header, rows = app.capture_until(both_shown, f'rows for np-hold-client → {remote} '
                                         'and for np-hold-server')
        row = client_rows(rows)[0]
        log(f'row shown: {row}')
        check(row[1] == held['client_pid'], 'the row has the wrong pid', row, held)
        server = next(r for r in rows if r[0] == 'np-hold-server')
        check(server[1] == held['server_pid'], 'the server row has the wrong pid', server, held)
        check(header.get('page') == 'monitor' and header.get('list') == 'list',
              'the table is not what is shown', header)
        app.check_screenshot(min_colours=40)
        release_connection(holder)

        app.check_alive()
        app.check_log_clean()
    fx.wait_subscriptions(0, timeout=20)


def test_app_denied(fx):
    """The app, as a user polkit says no to, shows its permission-denied
    page (not an empty table) and does not crash; the helper keeps serving
    an authorized client meanwhile."""
    ctl = fx.user_binary('tools', 'netpulsectl')
    out = os.path.join(fx.tmpdir, 'monitor.jsonl')
    monitor = fx.spawn_as(fx.granted, [ctl, 'monitor', '--json', '--interval', '200'], out)
    fx.wait_subscriptions(1, timeout=20)
    helper_pid = fx.helper_pid()

    with app_driver.Xvfb() as xvfb, app_driver.App(fx, xvfb, fx.denied, 'denied') as app:
        header, rows = app.first_capture()
        log(f'first capture: {header}')

        def denied(header, rows):
            return header.get('page') == 'status' and header.get('title') == 'Permission Denied'
        if not denied(header, rows):
            header, rows = app.capture_until(denied, 'the permission-denied page')
        check(header.get('rows') == '0' and not rows, 'a denied user sees rows', header, rows)
        check(header.get('button') == 'Try Again', 'the denied page offers no retry', header)
        app.check_screenshot(min_colours=10)
        app.check_alive()
        app.check_log_clean()

    check(fx.helper_pid() == helper_pid, 'the helper restarted (crashed?)')
    check(fx.subscriptions() == 1, "the denied app changed the authorized client's subscription")
    stop_client(monitor, 'netpulsectl monitor')
    fx.wait_subscriptions(0, timeout=20)


CASES = {
    'app-granted': (test_app_granted, app_fixture_args),
    'app-denied': (test_app_denied, app_fixture_args),
}


if __name__ == '__main__':
    sys.exit(run_case(CASES))
