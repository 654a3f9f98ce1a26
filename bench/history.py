#!/usr/bin/env python3
"""The usage history's costs (issue 14), with the helper's own database
code: bench/np-history-bench (helper/netpulse-history-db.c) writes a day
of minute buckets for N applications x 2 protocols and 30 days of hourly
buckets, then queries those 30 days hourly per application, every page,
each serialized as its D-Bus reply.  Prints the figures with the issue's
targets.

Usage: bench/history.py [--apps N] [--baseline OTHER_BUILD_DIR] [--runs N] [BUILD_DIR]
With --baseline, the same tool of another build (e.g. of an older commit:
git archive COMMIT | tar -x -C DIR, meson setup, meson compile
bench/np-history-bench) runs alternately with this one in the same run,
and both columns are printed side by side: this machine's load changes
from minute to minute, a figure from another run is not comparable.
Needs no root.  The recorder's per-tick counting is measured by
bench/recorder.py (in the running helper).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys


def run_tool(build_dir, apps):
    tool = os.path.join(build_dir, 'bench', 'np-history-bench')
    if not os.access(tool, os.X_OK):
        sys.exit(f'{tool} is not built (meson compile -C {build_dir} bench/np-history-bench)')
    return json.loads(subprocess.run([tool, str(apps)], check=True, capture_output=True,
                                     text=True, timeout=900).stdout)


def summary(results):
    """Medians over the runs of each figure."""
    keys = results[0].keys()
    return {k: statistics.median(r[k] for r in results if k in r)
            for k in keys if all(k in r for r in results)}


def rows_of(r):
    day_mb = r['db_bytes_after_one_day_of_minutes'] / 1e6
    month_mb = r['db_bytes_30_days_hourly'] / 1e6
    # Two years at the default retention: 2 days of minutes, 90 days of
    # hours, 730 days of days (a day's row set is the size of an hour's).
    two_years_mb = 2 * day_mb + 3 * month_mb + 730 / 720 * month_mb
    cpu = r.get('query_30d_hourly_cpu_ms_median')
    return [
        ('apps x protocols per bucket', f'{r["entries_per_bucket"]:.0f}', ''),
        ('CPU per minute bucket written (ms)', f'{r["cpu_ms_per_bucket"]:.2f}', ''),
        ('DB growth per day at minute resolution (MB)', f'{day_mb:.1f}', '< 20'),
        ('DB size at full default retention, estimated (MB)', f'{two_years_mb:.0f}', '< 200'),
        ('query 30 days x apps hourly: rows', f'{r["query_30d_hourly_rows"]:.0f}', ''),
        ('query 30 days x apps hourly, all pages, wall (ms)',
         f'{r["query_30d_hourly_ms_median"]:.0f}', '< 50'),
        ('query 30 days x apps hourly, all pages, CPU (ms)',
         f'{cpu:.0f}' if cpu is not None else '-', '< 50'),
    ]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--apps', type=int, default=100)
    parser.add_argument('--baseline', help='another build directory, run alternately with this one')
    parser.add_argument('--runs', type=int, default=1, help='runs of each tool (medians are printed)')
    parser.add_argument('build_dir', nargs='?', default=os.environ.get('NETPULSE_BUILD_ROOT', 'build'))
    args = parser.parse_args()
    ours, base = [], []
    for _ in range(args.runs):
        if args.baseline:
            base.append(run_tool(args.baseline, args.apps))
        ours.append(run_tool(args.build_dir, args.apps))
    with open('/proc/loadavg') as f:
        load = f.read().split()[0]
    mine = rows_of(summary(ours))
    if args.baseline:
        theirs = rows_of(summary(base))
        print(f'{"":60} {"baseline":>10} {"this":>10} target   (load average {load})')
        for (name, value, target), (_, old, _) in zip(mine, theirs):
            print(f'{name:60} {old:>10} {value:>10} {target}')
        print(json.dumps({'baseline': base, 'this': ours, 'loadavg': load}))
    else:
        for name, value, target in mine:
            print(f'{name:60} {value:>10} {target}')
        print(f'(load average {load})')
        print(json.dumps({'this': ours, 'loadavg': load}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
