#!/usr/bin/env python3
# test-helper-rates.py — the helper's rates, SetOptions and instance id end
# to end: the private system bus, real polkitd and bus-activated helper of
# helperfixture.py, real kernel programs counting a bursty TCP sender in a
# network namespace of the test, and a NetpulseClient (helper-rates-client).
#
#   test-helper-rates.py CASE     (rates-bursty, rates-short, set-options, instance)
#
# Needs root; skips (77) without it, fails under CI=true.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from helperfixture import (HelperFixture, TestFailure, log, wait_for, run_case,  # noqa: E402
                           parse_gvariant_scalar, POLKIT_ACTION_ID, POLKIT_RULES_DIR)
from nptest import StandaloneHelper  # noqa: E402

TRAFFIC = os.path.join(HERE, 'rates-traffic.py')
SHORT_TRAFFIC = os.path.join(HERE, 'rates-short-traffic.py')
NO_SUCH = 'io.github.netpulse.Error.NoSuchSubscription'

# 0.5 MB every 250 ms: 2 MB/s, read by a person as 2 MB/s, by the kernel as
# bursts (curl --limit-rate 2M looks like this).
BURST = 500000
PERIOD_MS = 250
TRUE_RATE = BURST * 1000 / PERIOD_MS
WINDOW_S = 5          # the default smoothing window (NETPULSE_WINDOW_DEFAULT_MS)


def check(condition, message, *details):
    if not condition:
        raise TestFailure(message + ''.join(f'\n  {d}' for d in details))


def read_json_lines(path):
    lines = []
    try:
        with open(path, errors='replace') as f:
            for line in f:
                if line.endswith('\n') and line.strip():
                    lines.append(json.loads(line))
    except FileNotFoundError:
        pass
    return lines


def netns_inode(netns):
    return os.stat(f'/run/netns/{netns}').st_ino


def start_traffic(fx, netns, burst, period_ms, duration_s):
    """The sender in @netns; returns (process, its first JSON line)."""
    proc = subprocess.Popen(['ip', 'netns', 'exec', netns, sys.executable, TRAFFIC, '127.0.0.1',
                             str(burst), str(period_ms), str(duration_s)],
                            stdout=subprocess.PIPE, text=True, env=fx.root_env())
    fx.processes.append(proc)
    first = json.loads(proc.stdout.readline())
    log(f'traffic: {first}')
    return proc, first


def finish_traffic(proc):
    last = json.loads(proc.stdout.readline())
    proc.wait(timeout=60)
    log(f'traffic done: {last}')
    return last


def run_client(fx, *args, timeout=120):
    client = fx.user_binary('tests', 'helper', 'helper-rates-client')
    out = os.path.join(fx.tmpdir, f'rates-client-{args[0]}.jsonl')
    proc = fx.spawn_as(fx.granted, [client, *map(str, args)], out)
    return proc, out


def wait_client(proc, what, timeout=120):
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise TestFailure(f'{what} did not finish')
    stderr = HelperFixture.read_log(proc.stderr_path)
    check(proc.returncode == 0, f'{what} exited with {proc.returncode}', stderr)


def flow_records(frames, match):
    """(frame, record) for every frame that has a record matching @match."""
    found = []
    for frame in frames:
        for r in frame['records']:
            if match(r):
                found.append((frame, r))
    return found


# -- rates-bursty ---------------------------------------------------------------

def test_rates_bursty(fx):
    """A 2 MB/s sender in 0.5 MB bursts, connected before the helper loads
    its programs: the first frames carry no rate above twice the true one
    (no spike from the sample made right after loading), and from one full
    window on the smoothed rates of both ends are within 10 % of 2 MB/s on
    every frame, while the per-tick rates stay exact."""
    netns = fx.add_netns()
    # Long enough to outlast the frames however slowly the helper loads (an
    # ASan build on a busy machine takes seconds): stopped once they are in.
    traffic, conn = start_traffic(fx, netns, BURST, PERIOD_MS, 120)
    count = 13
    client, out = run_client(fx, 'watch', 1000, count, netns_inode(netns))
    wait_client(client, 'helper-rates-client watch')
    traffic.terminate()
    traffic.wait(timeout=30)

    frames = read_json_lines(out)
    check(len(frames) == count, f'{len(frames)} frames, not {count}')
    sender = lambda r: r['lport'] == conn['lport'] and r['rport'] == conn['port']
    receiver = lambda r: r['lport'] == conn['port'] and r['rport'] == conn['lport']
    t0 = frames[0]['ts_ns']
    for name, match, direction in (('sender', sender, 'tx'), ('receiver', receiver, 'rx')):
        seen = flow_records(frames, match)
        log(f'{name}: ' + ', '.join(f"{(f['ts_ns'] - t0) / 1e9:.2f}s {r[direction + '_rate']:.0f}"
                                    f"/{r[direction + '_rate_avg']:.0f}" for f, r in seen))
        check(len({r['id'] for _, r in seen}) == 1, f'the {name} has more than one record',
              *[r for _, r in seen])
        for frame, r in seen[:2]:
            for key in ('tx_rate', 'rx_rate', 'tx_rate_avg', 'rx_rate_avg'):
                check(r[key] <= 2 * TRUE_RATE,
                      f'{name}: frame {frame["sequence"]} after subscribing has {key} '
                      f'{r[key]:.0f} B/s, more than twice the true {TRUE_RATE:.0f} B/s', r)
        late = [(f, r) for f, r in seen if f['ts_ns'] - t0 >= (WINDOW_S + 1) * 1e9]
        check(len(late) >= 5, f'{name}: only {len(late)} frames after the first window',
              *[r for _, r in seen])
        for frame, r in late:
            avg = r[direction + '_rate_avg']
            check(abs(avg - TRUE_RATE) <= 0.1 * TRUE_RATE,
                  f'{name}: frame {frame["sequence"]}, {(frame["ts_ns"] - t0) / 1e9:.1f} s in, '
                  f'{direction}_rate_avg {avg:.0f} B/s is not within 10 % of {TRUE_RATE:.0f}', r)


# -- rates-short -----------------------------------------------------------------

SHORT_BYTES = 3_000_000
SHORT_COUNT = 3


def test_rates_short(fx):
    """Connections that move 3 MB and close within one tick (as curl does
    with a small download): the per-tick rates of each end, summed over its
    records (closed one included) times the tick each covers, give the
    bytes it moved, to the precision of the frames' timestamps — a final
    record with rate 0 showed them nowhere."""
    netns = fx.add_netns()
    count = 8
    client, out = run_client(fx, 'watch', 1000, count, netns_inode(netns))
    # Once the subscription's first frames are in: the first sample after
    # loading keeps rates of 0 (see the XML), so start on a steady clock.
    wait_for(lambda: len(read_json_lines(out)) >= 2, 'the first frames')
    result = subprocess.run(['ip', 'netns', 'exec', netns, sys.executable, SHORT_TRAFFIC, '127.0.0.1',
                             str(SHORT_BYTES), str(SHORT_COUNT), '1300'],
                            capture_output=True, text=True, timeout=60, env=fx.root_env(), check=True)
    conns = [json.loads(line) for line in result.stdout.splitlines()]
    log(f'connections: {conns}')
    wait_client(client, 'helper-rates-client watch')

    frames = read_json_lines(out)
    ticks = {f['sequence']: (f['ts_ns'] - p['ts_ns']) / 1e9 for p, f in zip(frames, frames[1:])}
    for conn in conns:
        for name, direction, match in (
                ('client', 'tx', lambda r, c=conn: r['lport'] == c['lport'] and r['rport'] == c['port']),
                ('server', 'rx', lambda r, c=conn: r['lport'] == c['port'] and r['rport'] == c['lport'])):
            seen = flow_records(frames, match)
            log(f"{name} of :{conn['lport']}: " + ', '.join(
                f"#{f['sequence']} {r[direction + '_bytes']} B {r[direction + '_rate']:.1f} B/s "
                f"flags {r['flags']}" for f, r in seen))
            check(seen and seen[-1][1]['flags'] & 1, f'{name} of :{conn["lport"]}: no closed record',
                  *[r for _, r in seen])
            check(seen[-1][1][direction + '_bytes'] == conn['bytes'],
                  f'{name}: {seen[-1][1][direction + "_bytes"]} bytes, not {conn["bytes"]}')
            moved = sum(r[direction + '_rate'] * ticks[f['sequence']] for f, r in seen)
            # The helper's tick is on the monotonic clock, a frame's ts_ns on
            # the wall clock read right after it: their intervals differ by
            # the microseconds between the two reads (1.8 B of 3 MB seen
            # under ASan), never by more than 1/10,000.
            check(abs(moved - conn['bytes']) <= conn['bytes'] * 1e-4,
                  f'{name} of :{conn["lport"]}: rate x tick over its records is {moved:.1f} B, '
                  f'not the {conn["bytes"]} B it moved', *[r for _, r in seen])


# -- set-options -----------------------------------------------------------------

def install_check_logger(fx):
    """A polkit rule, read before the fixture's, that logs every check of
    our action that allows interaction (the helper says which in the
    details) and decides nothing; returns a function counting them.  Checks
    without interaction are not counted: polkitd says "changed" whenever
    any rules file changes (other tests write theirs), and the helper then
    checks every subscriber again, without interaction."""
    marker = f'netpulse-check-{fx.tag}'
    path = os.path.join(POLKIT_RULES_DIR, f'00-netpulse-log-{fx.tag}.rules')
    fx.installed_files.append(path)
    fx._save_state()
    with open(path, 'w') as f:
        f.write(f"""// Installed by the netpulse-helper tests ({fx.tmpdir}); removed at the end.
polkit.addRule(function(action, subject) {{
    if (action.id == "{POLKIT_ACTION_ID}" && action.lookup("netpulse.interactive") == "true")
        polkit.log("{marker} user=" + subject.user + " pid=" + subject.pid);
    return polkit.Result.NOT_HANDLED;
}});
""")
    os.chmod(path, 0o644)

    def count():
        return fx.read_log(fx.polkitd_log_path).count(marker + ' ')
    # polkitd reloads rules on its own, soon: ask until the rule logs.
    wait_for(lambda: fx.gdbus_call_as(fx.granted, 'io.github.netpulse.Helper1.CheckAuthorization',
                                      'true')[0] == 0 and count() > 0,
             'polkitd to load the logging rule')
    return count


def test_set_options(fx):
    """The interval of a live subscription changes from 1000 to 250 ms: the
    same record, totals that keep growing, no SNAPSHOT, frames at the new
    pace, and not one polkit check for it; a stranger gets
    NoSuchSubscription, values out of bounds InvalidOption."""
    count_checks = install_check_logger(fx)
    netns = fx.add_netns()
    traffic, conn = start_traffic(fx, netns, 10000, 100, 30)
    at, count = 5, 17
    client, out = run_client(fx, 'watch', 1000, count, netns_inode(netns), at, 250)

    first = wait_for(lambda: read_json_lines(out)[:1], 'the first frame')[0]
    path = first['subscription']
    checks_subscribed = count_checks()
    log(f'{path}: {checks_subscribed} polkit check(s) so far')
    for who in (fx.denied, fx.granted):
        code, _, stderr = fx.gdbus_call_as(who, 'io.github.netpulse.Helper1.SetOptions', path,
                                           "{'interval-ms': <uint32 100>}")
        check(code != 0 and NO_SUCH in stderr,
              f'SetOptions by another connection ({who.name}) on {path} did not fail with '
              'NoSuchSubscription', stderr)

    wait_client(client, 'helper-rates-client watch', timeout=180)
    traffic.kill()
    lines = read_json_lines(out)
    frames = [line for line in lines if 'sequence' in line]
    answers = {line['set']: line for line in lines if 'set' in line}
    log(f'answers: {answers}')
    check(answers.get('interval', {}).get('ok') is True, 'SetOptions failed', answers)
    for name, key in (('interval-too-short', 'interval-ms'), ('window-too-long', 'window-ms')):
        answer = answers.get(name, {})
        check(answer.get('ok') is False and answer.get('helper_failed') is True
              and key in answer.get('message', ''),
              f'SetOptions with {name} did not fail with InvalidOption naming {key}', answer)
    check(count_checks() == checks_subscribed,
          f'SetOptions made polkit checks: {count_checks() - checks_subscribed}',
          fx.read_log(fx.polkitd_log_path)[-3000:])

    check([f['sequence'] for f in frames] == list(range(1, count + 1)),
          'the sequence did not go on', [f['sequence'] for f in frames])
    sender = lambda r: r['lport'] == conn['lport'] and r['rport'] == conn['port']
    seen = flow_records(frames, sender)
    check(len({r['id'] for _, r in seen}) == 1, 'the connection changed its id',
          *[r for _, r in seen])
    totals = [r['tx_bytes'] for _, r in seen]
    check(totals == sorted(totals) and totals[-1] > max(r['tx_bytes'] for f, r in seen
                                                        if f['sequence'] <= at),
          'the totals did not keep growing across SetOptions', totals)

    def median_gap(chosen):
        gaps = sorted(b['ts_ns'] - a['ts_ns'] for a, b in zip(chosen, chosen[1:]))
        return gaps[len(gaps) // 2] / 1e6
    before, after = median_gap(frames[1:at]), median_gap(frames[at + 2:])
    log(f'median frame spacing: {before:.0f} ms before, {after:.0f} ms after')
    check(before >= 800 and after <= 500,
          f'the frames did not follow the new interval: {before:.0f} ms, then {after:.0f} ms')


# -- instance ----------------------------------------------------------------------

def instance_ids(fx):
    client, out = run_client(fx, 'instance')
    wait_client(client, 'helper-rates-client instance')
    lines = read_json_lines(out)
    ids = [line['instance_id'] for line in lines if 'instance_id' in line]
    check(len(ids) == 2, 'two rounds expected', *lines)
    framed = {line['instance'] for line in lines if 'sequence' in line}
    check(framed == set(ids), 'the frames named another instance than the client kept', framed, ids)
    return ids


def test_instance(fx):
    """The helper run's id: the same for two subscriptions of one run, in
    the frames and the InstanceId property; another after a restart."""
    first, again = instance_ids(fx)
    check(re.fullmatch(r'[0-9a-f]{32}', first), f'not 128 bits in hex: {first!r}')
    check(first == again, 'one helper run gave two instance ids', first, again)
    prop = parse_gvariant_scalar(fx.helper_property('InstanceId'))
    check(prop == first, 'InstanceId differs from the frames\'', prop, first)

    fx.stop_helper()
    wait_for(lambda: not fx.helper_running(), 'the helper to exit')
    second, _ = instance_ids(fx)
    log(f'instance ids: {first}, then {second}')
    check(re.fullmatch(r'[0-9a-f]{32}', second) and second != first,
          'a new helper run kept the instance id', first, second)

    # The standalone JSON: every record of a run names it, another run
    # another id.
    os.environ['NETPULSE_HELPER'] = fx.helper_path
    standalone = [standalone_instance(), standalone_instance()]
    log(f'standalone instance ids: {standalone}')
    check(standalone[0] != standalone[1] and not {first, second} & set(standalone),
          'two helper runs had the same instance id', standalone, first, second)


def standalone_instance():
    with StandaloneHelper(interval=200) as helper:
        helper.wait_ticks(2)
        records = helper.snapshot()
    ids = {r.get('instance') for r in records}
    check(len(ids) == 1 and re.fullmatch(r'[0-9a-f]{32}', ids.copy().pop() or ''),
          'the standalone records do not all carry one instance id', ids)
    return ids.pop()


CASES = {
    'rates-bursty': test_rates_bursty,
    'rates-short': test_rates_short,
    'set-options': test_set_options,
    # InstanceId is read after the last subscription ended: from the same run.
    'instance': (test_instance, {'idle_timeout_ms': 60000}),
}


if __name__ == '__main__':
    sys.exit(run_case(CASES))
