#!/usr/bin/env python3
# test-helper-auth.py — end-to-end tests of netpulse-helper as a D-Bus
# service: authorization under load (issue 9) and huge input. A private system
# bus, a real polkitd, the helper started by bus activation as root, and
# unprivileged test users; the fixture and the checks the files share are in
# helpercases.py.
#
#   test-helper-auth.py CASE   (auth-flood, auth-agent, auth-revoked,
#                               auth-idle, huge-input)
#
# Needs root; skips (77) without it, fails under CI=true.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from helperfixture import (NO_REPLY, HelperFixture, TestFailure, log, wait_for,  # noqa: E402
                           parse_gvariant_scalar)
from helpercases import (BUSY, EXIT_NOT_AUTHORIZED, INVALID_OPTION,  # noqa: E402
                         MAX_PENDING_PER_UID, NOT_AUTHORIZED, NO_SUCH, check, gdbus_error,
                         read_json_lines, run_case, stop_client, wait_exited)


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
    stderr = wait_exited(monitor, 30, 'netpulsectl monitor still runs after its authorization was revoked',
                         'netpulsectl')
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
        if rc != 0 and NO_REPLY in err:
            # Sent just as the helper left (what this test makes happen):
            # the bus starts a new one for the next call.
            log('no reply: the helper was exiting; calling again')
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
    'auth-flood': test_auth_flood,
    # An idle timeout long enough that the helper which held the checks is
    # the one asked whether they are gone (a slow polkitd took 15 s once).
    'auth-agent': (test_auth_agent, {'prompt_user': True, 'idle_timeout_ms': 60000}),
    # The counters are read from the helper that revoked, after its last
    # subscription ended.
    'auth-revoked': (test_auth_revoked, {'idle_timeout_ms': 60000}),
    'auth-idle': test_auth_idle,
    # Refused calls do not keep the helper up: a long idle timeout, so that
    # one helper sees all 200 (a slow ASan build takes over 30 s).
    'huge-input': (test_huge_input, {'idle_timeout_ms': 120000}),
}


if __name__ == '__main__':
    sys.exit(run_case(CASES))
