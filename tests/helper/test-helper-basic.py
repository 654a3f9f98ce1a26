#!/usr/bin/env python3
# test-helper-basic.py — end-to-end tests of netpulse-helper as a D-Bus
# service: subscribing, status, denial, crashes, malformed calls, two clients,
# hostile names, lifecycle. A private system bus, a real polkitd, the helper
# started by bus activation as root, and unprivileged test users; the fixture
# and the checks the files share are in helpercases.py.
#
#   test-helper-basic.py CASE   (granted, denied, killed, malformed,
#                                two-clients, hostile-comm, lifecycle,
#                                backend-failed)
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

from helperfixture import TestFailure, log, wait_for, parse_gvariant_scalar  # noqa: E402
from npescape import HOSTILE_NAMES, describe, first_unsafe, shown  # noqa: E402
from helpercases import (BUSY, EXIT_HELPER_FAILED, EXIT_NOT_AUTHORIZED, EXIT_OK,  # noqa: E402
                         INVALID_OPTION, MAX_PENDING_PER_NEW_CALLER, NOT_AUTHORIZED, NO_SUCH,
                         TOO_MANY, check, check_closed_once, check_exact_totals, final_record,
                         gdbus_error, netns_inode, netpulsectl_records, read_json_lines, run_case,
                         run_traffic, stop_client, stream_records, wait_final_records)


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
    check_status_counters_aligned(fx, ctl, status['counters'])

    netns = fx.add_netns()
    traffic = run_traffic(fx, netns)
    client, server = wait_final_records(netpulsectl_records, out, traffic, 'netpulsectl monitor')
    check_exact_totals(client, server, traffic, netns_inode(netns), 'netpulsectl monitor')

    stop_client(monitor, 'netpulsectl monitor')
    fx.wait_subscriptions(0)


def check_status_counters_aligned(fx, ctl, counters):
    """The text form lists every counter, the values in one column however
    long the names ("pending-authorizations" is 22 characters)."""
    result = fx.run_as(fx.granted, [ctl, 'status'])
    check(result.returncode == EXIT_OK, 'netpulsectl status failed', result.stderr)
    lines = result.stdout.splitlines()
    rows = lines[lines.index('Counters:') + 1:]
    log('status counters:\n' + '\n'.join(rows))
    names = [row.split()[0] for row in rows]
    columns = {len(row) - len(row.split()[-1]) for row in rows}
    check(sorted(names) == sorted(counters), 'status does not list the counters of --json', rows, counters)
    check(all(int(row.split()[-1]) >= 0 for row in rows), 'a counter without its value', rows)
    check(len(columns) == 1, 'the counter values are not in one column', rows)
    check(max(len(n) for n in names) > 18, 'no counter name longer than the old fixed width', names)


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
        check_closed_once(updates, what)
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
    replacement = subprocess.Popen([fx.helper_path, '--replace', '--idle-timeout=10000'],
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


CASES = {
    'granted': test_granted,
    'denied': test_denied,
    # The checks after the last client left must see the same helper:
    # idle timeouts long enough for a loaded machine (the default 3 s is
    # for the tests that wait for an idle exit).
    'killed': (test_killed, {'idle_timeout_ms': 15000}),
    'malformed': test_malformed,
    'two-clients': test_two_clients,
    'hostile-comm': test_hostile_comm,
    'lifecycle': (test_lifecycle, {'idle_timeout_ms': 15000}),
    'backend-failed': (test_backend_failed, {'helper_args': ['--backend=bogus'], 'idle_timeout_ms': 15000}),
}


if __name__ == '__main__':
    sys.exit(run_case(CASES))
