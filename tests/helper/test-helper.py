#!/usr/bin/env python3
# test-helper.py — end-to-end tests of netpulse-helper as a D-Bus service:
# a private system bus, a real polkitd, the helper started by bus activation
# as root, and unprivileged test users running netpulsectl and raw clients.
#
#   test-helper.py CASE      (granted, denied, killed, malformed, two-clients,
#                             hostile-comm, lifecycle, backend-failed,
#                             sandbox-caps, slow-reader, close-stream,
#                             least-privilege, outside-unit,
#                             auth-flood, auth-agent,
#                             auth-revoked, auth-idle, huge-input,
#                             app-granted, app-denied,
#                             app-helper-crash: the real app as a test user
#                             under Xvfb)
#
# Needs root; skips (77) without it, fails under CI=true.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from helperfixture import (HelperFixture, TestFailure, log, wait_for,  # noqa: E402
                           parse_gvariant_scalar, run_case)
import app_driver  # noqa: E402
from npescape import HOSTILE_NAMES, describe, first_unsafe, shown  # noqa: E402

TRAFFIC = os.path.join(HERE, 'helper-traffic.py')
NOT_AUTHORIZED = 'io.github.netpulse.Error.NotAuthorized'
INVALID_OPTION = 'io.github.netpulse.Error.InvalidOption'
TOO_MANY = 'io.github.netpulse.Error.TooManySubscriptions'
NO_SUCH = 'io.github.netpulse.Error.NoSuchSubscription'
BUSY = 'io.github.netpulse.Error.Busy'
# helper/netpulse-gate.h
MAX_PENDING_PER_CALLER = 16
MAX_PENDING_PER_UID = 32
# Before the bus has told the helper a new connection's uid.
MAX_PENDING_PER_NEW_CALLER = 4

# netpulsectl's documented exit statuses.
EXIT_OK = 0
EXIT_NOT_AUTHORIZED = 4
EXIT_HELPER_FAILED = 5

# Odd sizes, so that no other count can be mistaken for them.
SENT = 1234567
RECEIVED = 765433


def check(condition, message, *details):
    if not condition:
        raise TestFailure(message + ''.join(f'\n  {d}' for d in details))


def read_json_lines(path):
    records = []
    try:
        with open(path, errors='replace') as f:
            for line in f:
                if not line.endswith('\n'):
                    break                    # being written
                line = line.strip()
                if line:
                    records.append(json.loads(line))
    except FileNotFoundError:
        pass
    return records


# -- records, as netpulsectl --json and helper-test-client stream print them --

def netpulsectl_records(path):
    """The record lines; not the {"type": "warning"} lines monitor prints
    when the helper could not track everything."""
    return [r for r in read_json_lines(path) if 'type' not in r]


def stream_records(path):
    """Flattened records of helper-test-client stream output, with
    netpulsectl's key for the closed flag."""
    records = []
    for update in read_json_lines(path):
        for r in update['changed']:
            r = dict(r)
            r['closed'] = bool(r['flags'] & 1)
            r['partial'] = bool(r['flags'] & 2)
            records.append(r)
    return records


def final_record(records, pid):
    """The closed record of @pid's connection, once it is there."""
    closed = [r for r in records if r['pid'] == pid and r['closed']]
    return closed[-1] if closed else None


def wait_final_records(reader, path, traffic, what):
    def both():
        records = reader(path)
        client = final_record(records, traffic['client_pid'])
        server = final_record(records, traffic['server_pid'])
        return (client, server) if client and server else None
    return wait_for(both, f'the final records of the test connection in {what}')


def check_exact_totals(client, server, traffic, netns_inode, what):
    log(f'{what}: client {client}')
    log(f'{what}: server {server}')
    check(client['tx_bytes'] == traffic['sent'] and client['rx_bytes'] == traffic['received'],
          f'{what}: the client side does not have the exact totals', client, traffic)
    check(server['rx_bytes'] == traffic['sent'] and server['tx_bytes'] == traffic['received'],
          f'{what}: the server side does not have the exact totals', server, traffic)
    for r in (client, server):
        check(r['netns'] == netns_inode, f'{what}: wrong network namespace', r, netns_inode)
        check(not r['partial'], f'{what}: a connection made while monitoring is partial', r)


def run_traffic(fx, netns, comm_hex=None):
    argv = ['ip', 'netns', 'exec', netns, sys.executable, TRAFFIC, '127.0.0.1',
            str(SENT), str(RECEIVED)]
    if comm_hex:
        argv.append(comm_hex)
    result = fx.run_root(argv)
    traffic = json.loads(result.stdout)
    log(f'traffic: {traffic}')
    return traffic


def netns_inode(netns):
    return os.stat(f'/run/netns/{netns}').st_ino


def stop_client(proc, what, expected=EXIT_OK):
    """SIGTERM: a polite client unsubscribes and exits with @expected."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise TestFailure(f'{what} did not exit after SIGTERM')
    stderr = HelperFixture.read_log(proc.stderr_path)
    check(proc.returncode == expected,
          f'{what} exited with {proc.returncode}, not {expected}', stderr)
    return stderr


def gdbus_error(stderr):
    return stderr.split('GDBus.Error:', 1)[-1].split(':', 1)[0] if 'GDBus.Error:' in stderr else stderr


# -- the cases -----------------------------------------------------------------

def test_granted(fx):
    """An authorized unprivileged user streams records; traffic made by the
    test shows up with exact totals."""
    ctl = fx.user_binary('tools', 'netpulsectl')

    result = fx.run_as(fx.granted, [ctl, 'status', '--json'])
    check(result.returncode == EXIT_OK, 'netpulsectl status failed', result.stderr)
    status = json.loads(result.stdout)
    log(f'status: {status}')
    check(status['authorized'] is True, 'the granted user is not authorized', status)
    check(status['version'] == parse_gvariant_scalar(fx.helper_property('Version')),
          'status shows another version than the helper', status)

    out = os.path.join(fx.tmpdir, 'monitor.jsonl')
    monitor = fx.spawn_as(fx.granted, [ctl, 'monitor', '--json', '--interval', '200'], out)
    fx.wait_subscriptions(1)
    backend = parse_gvariant_scalar(fx.helper_property('Backend'))
    check(backend != 'none', 'a subscription is active but no backend is loaded')
    check(f'backend in use: {backend}' in fx.helper_log(),
          'the helper did not log which backend is active')

    # While monitoring, status shows the backend and the counters.
    result = fx.run_as(fx.granted, [ctl, 'status', '--json'])
    check(result.returncode == EXIT_OK, 'netpulsectl status failed', result.stderr)
    status = json.loads(result.stdout)
    log(f'status while monitoring: {status}')
    check(status['backend'] == backend and status['subscriptions'] == 1,
          'status does not show the running monitor', status)
    for name in ('flow-overflow', 'peer-overflow', 'release-overflow', 'unknown-peer',
                 'ticks', 'flows', 'max-flows'):
        check(name in status['counters'], f'status --json has no counter {name!r}', status)

    netns = fx.add_netns()
    traffic = run_traffic(fx, netns)
    client, server = wait_final_records(netpulsectl_records, out, traffic, 'netpulsectl monitor')
    check_exact_totals(client, server, traffic, netns_inode(netns), 'netpulsectl monitor')

    stop_client(monitor, 'netpulsectl monitor')
    fx.wait_subscriptions(0)


def test_denied(fx):
    """A user polkit says no to gets a clear error and no data; the helper
    stays up and keeps serving the authorized user meanwhile."""
    ctl = fx.user_binary('tools', 'netpulsectl')
    client_bin = fx.user_binary('tests', 'helper', 'helper-test-client')

    granted_out = os.path.join(fx.tmpdir, 'granted.jsonl')
    granted = fx.spawn_as(fx.granted, [client_bin, 'stream', '200', '0'], granted_out)
    fx.wait_subscriptions(1)
    wait_for(lambda: read_json_lines(granted_out), 'the first Update of the granted user')
    granted_path = read_json_lines(granted_out)[0]['path']
    helper_pid = fx.helper_pid()

    # netpulsectl: exit status 4, one clear line, no records.
    result = fx.run_as(fx.denied, [ctl, 'monitor', '--json', '--count', '3'])
    log(f'denied netpulsectl: {result.returncode} {result.stderr.strip()!r}')
    check(result.returncode == EXIT_NOT_AUTHORIZED,
          f'netpulsectl monitor exited with {result.returncode}, not {EXIT_NOT_AUTHORIZED}',
          result.stderr)
    check(result.stdout == '', 'a denied client got output', result.stdout[:500])
    reason = result.stderr.lower()
    check('author' in reason or 'allowed' in reason,
          'the error does not say that authorization failed', result.stderr)

    # Status needs no authorization, and tells.
    result = fx.run_as(fx.denied, [ctl, 'status', '--json'])
    check(result.returncode == EXIT_OK, 'netpulsectl status failed for the denied user', result.stderr)
    check(json.loads(result.stdout)['authorized'] is False, 'status claims authorization', result.stdout)

    # Raw calls: authorization comes first, before anything is looked at.
    for method, args in (('Subscribe', ["{'interval-ms': <uint32 500>}"]),
                         ('Subscribe', ["{'bogus': <'x'>}"]),
                         ('GetSnapshot', [granted_path])):
        rc, out, err = fx.gdbus_call_as(fx.denied, f'io.github.netpulse.Helper1.{method}', *args)
        log(f'denied {method}: {err}')
        check(rc != 0 and gdbus_error(err) == NOT_AUTHORIZED,
              f'{method} by the denied user did not fail with NotAuthorized', out, err)

    # Nobody can end someone else's stream (Unsubscribe needs no polkit).
    rc, out, err = fx.gdbus_call_as(fx.denied, 'io.github.netpulse.Helper1.Unsubscribe', granted_path)
    check(rc != 0 and gdbus_error(err) == NO_SUCH,
          "the denied user's Unsubscribe of another's subscription did not fail", out, err)

    # CheckAuthorization answers instead of failing.
    rc, out, err = fx.gdbus_call_as(fx.denied, 'io.github.netpulse.Helper1.CheckAuthorization', 'true')
    check(rc == 0 and parse_gvariant_scalar(out) is False, 'CheckAuthorization', out, err)

    # A user no rule mentions gets the policy's defaults: no session → no.
    try:
        from helperfixture import User
        nobody = User('nobody')
    except KeyError:
        nobody = None
    if nobody is not None:
        rc, out, err = fx.gdbus_call_as(nobody, 'io.github.netpulse.Helper1.Subscribe', '{}')
        check(rc != 0 and gdbus_error(err) == NOT_AUTHORIZED,
              'a user without a session was authorized: check allow_any/allow_inactive', out, err)

    # No leak: the denied user hears no Update, even when asking for all.
    result = fx.run_as(fx.denied, [client_bin, 'listen', '3'])
    check(result.returncode == 0, 'helper-test-client listen failed', result.stderr)
    heard = json.loads(result.stdout)
    log(f'denied listener: {heard}')
    check(heard['updates'] == 0, "the denied user received Update signals", heard)
    check(heard['monitor'] == 'refused', 'an unprivileged user could become a bus monitor', heard)

    # Still the same helper, still streaming to the authorized user.
    check(fx.helper_pid() == helper_pid, 'the helper restarted (crashed?)')
    seen = len(read_json_lines(granted_out))
    wait_for(lambda: len(read_json_lines(granted_out)) > seen + 2,
             'more Updates for the granted user')
    stop_client(granted, 'the granted stream')
    fx.wait_subscriptions(0)


def test_killed(fx):
    """A client killed mid-stream is dropped at once; the helper then idles
    out and leaves no kernel program behind."""
    ctl = fx.user_binary('tools', 'netpulsectl')
    out = os.path.join(fx.tmpdir, 'monitor.jsonl')
    monitor = fx.spawn_as(fx.granted, [ctl, 'monitor', '--json', '--interval', '200'], out)
    fx.wait_subscriptions(1)

    helper_pid = fx.helper_pid()
    prog_ids = wait_for(lambda: fx.bpf_ids_of_process(helper_pid),
                        'the kernel programs of the helper')
    log(f'helper {helper_pid} holds BPF programs {sorted(prog_ids)}')
    check(prog_ids <= fx.loaded_bpf_program_ids(), 'bpftool does not list the programs')

    monitor.kill()
    monitor.wait()
    fx.wait_subscriptions(0)
    # Whichever the helper sees first: the stream's hang-up or the bus
    # saying that the client's name is gone.
    wait_for(lambda: 'left the bus' in fx.helper_log() or 'closed its stream' in fx.helper_log(),
             'the helper to notice the client left')
    # The collector stays loaded after the last subscription (privileges
    # are gone, it could not be loaded again): the idle exit ends it.
    check(fx.bpf_ids_of_process(helper_pid) == prog_ids,
          'the helper let go of its kernel programs before its idle exit')

    # No call from here on: a property read would keep the helper alive.
    wait_for(lambda: not fx.helper_running(), 'the helper to exit after its idle timeout')
    wait_for(lambda: not os.path.exists(f'/proc/{helper_pid}'), 'the helper process to end')
    check('No subscribers for' in fx.helper_log(), 'the helper did not exit because it was idle')

    # The kernel frees programs shortly after the last reference is gone.
    def none_left():
        return not (prog_ids & fx.loaded_bpf_program_ids())
    wait_for(none_left, 'the kernel programs of the helper to be gone')
    log('bpftool prog: none of the helper\'s programs is left')


def test_malformed(fx):
    """Bad calls get errors, the limits hold, and the helper keeps serving
    another client all along."""
    client_bin = fx.user_binary('tests', 'helper', 'helper-test-client')

    other_out = os.path.join(fx.tmpdir, 'other.jsonl')
    other = fx.spawn_as(fx.granted, [client_bin, 'stream', '500', '0'], other_out)
    fx.wait_subscriptions(1)
    helper_pid = fx.helper_pid()

    result = fx.run_as(fx.granted, [client_bin, 'malformed'])
    for line in result.stdout.splitlines():
        case = json.loads(line)
        log(f"{case['case']}: {case['got']} {'ok' if case['ok'] else 'WRONG'}")
    check(result.returncode == 0, 'some malformed call got an unexpected answer',
          result.stdout, result.stderr)

    # The same by hand, the way a person would try it.
    for args, expected in (([ "{'interval-ms': <'fast'>}"], INVALID_OPTION),
                           ([ "{'interval-ms': <uint32 4000000000>}"], INVALID_OPTION),
                           ([ "{'interval-ms': <int64 99999999999999>}"], INVALID_OPTION),
                           ([ "{'interval': <500>}"], INVALID_OPTION)):
        rc, out, err = fx.gdbus_call_as(fx.granted, 'io.github.netpulse.Helper1.Subscribe', *args)
        log(f'gdbus Subscribe {args[0]}: {err}')
        check(rc != 0 and gdbus_error(err) == expected, f'Subscribe {args} did not fail as expected',
              out, err)
    rc, out, err = fx.gdbus_call_as(fx.granted, 'io.github.netpulse.Helper1.Frobnicate')
    check(rc != 0, 'an unknown method succeeded', out)

    # 100 Subscribe calls at once on one connection: the per-client limit.
    result = fx.run_as(fx.granted, [client_bin, 'subscribe-many', '100', '200'], timeout=120)
    check(result.returncode == 0, 'subscribe-many failed', result.stderr)
    many = json.loads(result.stdout)
    log(f'100 rapid subscribes: {many}')
    # At most 16 calls of one connection wait for polkit at once, and only
    # 4 while the bus has not yet told the helper the connection's uid (the
    # others are answered Busy at once: how many arrive before that answer
    # depends on timing); of those let through, 4 succeed.
    errors = dict(many['errors'])
    busy = errors.pop(BUSY, 0)
    check(many['ok'] == 4 and set(errors) <= {TOO_MANY} and sum(errors.values()) + busy == 96
          and busy <= 100 - MAX_PENDING_PER_NEW_CALLER,
          'the per-client limit (4) did not hold', many)
    for key in ('two_updates_each', 'snapshots_ok', 'unsubscribes_ok'):
        check(many[key] is True, f'subscribe-many: {key}', many, result.stderr)
    check(many['gaps'] is False and many['misaddressed'] == 0 and many['unknown_updates'] == 0,
          'subscribe-many: Updates with gaps, or not for us', many)
    fx.wait_subscriptions(1)

    # The total limit (64), with clients that then vanish without a word.
    holders = []
    total_ok = 1                                   # the other stream
    for i in range(16):
        out = os.path.join(fx.tmpdir, f'holder-{i}.json')
        holders.append(fx.spawn_as(fx.granted, [client_bin, 'hold', '4', '1000'], out))
        summary = wait_for(lambda: read_json_lines(out), f'holder {i} to subscribe')[0]
        total_ok += summary['ok']
        if i < 15:
            check(summary['ok'] == 4, f'holder {i} could not subscribe 4 times', summary)
    log(f'last holder: {summary}')
    check(total_ok == 64 and summary['errors'] == {TOO_MANY: 1},
          'the total limit (64) did not hold', summary, total_ok)
    check(fx.subscriptions() == 64, 'the helper does not count 64 subscriptions')
    for proc in holders:
        proc.kill()
    fx.wait_subscriptions(1)

    check(fx.helper_pid() == helper_pid, 'the helper restarted (crashed?)')
    seen = len(read_json_lines(other_out))
    wait_for(lambda: len(read_json_lines(other_out)) > seen + 2, 'more Updates for the other client')
    stop_client(other, 'the other stream')
    fx.wait_subscriptions(0)


def test_two_clients(fx):
    """Two clients at once get independent streams, each with the traffic."""
    ctl = fx.user_binary('tools', 'netpulsectl')
    client_bin = fx.user_binary('tests', 'helper', 'helper-test-client')

    a_out = os.path.join(fx.tmpdir, 'a.jsonl')
    b_out = os.path.join(fx.tmpdir, 'b.jsonl')
    c_out = os.path.join(fx.tmpdir, 'c.jsonl')
    a = fx.spawn_as(fx.granted, [client_bin, 'stream', '200', '0'], a_out)
    b = fx.spawn_as(fx.granted, [ctl, 'monitor', '--json', '--interval', '500'], b_out)
    c = fx.spawn_as(fx.granted, [client_bin, 'stream', '1000', '0'], c_out)
    fx.wait_subscriptions(3)

    netns = fx.add_netns()
    traffic = run_traffic(fx, netns)
    inode = netns_inode(netns)
    for reader, path, what in ((stream_records, a_out, 'client A (200 ms)'),
                               (netpulsectl_records, b_out, 'client B (netpulsectl, 500 ms)'),
                               (stream_records, c_out, 'client C (1000 ms)')):
        client, server = wait_final_records(reader, path, traffic, what)
        check_exact_totals(client, server, traffic, inode, what)

    # Each raw client saw only its own subscription, without gaps, every
    # Update addressed to it (checked by the client, exit status 0).
    paths = set()
    for proc, path, what in ((a, a_out, 'client A'), (c, c_out, 'client C')):
        stop_client(proc, what)
        updates = read_json_lines(path)
        own = {u['path'] for u in updates}
        check(len(own) == 1, f'{what} got Updates of several subscriptions', own)
        check([u['sequence'] for u in updates] == list(range(1, len(updates) + 1)),
              f'{what}: sequences are not 1, 2, 3…')
        paths |= own
    check(len(paths) == 2, 'two clients got the same subscription path', paths)
    stop_client(b, 'client B')
    fx.wait_subscriptions(0)


# Beyond the names of npescape.HOSTILE_NAMES: a raw 8-bit CSI, and a name
# that is not UTF-8, cut inside a character ("np-\xff\xfe-" then four "é"
# and the first byte of a fifth: 15 bytes, the most the kernel keeps).
BROKEN_NAMES = [b'x\x9b2J', b'np-\xff\xfe-' + 'éééé'.encode() + b'\xc3']


def table_rows(path):
    """{pid: [line, …]} of netpulsectl monitor's table output (bytes)."""
    rows = {}
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except FileNotFoundError:
        return rows, b''
    for line in data.split(b'\n'):
        m = re.match(rb'\s*(\d+)  ', line)
        if m:
            rows.setdefault(int(m.group(1)), []).append(line)
    return rows, data


def check_printable(data, what, allowed):
    """@data (bytes of an output) holds no raw control byte or codepoint."""
    bad = [b for b in data if (b < 0x20 and chr(b) not in allowed) or b == 0x7f]
    check(not bad, f'{what}: raw control bytes {bytes(bad[:8])!r}')
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        raise TestFailure(f'{what}: not UTF-8: {e}')
    ch = first_unsafe(text, allowed)
    check(ch is None, f'{what}: a raw {describe(ch)}')


def test_hostile_comm(fx):
    """Processes named with terminal escapes, forged lines, C1, bidi and
    invisible characters, or with bytes that are not UTF-8: the helper
    survives and reports every connection with its exact totals, and
    neither netpulsectl's table nor its JSON lines hold a raw control
    byte: the table shows the names escaped, the JSON keeps them exactly."""
    client_bin = fx.user_binary('tests', 'helper', 'helper-test-client')
    ctl = fx.user_binary('tools', 'netpulsectl')

    a_out = os.path.join(fx.tmpdir, 'a.jsonl')
    b_out = os.path.join(fx.tmpdir, 'b.jsonl')
    c_out = os.path.join(fx.tmpdir, 'c.txt')
    a = fx.spawn_as(fx.granted, [client_bin, 'stream', '200', '0'], a_out)
    b = fx.spawn_as(fx.granted, [ctl, 'monitor', '--json', '--interval', '200'], b_out)
    c = fx.spawn_as(fx.granted, [ctl, 'monitor', '--interval', '200', '--sort', 'pid'], c_out)
    fx.wait_subscriptions(3)
    helper_pid = fx.helper_pid()

    netns = fx.add_netns()
    inode = netns_inode(netns)
    runs = []
    # One process per name: each renames itself, then connects.
    for comm in [n.encode() for n in HOSTILE_NAMES] + BROKEN_NAMES:
        check(len(comm) <= 15, f'{comm!r} is longer than the kernel keeps')
        runs.append((comm, run_traffic(fx, netns, comm.hex())))

    for reader, path, what in ((stream_records, a_out, 'raw client'),
                               (netpulsectl_records, b_out, 'netpulsectl --json')):
        def all_final():
            records = reader(path)
            finals = [(final_record(records, t['client_pid']), final_record(records, t['server_pid']))
                      for _, t in runs]
            return finals if all(c and s for c, s in finals) else None
        finals = wait_for(all_final, f'the final records of the test connections in {what}')
        for (comm, traffic), (client, server) in zip(runs, finals):
            check_exact_totals(client, server, traffic, inode, what)
            log(f'{what}: {comm!r} arrived as {client["comm"]!r}')
            if comm not in BROKEN_NAMES:
                check(client['comm'] == comm.decode(), f'{what} changed the name {comm!r}', client['comm'])

    # Each connection has its row in the table (shown once it closes).
    pids = [traffic['client_pid'] for _, traffic in runs]

    def every_row():
        rows, table = table_rows(c_out)
        return (rows, table) if all(pid in rows for pid in pids) else None
    rows, table = wait_for(every_row, 'a table row for every hostile process')
    with open(b_out, 'rb') as f:
        check_printable(f.read(), 'netpulsectl --json', '\n')
    check_printable(table, 'netpulsectl monitor', '\n')
    for comm, traffic in runs:
        if comm in BROKEN_NAMES:
            continue
        want = shown(comm.decode()).encode()
        for line in rows[traffic['client_pid']]:
            check(want in line, f'the table row of {comm!r} does not show it as {want!r}', line)
    forged = [line for line in table.split(b'\n') if line.startswith((b'FAKE', b'1.2.3.4'))]
    check(not forged, 'the table has forged rows', forged)
    log(f'table: {len(pids)} hostile processes in {sum(len(rows[p]) for p in pids)} rows, all escaped')

    check(fx.helper_pid() == helper_pid, 'the helper restarted (crashed?)')
    stop_client(a, 'the raw client')
    stop_client(b, 'netpulsectl --json')
    stop_client(c, 'netpulsectl monitor')
    fx.wait_subscriptions(0)


def test_lifecycle(fx):
    """Activated without a subscriber, the helper idles out; only root may
    own the name; a second helper does not start beside a running one;
    --replace takes over."""
    # A property read activates the helper; nobody subscribes.
    check(parse_gvariant_scalar(fx.helper_property('Subscriptions')) == 0, 'Subscriptions')
    first_pid = fx.helper_pid()
    wait_for(lambda: not fx.helper_running(), 'the unused helper to idle out')
    check('No subscribers for' in fx.helper_log(), 'the helper did not say why it exited')
    check(parse_gvariant_scalar(fx.helper_property('Backend')) == 'none',
          'a fresh helper has a backend loaded')
    second_pid = fx.helper_pid()
    check(second_pid != first_pid, 'the helper did not exit and start again')

    # An unprivileged user cannot own the name (bus policy), and says so.
    helper = fx.user_binary('helper', 'netpulse-helper')
    result = fx.run_as(fx.granted, [helper, '--idle-timeout=1000'])
    log(f'helper as {fx.granted.name}: {result.returncode} {result.stderr.strip()!r}')
    check(result.returncode == 1 and 'Could not acquire the name' in result.stderr,
          'an unprivileged helper did not fail to own the name', result.stderr)

    # Nor can a second root helper beside the running one…
    result = fx.run_root([fx.helper_path, '--idle-timeout=1000'], check=False)
    check(result.returncode == 1 and 'Could not acquire the name' in result.stderr,
          'a second helper did not give up', result.stderr)
    check(fx.helper_pid() == second_pid, 'the running helper was disturbed')

    # …unless it is asked to replace it.
    log('starting a replacement helper')
    replacement = subprocess.Popen([fx.helper_path, '--replace', '--idle-timeout=2000'],
                                   env=fx.root_env(), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True, errors='replace')
    fx.processes.append(replacement)
    wait_for(lambda: fx.helper_pid() == replacement.pid, 'the replacement to own the name')
    wait_for(lambda: not os.path.exists(f'/proc/{second_pid}'), 'the replaced helper to exit')
    check('Another helper took over' in fx.helper_log(), 'the replaced helper did not say why')
    _, stderr = replacement.communicate(timeout=60)
    log(f'replacement exited with {replacement.returncode}')
    check(replacement.returncode == 0, 'the replacement did not idle out cleanly', stderr)


def test_backend_failed(fx):
    """When the kernel programs cannot be loaded, Subscribe fails with
    BackendFailed and the reason; the helper stays up, then idles out."""
    ctl = fx.user_binary('tools', 'netpulsectl')

    rc, out, err = fx.gdbus_call_as(fx.granted, 'io.github.netpulse.Helper1.Subscribe', '{}')
    log(f'Subscribe: {err}')
    check(rc != 0 and gdbus_error(err) == 'io.github.netpulse.Error.BackendFailed',
          'Subscribe did not fail with BackendFailed', out, err)
    check('unknown backend' in err, 'the error does not say why', err)
    helper_pid = fx.helper_pid()

    result = fx.run_as(fx.granted, [ctl, 'monitor', '--json', '--count', '2'])
    log(f'netpulsectl: {result.returncode} {result.stderr.strip()!r}')
    check(result.returncode == EXIT_HELPER_FAILED,
          f'netpulsectl exited with {result.returncode}, not {EXIT_HELPER_FAILED}', result.stderr)
    check('unknown backend' in result.stderr, 'netpulsectl does not show the reason', result.stderr)

    check(fx.helper_pid() == helper_pid, 'the helper restarted (crashed?)')
    check(fx.subscriptions() == 0, 'a failed Subscribe left a subscription behind')
    check(parse_gvariant_scalar(fx.helper_property('Backend')) == 'none', 'Backend is not none')
    wait_for(lambda: not fx.helper_running(), 'the helper to idle out')


CAPABILITY_NUMBERS = {
    'chown': 0, 'dac_override': 1, 'dac_read_search': 2, 'fowner': 3, 'fsetid': 4,
    'kill': 5, 'setgid': 6, 'setuid': 7, 'setpcap': 8, 'linux_immutable': 9,
    'net_bind_service': 10, 'net_broadcast': 11, 'net_admin': 12, 'net_raw': 13,
    'ipc_lock': 14, 'ipc_owner': 15, 'sys_module': 16, 'sys_rawio': 17, 'sys_chroot': 18,
    'sys_ptrace': 19, 'sys_pacct': 20, 'sys_admin': 21, 'sys_boot': 22, 'sys_nice': 23,
    'sys_resource': 24, 'sys_time': 25, 'sys_tty_config': 26, 'mknod': 27, 'lease': 28,
    'audit_write': 29, 'audit_control': 30, 'setfcap': 31, 'mac_override': 32,
    'mac_admin': 33, 'syslog': 34, 'wake_alarm': 35, 'block_suspend': 36, 'audit_read': 37,
    'perfmon': 38, 'bpf': 39, 'checkpoint_restore': 40,
}


def minimum_capabilities():
    """The capabilities the helper keeps once attached, as documented in
    helper/netpulse-sandbox.c: CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH for
    /proc/PID/fd, and CAP_BPF where the kernel wants it for every bpf()
    command (before 6.5 with kernel.unprivileged_bpf_disabled set)."""
    caps = (1 << CAPABILITY_NUMBERS['sys_ptrace']) | (1 << CAPABILITY_NUMBERS['dac_read_search'])
    release = tuple(int(x) for x in re.match(r'(\d+)\.(\d+)', os.uname().release).groups())
    with open('/proc/sys/kernel/unprivileged_bpf_disabled') as f:
        unprivileged_bpf_disabled = int(f.read())
    if release < (6, 5) and unprivileged_bpf_disabled != 0:
        caps |= 1 << CAPABILITY_NUMBERS['bpf']
    return caps


def process_statuses(pid):
    """/proc/PID/status and every /proc/PID/task/TID/status, as dicts."""
    statuses = {}
    paths = [(f'process {pid}', f'/proc/{pid}/status')]
    paths += [(f'thread {tid}', f'/proc/{pid}/task/{tid}/status')
              for tid in sorted(os.listdir(f'/proc/{pid}/task'), key=int)]
    for what, path in paths:
        try:
            with open(path, errors='replace') as f:
                statuses[what] = dict(line.rstrip('\n').split(':\t', 1) for line in f if ':\t' in line)
        except FileNotFoundError:
            continue                        # a pool thread that just ended
    return statuses


def check_least_privilege(fx, pid):
    """Every thread of the running helper has exactly the documented
    minimum in each capability set, no_new_privs and a seccomp filter.  Called
    with a subscription active: Subscribe answers once the drop is done."""
    expected = minimum_capabilities()
    want = {'CapEff': expected, 'CapPrm': expected, 'CapBnd': expected, 'CapInh': 0, 'CapAmb': 0}
    statuses = process_statuses(pid)
    for what, status in statuses.items():
        got = {key: int(status[key], 16) for key in want}
        log(f"{what} ({status['Name']}): " + ' '.join(f'{k} {v:016x}' for k, v in got.items())
            + f" NoNewPrivs {status['NoNewPrivs']} Seccomp {status['Seccomp']}")
        check(got == want, f'{what} ({status["Name"]}) does not have the documented minimum',
              {k: f'{v:016x}' for k, v in got.items()}, {k: f'{v:016x}' for k, v in want.items()})
        check(status['NoNewPrivs'] == '1', f'{what}: no_new_privs is not set', status['NoNewPrivs'])
        check(status['Seccomp'] == '2', f'{what}: no seccomp filter', status['Seccomp'])
    return len(statuses) - 1


def unit_capabilities(build_root):
    with open(os.path.join(build_root, 'data', 'system', 'netpulse-helper.service')) as f:
        unit = f.read()
    m = re.search(r'^CapabilityBoundingSet=(.*)$', unit, re.M)
    caps = [c.lower().removeprefix('cap_') for c in m.group(1).split()] if m else []
    no_new_privs = re.search(r'^NoNewPrivileges=yes$', unit, re.M) is not None
    return caps, no_new_privs


def sandbox_fixture_args(build_root):
    """The capability bounding set and NoNewPrivileges= of the built
    systemd unit, applied with setpriv: no systemd runs the tests."""
    caps, no_new_privs = unit_capabilities(build_root)
    wrapper = [shutil.which('setpriv') or '/usr/bin/setpriv']
    if no_new_privs:
        wrapper.append('--no-new-privs')
    wrapper += ['--bounding-set=-all,' + ','.join('+' + c for c in caps), '--inh-caps=-all', '--']
    return {'helper_wrapper': wrapper}


def test_sandbox_caps(fx):
    """With only the capabilities the systemd unit keeps, the helper still
    loads its programs, counts exactly, and finds the owner of a connection
    an unprivileged process opened before monitoring began."""
    ctl = fx.user_binary('tools', 'netpulsectl')
    traffic_script = fx.user_copy(TRAFFIC)
    caps, no_new_privs = unit_capabilities(fx.build_root)
    log(f'unit capabilities: {caps}, NoNewPrivileges={no_new_privs}')

    # A connection of an unprivileged user's processes, from before.
    netns = fx.add_netns()
    holder = subprocess.Popen(['ip', 'netns', 'exec', netns, 'setpriv',
                               f'--reuid={fx.granted.uid}', f'--regid={fx.granted.gid}',
                               '--clear-groups', sys.executable, traffic_script, '--hold',
                               '127.0.0.1', '4321'],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    fx.processes.append(holder)
    held = json.loads(holder.stdout.readline())
    log(f'held connection: {held}')

    out = os.path.join(fx.tmpdir, 'monitor.jsonl')
    monitor = fx.spawn_as(fx.granted, [ctl, 'monitor', '--json', '--interval', '200'], out)
    fx.wait_subscriptions(1)

    helper_pid = fx.helper_pid()
    with open(f'/proc/{helper_pid}/status', errors='replace') as f:
        status = dict(line.rstrip('\n').split(':\t', 1) for line in f if ':\t' in line)
    allowed = sum(1 << CAPABILITY_NUMBERS[c] for c in caps)
    effective = int(status['CapEff'], 16)
    log(f"helper CapEff {status['CapEff']}, NoNewPrivs {status.get('NoNewPrivs')}")
    if fx.helper_wrapper:
        check(effective & ~allowed == 0, 'the helper has capabilities the unit does not grant',
              status['CapEff'])
        if no_new_privs:
            check(status.get('NoNewPrivs') == '1', 'no_new_privs is not set on the helper')
    # From the unit's set too, the helper gets down to the minimum.
    check_least_privilege(fx, helper_pid)

    def held_record():
        for r in netpulsectl_records(out):
            if r['lport'] == held['port'] or r['rport'] == held['port']:
                if r['pid'] == held['client_pid'] and r['rport'] == held['port']:
                    return r
        return None
    try:
        record = wait_for(held_record, "the connection from before, with its owner")
    except TestFailure:
        records = netpulsectl_records(out)
        inode = netns_inode(netns)
        log(f'{len(records)} records; those of the test namespace: '
            + repr([r for r in records if r['netns'] == inode]))
        raise
    log(f'connection from before: {record}')
    check(record['uid'] == fx.granted.uid, 'wrong owner uid', record)
    holder.stdin.close()
    holder.wait(timeout=30)

    traffic = run_traffic(fx, netns)
    client, server = wait_final_records(netpulsectl_records, out, traffic, 'netpulsectl')
    check_exact_totals(client, server, traffic, netns_inode(netns), 'netpulsectl')

    stop_client(monitor, 'netpulsectl monitor')
    fx.wait_subscriptions(0)


FLOOD_TRAFFIC = os.path.join(os.path.dirname(HERE), 'collector', 'traffic.py')
OVERFLOW_PEER_CAP = 16


def test_overflow_header(fx):
    """The helper started with --max-peers-per-socket 16; a socket sends to
    100 peers: `netpulsectl monitor` prints a warning header line with the
    number of aggregated datagrams (table mode), a {"type": "warning"} line
    (--json), and the aggregate's remote end as "(84 other peers)"."""
    ctl = fx.user_binary('tools', 'netpulsectl')
    table_out = os.path.join(fx.tmpdir, 'monitor.txt')
    json_out = os.path.join(fx.tmpdir, 'monitor.jsonl')
    table = fx.spawn_as(fx.granted, [ctl, 'monitor', '--interval', '500', '--sort', 'pid'], table_out)
    monitor = fx.spawn_as(fx.granted, [ctl, 'monitor', '--json', '--interval', '500'], json_out)
    fx.wait_subscriptions(2)
    time.sleep(1.0)
    check('Warning:' not in HelperFixture.read_log(table_out), 'a warning before any overflow',
          HelperFixture.read_log(table_out)[-2000:])

    netns = fx.add_netns()
    peers = 100
    flood = json.loads(fx.run_root(['ip', 'netns', 'exec', netns, sys.executable, FLOOD_TRAFFIC,
                                    'udp-flood', '1', '0', str(peers), '6', 'seq']).stdout)
    beyond = peers - OVERFLOW_PEER_CAP
    log(f'flood: {flood}')

    def warning_lines():
        return [r for r in read_json_lines(json_out) if r.get('type') == 'warning']
    wait_for(lambda: any(w['peers_aggregated'] >= beyond for w in warning_lines()),
             'the JSON warning line', timeout=20)
    warning = [w for w in warning_lines() if w['peers_aggregated'] >= beyond][0]
    log(f'JSON warning: {warning}')
    check('other peers' in warning['message'] and str(warning['peers_aggregated']) in warning['message'],
          'the JSON warning does not say what happened', warning)
    agg = [r for r in netpulsectl_records(json_out) if r.get('other_peers') and r['pid'] == flood['pid']]
    check(agg and agg[-1]['peers'] == beyond and agg[-1]['tx_bytes'] == beyond * flood['size'],
          'the aggregate record is not exact', agg[-1:])

    def header_shown():
        text = HelperFixture.read_log(table_out)
        return 'Warning:' in text and f'({beyond} other peers)' in text
    wait_for(header_shown, 'the warning header line and the aggregate row in table mode', timeout=20)
    text = HelperFixture.read_log(table_out)
    line = next(l for l in text.splitlines() if l.startswith('Warning:'))
    log(f'table header: {line}')
    check('datagrams' in line and 'other peers' in line, 'the header line does not say what happened', line)
    stop_client(table, 'netpulsectl monitor')
    stop_client(monitor, 'netpulsectl monitor --json')

# -- streams: slow readers, closed streams ---------------------------------------

TOO_SLOW = 'io.github.netpulse.Error.TooSlow'
FAST_MS = 100
LOAD_CONNS = 1500          # 3,000 sockets, every one busy every 100 ms
SLOW_SECONDS = 60


def start_load(fx, netns, conns):
    """np-load hold: @conns loopback TCP connections in @netns, one byte on
    each of them every 100 ms, so that every frame carries them all."""
    load = fx.built('bench', 'np-load')
    proc = subprocess.Popen(['ip', 'netns', 'exec', netns, load, 'hold', '--conns', str(conns),
                             '--active-pct', '100', '--period-ms', str(FAST_MS), '--seconds', '0'],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=fx.root_env())
    fx.processes.append(proc)
    ready = json.loads(proc.stdout.readline() or '{}')
    check(ready.get('ready'), 'np-load hold did not get ready', ready)
    log(f'load: {ready}')
    return proc


def rss_kib(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def max_gap(frames, start, end):
    """The longest time without a frame between @start and @end
    (monotonic seconds), and the frames in that window."""
    times = [start] + [f['t'] for f in frames if start <= f['t'] <= end] + [end]
    return max(b - a for a, b in zip(times, times[1:])), len(times) - 2


def test_slow_reader(fx):
    """A subscriber stopped with SIGSTOP for 60 s while frames are big hurts
    nobody but itself: another subscriber gets every interval's frame, other
    clients' calls are answered at once, the helper's and the bus's memory
    stay bounded, and the stopped one is ended with TooSlow, which it
    reports once it runs again."""
    ctl = fx.user_binary('tools', 'netpulsectl')
    client_bin = fx.user_binary('tests', 'helper', 'helper-test-client')
    netns = fx.add_netns()
    start_load(fx, netns, LOAD_CONNS)

    watch_out = os.path.join(fx.tmpdir, 'watch.jsonl')
    watcher = fx.spawn_as(fx.granted, [client_bin, 'watch', str(FAST_MS)], watch_out)
    victim_out = os.path.join(fx.tmpdir, 'victim.jsonl')
    victim = fx.spawn_as(fx.granted, [ctl, 'monitor', '--json', '--interval', str(FAST_MS)],
                         victim_out)
    fx.wait_subscriptions(2)
    helper_pid = fx.helper_pid()

    def big_frames():
        frames = [f for f in read_json_lines(watch_out) if 'sequence' in f]
        return len(frames) > 20 and frames[-1]['changed'] >= 2 * LOAD_CONNS and frames
    frames = wait_for(big_frames, f'frames with the {2 * LOAD_CONNS} busy sockets')
    log(f"frames before the stop: {frames[-1]['changed']} records, {frames[-1]['bytes']} bytes")
    wait_for(lambda: os.path.getsize(victim_out) > 0, 'records in the victim\'s output')

    # Another client that is no subscriber: Ping and Properties.Get, one
    # after the other, every 250 ms, on one connection of its own.
    ping_out = os.path.join(fx.tmpdir, 'ping.jsonl')
    pinger = fx.spawn_as(fx.denied, [client_bin, 'ping', '250'], ping_out)
    baseline_from = time.monotonic()
    time.sleep(10)

    rss_before = rss_kib(helper_pid)
    bus_rss_before = rss_kib(fx.bus_proc.pid)
    log(f'before the stop: helper RSS {rss_before} KiB, dbus-daemon RSS {bus_rss_before} KiB')

    victim.send_signal(signal.SIGSTOP)
    stopped_at = time.monotonic()
    log(f'victim {victim.pid} stopped')
    rss_max = rss_before
    bus_rss_max = bus_rss_before
    ended_after = None
    try:
        while time.monotonic() - stopped_at < SLOW_SECONDS:
            rss_max = max(rss_max, rss_kib(helper_pid))
            bus_rss_max = max(bus_rss_max, rss_kib(fx.bus_proc.pid))
            if ended_after is None and fx.subscriptions() == 1:
                ended_after = time.monotonic() - stopped_at
                log(f'the stopped subscriber was ended after {ended_after:.1f} s')
            time.sleep(0.5)
    finally:
        window_end = time.monotonic()
        victim.send_signal(signal.SIGCONT)

    frames = [f for f in read_json_lines(watch_out) if 'sequence' in f]
    gap, n_window = max_gap(frames, stopped_at, window_end)
    baseline_gap, n_baseline = max_gap(frames, baseline_from, stopped_at)
    sequences = [f['sequence'] for f in frames]
    log(f'other subscriber: before the stop {n_baseline} frames in {stopped_at - baseline_from:.1f} s, '
        f'longest gap {baseline_gap * 1000:.0f} ms; while stopped {n_window} frames in '
        f'{window_end - stopped_at:.1f} s, longest gap {gap * 1000:.0f} ms; '
        f'{frames[-1]["changed"]} records / {frames[-1]["bytes"]} bytes each')
    pinger.send_signal(signal.SIGTERM)
    pinger.wait(timeout=30)
    calls = [c for c in read_json_lines(ping_out) if stopped_at <= c['t'] <= window_end + 1]
    latencies = [c['latency'] for c in calls]
    check(calls and all(c['ok'] for c in calls), 'calls of another client failed', calls[-5:])
    log(f'calls from another client while stopped: {len(calls)}, slowest '
        f'{max(latencies) * 1000:.0f} ms, median {sorted(latencies)[len(latencies) // 2] * 1000:.1f} ms')
    log(f'helper RSS: {rss_before} KiB before, at most {rss_max} KiB while stopped '
        f'(+{rss_max - rss_before} KiB); dbus-daemon: {bus_rss_before} → at most {bus_rss_max} KiB')

    # The victim, running again, says why it was dropped and exits with the
    # documented status.
    try:
        victim.wait(timeout=60)
    except subprocess.TimeoutExpired:
        raise TestFailure('the ended subscriber did not exit after SIGCONT')
    stderr = HelperFixture.read_log(victim.stderr_path)
    log(f'victim: exit {victim.returncode}, {stderr.strip()!r}')

    check(sequences == list(range(1, len(sequences) + 1)),
          'the other subscriber\'s frames are not 1, 2, 3…')
    # No gap > 2 intervals (the issue's bound), unless the machine already
    # made longer ones before the stop, with two subscribers reading: a
    # shared 2-core machine under other tests' load stretches ticks by
    # itself.  Then the stopped reader must not make it worse than twice
    # that.  (Before the stream, a stopped reader froze the others for
    # tens of seconds.)
    allowed = max(2 * FAST_MS / 1000, 2 * baseline_gap)
    check(gap <= allowed,
          f'the other subscriber went {gap * 1000:.0f} ms without a frame (allowed '
          f'{allowed * 1000:.0f} ms; {baseline_gap * 1000:.0f} ms before the stop)')
    check(max(latencies) < 1.0, f'a call took {max(latencies):.2f} s while a subscriber is stopped')
    # Generous: one frame of ~2 MB in hand, plus the collector's table.
    check(rss_max - rss_before < 64 * 1024, f'the helper grew by {rss_max - rss_before} KiB')
    check(bus_rss_max - bus_rss_before < 16 * 1024,
          f'dbus-daemon grew by {bus_rss_max - bus_rss_before} KiB: it buffers for the stopped one')
    check(ended_after is not None, f'the stopped subscriber was not ended in {SLOW_SECONDS} s')
    # 10 s of skipped intervals: the count may start a little before the
    # stop, when the subscriber was already behind by one frame.
    check(ended_after >= 8, f'the stopped subscriber was ended after {ended_after:.1f} s, '
          'well before the documented 10 s')
    check(TOO_SLOW in fx.helper_log(), 'the helper did not log the TooSlow end')
    check(victim.returncode == EXIT_HELPER_FAILED,
          f'the ended netpulsectl exited with {victim.returncode}, not {EXIT_HELPER_FAILED}', stderr)
    check('keep up' in stderr, 'netpulsectl does not say that it was too slow', stderr)

    check(fx.helper_pid() == helper_pid, 'the helper restarted (crashed?)')
    stop_client(watcher, 'the other subscriber')
    fx.wait_subscriptions(0)


def test_close_stream(fx):
    """Closing the stream ends the subscription (the client stays on the
    bus); GetSnapshot makes the next frame a SNAPSHOT with the sequence it
    returned."""
    client_bin = fx.user_binary('tests', 'helper', 'helper-test-client')

    out = os.path.join(fx.tmpdir, 'close.jsonl')
    closer = fx.spawn_as(fx.granted, [client_bin, 'close-stream', '200'], out)
    closed = wait_for(lambda: read_json_lines(out), 'the client to close its stream')[0]
    log(f'closer: {closed}')
    check(closed['closed'] and closed['frames'] >= 1, 'the client did not read and close', closed)
    fx.wait_subscriptions(0)
    check(closer.poll() is None, 'the client left the bus (the test means it to stay)')
    check('closed its stream' in fx.helper_log(), 'the helper did not notice the closed stream')
    stop_client(closer, 'the closer')

    # stream: 3 frames, then GetSnapshot and its frame (checked by the
    # client, exit status 0), printed last.
    result = fx.run_as(fx.granted, [client_bin, 'stream', '100', '3'])
    check(result.returncode == 0, 'helper-test-client stream failed', result.stderr)
    frames = [json.loads(line) for line in result.stdout.splitlines()]
    log('frames: ' + ', '.join(f"{f['sequence']}/{f['frame_flags']}" for f in frames))
    check([f['sequence'] for f in frames] == list(range(1, len(frames) + 1)),
          'sequences are not 1, 2, 3…', frames)
    check(frames[0]['frame_flags'] == 1, 'the first frame is not a SNAPSHOT', frames[0])
    check(len(frames) >= 4 and frames[-1]['frame_flags'] == 1,
          "GetSnapshot's frame is not a SNAPSHOT", frames[-1])
    check(all(f['frame_flags'] == 0 for f in frames[1:3]), 'frames 2 and 3 are SNAPSHOTs')
    fx.wait_subscriptions(0)
def hold_unprivileged_connection(fx, netns):
    """A connection made before monitoring by processes of the granted
    user: its owner can only be found through that user's /proc/PID/fd."""
    traffic_script = fx.user_copy(TRAFFIC)
    holder = subprocess.Popen(['ip', 'netns', 'exec', netns, 'setpriv',
                               f'--reuid={fx.granted.uid}', f'--regid={fx.granted.gid}',
                               '--clear-groups', sys.executable, traffic_script, '--hold',
                               '127.0.0.1', '4321'],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    fx.processes.append(holder)
    held = json.loads(holder.stdout.readline())
    log(f'held connection: {held}')
    return holder, held


def monitor_and_count(fx, ctl, netns, name):
    """One netpulsectl monitor session: exact totals of a test connection."""
    out = os.path.join(fx.tmpdir, f'{name}.jsonl')
    monitor = fx.spawn_as(fx.granted, [ctl, 'monitor', '--json', '--interval', '200'], out)
    fx.wait_subscriptions(1)
    traffic = run_traffic(fx, netns)
    client, server = wait_final_records(netpulsectl_records, out, traffic, name)
    check_exact_totals(client, server, traffic, netns_inode(netns), name)
    return monitor, out


def test_least_privilege(fx):
    """Once its programs are attached, every thread of the helper keeps
    only the documented capabilities (effective, permitted, bounding;
    nothing inheritable or ambient), with no_new_privs and seccomp; it still
    counts exactly and finds the owner of another user's connection from
    before; the collector stays loaded, so that a second subscription after
    the first has ended still works."""
    ctl = fx.user_binary('tools', 'netpulsectl')
    netns = fx.add_netns()
    holder, held = hold_unprivileged_connection(fx, netns)

    monitor, out = monitor_and_count(fx, ctl, netns, 'first subscription')
    helper_pid = fx.helper_pid()
    threads = check_least_privilege(fx, helper_pid)
    # GLib's gdbus and gmain threads at least, and the thread pools'.
    check(threads >= 3, f'only {threads} threads: were the others looked at?')

    # Found through /proc/PID/fd of another user, after the drop.
    def held_record():
        for r in netpulsectl_records(out):
            if r['pid'] == held['client_pid'] and r['rport'] == held['port']:
                return r
        return None
    record = wait_for(held_record, "the owner of the connection from before")
    log(f'connection from before: {record}')
    check(record['uid'] == fx.granted.uid and record['partial'], 'wrong owner or not partial', record)
    holder.stdin.close()
    holder.wait(timeout=30)

    prog_ids = fx.bpf_ids_of_process(helper_pid)
    stop_client(monitor, 'the first netpulsectl monitor')
    fx.wait_subscriptions(0)
    check(fx.bpf_ids_of_process(helper_pid) == prog_ids,
          'the collector was unloaded when the last subscription ended')

    monitor, out = monitor_and_count(fx, ctl, netns, 'second subscription')
    check(fx.helper_pid() == helper_pid, 'a new helper served the second subscription')
    check(fx.helper_log().count('Kernel programs attached') == 1,
          'the kernel programs were loaded a second time')
    check_least_privilege(fx, helper_pid)
    stop_client(monitor, 'the second netpulsectl monitor')
    fx.wait_subscriptions(0)

    # The idle exit detaches everything.
    wait_for(lambda: not fx.helper_running(), 'the helper to exit after its idle timeout')
    wait_for(lambda: not (prog_ids & fx.loaded_bpf_program_ids()),
             'the kernel programs of the helper to be gone')


# Runs the helper in a mount namespace of its own where /run/systemd/system
# exists, as on a machine that systemd booted: the bus starts it through the
# activation file's Exec= line, outside netpulse-helper.service.  When the
# file "cgroup" beside it names a cgroup, it first moves into that one.
FAKE_SYSTEMD_WRAPPER = r"""#!/bin/sh
set -e
cgroup_file="$(dirname "$0")/cgroup"
if [ -s "$cgroup_file" ]; then echo $$ > "$(cat "$cgroup_file")/cgroup.procs"; fi
exec unshare --mount --propagation private sh -c '
  mount -t tmpfs -o mode=0755 netpulse-test /run/systemd
  mkdir /run/systemd/system
  exec "$@"' sh "$@"
"""


def fake_systemd_fixture_args(build_root):
    if not os.path.isdir('/run/systemd'):
        os.makedirs('/run/systemd', exist_ok=True)
    # Removed by the test (the fixture's directory does not exist yet).
    wrapper_dir = tempfile.mkdtemp(prefix='netpulse-fake-systemd-')
    os.chmod(wrapper_dir, 0o755)
    wrapper = os.path.join(wrapper_dir, 'fake-systemd.sh')
    with open(wrapper, 'w') as f:
        f.write(FAKE_SYSTEMD_WRAPPER)
    os.chmod(wrapper, 0o755)
    return {'helper_wrapper': [wrapper]}


def cgroup2_mount():
    with open('/proc/self/mounts') as f:
        for line in f:
            fields = line.split()
            if fields[2] == 'cgroup2':
                return fields[1]
    return None


def test_outside_unit(fx):
    """Where systemd is the init system, a helper that the bus started
    outside netpulse-helper.service (the Exec= line) refuses to run and says
    why; inside a cgroup of that name it runs."""
    rc, out, err = fx.gdbus_call_as(fx.granted, 'io.github.netpulse.Helper1.Subscribe', '{}')
    log(f'Subscribe: {rc} {err}')
    check(rc != 0, 'a helper outside its unit answered', out)
    wait_for(lambda: 'was not started as netpulse-helper.service' in fx.helper_log(),
             "the helper's refusal in its log")
    check(not fx.helper_running(), 'the refusing helper owns the name')
    log([line for line in fx.helper_log().splitlines() if 'netpulse-helper.service' in line][0])
    check('Kernel programs attached' not in fx.helper_log(), 'the refusing helper loaded programs')

    # The same helper, in a cgroup named like the unit: accepted.
    wrapper_dir = os.path.dirname(fx.helper_wrapper[0])
    root = cgroup2_mount()
    check(root is not None, 'no cgroup v2 mount')
    parent = os.path.join(root, f'netpulse-test-{fx.tag}')
    cgroup = os.path.join(parent, 'netpulse-helper.service')
    os.makedirs(cgroup)
    try:
        with open(os.path.join(wrapper_dir, 'cgroup'), 'w') as f:
            f.write(cgroup)
        check(parse_gvariant_scalar(fx.helper_property('Subscriptions')) == 0, 'Subscriptions')
        with open(f'/proc/{fx.helper_pid()}/cgroup') as f:
            cgroups = f.read()
        log(f'helper cgroup: {cgroups.strip()!r}')
        check('/netpulse-helper.service' in cgroups, 'the helper is not in the test cgroup')
    finally:
        fx.stop_helper()
        for path in (cgroup, parent):
            for attempt in range(50):
                try:
                    os.rmdir(path)
                    break
                except OSError:
                    time.sleep(0.1)
        shutil.rmtree(wrapper_dir, ignore_errors=True)


# -- the app (src/netpulse) as a test user, under Xvfb ---------------------------

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


def test_app_helper_crash(fx):
    """The helper dies (SIGKILL) under the app: the app shows "Helper
    Stopped" with a Reconnect button; a real click on it starts a new
    helper and the table comes back."""
    with app_driver.Xvfb() as xvfb, app_driver.App(fx, xvfb, fx.granted, 'crash') as app:
        fx.wait_subscriptions(1, timeout=20)
        header, rows = app.first_capture()
        check(header.get('page') == 'monitor', 'the app does not show the table', header)
        helper_pid = fx.helper_pid()
        log(f'killing the helper ({helper_pid})')
        os.kill(helper_pid, signal.SIGKILL)
        app_driver.wait_gone(helper_pid, timeout=20)

        def stopped(header, rows):
            return header.get('page') == 'status' and header.get('title') == 'Helper Stopped'
        header, rows = app.capture_until(stopped, 'the helper-stopped page')
        log(f'after the kill: {header}')
        check(header.get('button') == 'Reconnect', 'no Reconnect button', header)
        app.check_screenshot(min_colours=10)
        app.check_alive()

        if not app.click_status_button(header):
            log('XTest is not available: reconnecting not tried')
        else:
            fx.wait_subscriptions(1, timeout=20)
            check(fx.helper_pid() != helper_pid, 'still the killed helper?')
            header, rows = app.capture_until(lambda h, r: h.get('page') == 'monitor',
                                             'the table after Reconnect')
            log(f'after Reconnect: {header}')
        app.check_alive()
        app.check_log_clean()
    fx.wait_subscriptions(0, timeout=20)


# -- authorization under load (issue 9) ------------------------------------------

def update_gaps(path, since_ns):
    """The largest time between two consecutive Updates of a stream output
    (sample timestamps, ns) from @since_ns on, in seconds, where it ended
    (ns), and how many Updates there were."""
    stamps = [u['timestamp'] for u in read_json_lines(path) if 'timestamp' in u]
    stamps = [t for t in stamps if t >= since_ns]
    gaps = [((b - a) / 1e9, b) for a, b in zip(stamps, stamps[1:])]
    gap, at = max(gaps) if gaps else (None, None)
    return gap, at, len(stamps)


def unauthorized_user(fx):
    """nobody, the issue's attacker, when it exists; else the denied user."""
    from helperfixture import User
    try:
        return User('nobody')
    except KeyError:
        return fx.denied


def test_auth_flood(fx):
    """≥400 Subscribe and CheckAuthorization calls from unauthorized users
    over 8 connections, sent without waiting, several rounds, while an
    authorized subscription streams: every call is answered, Ping answers
    fast afterwards, the subscriber's Updates have no gap over 2 intervals,
    and the helper's threads and descriptors come back to their level."""
    client_bin = fx.user_binary('tests', 'helper', 'helper-test-client')
    flood = fx.user_binary('tests', 'helper', 'helper-flood')
    # Gaps of exactly 2 intervals came from ticks skipped after a slow
    # sample (fixed in send_due_updates()); 1 s keeps scheduling noise on
    # a loaded machine (load 11 on 2 cores here) well below 2 intervals.
    interval_ms = 1000

    out = os.path.join(fx.tmpdir, 'stream.jsonl')
    stream = fx.spawn_as(fx.granted, [client_bin, 'stream', str(interval_ms), '0'], out)
    fx.wait_subscriptions(1)
    wait_for(lambda: len(read_json_lines(out)) >= 3, 'the first Updates of the subscriber')
    helper_pid = fx.helper_pid()
    before = fx.process_status(helper_pid)
    log(f'helper before the flood: {before}')
    start_ns = read_json_lines(out)[-1]['timestamp']

    probe_out = os.path.join(fx.tmpdir, 'probe-during.json')
    probe = fx.spawn_as(fx.granted, [flood, 'probe', '25', '100'], probe_out)

    import time
    attackers = [fx.denied, unauthorized_user(fx)]
    rounds = []
    for round_ in range(4):
        user = attackers[round_ % len(attackers)]
        began = time.time_ns()
        result = fx.run_as(user, [flood, 'flood', '8', '400', '60'], timeout=90)
        rounds.append((began, time.time_ns()))
        check(result.returncode == 0, 'helper-flood flood failed', result.stderr)
        summary = json.loads(result.stdout)
        log(f'round {round_ + 1} ({user.name}): {summary}; helper {fx.process_status(helper_pid)}')
        check(summary['answered'] == 400,
              f'round {round_ + 1}: only {summary["answered"]} of 400 calls were answered '
              '(the helper is wedged?)', summary)
        # "ok" are CheckAuthorization's answers (false, checked by the
        # probe's counterpart below); everything else NotAuthorized or Busy.
        check(summary['ok'] <= 200 and set(summary['errors']) <= {NOT_AUTHORIZED, BUSY},
              f'round {round_ + 1}: unexpected answers', summary)

    probe.wait(timeout=60)
    during = json.loads(HelperFixture.read_log(probe_out))
    log(f'the granted user meanwhile: {during}')
    check(during['failures'] == 0 and during['authorized'] == during['rounds'],
          'the authorized user was not served during the flood', during,
          HelperFixture.read_log(probe.stderr_path))

    after = json.loads(fx.run_as(fx.granted, [flood, 'probe', '3', '100'], timeout=60).stdout)
    log(f'after the flood: {after}')
    check(after['failures'] == 0 and after['max_ping'] < 1.0 and after['max_check'] < 1.0,
          'Ping or CheckAuthorization took 1 s or more after the flood', after)

    gap, at, n = update_gaps(out, start_ns)
    where = ('during a round' if at and any(a <= at and at - gap * 1e9 <= b for a, b in rounds)
             else 'between rounds')
    log(f'subscriber: {n} Updates since the flood began, largest gap {gap} s ({where}); '
        f'ticks the helper skipped: {fx.helper_log().count("skipping a tick")}')
    check(gap is not None and gap <= 2 * interval_ms / 1000,
          f'the subscriber had a gap of {gap} s (over 2 intervals, {where})', n)

    def back_to_level():
        now = fx.process_status(helper_pid)
        return now if now['threads'] <= before['threads'] and now['fds'] <= before['fds'] else None
    try:
        level = wait_for(back_to_level, 'the threads and fds of the helper to come back', timeout=20)
    except TestFailure:
        raise TestFailure(f'threads/fds did not come back: before {before}, '
                          f'now {fx.process_status(helper_pid)}')
    log(f'helper after the flood: {level}')
    counters = fx.helper_counters()
    log(f'counters: { {k: v for k, v in counters.items() if "auth" in k or "busy" in k} }')
    check(counters.get('pending-authorizations') == 0, 'authorizations still pending', counters)
    check(fx.helper_pid() == helper_pid, 'the helper restarted (crashed?)')
    stop_client(stream, 'the subscriber')
    fx.wait_subscriptions(0)


def test_auth_agent(fx):
    """A user polkit answers AUTH_ADMIN for registers an agent for its own
    process that never answers, and sends 400 interactive Subscribe calls:
    the caps hold, other users are served in < 1 s throughout, and once the
    callers leave, every check is gone from the helper and from polkitd
    (it cancels every authentication it began with the agent)."""
    flood = fx.user_binary('tests', 'helper', 'helper-flood')
    hold_s = 8

    agent_out = os.path.join(fx.tmpdir, 'agent.jsonl')
    probe_out = os.path.join(fx.tmpdir, 'probe.json')
    probe = fx.spawn_as(fx.granted, [flood, 'probe', str(hold_s + 8), '100'], probe_out)
    agent = fx.spawn_as(fx.prompt, [flood, 'agent', '8', '400', str(hold_s)], agent_out)

    sent = wait_for(lambda: read_json_lines(agent_out), 'the agent to send its calls')[0]
    log(f'agent: {sent}')
    check(sent['begun'] >= 1, 'polkitd never asked the agent (no prompt came)', sent)
    check(sent['answered'] == 400 - MAX_PENDING_PER_UID and set(sent['errors']) == {BUSY},
          f'not exactly {MAX_PENDING_PER_UID} calls of the user wait (the rest Busy)', sent)
    counters = fx.helper_counters()
    log(f'while the prompts are up: pending-authorizations {counters.get("pending-authorizations")}, '
        f'checks {counters.get("authorization-checks")}')
    # The probe of the granted user may have one call (and check) in
    # flight as well.
    probe_calls = counters.get('pending-authorizations', 0) - MAX_PENDING_PER_UID
    check(probe_calls in (0, 1), 'the helper does not count the pending calls', counters)
    # One interactive check per connection that got calls through, shared
    # by its calls: as many as the agent was asked to authenticate.
    checks = counters.get('authorization-checks', 0) - probe_calls
    check(1 <= checks <= 8 and checks == sent['begun'],
          'not one interactive check per connection', counters, sent)

    closed = wait_for(lambda: len(read_json_lines(agent_out)) > 1 and read_json_lines(agent_out)[1],
                      'the agent to close its callers', timeout=hold_s + 30)
    log(f'agent after its callers left: {closed}')
    check(closed['cancelled'] == closed['begun'],
          'polkitd did not cancel every authentication it began', closed)

    # After the probe (whose own checks would count too).
    probe.wait(timeout=60)
    wait_for(lambda: fx.helper_counters().get('pending-authorizations') == 0,
             'the helper to drop the checks of the callers that left', timeout=10)
    check(fx.helper_counters().get('authorization-checks') == 0, 'checks left in flight')
    during = json.loads(HelperFixture.read_log(probe_out))
    log(f'the granted user meanwhile: {during}')
    check(during['failures'] == 0 and during['authorized'] == during['rounds'],
          'the authorized user was not served', during, HelperFixture.read_log(probe.stderr_path))
    check(during['max_ping'] < 1.0 and during['max_check'] < 1.0 and during['max_get'] < 1.0,
          'another user waited 1 s or more', during)
    agent.wait(timeout=60)


def test_auth_revoked(fx):
    """Flipping the granted user's rule to NO ends its subscription within 2
    intervals, with the documented Ended signal and NotAuthorized."""
    client_bin = fx.user_binary('tests', 'helper', 'helper-test-client')
    interval_ms = 1000

    ctl = fx.user_binary('tools', 'netpulsectl')

    out = os.path.join(fx.tmpdir, 'stream.jsonl')
    stream = fx.spawn_as(fx.granted, [client_bin, 'stream', str(interval_ms), '0'], out)
    ctl_out = os.path.join(fx.tmpdir, 'monitor.jsonl')
    monitor = fx.spawn_as(fx.granted, [ctl, 'monitor', '--json', '--interval', str(interval_ms)],
                          ctl_out)
    fx.wait_subscriptions(2)
    wait_for(lambda: len(read_json_lines(out)) >= 2, 'the first Updates')

    import time
    flipped_ns = time.time_ns()
    fx.write_rules(granted_result='NO')
    log('rule flipped to NO')
    try:
        stream.wait(timeout=30)
    except subprocess.TimeoutExpired:
        raise TestFailure('the subscription still runs 30 s after its rule said NO')
    lines = read_json_lines(out)
    # The Ended signal, or the END frame when the stream had room for it.
    ends = [u for u in lines if u.get('ended_signal') or u.get('end_frame')]
    ended = ends[0] if ends else (lines[-1] if lines else {})
    late = [u for u in lines if 'timestamp' in u and u['timestamp'] > flipped_ns]
    log(f'client: {ended}; {len(late)} Update(s) after the flip; exit {stream.returncode}')
    check(stream.returncode == 3 and ended.get('error') == NOT_AUTHORIZED,
          'the client did not see the subscription end with NotAuthorized', ended,
          HelperFixture.read_log(stream.stderr_path))
    check(len(late) <= 2, f'{len(late)} Updates after the rule said NO (more than 2 intervals)')

    # netpulsectl (NetpulseClient) tells and exits as not authorized.
    try:
        monitor.wait(timeout=30)
    except subprocess.TimeoutExpired:
        raise TestFailure('netpulsectl monitor still runs after its authorization was revoked')
    stderr = HelperFixture.read_log(monitor.stderr_path)
    log(f'netpulsectl: exit {monitor.returncode}, {stderr.strip()!r}')
    check(monitor.returncode == EXIT_NOT_AUTHORIZED and 'revoked' in stderr,
          f'netpulsectl exited with {monitor.returncode}, not {EXIT_NOT_AUTHORIZED} with the reason',
          stderr)
    fx.wait_subscriptions(0)
    check(fx.helper_counters().get('revoked-subscriptions') == 2, 'revoked-subscriptions is not 2')

    # And no new one.
    rc, out_, err = fx.gdbus_call_as(fx.granted, 'io.github.netpulse.Helper1.Subscribe', '{}')
    check(rc != 0 and gdbus_error(err) == NOT_AUTHORIZED, 'a revoked user subscribed again', err)


def test_auth_idle(fx):
    """A helper activated only by an unauthorized caller's CheckAuthorization
    calls, one every second, exits after its idle timeout all the same."""
    import time
    user = unauthorized_user(fx)
    first_pid = None
    pids = set()
    deadline = time.monotonic() + fx.idle_timeout_ms / 1000 * 4
    gone_after = None
    start = time.monotonic()
    while time.monotonic() < deadline:
        rc, out, err = fx.gdbus_call_as(user, 'io.github.netpulse.Helper1.CheckAuthorization', 'true')
        check(rc == 0 and parse_gvariant_scalar(out) is False, 'CheckAuthorization', out, err)
        pid = fx.helper_pid()
        if first_pid is None:
            first_pid = pid
            log(f'activated helper {pid}')
        if pid:
            pids.add(pid)
        if gone_after is None and not os.path.exists(f'/proc/{first_pid}'):
            gone_after = time.monotonic() - start
            log(f'the first helper exited after {gone_after:.1f} s of calls')
        time.sleep(1)
    check(gone_after is not None,
          f'the helper activated by {user.name} stayed up for {time.monotonic() - start:.0f} s '
          f'of unauthorized calls (idle timeout {fx.idle_timeout_ms} ms)')
    check('No subscribers for' in fx.helper_log(), 'the helper did not exit because it was idle')
    log(f'helpers started meanwhile: {len(pids)}')


def vm_rss_kib(pid):
    with open(f'/proc/{pid}/status') as f:
        return next(int(line.split()[1]) for line in f if line.startswith('VmRSS:'))


def test_huge_input(fx):
    """Error replies quote a short prefix of the caller's input, never a
    1 MiB object path or option key; 200 such calls leave the helper's
    memory where it was."""
    flood = fx.user_binary('tests', 'helper', 'helper-flood')
    fx.subscriptions()                      # activates the helper
    helper_pid = fx.helper_pid()
    before = vm_rss_kib(helper_pid)

    result = fx.run_as(fx.granted, [flood, 'huge', '200'], timeout=120)
    check(result.returncode == 0, 'helper-flood huge failed', result.stderr)
    answers = json.loads(result.stdout)
    after = vm_rss_kib(helper_pid)
    log(f'answers: {answers}; helper VmRSS {before} → {after} KiB')
    for method, expected in (('unsubscribe', NO_SUCH), ('snapshot', NO_SUCH),
                             ('subscribe', INVALID_OPTION)):
        check(answers[method]['error'] == expected, f'{method}: not {expected}', answers)
        # 64 bytes quoted, escaped (up to 4 characters a byte), and the text.
        check(answers[method]['length'] < 512,
              f'{method}: an error message of {answers[method]["length"]} bytes echoes the input',
              answers)
    check(fx.helper_pid() == helper_pid, 'the helper restarted (crashed?)')
    with open(f'/proc/{helper_pid}/maps') as f:
        sanitized = 'libasan' in f.read()
    if sanitized:
        # ASan keeps freed blocks in quarantine: RSS says nothing there.
        log('AddressSanitizer build: memory growth not checked')
    else:
        check(after - before < 20 * 1024, f'the helper grew by {(after - before) // 1024} MiB',
              before, after)


CASES = {
    'sandbox-caps': (test_sandbox_caps, sandbox_fixture_args),
    'slow-reader': test_slow_reader,
    'close-stream': test_close_stream,
    # Long enough that the helper cannot idle out between the two
    # subscriptions, even in a sanitizer build on a busy machine.
    'least-privilege': (test_least_privilege, {'idle_timeout_ms': 20000}),
    'outside-unit': (test_outside_unit, fake_systemd_fixture_args),
    'backend-failed': (test_backend_failed, {'helper_args': ['--backend=bogus']}),
    'lifecycle': test_lifecycle,
    'granted': test_granted,
    'denied': test_denied,
    'killed': test_killed,
    'malformed': test_malformed,
    'two-clients': test_two_clients,
    'hostile-comm': test_hostile_comm,
    'overflow-header': (test_overflow_header,
                        {'helper_args': [f'--max-peers-per-socket={OVERFLOW_PEER_CAP}']}),
    'auth-flood': test_auth_flood,
    # An idle timeout long enough that the helper which held the checks is
    # the one asked whether they are gone (a slow polkitd took 15 s once).
    'auth-agent': (test_auth_agent, {'prompt_user': True, 'idle_timeout_ms': 60000}),
    'auth-revoked': test_auth_revoked,
    'auth-idle': test_auth_idle,
    # Refused calls do not keep the helper up: a long idle timeout, so that
    # one helper sees all 200 (a slow ASan build takes over 30 s).
    'huge-input': (test_huge_input, {'idle_timeout_ms': 120000}),
    'app-granted': (test_app_granted, app_fixture_args),
    'app-denied': (test_app_denied, app_fixture_args),
    'app-helper-crash': (test_app_helper_crash, app_fixture_args),
}


if __name__ == '__main__':
    sys.exit(run_case(CASES, HERE))
