#!/usr/bin/env python3
"""End-to-end tests of the Prometheus export (issue 15): the real helper
on a private system bus with polkitd, real kernel programs counting real
traffic from test-made application scopes in a test network namespace,
the usage history in buckets of one second, and the real node_exporter,
Prometheus and promtool from Debian, on loopback ports of their own.

Cases:
  export  unauthorized users cannot turn export on; it needs recording on;
          two applications move known bytes: the textfile, node_exporter's
          /metrics page and a PromQL query through Prometheus's HTTP API
          carry exactly those bytes; promtool check metrics is clean; after
          a helper restart the counters go on from where they were (no
          reset, no jump: resets() is 0 in Prometheus), and grow by exactly
          the next traffic; off removes the file
  cap     more applications than --max-apps: exactly cap+1 application
          series (the rest in app_id="other", whose bytes are the sum of
          theirs); an application whose name holds quotes, backslashes,
          braces and an escaped newline comes out of node_exporter and
          Prometheus with its exact name; promtool is clean
"""

import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'helper'))
from helperfixture import log, run_case, wait_for  # noqa: E402
from promstack import (NodeExporter, Prometheus, app_samples, parse_exposition,  # noqa: E402
                       promtool_check, require_binaries, wait_value)

# The history tests' helpers (cgroups, traffic, polkit rules), not copied.
_spec = importlib.util.spec_from_file_location('history_test', os.path.join(HERE, '..', 'history', 'test-history.py'))
history_test = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(history_test)
History, check = history_test.History, history_test.check

BYTES = 'netpulse_app_bytes_total'


class Export(History):
    def __init__(self, fx):
        super().__init__(fx, fx.state_dir)
        self.textfile_dir = tempfile.mkdtemp(prefix='netpulse-textfile-')
        os.chmod(self.textfile_dir, 0o755)
        self.prom_file = os.path.join(self.textfile_dir, 'netpulse.prom')

    def metrics_as(self, user, *args, check_ok=True):
        return self.ctl_as(user, 'metrics', *args, check_ok=check_ok)

    def turn_on(self, *extra):
        self.metrics_as(self.fx.granted, 'on', '--textfile-dir', self.textfile_dir, '--interval', '1', *extra)

    def cleanup(self, *servers):
        for server in servers:
            if server is not None:
                server.stop()
        super().cleanup()
        shutil.rmtree(self.textfile_dir, ignore_errors=True)

    def textfile(self):
        with open(self.prom_file) as f:
            return f.read()

    def app_totals(self, samples, names):
        """{name: (transmit, receive, connections)} from parsed samples."""
        out = {}
        for n in names:
            tx = sum(app_samples(samples, BYTES, app_id=n, direction='transmit').values())
            rx = sum(app_samples(samples, BYTES, app_id=n, direction='receive').values())
            conns = sum(app_samples(samples, 'netpulse_app_connections_total', app_id=n).values())
            out[n] = (int(tx), int(rx), int(conns))
        return out

    def round_of_traffic(self, names, apps, expected, rnd):
        specs = []
        for i, (n, cg) in enumerate(zip(names, apps)):
            sent, received = 20000 * (i + 1) + 999 * rnd, 7000 * (i + 1) + 333 * rnd
            specs.append((cg, sent, received))
            t = expected[n]
            expected[n] = (t[0] + sent, t[1] + received, t[2] + 1)
        self.traffic(specs)


def case_export(fx):
    require_binaries()
    x = Export(fx)
    x.install_configure_rules()
    exporter = prometheus = None
    try:
        names = [f'npm{uuid.uuid4().hex[:10]}' for _ in range(2)]
        apps = [x.app(n) for n in names]

        # Unauthorized: not even an attempt shows in the directory.
        r = x.metrics_as(fx.denied, 'on', '--textfile-dir', x.textfile_dir, check_ok=False)
        check(r.returncode == 4, f'denied user enabled export: {r.returncode} {r.stdout} {r.stderr}')
        check(not os.path.exists(x.prom_file), 'a refused SetMetricsExport wrote the file')
        r = x.metrics_as(fx.denied, check_ok=False)
        check(r.returncode == 4 and 'netpulse_' not in r.stdout, f'denied user read the metrics: {r.returncode}')
        # The counters are the history's: export needs recording on.
        deadline = time.time() + 20
        while True:
            r = x.metrics_as(fx.granted, 'on', '--textfile-dir', x.textfile_dir, check_ok=False)
            if r.returncode != 4 or time.time() > deadline:
                break
            time.sleep(0.5)    # polkitd reading the new rules
        check(r.returncode != 0 and 'recording on' in r.stderr, f'export on without recording: {r.returncode} {r.stderr}')
        r = x.metrics_as(fx.granted, 'on', '--textfile-dir', 'relative/dir', check_ok=False)
        check(r.returncode != 0, 'a directory that does not exist was accepted')

        x.enable()
        x.wait_recording()
        x.turn_on()
        status = x.metrics_as(fx.granted, 'status').stdout
        check('on' in status and x.prom_file in status, f'status: {status}')
        wait_for(lambda: os.path.exists(x.prom_file), 'netpulse.prom written')
        # Not readable in part: the temporary file is not a .prom one.
        check(all(not n.endswith('.prom') or n == 'netpulse.prom' for n in os.listdir(x.textfile_dir)),
              f'stray files: {os.listdir(x.textfile_dir)}')

        exporter = NodeExporter(x.textfile_dir, os.path.join(fx.tmpdir, 'node-exporter.log'))
        prometheus = Prometheus(f'127.0.0.1:{exporter.port}', fx.tmpdir)

        expected = {n: (0, 0, 0) for n in names}
        for rnd in range(2):
            x.round_of_traffic(names, apps, expected, rnd)
        wait_value('node_exporter /metrics', lambda: x.app_totals(exporter.scrape(), names), expected)
        samples = exporter.scrape()
        check(app_samples(samples, 'node_textfile_scrape_error') == {(): 0.0}, 'textfile scrape error')
        labels = [dict(d) for n in names for d in app_samples(samples, BYTES, app_id=n)]
        check(len(labels) == 4 and all(set(d) == {'app_id', 'app_kind', 'direction', 'proto'}
                                       and d['app_kind'] == 'service' and d['proto'] == 'tcp' for d in labels),
              f'labels of the series: {labels}')
        info = app_samples(samples, 'netpulse_helper_info')
        check(len(info) == 1 and dict(next(iter(info)))['backend'] not in ('', 'none'), f'helper info: {info}')
        check(app_samples(samples, 'netpulse_recording_enabled') == {(): 1.0}, 'recording gauge')
        check(app_samples(samples, 'netpulse_ticks_total')[()] > 0, 'ticks')

        # promtool: the file, node_exporter's whole page and netpulsectl's.
        promtool_check(x.textfile())
        cli = x.metrics_as(fx.granted).stdout
        promtool_check(cli)
        check(x.app_totals(parse_exposition(cli), names) == expected, 'netpulsectl metrics totals')

        def prom_bytes(direction):
            return {r[0]['app_id']: int(r[1]) for r in prometheus.query(
                f'{BYTES}{{app_id=~"{names[0]}|{names[1]}",direction="{direction}"}}')}
        wait_value('Prometheus: transmitted', lambda: prom_bytes('transmit'),
                   {n: e[0] for n, e in expected.items()})
        check(prom_bytes('receive') == {n: e[1] for n, e in expected.items()}, 'Prometheus: received')
        # Prometheus's latest sample is the first round's totals now; earlier
        # ones may hold a part of them (scraped while the traffic ran).
        seen_before = time.time()

        # A restart: the counters go on from where they were.
        before = dict(expected)
        writes_before = os.stat(x.prom_file).st_mtime_ns
        fx.stop_helper()
        wait_for(lambda: not fx.helper_running(), 'the helper gone')
        x.wait_recording()
        wait_for(lambda: os.stat(x.prom_file).st_mtime_ns != writes_before, 'a page from the new helper')
        check(x.app_totals(parse_exposition(x.textfile()), names) == before,
              f'after restart: {x.app_totals(parse_exposition(x.textfile()), names)} != {before}')
        x.round_of_traffic(names, apps, expected, 2)
        wait_value('node_exporter after restart', lambda: x.app_totals(exporter.scrape(), names), expected)
        wait_value('Prometheus after restart', lambda: prom_bytes('transmit'),
                   {n: e[0] for n, e in expected.items()})
        # No reset seen, and the growth over the window is the bytes moved.
        selector = f'{BYTES}{{app_id="{names[0]}",direction="transmit"}}'
        resets = prometheus.query(f'resets({selector}[10m])')
        check([v for _, v in resets] == [0.0], f'resets() across the restart: {resets}')
        at_start = prometheus.query(selector, at=seen_before)
        now = prometheus.query(selector)
        moved = expected[names[0]][0] - before[names[0]][0]
        increase = prometheus.query(f'increase({selector}[10m])')
        log(f'over the restart: moved {moved}, {at_start} then {now}, increase() {increase} (extrapolated)')
        check(at_start and now and int(now[0][1]) - int(at_start[0][1]) == moved,
              f'the growth across the restart is not the bytes moved ({moved}): {at_start} then {now}')
        # Only samples after seen_before: none is below the first round's totals.
        span = f'{max(1, int(time.time() - seen_before))}s'
        growth = prometheus.query(f'max_over_time({selector}[{span}]) - min_over_time({selector}[{span}])')
        check(growth and int(growth[0][1]) <= moved, f'the counter went beyond the bytes moved: {growth}')
        check(increase and increase[0][1] >= moved, f'increase() below the bytes moved: {increase}')

        x.metrics_as(fx.granted, 'off')
        check(not os.path.exists(x.prom_file), 'off left netpulse.prom')
    finally:
        x.cleanup(prometheus, exporter)


def case_cap(fx):
    require_binaries()
    x = Export(fx)
    x.install_configure_rules()
    exporter = prometheus = None
    cap = 3
    try:
        tag = uuid.uuid4().hex[:8]
        names = [f'npc{tag}{i}' for i in range(cap + 2)]
        # systemd's \x0a is decoded, then escaped again by the helper.
        hostile = f'npx{tag}"q\\b}}{{x="1\\x0a'
        apps = [x.app(n) for n in names + [hostile]]
        x.enable()
        x.wait_recording()
        x.turn_on('--max-apps', str(cap))
        exporter = NodeExporter(x.textfile_dir, os.path.join(fx.tmpdir, 'node-exporter.log'))
        # Big enough to be among the busiest of the machine.
        x.traffic([(cg, 400000 + 1000 * i, 100) for i, cg in enumerate(apps)])

        def recorded():
            ids = {b['usage']['app_id'] for b in x.usage_json(fx.granted)['buckets']}
            return sum(1 for i in ids if i.startswith((f'npc{tag}', f'npx{tag}'))) == len(apps)
        wait_for(recorded, 'every test application in the history', timeout=60)
        text = x.metrics_as(fx.granted).stdout
        ids = {dict(d)['app_id'] for d in app_samples(parse_exposition(text), BYTES)}
        check(len(ids) == cap + 1 and 'other' in ids, f'{len(ids)} application series for a cap of {cap}: {ids}')
        for metric in ('netpulse_app_open_connections',):
            n = {dict(d)['app_id'] for d in app_samples(parse_exposition(text), metric)}
            check(len(n) == cap + 1, f'{metric}: {len(n)} series')
        promtool_check(text)
        log(f'cap {cap}: series for {sorted(ids)}')

        # The hostile name, exact through node_exporter.
        x.turn_on('--max-apps', '1000')
        usage = x.usage_json(fx.granted)
        ids = {b['usage']['app_id'] for b in usage['buckets']}
        exact = [i for i in ids if i.startswith(f'npx{tag}')]
        check(len(exact) == 1, f'the hostile application in the history: {exact}')
        wait_value('the hostile name through node_exporter',
                   lambda: int(sum(app_samples(exporter.scrape(), BYTES, app_id=exact[0],
                                               direction='transmit').values())),
                   400000 + 1000 * (len(apps) - 1))
        promtool_check(x.textfile())
        # And exact through Prometheus's parser and its HTTP API.
        prometheus = Prometheus(f'127.0.0.1:{exporter.port}', fx.tmpdir)
        wait_value('the hostile name through Prometheus',
                   lambda: sorted(r[0]['app_id'] for r in prometheus.query(
                       f'{BYTES}{{app_id=~"npx{tag}.*",direction="transmit"}}')),
                   exact)
        line = [ln for ln in x.textfile().splitlines() if f'npx{tag}' in ln][0]
        log(f'hostile name {json.dumps(exact[0])} written as: {line}')
    finally:
        x.cleanup(prometheus, exporter)


CASES = {
    'export': (history_test.with_state(case_export), history_test.fixture_args),
    'cap': (history_test.with_state(case_cap), history_test.fixture_args),
}

if __name__ == '__main__':
    sys.exit(run_case(CASES))
