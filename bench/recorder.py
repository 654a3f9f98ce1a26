#!/usr/bin/env python3
"""The usage recorder's cost in the running helper (issue 14): 100
applications (cgroups made here) each holding 100 TCP connections in a
network namespace (10,000 connections, 20,000 sockets), 10 % of them moving
a byte every 250 ms, watched by one `netpulsectl monitor --json` (filtered client-side to print
nothing: the helper still sends it every update).

The real helper runs as a D-Bus service on a private system bus with polkitd
(the end-to-end tests' fixture, tests/helper/helperfixture.py), with buckets
of one second (--history-bucket-ms=1000): time compressed 60 times, so one
second of the run is one minute of history.  In one run, side by side:
  off   recording off: helper CPU (utime+stime over the phase) and RSS
  on    recording on, the same load and subscriber
  alone recording on, no subscriber (no window open)
and the database's growth per minute bucket at that load, extrapolated to
a day of minute buckets and to the default retention (48 h of minutes,
90 days of hours, 2 years of days); then bench/overhead.py's two tcp loads
(64-byte and 16 KiB writes) with recording on against off, alternately,
with the 10,000 connections still open and the subscriber back.

Usage: sudo NETPULSE_BUILD_ROOT=BUILD bench/recorder.py [--apps 100] [--conns 100] [--seconds 20]
                                                       [--bucket-ms 1000|60000]
With --bucket-ms 60000 no bucket closes during a short run: the CPU figures
are then the counting alone (the write of a minute bucket is in
bench/history.py: about 1.5 ms).
"""

import argparse
import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'helper'))
import benchlib as B  # noqa: E402
from helperfixture import HelperFixture  # noqa: E402


def history_module():
    spec = importlib.util.spec_from_file_location(
        'test_history', os.path.join(HERE, '..', 'tests', 'history', 'test-history.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cpu_and_rss(pid, seconds):
    # utime+stime of the process: it keeps the time of threads that ended
    # (a subscriber's stream thread), which the per-thread schedstat loses.
    start, t0 = B.proc_cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    used, wall = B.proc_cpu_seconds(pid) - start, time.monotonic() - t0
    return {'cpu_pct': 100.0 * used / wall, 'rss_kib': B.proc_status(pid, 'VmRSS'),
            'hwm_kib': B.proc_status(pid, 'VmHWM')}


def db_figures(path):
    db = sqlite3.connect(path)
    try:
        rows = dict(db.execute('SELECT level, COUNT(*) FROM usage GROUP BY level').fetchall())
        fine_buckets = db.execute('SELECT COUNT(DISTINCT start_ms) FROM usage WHERE level = 0').fetchone()[0]
        hosts = db.execute('SELECT COUNT(*) FROM hosts').fetchone()[0]
        hours = db.execute('SELECT COUNT(DISTINCT start_ms) FROM hosts').fetchone()[0]
        pages = db.execute('PRAGMA page_count').fetchone()[0] * db.execute('PRAGMA page_size').fetchone()[0]
    finally:
        db.close()
    return {'usage_rows': rows, 'fine_buckets': fine_buckets, 'hosts_rows': hosts, 'hours': hours,
            'bytes': pages}


def throughput(h, size, port, seconds=3):
    """bench/overhead.py's tcp load (one connection, sender on CPU 0,
    receiver on CPU 1) in the namespace: bytes/s."""
    p = subprocess.run(['ip', 'netns', 'exec', h.ns, B.tool('np-load'), 'tcp', '--size', str(size),
                        '--seconds', str(seconds), '--port', str(port), '--cpu-tx', '0', '--cpu-rx', '1'],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        B.die('np-load tcp failed: ' + p.stderr[-500:])
    return json.loads(p.stdout.strip().splitlines()[-1])['bytes_per_s']


def throughput_rounds(fx, h, rounds):
    """overhead.py's ratios with recording on against off, side by side:
    each round measures off, on, off again, and its ratio is on / mean of
    the two offs; the medians over the rounds."""
    ratios = {64: [], 16384: []}
    for _ in range(rounds):
        for size, port in ((64, 5101), (16384, 5102)):
            h.ctl_as(fx.granted, 'recording', 'off')
            before = throughput(h, size, port)
            h.enable()
            on = throughput(h, size, port)
            h.ctl_as(fx.granted, 'recording', 'off')
            after = throughput(h, size, port)
            ratios[size].append(on / ((before + after) / 2))
    return {f'tcp-{"64" if size == 64 else "16k"}': {'median': B.median(r), 'all': r}
            for size, r in ratios.items()}


def start_load(fx, h, apps, conns):
    procs = []
    for i, cg in enumerate(apps):
        fd = os.open(os.path.join(cg, 'cgroup.procs'), os.O_WRONLY)
        argv = ['ip', 'netns', 'exec', h.ns, B.tool('np-load'), 'hold', '--conns', str(conns),
                '--active-pct', '10', '--seconds', '0', '--period-ms', '250', '--port', str(20000 + 20 * i)]
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, pass_fds=(fd,),
                                preexec_fn=lambda fd=fd: os.write(fd, str(os.getpid()).encode()))
        os.close(fd)
        procs.append(proc)
    for proc in procs:
        if not proc.stdout.readline():
            B.die('np-load hold failed')
    return procs


def run(fx, args, result):
    hist = history_module()
    state_dir = fx.state_dir
    h = hist.History(fx, state_dir)
    h.install_configure_rules()
    apps = [h.app(f'npbench{i:03d}-{fx.tag}') for i in range(args.apps)]
    procs = start_load(fx, h, apps, args.conns)
    B.log(f'{args.apps} applications x {args.conns} connections open')
    # A subscriber that receives every update (the helper's full work) and
    # prints nothing: the filter matches no connection (client-side).
    monitor = fx.spawn_as(fx.granted, [h.ctl, 'monitor', '--json', '--interval', '1000',
                                       '--filter', 'no-such-connection-' + fx.tag],
                          os.path.join(fx.tmpdir, 'bench-monitor.out'))
    try:
        time.sleep(5)   # the helper started, took in every connection
        pid = fx.helper_pid()
        result['off'] = cpu_and_rss(pid, args.seconds)
        h.enable()
        time.sleep(3)
        result['on'] = cpu_and_rss(pid, args.seconds)
        monitor.terminate()
        monitor.wait(10)
        result['alone'] = cpu_and_rss(pid, args.seconds)
        time.sleep(2)
        result['db'] = db_figures(h.db_path)
        if args.throughput_rounds > 0:
            monitor = fx.spawn_as(fx.granted, [h.ctl, 'monitor', '--json', '--interval', '1000',
                                               '--filter', 'no-such-connection-' + fx.tag],
                                  os.path.join(fx.tmpdir, 'bench-monitor-2.out'))
            time.sleep(2)
            result['throughput_on_vs_off'] = throughput_rounds(fx, h, args.throughput_rounds)
        h.ctl_as(fx.granted, 'recording', 'off')
    finally:
        if monitor.poll() is None:
            monitor.kill()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
        fx.stop_helper()
        h.cleanup()


def extrapolate(db):
    per_bucket = db['bytes'] / max(db['fine_buckets'], 1)
    day_mb = per_bucket * 1440 / 1e6
    # An hour (or a day) keeps as many usage rows as a minute bucket, plus
    # the hosts rows (hours only); bytes per row from the measured file.
    rows = sum(db['usage_rows'].values()) + db['hosts_rows']
    per_row = db['bytes'] / max(rows, 1)
    usage_per_bucket = db['usage_rows'].get(0, 0) / max(db['fine_buckets'], 1)
    hosts_per_hour = db['hosts_rows'] / max(db['hours'], 1)
    retention_mb = (2 * day_mb + 90 * 24 * (usage_per_bucket + hosts_per_hour) * per_row / 1e6
                    + 730 * usage_per_bucket * per_row / 1e6)
    return day_mb, retention_mb


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--apps', type=int, default=100)
    parser.add_argument('--conns', type=int, default=100)
    parser.add_argument('--seconds', type=float, default=20)
    parser.add_argument('--throughput-rounds', type=int, default=3,
                        help='rounds of the overhead benchmark\'s tcp loads, recording on against off')
    parser.add_argument('--bucket-ms', type=int, default=1000,
                        help='1000 (default): time compressed, for the database growth; 60000: the '
                             'real bucket, for the recorder CPU without 60 times its writes')
    args = parser.parse_args()
    B.require_root()
    build_root = B.build_root()
    result = {'apps': args.apps, 'conns_per_app': args.conns, 'seconds': args.seconds,
              'bucket_ms': args.bucket_ms}
    system_root = tempfile.mkdtemp(prefix='netpulse-bench-root-')
    with HelperFixture(build_root, os.path.join(HERE, '..'), idle_timeout_ms=30000,
                       helper_args=[f'--history-bucket-ms={args.bucket_ms}', f'--system-root={system_root}',
                                    '--state-dir=' + os.path.join(system_root, 'state')]) as fx:
        fx.state_dir = os.path.join(system_root, 'state')
        try:
            run(fx, args, result)
        finally:
            subprocess.run(['rm', '-rf', system_root])
    result['loadavg'] = B.loadavg()
    print(f'{args.apps} apps x {args.conns} connections, buckets of {args.bucket_ms} ms, '
          f'load average {result["loadavg"]}')
    for name in ('off', 'on', 'alone'):
        r = result[name]
        print(f'  {name:6} helper CPU {r["cpu_pct"]:6.2f} % of a core   RSS {r["rss_kib"] / 1024:7.1f} MiB')
    for name, r in result.get('throughput_on_vs_off', {}).items():
        print(f'  {name:7} throughput with recording on / off: {r["median"]:.3f} '
              f'(rounds: {", ".join(f"{x:.3f}" for x in r["all"])})')
    if result['db']['fine_buckets'] > 1:
        day_mb, retention_mb = extrapolate(result['db'])
        result['db_mb_per_day_minutes'] = day_mb
        result['db_mb_default_retention'] = retention_mb
        print(f'  database: {result["db"]["fine_buckets"]} minute buckets, {result["db"]["bytes"] / 1e6:.2f} MB; '
              f'{day_mb:.1f} MB per day of minutes (< 20), {retention_mb:.0f} MB at the default retention (< 200)')
    print(json.dumps(result))
    return 0


if __name__ == '__main__':
    sys.exit(main())
