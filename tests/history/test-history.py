#!/usr/bin/env python3
"""End-to-end tests of the usage history: the real helper on a private
system bus with polkitd, real kernel programs counting real traffic in a
test network namespace, processes in test-made application scopes under
the cgroup v2 root, buckets of one second (--history-bucket-ms).

Cases:
  totals    three applications move known bytes over several buckets:
            netpulsectl usage --json and QueryUsage give exactly those
            totals, per application and per bucket; again after a restart;
            every hour and day bucket is the sum of its fine buckets;
            unauthorized users can neither enable nor read; enabling asks
            the configure action (a rule logs the action id)
  sigkill   the helper SIGKILLed 20 times while traffic runs:
            integrity_check ok every time, bytes lost at most one bucket's
  corrupt   a corrupt database and a newer-schema one are moved aside,
            never overwritten, with a warning in GetRecording
  disk-full a tiny tmpfs as state directory: recording pauses with the
            error in GetRecording, live monitoring goes on
  boot      recording on/off links/unlinks netpulse-recorder.target under a
            test root that has (or has not) /run/systemd/system
  hosts     one application talks to two known peers (127.0.0.2:8002 and
            127.0.0.3:8003 of the test namespace): QueryHosts and
            netpulsectl usage --hosts --json give exactly each peer's bytes
"""

import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'helper'))
from helperfixture import (HELPER_INTERFACE, POLKIT_RULES_DIR,  # noqa: E402
                           TestFailure, log, run_case, skip_or_fail, wait_for)

BUCKET_MS = 1000


def poll_until(predicate, timeout=30):
    """Until @predicate holds or @timeout s passed, without failing: the
    exact check after it says what differs."""
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.25)
CONFIGURE_ACTION = 'io.github.netpulse.configure'


def cgroup2_root():
    with open('/proc/self/mounts') as f:
        for line in f:
            fields = line.split()
            if len(fields) > 2 and fields[2] == 'cgroup2':
                return fields[1]
    skip_or_fail('no cgroup v2 hierarchy is mounted')


def check(condition, message):
    if not condition:
        raise TestFailure(message)


class History:
    def __init__(self, fx, state_dir):
        self.fx = fx
        self.state_dir = state_dir
        self.db_path = os.path.join(state_dir, 'history.db')
        self.ctl = fx.user_binary('tools', 'netpulsectl')
        self.ns = fx.add_netns()
        self.root = cgroup2_root()
        self.cgroups = []

    def install_configure_rules(self):
        """The granted user may configure, the denied one may not; every
        check of the configure action is logged with its id."""
        path = os.path.join(POLKIT_RULES_DIR, f'00-netpulse-test-{self.fx.tag}-configure.rules')
        self.fx.installed_files.append(path)
        self.fx._save_state()
        with open(path, 'w') as f:
            f.write(f"""// netpulse history tests; removed at the end.
polkit.addRule(function(action, subject) {{
    if (action.id != "{CONFIGURE_ACTION}")
        return polkit.Result.NOT_HANDLED;
    polkit.log("netpulse-test-configure action=" + action.id + " user=" + subject.user);
    if (subject.user == "{self.fx.granted.name}")
        return polkit.Result.YES;
    if (subject.user == "{self.fx.denied.name}")
        return polkit.Result.NO;
    // Other tests' users: theirs to answer (tests run side by side).
    return polkit.Result.NOT_HANDLED;
}});
""")
        os.chmod(path, 0o644)

    def enable(self):
        """recording on as the granted user, once polkitd has read the
        rules file (it reloads on its own, a moment after the write)."""
        deadline = time.time() + 20
        while True:
            result = self.ctl_as(self.fx.granted, 'recording', 'on', check_ok=False)
            if result.returncode == 0:
                return
            if result.returncode != 4 or time.time() > deadline:
                raise TestFailure(f'recording on: {result.returncode} {result.stderr}')
            time.sleep(0.5)

    def app(self, name):
        path = os.path.join(self.root, f'{name}.service')
        os.mkdir(path)
        self.cgroups.append(path)
        return path

    def cleanup(self):
        for path in self.cgroups:
            wait_for(lambda: not os.path.isdir(path) or os.rmdir(path) is None, f'rmdir {path}', timeout=10)

    def traffic(self, specs):
        """specs: [(cgroup, sent, received)] or [(cgroup, sent, received, address, port)]"""
        argv = ['ip', 'netns', 'exec', self.ns, sys.executable, os.path.join(HERE, 'usage_traffic.py')]
        fds = [os.open(os.path.join(spec[0], 'cgroup.procs'), os.O_WRONLY) for spec in specs]
        try:
            argv += [':'.join(map(str, (fd, *spec[1:]))) for fd, spec in zip(fds, specs)]
            result = subprocess.run(argv, capture_output=True, text=True, timeout=120, pass_fds=fds)
        finally:
            for fd in fds:
                os.close(fd)
        check(result.returncode == 0 and 'done' in result.stdout,
              f'traffic failed: {result.stdout} {result.stderr}')

    def ctl_as(self, user, *args, check_ok=True):
        result = self.fx.run_as(user, [self.ctl, *args], timeout=120)
        if check_ok and result.returncode != 0:
            raise TestFailure(f'netpulsectl {" ".join(args)} as {user.name}: {result.returncode} {result.stderr}')
        return result

    def usage_json(self, user, *args):
        result = self.ctl_as(user, 'usage', '--json', '--since', '1h', '--granularity', 'minute', *args)
        return json.loads(result.stdout)

    def query_dbus(self, user, granularity='minute', group='app'):
        now = time.time_ns()
        code, out, err = self.fx.gdbus_call_as(
            user, f'{HELPER_INTERFACE}.QueryUsage', str(now - 3600 * 10**9), str(now + 10**9),
            granularity, group, '{}')
        if code != 0:
            raise TestFailure(f'QueryUsage as {user.name}: {err}')
        rows = re.findall(r"\((?:uint64 )?(\d+), (?:uint64 )?(\d+), '([^']*)', '([^']*)', "
                          r"(?:byte )?(0x[0-9a-f]+|\d+), (?:uint64 )?(\d+), (?:uint64 )?(\d+), "
                          r"(?:uint32 )?(\d+)\)", out)
        check('false' in out.rsplit(')', 2)[-2] or out.rstrip().endswith('false)'), f'truncated? {out[-200:]}')
        return [dict(start_ns=int(a), end_ns=int(b), app_kind=k, app_id=i, proto=int(p, 0),
                     rx_bytes=int(rx), tx_bytes=int(tx), connections=int(c))
                for a, b, k, i, p, rx, tx, c in rows]

    def recording_state(self):
        result = self.ctl_as(self.fx.granted, 'recording', 'status', '--json')
        return json.loads(result.stdout)

    def wait_recording(self):
        # GetRecording activates a helper that is not running; one that
        # finds recording on loads its programs at once.
        wait_for(lambda: self.recording_state()['enabled']
                 and "'none'" not in self.fx.helper_property('Backend'),
                 'a recording helper with its kernel programs loaded', timeout=60)


def totals_of(buckets, names):
    out = {}
    for b in buckets:
        u = b['usage'] if 'usage' in b else b
        if u['app_id'] in names:
            t = out.setdefault(u['app_id'], [0, 0, 0])
            t[0] += u['tx_bytes']
            t[1] += u['rx_bytes']
            t[2] += u['connections']
    return out


def per_bucket(rows, names):
    return sorted((r['start_ns'], r['app_id'], r['tx_bytes'], r['rx_bytes'], r['connections'])
                  for r in rows if r['app_id'] in names)


def check_rollup(db_path):
    db = sqlite3.connect(db_path)
    try:
        check(db.execute('PRAGMA integrity_check').fetchone()[0] == 'ok', 'integrity_check failed')
        fine = {1: BUCKET_MS * 60, 2: BUCKET_MS * 60 * 24}
        n = 0
        for level, length in fine.items():
            for start, app, proto, rx, tx, conns in db.execute(
                    'SELECT start_ms, app, proto, rx, tx, conns FROM usage WHERE level = ?', (level,)):
                s = db.execute('SELECT SUM(rx), SUM(tx), SUM(conns) FROM usage WHERE level = 0 AND app = ? '
                               'AND proto = ? AND start_ms >= ? AND start_ms < ?',
                               (app, proto, start, start + length)).fetchone()
                check(tuple(s) == (rx, tx, conns),
                      f'level {level} bucket {start} app {app}: {(rx, tx, conns)} != sum of fine {s}')
                n += 1
        # Nothing counted twice: every level holds the same grand total.
        sums = [db.execute('SELECT SUM(rx), SUM(tx), SUM(conns) FROM usage WHERE level = ?', (lv,)).fetchone()
                for lv in range(3)]
        check(sums[0] == sums[1] == sums[2], f'levels disagree: {sums}')
        log(f'roll-up: {n} coarse buckets, each the sum of its fine ones; totals {sums[0]}')
    finally:
        db.close()


def case_totals(fx):
    h = History(fx, fx.state_dir)
    h.install_configure_rules()
    try:
        names = [f'nph{uuid.uuid4().hex[:10]}' for _ in range(3)]
        apps = [h.app(n) for n in names]

        # Unauthorized: neither enabling nor reading.
        r = h.ctl_as(fx.denied, 'recording', 'on', check_ok=False)
        check(r.returncode == 4, f'denied user enabled recording: {r.returncode} {r.stdout} {r.stderr}')
        check('recording of network usage' in r.stderr, f'the refusal does not say what: {r.stderr}')
        r = h.ctl_as(fx.denied, 'usage', check_ok=False)
        check(r.returncode == 4, f'denied user read the history: {r.returncode} {r.stderr}')
        check(not os.path.exists(h.db_path), 'a refused SetRecording made a database')

        h.enable()
        polkit_log = fx.read_log(fx.polkitd_log_path)
        check(f'netpulse-test-configure action={CONFIGURE_ACTION} user={fx.granted.name}' in polkit_log,
              f'SetRecording did not ask {CONFIGURE_ACTION}:\n{polkit_log[-2000:]}')
        h.wait_recording()

        expected = {n: [0, 0, 0] for n in names}
        for rnd in range(3):
            specs = []
            for i, (n, cg) in enumerate(zip(names, apps)):
                sent, received = 10000 * (i + 1) + 777 * rnd, 3000 * (i + 1) + 111 * rnd
                specs.append((cg, sent, received))
                expected[n][0] += sent
                expected[n][1] += received
                expected[n][2] += 1
            h.traffic(specs)
            time.sleep(1.6 * BUCKET_MS / 1000)   # the next round in another bucket
        # The last bucket closes at the first sample in the next one: on a
        # loaded machine a few ticks later than 3 buckets from now.
        time.sleep(3 * BUCKET_MS / 1000)
        poll_until(lambda: totals_of(h.query_dbus(fx.granted), names) == expected)

        def expect(label):
            data = h.usage_json(fx.granted)
            got = totals_of(data['buckets'], names)
            check(got == expected, f'{label}: netpulsectl usage totals {got} != {expected}; all: {data["totals"]}')
            rows = h.query_dbus(fx.granted)
            check(totals_of(rows, names) == expected, f'{label}: QueryUsage totals {totals_of(rows, names)}')
            cli_buckets = per_bucket([dict(b['usage'], start_ns=b['start_ns']) for b in data['buckets']], names)
            check(cli_buckets == per_bucket(rows, names), f'{label}: per-bucket rows differ')
            n_buckets = len({b[0] for b in cli_buckets})
            check(n_buckets >= 3, f'{label}: only {n_buckets} buckets for three rounds')
            log(f'{label}: {n_buckets} buckets, totals exact: {got}')
            return cli_buckets

        before = expect('recorded')
        check_rollup(h.db_path)

        # Per protocol: all of it TCP, kind "service" (from the .service cgroup).
        data = h.usage_json(fx.granted, '--by', 'app,proto')
        mine = [t for t in data['totals'] if t['app_id'] in names]
        check(sorted((t['app_id'], t['app_kind'], t['proto'], t['tx_bytes'], t['rx_bytes']) for t in mine)
              == sorted((n, 'service', 'tcp', e[0], e[1]) for n, e in expected.items()),
              f'--by app,proto: {mine}')
        # The table fits the width it is given, one line per application.
        r = fx.run_as(fx.granted, ['env', 'COLUMNS=72', h.ctl, 'usage', '--since', '1h'], timeout=60)
        check(r.returncode == 0, f'usage table: {r.returncode} {r.stderr}')
        lines = r.stdout.splitlines()
        check(all(len(line) <= 72 for line in lines), f'a line wider than 72:\n{r.stdout}')
        for n in names:
            check(sum(1 for line in lines if line.startswith(n)) == 1, f'{n} not once in:\n{r.stdout}')

        # A restart continues the series: the same history, and recording on.
        fx.stop_helper()
        wait_for(lambda: not fx.helper_running(), 'the helper gone')
        after = expect('after restart')
        check(before == after, 'the history changed across the restart')
        h.wait_recording()
        check(h.recording_state()['enabled'], 'recording is off after a restart')

        # The configure action again for off; the denied user cannot.
        r = h.ctl_as(fx.denied, 'recording', 'off', check_ok=False)
        check(r.returncode == 4, 'denied user turned recording off')
        h.ctl_as(fx.granted, 'recording', 'off')
        check(not h.recording_state()['enabled'], 'recording still on')
    finally:
        h.cleanup()


def recorded_bytes(db_path, name):
    db = sqlite3.connect(db_path)
    try:
        ok = db.execute('PRAGMA integrity_check').fetchone()[0]
        row = db.execute('SELECT SUM(u.tx) FROM usage u JOIN apps a ON a.id = u.app '
                         'WHERE u.level = 0 AND a.app_id = ?', (name,)).fetchone()
        return ok, row[0] or 0
    finally:
        db.close()


def case_sigkill(fx):
    """Transfers of about 20 kB each, one every ~1.6 s (each holds its
    socket 1.5 s: one transfer per 1-s bucket at most), from one
    application; the helper is SIGKILLed at a random moment among them.
    What was recorded before the kill must be intact (integrity_check, never
    less than before) and never counted twice; what is lost is at most the
    bucket still open (one transfer), plus one transfer whose bytes were
    still moving when the kill came (it is not seen at all)."""
    import threading
    h = History(fx, fx.state_dir)
    h.install_configure_rules()
    rng = random.Random(int.from_bytes(os.urandom(4), 'little'))
    try:
        name = f'nph{uuid.uuid4().hex[:10]}'
        app = h.app(name)
        h.enable()
        losses = []
        sent_total = 0
        for i in range(20):
            h.wait_recording()
            before_ok, before = recorded_bytes(h.db_path, name)
            check(before_ok == 'ok', f'iteration {i}: integrity_check says {before_ok}')
            killed = threading.Event()
            launched = []

            def run_traffic():
                for k in range(4):
                    if killed.is_set():
                        return
                    size = 20000 + 100 * i + k
                    launched.append(size)
                    h.traffic([(app, size, 10)])

            thread = threading.Thread(target=run_traffic)
            thread.start()
            time.sleep(rng.uniform(0.2, 5.0))
            pid = fx.helper_pid()
            os.kill(pid, 9)
            killed.set()
            thread.join()
            wait_for(lambda: not os.path.exists(f'/proc/{pid}'), 'the killed helper gone')
            ok, after = recorded_bytes(h.db_path, name)
            check(ok == 'ok', f'iteration {i}: integrity_check says {ok}')
            sent = sum(launched)
            sent_total += sent
            got = after - before
            check(0 <= got <= sent, f'iteration {i}: {got} bytes recorded of {sent} sent (counted twice?)')
            lost = sent - got
            check(lost <= 2 * max(launched),
                  f'iteration {i}: lost {lost} of {launched}: more than the open bucket and one transfer')
            losses.append(lost)
        print(f'sigkill: 20 kills, integrity_check ok every time; bytes lost per kill: {losses}; '
              f'sent {sent_total}, recorded {sent_total - sum(losses)} '
              f'({100.0 * sum(losses) / sent_total:.1f} % lost); worst {max(losses)} '
              f'(one transfer, at most one per bucket, is about 20 kB)', flush=True)
    finally:
        h.cleanup()


def case_corrupt(fx):
    h = History(fx, fx.state_dir)
    h.install_configure_rules()
    os.makedirs(fx.state_dir, exist_ok=True)
    garbage = b'this is not a database ' * 100
    with open(h.db_path, 'wb') as f:
        f.write(garbage)
    state = h.recording_state()
    check('moved to' in state['warning'] and 'corrupt' in state['warning'], f'no warning: {state}')
    moved = [n for n in os.listdir(fx.state_dir) if n.startswith('history.db.corrupt-')]
    check(len(moved) == 1, f'not moved aside: {os.listdir(fx.state_dir)}')
    with open(os.path.join(fx.state_dir, moved[0]), 'rb') as f:
        check(f.read() == garbage, 'the corrupt database was changed')
    log(f'corrupt: {state["warning"]}')

    # A newer schema: moved aside too, and its data kept.
    fx.stop_helper()
    wait_for(lambda: not fx.helper_running(), 'the helper gone')
    db = sqlite3.connect(h.db_path)
    db.execute('CREATE TABLE future (x)')
    db.execute('PRAGMA user_version = 99')
    db.commit()
    db.close()
    state = h.recording_state()
    check('newer' in state['warning'], f'no warning about the schema: {state}')
    moved = [n for n in os.listdir(fx.state_dir) if n.startswith('history.db.corrupt-') and '-wal' not in n
             and '-shm' not in n]
    check(len(moved) == 2, f'newer schema not moved aside: {os.listdir(fx.state_dir)}')
    log(f'newer schema: {state["warning"]}')
    h.enable()
    check(recorded_bytes(h.db_path, 'x')[0] == 'ok', 'the new database is not sound')


# A state directory with room for a new database (schema 2: four tables,
# its WAL and the shared memory file) and little more: the disk-full cases
# here and in tests/app/test-app-usage.py.
SMALL_TMPFS = 'size=160k,mode=0700'


def mount_small_tmpfs(path):
    os.makedirs(path, exist_ok=True)
    subprocess.run(['mount', '-t', 'tmpfs', '-o', SMALL_TMPFS, 'nptest', path], check=True)


def case_disk_full(fx):
    h = History(fx, fx.state_dir)
    h.install_configure_rules()
    mount_small_tmpfs(fx.state_dir)
    try:
        names = [f'nph{uuid.uuid4().hex[:10]}' for _ in range(40)]
        apps = [h.app(n) for n in names]
        h.enable()
        h.wait_recording()
        # Room for the new database (schema 2: four tables, its WAL and the
        # 32 KiB shared-memory file) and a few buckets; many applications
        # with their hosts rows fill the rest quickly.
        deadline = time.time() + 90
        state = h.recording_state()
        while not state['paused'] and time.time() < deadline:
            h.traffic([(cg, 1000, 10) for cg in apps])
            time.sleep(1.2)
            state = h.recording_state()
        check(state['paused'] and 'full' in state['last_error'].lower(),
              f'recording did not pause on a full disk: {state}')
        log(f'disk full: {state["last_error"]}')
        r = h.ctl_as(fx.granted, 'recording', 'status')
        check('paused' in r.stdout and 'Error:' in r.stdout, f'status does not say so: {r.stdout}')
        # Live monitoring goes on.
        r = fx.run_as(fx.granted, [h.ctl, 'monitor', '--json', '--count', '1'], timeout=60)
        check(r.returncode == 0, f'live monitoring failed on a full disk: {r.returncode} {r.stderr}')
    finally:
        fx.stop_helper()
        h.cleanup()
        subprocess.run(['umount', fx.state_dir])


def case_hosts(fx):
    h = History(fx, fx.state_dir)
    h.install_configure_rules()
    try:
        name = f'nph{uuid.uuid4().hex[:10]}'
        app = h.app(name)
        h.enable()
        h.wait_recording()
        peers = {('127.0.0.2', 8002): [0, 0, 0], ('127.0.0.3', 8003): [0, 0, 0]}
        for rnd in range(2):
            specs = []
            for i, (addr, port) in enumerate(peers):
                sent, received = 40000 * (i + 1) + 313 * rnd, 9000 * (i + 1) + 17 * rnd
                specs.append((app, sent, received, addr, port))
                peers[(addr, port)][0] += sent
                peers[(addr, port)][1] += received
                peers[(addr, port)][2] += 1
            h.traffic(specs)
        time.sleep(3 * BUCKET_MS / 1000)   # the last bucket closes

        expected = sorted((addr, port, 'tcp', tx, rx, c) for (addr, port), (tx, rx, c) in peers.items())

        def hosts():
            r = h.ctl_as(fx.granted, 'usage', '--hosts', '--json', '--since', '1h', '--app', name)
            return sorted((x['remote'], x['remote_port'], x['proto'], x['tx_bytes'], x['rx_bytes'], x['connections'])
                          for x in json.loads(r.stdout)['hosts'] if x['app_id'] == name)
        # Written a few ticks late on a loaded machine.
        poll_until(lambda: hosts() == expected)
        got = hosts()
        check(got == expected, f'usage --hosts: {got} != {expected}')

        now = time.time_ns()
        code, out, err = fx.gdbus_call_as(fx.granted, f'{HELPER_INTERFACE}.QueryHosts',
                                          str(now - 3600 * 10**9), str(now + 10**9), '{}')
        check(code == 0, f'QueryHosts: {err}')
        rows = re.findall(r"'([^']*)', (?:byte )?(0x[0-9a-f]+|\d+), '([^']*)', (?:uint16 )?(\d+), "
                          r"(?:uint64 )?(\d+), (?:uint64 )?(\d+), (?:uint32 )?(\d+)\)", out)
        sums = {}
        for app_id, proto, addr, port, rx, tx, conns in rows:
            if app_id == name:
                t = sums.setdefault((addr, int(port), int(proto, 0)), [0, 0, 0])
                t[0] += int(tx)
                t[1] += int(rx)
                t[2] += int(conns)
        dbus = sorted((a, p, 'tcp' if pr == 6 else pr, *t) for (a, p, pr), t in sums.items())
        check(dbus == expected, f'QueryHosts: {dbus} != {expected}')
        # The hosts of an hour add up to the application's usage in it.
        usage = totals_of(h.query_dbus(fx.granted, granularity='hour'), [name])[name]
        check([sum(e[3] for e in expected), sum(e[4] for e in expected), sum(e[5] for e in expected)] == usage,
              f'hosts do not add up to the usage: {expected} vs {usage}')
        r = h.ctl_as(fx.granted, 'usage', '--hosts', '--since', '1h', '--app', name)
        check('127.0.0.2:8002' in r.stdout and '127.0.0.3:8003' in r.stdout, f'table: {r.stdout}')
        log(f'hosts: exact per peer: {expected}')
    finally:
        h.cleanup()


def case_boot(fx):
    """Recording on links netpulse-recorder.target into the test root's
    multi-user.target.wants when systemd runs there, off removes it;
    without /run/systemd/system nothing is made."""
    h = History(fx, fx.state_dir)
    h.install_configure_rules()
    wants = os.path.join(fx.system_root, 'etc', 'systemd', 'system', 'multi-user.target.wants')
    link = os.path.join(wants, 'netpulse-recorder.target')
    os.makedirs(wants)
    # No systemd: a no-op.
    h.enable()
    check(not os.path.lexists(link), 'a link was made without systemd')
    check(not h.recording_state()['starts_at_boot'], 'starts at boot without systemd?')
    h.ctl_as(fx.granted, 'recording', 'off')
    # systemd.
    os.makedirs(os.path.join(fx.system_root, 'run', 'systemd', 'system'))
    h.enable()
    check(os.path.islink(link), f'no link after recording on: {os.listdir(wants)}')
    target = os.readlink(link)
    check(target.endswith('/systemd/system/netpulse-recorder.target') and os.path.isabs(target),
          f'the link points to {target}')
    state = h.recording_state()
    check(state['starts_at_boot'] and state['boot_error'] == '', f'state: {state}')
    h.ctl_as(fx.granted, 'recording', 'off')
    check(not os.path.lexists(link), 'the link is still there after recording off')
    check(not h.recording_state()['starts_at_boot'], 'still starts at boot')
    # A file that is not a link is an administrator's: kept, and said so.
    with open(link, 'w') as f:
        f.write('mine')
    h.enable()
    with open(link) as f:
        check(f.read() == 'mine', 'an administrator\'s file was replaced')
    state = h.recording_state()
    check('not a link' in state['boot_error'], f'no boot error: {state}')
    log(f'boot: link made and removed; {state["boot_error"]}')
    h.ctl_as(fx.granted, 'recording', 'off')


class StateDirFixtureArgs:
    state_dir = None


def fixture_args(build_root):
    """A state directory, and a root for the boot link (never the real
    /etc/systemd: netpulse-boot-unit.c)."""
    import tempfile
    state_dir = tempfile.mkdtemp(prefix='netpulse-history-state-')
    os.rmdir(state_dir)
    StateDirFixtureArgs.state_dir = state_dir
    StateDirFixtureArgs.system_root = tempfile.mkdtemp(prefix='netpulse-history-root-')
    return dict(helper_args=[f'--history-bucket-ms={BUCKET_MS}', f'--state-dir={state_dir}',
                             f'--system-root={StateDirFixtureArgs.system_root}'])


def with_state(func):
    def run(fx):
        fx.state_dir = StateDirFixtureArgs.state_dir
        fx.system_root = StateDirFixtureArgs.system_root
        try:
            func(fx)
        finally:
            subprocess.run(['rm', '-rf', fx.state_dir, fx.system_root])
    return run


CASES = {
    'totals': (with_state(case_totals), fixture_args),
    'sigkill': (with_state(case_sigkill), fixture_args),
    'corrupt': (with_state(case_corrupt), fixture_args),
    'disk-full': (with_state(case_disk_full), fixture_args),
    'hosts': (with_state(case_hosts), fixture_args),
    'boot': (with_state(case_boot), fixture_args),
}

if __name__ == '__main__':
    sys.exit(run_case(CASES))
