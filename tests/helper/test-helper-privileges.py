#!/usr/bin/env python3
# test-helper-privileges.py — end-to-end tests of netpulse-helper as a D-Bus
# service: the sandbox: capabilities kept, least privilege, the helper outside
# its unit. A private system bus, a real polkitd, the helper started by bus
# activation as root, and unprivileged test users; the fixture and the checks
# the files share are in helpercases.py.
#
#   test-helper-privileges.py CASE   (sandbox-caps, least-privilege,
#                                     outside-unit)
#
# Needs root; skips (77) without it, fails under CI=true.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from helperfixture import TestFailure, log, wait_for, parse_gvariant_scalar  # noqa: E402
from helpercases import (TRAFFIC, check, check_exact_totals, netns_inode,  # noqa: E402
                         netpulsectl_records, run_case, run_traffic, stop_client,
                         wait_final_records)


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
    caps, no_new_privs = unit_capabilities(fx.build_root)
    log(f'unit capabilities: {caps}, NoNewPrivileges={no_new_privs}')

    # A connection of an unprivileged user's processes, from before.
    netns = fx.add_netns()
    holder, held = hold_unprivileged_connection(fx, netns)

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


CASES = {
    'sandbox-caps': (test_sandbox_caps, sandbox_fixture_args),
    # Long enough that the helper cannot idle out between the two
    # subscriptions, even in a sanitizer build on a busy machine.
    'least-privilege': (test_least_privilege, {'idle_timeout_ms': 20000}),
    'outside-unit': (test_outside_unit, fake_systemd_fixture_args),
}


if __name__ == '__main__':
    sys.exit(run_case(CASES))
