#!/usr/bin/env python3
# test-app-usage.py — the app's Usage view (src/netpulse-usage-view.c)
# against the real helper recording real traffic: a private system bus
# and polkitd (tests/helper/helperfixture.py), buckets of one second
# (--history-bucket-ms), a state directory of the test's, the app as an
# unprivileged test user under Xvfb, read through its view dump.
#
#   test-app-usage.py CASE
#     usage   three processes in three test-made application cgroups move
#             known byte counts over several buckets (the history tests'
#             usage_traffic.py); the Usage view over a custom range around
#             them lists each application with exactly those totals,
#             largest total first; each application selected alone, the
#             chart has one bucket per second of the range and every bar
#             is exactly what QueryUsage says for that bucket; the chart
#             of all applications sums to the same; the read-out under the
#             pointer (XTest) is that bar's; the JSON export has the exact
#             totals; a screenshot for data/screenshots/ (usage.png).
#     off     recording off: the page that explains recording, with Turn
#             On Recording…; a real click with a configure rule that says
#             no gives the refusal in words of ours (and asked polkit for
#             io.github.netpulse.configure); with a rule that says yes,
#             the same button turns recording on (GetRecording says so)
#             and the page goes.
#     paused  the state directory a tiny tmpfs: once recording pauses (a
#             full disk), the view says so with the helper's error.
#
# Needs root; skips (77) without it, fails under CI=true.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'helper'))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))

from helperfixture import (POLKIT_RULES_DIR, HelperFixture, TestFailure,  # noqa: E402
                           log, run_case, wait_for)
import app_driver  # noqa: E402
import npgui  # noqa: E402

BUCKET_MS = 1000
BUCKET_NS = BUCKET_MS * 1_000_000
CONFIGURE_ACTION = 'io.github.netpulse.configure'
DENIED_TEXT = 'Your account is not allowed to turn on recording. Ask an administrator to turn it on.'


def load_history_tests():
    """tests/history/test-history.py as a module: its History helper (the
    application cgroups, usage_traffic.py, netpulsectl, QueryUsage)."""
    path = os.path.join(HERE, '..', 'history', 'test-history.py')
    spec = importlib.util.spec_from_file_location('history_cases', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


history = load_history_tests()


def check(condition, message, *details):
    if not condition:
        raise TestFailure(' '.join([message] + [repr(d) for d in details]))


def unquote(word):
    return urllib.parse.unquote(word)


def read_usage(path):
    """The "# usage …" lines of a view dump: (state, apps, series)."""
    state, apps, series = {}, [], []
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.startswith('# usage '):
                for word in line.split()[2:]:
                    key, _, value = word.partition('=')
                    state[key] = unquote(value)
            elif line.startswith('# usage-readout='):
                state['readout'] = unquote(line.split('=', 1)[1].strip())
            elif line.startswith('# usage-app '):
                # (split on single spaces: the id of unknown owners is "")
                _, _, pos, kind, app_id, name, rx, tx, color, *more = line.rstrip('\n').split(' ')
                apps.append(dict(kind=kind, id=unquote(app_id), name=unquote(name), rx=int(rx), tx=int(tx),
                                 color=int(color), bounds=more[0].split('=')[1] if more else None))
            elif line.startswith('# usage-series '):
                _, _, s, name, rx, tx = line.rstrip('\n').split(' ')
                series.append(dict(name=unquote(name), rx=[] if rx == '-' else [int(v) for v in rx.split(',')],
                                   tx=[] if tx == '-' else [int(v) for v in tx.split(',')]))
    return state, apps, series


class UsageApp:
    """The app in the Usage view, with test settings through SIGUSR2."""

    def __init__(self, fx, xvfb, name, **env):
        self.settings_path = os.path.join(fx.tmpdir, f'settings-{name}.txt')
        with open(self.settings_path, 'w'):
            pass
        os.chmod(self.settings_path, 0o644)
        self.app = app_driver.App(fx, xvfb, fx.granted, name,
                                  env=dict(env, NETPULSE_VIEW='usage', NETPULSE_TEST_SETTINGS=self.settings_path))

    def __enter__(self):
        self.app.__enter__()
        self.app.first_capture()
        return self

    def __exit__(self, *exc):
        return self.app.__exit__(*exc)

    def settings(self, **settings):
        with open(self.settings_path, 'w') as f:
            for key, value in settings.items():
                f.write(f'{key.replace("_", "-")} {value}\n')
        self.app.proc.send_signal(signal.SIGUSR2)

    def usage_until(self, predicate, what, timeout=30):
        last = {}

        def attempt():
            header, _ = self.app.capture()
            usage = read_usage(self.app.dump)
            last['usage'] = usage
            return (header, *usage) if predicate(*usage) else None
        try:
            return wait_for(attempt, what, timeout=timeout, interval=0.3)
        except TestFailure:
            log(f'last usage dump: {last.get("usage")}')
            raise


def expected_buckets(rows, first_ns, n_buckets, names):
    """{app id: ([rx per bucket], [tx per bucket])} of QueryUsage's rows."""
    out = {n: ([0] * n_buckets, [0] * n_buckets) for n in names}
    for r in rows:
        if r['app_id'] not in names:
            continue
        index = (r['start_ns'] - first_ns) // BUCKET_NS
        check(0 <= index < n_buckets, 'a QueryUsage row outside the range', r, first_ns)
        out[r['app_id']][0][index] += r['rx_bytes']
        out[r['app_id']][1][index] += r['tx_bytes']
    return out


def case_usage(fx):
    h = history.History(fx, fx.state_dir)
    h.install_configure_rules()
    try:
        names = [f'npu{uuid.uuid4().hex[:10]}' for _ in range(3)]
        cgroups = [h.app(n) for n in names]
        h.enable()
        h.wait_recording()

        since_ns = time.time_ns() - 2 * BUCKET_NS
        expected = {n: [0, 0] for n in names}     # [rx, tx]
        for rnd in range(3):
            specs = []
            for i, (n, cg) in enumerate(zip(names, cgroups)):
                sent, received = 20000 * (i + 1) + 999 * rnd, 4000 * (i + 1) + 123 * rnd
                specs.append((cg, sent, received))
                expected[n][0] += received
                expected[n][1] += sent
            h.traffic(specs)
            time.sleep(1.6 * BUCKET_MS / 1000)
        until_ns = time.time_ns() + 2 * BUCKET_NS
        # Every bucket of the range closed (the last at the first sample
        # after it) and written: the range's history is final.
        wait_for(lambda: time.time_ns() > until_ns + 3 * BUCKET_NS, 'the range to be over', timeout=30)
        first_ns = since_ns - since_ns % BUCKET_NS
        n_buckets = -(-(until_ns - first_ns) // BUCKET_NS)
        want = {n: [e[1], e[0], 3] for n, e in expected.items()}

        def recorded():
            rows = [r for r in h.query_dbus(fx.granted) if first_ns <= r['start_ns'] < until_ns]
            return rows if history.totals_of(rows, names) == want else None
        # The last buckets are written once they close.
        rows = wait_for(recorded, 'QueryUsage to hold exactly the traffic', timeout=30)
        want_buckets = expected_buckets(rows, first_ns, n_buckets, names)
        log(f'expected: {expected}, {n_buckets} buckets from {first_ns}')

        keep = os.environ.get('NETPULSE_KEEP_SCREENSHOT_DIR')
        export_dir = os.path.join(fx.tmpdir, 'usage-export')
        os.mkdir(export_dir, 0o755)
        os.chown(export_dir, fx.granted.uid, fx.granted.gid)
        export = os.path.join(export_dir, 'usage.json')
        with app_driver.Xvfb() as xvfb, UsageApp(fx, xvfb, 'usage', NETPULSE_EXPORT_USAGE_JSON=export) as ui:
            ui.settings(usage_range=f'{since_ns},{until_ns}')

            def all_shown(state, apps, series):
                got = {a['id']: [a['rx'], a['tx']] for a in apps if a['id'] in names}
                return state.get('page') == 'data' and state.get('since') == str(since_ns) and got == expected
            header, state, apps, series = ui.usage_until(all_shown, 'our three applications with exact totals')
            log(f'usage view: {state}')
            check(header.get('view') == 'usage', 'the window is not in the Usage view', header)
            check(state['granularity'] == 'minute' and state['bucket-ns'] == str(BUCKET_NS),
                  'not the finest buckets for a range of seconds', state)
            check(state['buckets'] == str(n_buckets) and state['first'] == str(first_ns),
                  f'the chart has not one bar per bucket of the range ({n_buckets})', state)
            totals = [a['rx'] + a['tx'] for a in apps]
            check(totals == sorted(totals, reverse=True), 'the list is not sorted by total, largest first', apps)
            # The chart of all: top five and Other, summing to the list.
            check(1 <= len(series) <= 6, 'the chart has not the top five and Other', len(series))
            for s in series:
                check(len(s['rx']) == n_buckets, 'a series without a value per bucket', s['name'])
            all_rx = sum(sum(s['rx']) for s in series)
            check(all_rx == sum(a['rx'] for a in apps), 'the chart of all does not sum to the list',
                  all_rx, apps)
            if keep:
                ui.app.check_screenshot(min_colours=20)
                shutil.copyfile(ui.app.shot, os.path.join(keep, 'usage.png'))

            with open(export) as f:
                exported = json.load(f)
            got = {a['app_id']: [a['rx_bytes'], a['tx_bytes']] for a in exported['applications']
                   if a['app_id'] in names}
            check(got == expected, 'the JSON export has other totals', got)
            check(exported['granularity'] == 'minute', 'the export says another granularity', exported)

            # Each application alone: exactly its own bars.
            for n in names:
                key = f'service/{n}'
                ui.settings(usage_select=key)
                header, state, apps, series = ui.usage_until(
                    lambda st, a, se: st.get('selected') == key and len(se) == 1 and se[0]['name'] == n,
                    f'the chart of {n} alone')
                rx, tx = want_buckets[n]
                check(series[0]['rx'] == rx and series[0]['tx'] == tx, f'the bars of {n} are not QueryUsage\'s',
                      series[0], rx, tx)
                check(sum(series[0]['rx']) == expected[n][0] and sum(series[0]['tx']) == expected[n][1],
                      f'the bars of {n} do not sum to its totals')
                check(sum(1 for v in rx if v) >= 2, f'{n}: its traffic is not over several buckets', rx)
                log(f'{n}: {sum(1 for v in rx if v)} bars, exact')

            # The read-out of the busiest bar of the last one, under the pointer.
            rx, tx = want_buckets[names[-1]]
            busiest = max(range(n_buckets), key=lambda b: rx[b] + tx[b])
            x, y, w, hh = (int(v) for v in state['chart-bounds'].split(','))
            plot_x, plot_w = x + 64, w - 64 - 8   # the chart's margins (netpulse-usage-chart.c)
            px = plot_x + int((busiest + 0.5) * plot_w / n_buckets)
            if npgui.xtest_click(xvfb.display, px, y + hh // 2, click=False):
                header, state, apps, series = ui.usage_until(
                    lambda st, a, se: st.get('hovered') == str(busiest), 'the bar under the pointer')
                readout = state.get('readout', '')
                check(names[-1] in readout, 'the read-out does not name the application', readout)
                log(f'read-out: {readout!r}')
            else:
                check(os.environ.get('CI') != 'true', 'XTest (libXtst) is needed to move the pointer (CI=true)')
                log('XTest is not available: the read-out under the pointer is not tried')

            # A real click on an application in the list: its own chart;
            # the back button: all again.
            ui.settings(usage_select='-')
            header, state, apps, series = ui.usage_until(
                lambda st, a, se: st.get('selected') == '-' and st.get('page') == 'data', 'all applications again')
            row = next(a for a in apps if a['id'] == names[-1])
            if row['bounds'] and click_bounds(xvfb, row['bounds']):
                header, state, apps, series = ui.usage_until(
                    lambda st, a, se: st.get('selected') == f'service/{names[-1]}' and len(se) == 1,
                    f'the chart of {names[-1]} after a click on it')
                check(series[0]['rx'] == want_buckets[names[-1]][0], 'the clicked application\'s bars are not its own')
                if keep:
                    shutil.copyfile(ui.app.shot, os.path.join(keep, 'usage-application.png'))
                check(click_bounds(xvfb, state['back-button-bounds']), 'XTest is needed for the back button')
                ui.usage_until(lambda st, a, se: st.get('selected') == '-' and len(se) > 1,
                               'all applications after the back button')
                log('a click on a row showed its chart, the back button all again')
            else:
                check(os.environ.get('CI') != 'true', 'XTest (libXtst) is needed to click a row (CI=true)', row)
            ui.app.check_alive()
            ui.app.check_log_clean()

            # 360 px wide: the chart above the list, nothing wider than the
            # window.  (Dark, for the screenshot of the narrow layout.)
            narrow = 'include-local true;show-closed true;window-width 360;window-height 640'
            with UsageApp(fx, xvfb, 'usage-narrow', NETPULSE_SETTINGS=narrow,
                          ADW_DEBUG_COLOR_SCHEME='prefer-dark') as small:
                small.settings(usage_range=f'{since_ns},{until_ns}')
                header, state, apps, series = small.usage_until(all_shown, 'the narrow Usage view with our totals')
                shown_w = int(header['window'].split('x')[0])
                check(340 <= shown_w <= 360, 'the window is not 360 px wide', shown_w)
                x, y, w, hh = (int(v) for v in state['chart-bounds'].split(','))
                check(x >= 0 and x + w <= 360, 'the chart is wider than the window', state['chart-bounds'])
                texts = npgui.read_dump_texts(small.app.dump)
                for n in names:
                    check(n in texts['shown'], f'{n} is not shown in the narrow list', texts['shown'])
                width, height, _, _ = npgui.png_pixels(small.app.shot)
                check((width, height) == (shown_w, int(header['window'].split('x')[1])),
                      'the screenshot is not of the whole window', width, height)
                if keep:
                    shutil.copyfile(small.app.shot, os.path.join(keep, 'usage-narrow-dark.png'))
                small.app.check_alive()
                small.app.check_log_clean()
    finally:
        h.cleanup()


def configure_rule(fx, result):
    """The configure action answers @result ('YES' or 'NO') for the granted
    user, and logs each check."""
    path = os.path.join(POLKIT_RULES_DIR, f'00-netpulse-test-{fx.tag}-configure.rules')
    if path not in fx.installed_files:
        fx.installed_files.append(path)
        fx._save_state()
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(f"""// netpulse app usage tests; removed at the end.
polkit.addRule(function(action, subject) {{
    if (action.id != "{CONFIGURE_ACTION}" || subject.user != "{fx.granted.name}")
        return polkit.Result.NOT_HANDLED;
    polkit.log("netpulse-test-configure {result} user=" + subject.user);
    return polkit.Result.{result};
}});
""")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def click_bounds(xvfb, bounds):
    """A real click in the middle of "x,y,w,h"; False without XTest."""
    x, y, w, h = (int(v) for v in bounds.split(','))
    return npgui.xtest_click(xvfb.display, x + w // 2, y + h // 2)


def click_record(ui, state, xvfb):
    x, y, w, h = (int(v) for v in state['record-button-bounds'].split(','))
    if not npgui.xtest_click(xvfb.display, x + w // 2, y + h // 2):
        raise TestFailure('XTest (libXtst) is needed to click Turn On Recording')


def case_off(fx):
    os.makedirs(fx.state_dir, exist_ok=True)
    configure_rule(fx, 'NO')
    with app_driver.Xvfb() as xvfb, UsageApp(fx, xvfb, 'usage-off') as ui:
        header, state, apps, series = ui.usage_until(
            lambda st, a, se: st.get('page') == 'off' and st.get('recording') == '0' and 'record-button-bounds' in st,
            'the recording-off page')
        check(state.get('record-button') == '_Turn On Recording…', 'no Turn On Recording button', state)
        texts = npgui.read_dump_texts(ui.app.dump)
        check(any('kept on this computer' in t for t in texts['shown']), 'the page does not say what recording is',
              texts['shown'])
        # The retention as the helper has it (GetRecording's defaults).
        check(any('by the minute for 48 hours, by the hour for 90 days and by the day for 2 years' in t
                  for t in texts['shown']), 'the page does not give the helper\'s retention', texts['shown'])
        ui.app.check_screenshot(min_colours=10)
        keep = os.environ.get('NETPULSE_KEEP_SCREENSHOT_DIR')
        if keep:
            shutil.copyfile(ui.app.shot, os.path.join(keep, 'usage-off.png'))

        # Refused: our words on the page, the helper's under the details.
        click_record(ui, state, xvfb)
        header, state, apps, series = ui.usage_until(
            lambda st, a, se: st.get('error') not in (None, '-') and st.get('record-sensitive') == '1',
            'the refusal of SetRecording')
        texts = npgui.read_dump_texts(ui.app.dump)
        check(DENIED_TEXT in texts['shown'], 'the refusal is not shown in words of ours', texts['shown'])
        check('not allowed to change the recording' in state['error'], 'not the helper\'s refusal', state)
        check(f'netpulse-test-configure NO user={fx.granted.name}' in fx.read_log(fx.polkitd_log_path),
              f'the button did not ask {CONFIGURE_ACTION}')
        check(state['page'] == 'off' and state['recording'] == '0', 'a refusal turned recording on?', state)
        log(f'refused: {state["error"]}')

        # Granted: the same button turns it on (polkitd reloads the rule on
        # its own, a moment after the write: until then it still says no).
        configure_rule(fx, 'YES')
        deadline = time.time() + 30
        while True:
            click_record(ui, state, xvfb)
            header, state, apps, series = ui.usage_until(
                lambda st, a, se: st.get('record-sensitive') == '1' or st.get('page') != 'off',
                'the answer to SetRecording')
            if state.get('page') != 'off' or time.time() > deadline:
                break
            time.sleep(0.5)
        header, state, apps, series = ui.usage_until(
            lambda st, a, se: st.get('recording') == '1' and st.get('page') in ('empty', 'data'),
            'the history (empty or not) once recording is on')
        check(f'netpulse-test-configure YES user={fx.granted.name}' in fx.read_log(fx.polkitd_log_path),
              'SetRecording was not authorized by the configure action')
        result = fx.run_as(fx.granted, [fx.user_binary('tools', 'netpulsectl'), 'recording', 'status', '--json'],
                           timeout=60)
        check(result.returncode == 0 and json.loads(result.stdout)['enabled'], 'recording is not on',
              result.stdout, result.stderr)
        log(f'recording on from the app: page {state["page"]}')
        ui.app.check_alive()
        ui.app.check_log_clean()


def case_paused(fx):
    """A tiny tmpfs as the state directory (as the history tests' disk-full
    case): once recording pauses, the view says so, with the helper's
    error, and still shows what was written."""
    h = history.History(fx, fx.state_dir)
    h.install_configure_rules()
    history.mount_small_tmpfs(fx.state_dir)
    try:
        cgroups = [h.app(f'npu{uuid.uuid4().hex[:10]}') for _ in range(40)]
        h.enable()
        h.wait_recording()
        deadline = time.time() + 90
        state = h.recording_state()
        while not state['paused'] and time.time() < deadline:
            h.traffic([(cg, 1000, 10) for cg in cgroups])
            state = h.recording_state()   # (each round of traffic takes over a second)
        check(state['paused'], 'recording did not pause on a full disk', state)
        log(f'paused: {state["last_error"]}')
        with app_driver.Xvfb() as xvfb, UsageApp(fx, xvfb, 'usage-paused') as ui:
            header, ustate, apps, series = ui.usage_until(
                lambda st, a, se: st.get('paused') == '1' and st.get('page') in ('data', 'empty'),
                'the paused state in the Usage view')
            texts = npgui.read_dump_texts(ui.app.dump)['shown']
            banner = [t for t in texts if t.startswith('Recording is paused')]
            check(banner and state['last_error'] in banner[0], 'the view does not say recording is paused, and why',
                  texts)
            log(f'the view says: {banner[0]!r}')
            ui.app.check_alive()
            ui.app.check_log_clean()
    finally:
        fx.stop_helper()
        h.cleanup()
        subprocess.run(['umount', fx.state_dir])


def fixture_args(build_root):
    """The history tests' fixture (1-s buckets, a state directory of its
    own), once the app can run."""
    HelperFixture.check_requirements()
    app_driver.require_gui(build_root)
    return history.fixture_args(build_root)


CASES = {
    'usage': (history.with_state(case_usage), fixture_args),
    'off': (history.with_state(case_off), fixture_args),
    'paused': (history.with_state(case_paused), fixture_args),
}


if __name__ == '__main__':
    sys.exit(run_case(CASES))
