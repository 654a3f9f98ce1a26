#!/usr/bin/env python3
"""The usage history's costs (issue 14), with the helper's own database
code: bench/np-history-bench (helper/netpulse-history-db.c) writes a day
of minute buckets for N applications x 2 protocols and 30 days of hourly
buckets, then queries those 30 days hourly per application, paged as a
client must.  Prints the figures with the issue's targets.

Usage: bench/history.py [--apps N] [BUILD_DIR]
Needs no root.  The recorder's per-tick counting (a hash lookup per changed
record) is not measured here: it runs inside the helper's sample, which
bench/np-collector-bench.c measures.
"""

import argparse
import json
import os
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--apps', type=int, default=100)
    parser.add_argument('build_dir', nargs='?', default=os.environ.get('NETPULSE_BUILD_ROOT', 'build'))
    args = parser.parse_args()
    tool = os.path.join(args.build_dir, 'bench', 'np-history-bench')
    if not os.access(tool, os.X_OK):
        print(f'{tool} is not built (meson compile -C {args.build_dir})', file=sys.stderr)
        return 1
    result = json.loads(subprocess.run([tool, str(args.apps)], check=True, capture_output=True,
                                       text=True, timeout=600).stdout)
    day_mb = result['db_bytes_after_one_day_of_minutes'] / 1e6
    month_mb = result['db_bytes_30_days_hourly'] / 1e6
    # Two years at the default retention: 2 days of minutes, 90 days of
    # hours, 730 days of days (a day's row set is the size of an hour's).
    two_years_mb = 2 * day_mb + 3 * month_mb + 730 / 720 * month_mb
    rows = [
        ('apps x protocols per bucket', result['entries_per_bucket'], ''),
        ('CPU per minute bucket written (ms)', f'{result["cpu_ms_per_bucket"]:.2f}', ''),
        ('DB growth per day at minute resolution (MB)', f'{day_mb:.1f}', '< 20'),
        ('DB size at full default retention, estimated (MB)', f'{two_years_mb:.0f}', '< 200'),
        ('query 30 days x apps hourly: rows', result['query_30d_hourly_rows'], ''),
        ('query 30 days x apps hourly, all pages (ms, median of 5)',
         f'{result["query_30d_hourly_ms_median"]:.0f}', '< 50'),
    ]
    for name, value, target in rows:
        print(f'{name:60} {value:>10} {target}')
    print(json.dumps(result))
    return 0


if __name__ == '__main__':
    sys.exit(main())
