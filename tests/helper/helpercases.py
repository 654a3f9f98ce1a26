# helpercases.py — what the end-to-end tests of the helper (test-helper-*.py)
# share: constants of the D-Bus API, record readers, exact-total checks,
# the traffic generator, and (from helperfixture) run_case(), their main().
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import helperfixture  # noqa: E402
from helperfixture import HelperFixture, TestFailure, log, wait_for  # noqa: E402

# The main() of every test-helper-*.py.
run_case = helperfixture.run_case

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


def check_closed_once(updates, what):
    """A closed connection is sent once, as its final record flagged closed
    (a SNAPSHOT, the whole table, may repeat it); its id is never in
    removed, which never repeats an id nor names one of the same frame's
    changed records."""
    closed = {}
    for u in updates:
        changed = {r['id'] for r in u['changed']}
        removed = u['removed']
        check(len(set(removed)) == len(removed), f'{what}: an id twice in removed', u)
        check(not changed & set(removed), f'{what}: an id both in changed and removed', u)
        for r in u['changed']:
            if r['flags'] & 1 and not u['frame_flags'] & 1:
                closed[r['id']] = closed.get(r['id'], 0) + 1
        check(not set(removed) & set(closed), f'{what}: a closed id followed in removed', u)
    check(closed, f'{what}: no closed record at all')
    check(all(n == 1 for n in closed.values()), f'{what}: a closed record sent twice', closed)


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


def wait_exited(proc, timeout, failure, what):
    """Waits for @proc (started by spawn_as) to exit, else fails with
    @failure; returns its stderr."""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TestFailure(failure)
    stderr = HelperFixture.read_log(proc.stderr_path)
    log(f'{what}: exit {proc.returncode}, {stderr.strip()!r}')
    return stderr


def gdbus_error(stderr):
    return stderr.split('GDBus.Error:', 1)[-1].split(':', 1)[0] if 'GDBus.Error:' in stderr else stderr
