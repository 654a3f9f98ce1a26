#!/usr/bin/env python3
"""Collector tests: the real kernel programs count real loopback traffic.

Each case creates its own network namespace, generates exactly known
traffic there with tests/collector/traffic.py, and compares the records of
`netpulse-helper --standalone --json` for that namespace byte for byte.

Usage: test_collector.py CASE
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nptest import (Netns, StandaloneHelper, check, require, run_cases,  # noqa: E402
                    wait_until)

KNOWN_BACKENDS = ("fentry", "kprobe", "tracepoint")


def one(records, what):
    check(len(records) == 1, "expected exactly one record for %s, got %d" % (what, len(records)),
          *records)
    return records[0]


def expect_fields(record, what, **expected):
    for key, value in expected.items():
        check(record.get(key) == value, "%s: %s is %r, expected %r" % (what, key, record.get(key), value),
              record)


def tcp_case(host, family):
    sent, received = 100000, 54321
    # --verbose: its debug messages must go to stderr, not into the records
    # on stdout (checked when the helper stops).
    with Netns() as ns, StandaloneHelper("--verbose") as helper, tempfile.TemporaryDirectory() as tmp:
        check(helper.backend() in KNOWN_BACKENDS, "unknown backend logged: %r" % helper.backend())
        print("backend:", helper.backend())
        go = os.path.join(tmp, "go")
        proc = ns.traffic_background("tcp", host, sent, received, go)
        # Both ends stay open until the test has seen the client established
        # with all its bytes; then they close.
        client_match = lambda r: r["comm"] == "np-tcp-client" and r["proto"] == "tcp"
        established = wait_until(lambda: [r for r in helper.snapshot(ns.inode) if client_match(r)
                                          and r["state"] == "ESTABLISHED" and r["rx_bytes"] == received])
        open(go, "w").close()
        t = json.loads(proc.communicate(timeout=60)[0])
        check(established, "the client was never reported ESTABLISHED with all its bytes",
              *helper.snapshot(t["netns_inode"]))
        netns = t["netns_inode"]
        client_match = lambda r: r["pid"] == t["client_pid"] and r["rport"] == t["port"]
        server_match = lambda r: r["lport"] == t["port"] and r["proto"] == "tcp"
        check(helper.wait_closed(netns, client_match), "client connection never reported closed",
              *helper.snapshot(netns))
        check(helper.wait_closed(netns, server_match), "server connection never reported closed",
              *helper.snapshot(netns))

        client = one(helper.latest(netns, client_match), "the client socket")
        expect_fields(client, "client", comm="np-tcp-client", proto="tcp", family=family,
                      tx_bytes=sent, rx_bytes=received, state="CLOSE", closed=True, partial=False,
                      raddr=host if family == 6 else host, rport=t["port"])
        server = one(helper.latest(netns, server_match), "the server socket")
        expect_fields(server, "server", pid=t["server_pid"], comm="np-tcp-server",
                      tx_bytes=received, rx_bytes=sent, state="CLOSE", closed=True)
        check(server["rport"] == client["lport"] and client["lport"] != 0,
              "the two ends do not name each other's ports", client, server)

        # The state progressed: ESTABLISHED was reported before CLOSE.
        states = [r["state"] for r in helper.snapshot(netns) if r["id"] == client["id"]]
        check("ESTABLISHED" in states and states[-1] == "CLOSE",
              "client states did not go ESTABLISHED → CLOSE: %s" % states)
        established = [r for r in helper.snapshot(netns) if r["id"] == client["id"] and r["state"] == "ESTABLISHED"]
        check(any(r["rtt_us"] > 0 for r in established + [client]), "RTT stayed 0", client)
        check(all(r["uid"] == 0 for r in (client, server)), "uid is not root's", client, server)
        check(client["first_seen_ns"] <= client["last_seen_ns"], "first seen after last seen", client)
        print("client", json.dumps(client))
        print("server", json.dumps(server))


def case_tcp4():
    tcp_case("127.0.0.1", 4)


def case_tcp6():
    tcp_case("::1", 6)


def case_tcp_v4mapped():
    tcp_case("::ffff:127.0.0.1", 6)


def udp_connected_case(host, family):
    sizes = "100,200,1400,7"
    with Netns() as ns, StandaloneHelper() as helper:
        t = ns.traffic("udp-connected", host, sizes)
        netns = t["netns_inode"]
        total = t["total"]
        client_match = lambda r: r["pid"] == t["client_pid"] and r["proto"] == "udp"
        check(helper.wait_closed(netns, client_match), "connected UDP client never closed",
              *helper.snapshot(netns))
        client = one(helper.latest(netns, client_match), "the connected UDP client")
        expect_fields(client, "udp client", tx_bytes=total, rx_bytes=total, tx_packets=4, rx_packets=4,
                      family=family, rport=t["port"], closed=True, per_peer=False, comm="np-udp-client")
        server_match = lambda r: r["pid"] == t["server_pid"] and r["proto"] == "udp"
        check(helper.wait_closed(netns, server_match), "UDP server flow never closed",
              *helper.snapshot(netns))
        server = one(helper.latest(netns, server_match), "the UDP server (one peer)")
        expect_fields(server, "udp server", tx_bytes=total, rx_bytes=total, lport=t["port"],
                      rport=client["lport"], per_peer=True)
        print("client", json.dumps(client))


def case_udp4_connected():
    udp_connected_case("127.0.0.1", 4)


def case_udp6_connected():
    udp_connected_case("::1", 6)


def udp_unconnected_case(hosts, family, prepare=None, verify=None):
    """@prepare(helper) and @verify(helper), if given, run before the
    traffic starts and after the records were checked."""
    sizes = "10,300,1000"
    with Netns() as ns, StandaloneHelper() as helper:
        if prepare is not None:
            prepare(helper)
        t = ns.traffic("udp-unconnected", hosts, sizes)
        netns = t["netns_inode"]
        peers = t["peers"]
        sender_match = lambda r: r["pid"] == t["sender_pid"] and r["proto"] == "udp"
        check(helper.wait_closed(netns, sender_match, count=len(peers)),
              "not every peer of the unconnected sender was reported", *helper.snapshot(netns))
        records = helper.latest(netns, sender_match)
        check(len(records) == len(peers), "expected one record per peer", *records)
        for peer in peers:
            mine = [r for r in records if r["rport"] == peer["port"] and r["raddr"] == peer["host"]]
            r = one(mine, "peer %s:%d" % (peer["host"], peer["port"]))
            expect_fields(r, "sender → %s:%d" % (peer["host"], peer["port"]), tx_bytes=peer["tx"],
                          rx_bytes=peer["rx"], per_peer=True, family=family, comm="np-udp-sender",
                          closed=True)
            receiver = one(helper.latest(netns, lambda x: x["pid"] == peer["receiver_pid"]),
                           "receiver on port %d" % peer["port"])
            expect_fields(receiver, "receiver %d" % peer["port"], rx_bytes=peer["tx"],
                          tx_bytes=peer["rx"], rport=r["lport"], per_peer=True)
        print("per-peer records:", json.dumps(records))
        if verify is not None:
            verify(helper)


def case_udp4_unconnected():
    udp_unconnected_case("127.0.0.1,127.0.0.2,127.0.0.3", 4)


def case_udp6_unconnected():
    udp_unconnected_case("::1,::1,::1", 6)


def case_short_lived():
    # Ticks every second; the connection lives a few milliseconds between two.
    with Netns() as ns, StandaloneHelper(interval=1000) as helper:
        t = ns.traffic("short-lived", "127.0.0.1", 4321, 1234)
        print("connection lifetime: %.2f ms" % (t["elapsed_s"] * 1000))
        netns = t["netns_inode"]
        client_match = lambda r: r["pid"] == t["client_pid"]
        check(helper.wait_closed(netns, client_match), "the short-lived connection was lost",
              *helper.snapshot(netns))
        # A closed connection is printed once, then gone: wait for two more
        # ticks, then stop (a last tick, and every line is in).
        closed_at = max(r["ts_ns"] for r in helper.snapshot(netns) if r["pid"] == t["client_pid"])
        helper.wait_ticks(2, after=closed_at)
        helper.stop()
        seen = [r for r in helper.snapshot(netns) if r["pid"] == t["client_pid"]]
        check(len(seen) == 1, "expected the closed connection exactly once, got %d" % len(seen), *seen)
        expect_fields(seen[0], "short-lived", tx_bytes=4321, rx_bytes=1234, closed=True, state="CLOSE",
                      comm="np-short-cli")


def case_many():
    count = 2000
    with Netns() as ns, StandaloneHelper(interval=500) as helper:
        t = ns.traffic("many", "127.0.0.1", count, 2.0, timeout=300)
        check_all_many_reported(helper, t, count)
        counters = helper.stop()
        check(counters["flow-overflow"] == 0, "the flow table overflowed", counters)
        print("all %d connections reported with exact totals" % count)


def case_overflow():
    count = 200
    with Netns() as ns, StandaloneHelper("--max-flows", "64", interval=300) as helper:
        t = ns.traffic("many", "127.0.0.1", count, 1.0, timeout=120)
        netns = t["netns_inode"]
        # stop() takes a last sample of the full table before the helper exits.
        check(helper.proc.poll() is None, "the helper died when its table was full", *helper.stderr_lines)
        counters = helper.stop()
        check(counters is not None and counters["flow-overflow"] > 0,
              "the overflow counter did not move", counters, *helper.stderr_lines[-5:])
        check(counters["max-flows"] == 64, "max-flows is not the option's value", counters)
        # What fit is exact: every reported client connection carries its own
        # byte count, nothing was charged to another connection.
        clients = helper.latest(netns, lambda r: r["pid"] == t["client_pid"] and r["rport"] == t["port"])
        check(0 < len(clients) < count, "expected some but not all connections", len(clients))
        sizes = [r["tx_bytes"] for r in clients]
        check(len(set(sizes)) == len(sizes) and all(1 <= s <= count for s in sizes),
              "a connection reported another's bytes", sizes)
        print("overflow counter %d, %d connections reported exactly" % (counters["flow-overflow"], len(clients)))


def check_all_many_reported(helper, t, count):
    """Every connection of traffic.py's "many" scenario reported closed,
    each with its own exact total (client i sends i+1 bytes), and every
    accepted socket too."""
    netns = t["netns_inode"]
    client_match = lambda r: r["pid"] == t["client_pid"] and r["rport"] == t["port"]
    closed = helper.wait_closed(netns, client_match, count=count, timeout=60)
    check(len(closed) == count, "only %d of %d connections reported closed" % (len(closed), count))
    sizes = sorted(r["tx_bytes"] for r in closed)
    check(sizes == list(range(1, count + 1)), "per-connection byte counts are wrong",
          "first differences: %s" % [(i + 1, s) for i, s in enumerate(sizes) if s != i + 1][:10])
    check(len({r["lport"] for r in closed}) == count, "local ports are not all distinct")
    server_match = lambda r: r["lport"] == t["port"] and r["proto"] == "tcp"
    # The server only accepts (never reads): its sockets are reported too.
    servers = helper.wait_closed(netns, server_match, count=count, timeout=60)
    check(len(servers) == count, "only %d of %d accepted sockets reported" % (len(servers), count))


def case_ring_full():
    # The ring that carries closed connections out of the kernel, one page
    # small, and nobody reading it (the helper stopped with SIGSTOP) while
    # 2 x 300 sockets close: the ring fills, the closes that do not fit wait
    # in the flow table marked closed.  Nothing may be lost or counted twice.
    count = 300
    page_kib = max(os.sysconf("SC_PAGE_SIZE") // 1024, 1)
    with Netns() as ns, StandaloneHelper("--closed-ring-size", str(page_kib), interval=500) as helper:
        os.kill(helper.proc.pid, signal.SIGSTOP)
        try:
            t = ns.traffic("many", "127.0.0.1", count, 0.2, timeout=120)
        finally:
            os.kill(helper.proc.pid, signal.SIGCONT)
        check_all_many_reported(helper, t, count)
        closes = [r for r in helper.snapshot(t["netns_inode"]) if r["closed"]]
        check(len(closes) == len({r["id"] for r in closes}),
              "a connection was reported closed twice: %d close records, %d connections"
              % (len(closes), len({r["id"] for r in closes})))
        counters = helper.stop()
        check(counters["closed-ring-bytes"] == page_kib * 1024, "the ring was not resized", counters)
        check(counters["closed-ring-full"] > 0, "the ring never filled", counters)
        check(counters["flow-overflow"] == 0, "the flow table overflowed", counters)
        print("%d of %d closes waited in the table; all reported once, exactly"
              % (counters["closed-ring-full"], 2 * count))


def case_msg_peek():
    with Netns() as ns, StandaloneHelper() as helper:
        t = ns.traffic("tcp-peek", "127.0.0.1", 5000)
        netns = t["netns_inode"]
        match = lambda r: r["pid"] == t["server_pid"]
        check(helper.wait_closed(netns, match), "peeking server never reported", *helper.snapshot(netns))
        server = one(helper.latest(netns, match), "peeking server")
        expect_fields(server, "peeking server", rx_bytes=5000, tx_bytes=0)


def case_udp_idle():
    with Netns() as ns, StandaloneHelper("--udp-idle", "500") as helper:
        proc = ns.traffic_background("udp-idle", "127.0.0.1", 333, 4.0)
        match = lambda r: r["comm"] == "np-udp-idle"
        closed = wait_until(lambda: [r for r in helper.snapshot(ns.inode) if match(r) and r["closed"]], timeout=10)
        still_running = proc.poll() is None
        t = json.loads(proc.communicate(timeout=30)[0])
        check(closed, "the idle UDP flow was never reported closed")
        check(still_running, "the flow was only closed once its socket was released, not when idle")
        r = closed[0]
        expect_fields(r, "idle UDP flow", tx_bytes=333, pid=t["sender_pid"], netns=t["netns_inode"])


def existing_case(check_helper=None):
    with Netns() as ns, tempfile.TemporaryDirectory() as tmp:
        ready, go = os.path.join(tmp, "ready"), os.path.join(tmp, "go")
        proc = ns.traffic_background("serve-existing", "127.0.0.1", 1111, 2222, ready, go)
        check(wait_until(lambda: os.path.exists(ready) and os.path.getsize(ready) > 0, timeout=20),
              "the pre-existing connection was not set up")
        info = json.loads(open(ready).read())
        with StandaloneHelper() as helper:
            if check_helper:
                check_helper(helper)
            # Seen before any new traffic: marked partial, owner found via /proc.
            match = lambda r: r["lport"] == info["lport"] and r["rport"] == info["port"]
            early = wait_until(lambda: helper.latest(ns.inode, match), timeout=10)
            check(early, "the pre-existing connection was not reported")
            expect_fields(early[0], "pre-existing before traffic", partial=True, tx_bytes=0,
                          pid=info["client_pid"], comm="np-old-cli", state="ESTABLISHED")
            open(go, "w").close()
            t = json.loads(proc.communicate(timeout=30)[0])
            final = helper.wait_closed(t["netns_inode"], match)
            check(final, "the pre-existing connection never closed", *helper.snapshot(t["netns_inode"]))
            expect_fields(final[0], "pre-existing after traffic", partial=True, tx_bytes=2222,
                          pid=info["client_pid"], closed=True)


def case_existing():
    existing_case()


# The capabilities the helper keeps once attached (helper/netpulse-sandbox.c):
# CAP_DAC_READ_SEARCH (2) and CAP_SYS_PTRACE (19) for /proc/PID/fd, CAP_BPF
# (39) where the kernel wants it for every bpf() command.
def minimum_capabilities():
    caps = (1 << 2) | (1 << 19)
    release = tuple(int(x) for x in os.uname().release.split(".")[:2])
    with open("/proc/sys/kernel/unprivileged_bpf_disabled") as f:
        if release < (6, 5) and int(f.read()) != 0:
            caps |= 1 << 39
    return caps


def check_sandboxed(helper):
    """Every thread: exactly the minimum in CapEff, CapPrm and CapBnd,
    nothing inheritable or ambient, no_new_privs, a seccomp filter."""
    pid = helper.proc.pid
    want = {"CapEff": minimum_capabilities(), "CapPrm": minimum_capabilities(),
            "CapBnd": minimum_capabilities(), "CapInh": 0, "CapAmb": 0}
    paths = ["/proc/%d/status" % pid] + ["/proc/%d/task/%s/status" % (pid, tid)
                                         for tid in os.listdir("/proc/%d/task" % pid)]
    for path in paths:
        with open(path) as f:
            status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
        got = {key: int(status[key], 16) for key in want}
        print(path, " ".join("%s %016x" % kv for kv in got.items()),
              "NoNewPrivs", status["NoNewPrivs"], "Seccomp", status["Seccomp"])
        check(got == want and status["NoNewPrivs"] == "1" and status["Seccomp"] == "2",
              "%s: not the documented minimum, no_new_privs and seccomp" % path, status)


def case_sandboxed():
    """After attach the standalone helper keeps only the documented
    capabilities, in every set of every thread, and still finds the owner
    of a connection from before through /proc and counts it exactly."""
    existing_case(check_sandboxed)


def case_forked_reader():
    with Netns() as ns, StandaloneHelper() as helper:
        t = ns.traffic("forked-reader", "127.0.0.1", 7777)
        netns = t["netns_inode"]
        match = lambda r: r["lport"] == t["port"] and r["proto"] == "tcp"
        check(helper.wait_closed(netns, match), "accepted socket never reported", *helper.snapshot(netns))
        server = one(helper.latest(netns, match), "accepted socket")
        expect_fields(server, "accepted socket read by a forked child", pid=t["reader_pid"],
                      comm="np-fork-reader", rx_bytes=7777)


def case_not_root():
    helper = os.environ["NETPULSE_HELPER"]
    require(subprocess.run(["id", "nobody"], stdout=subprocess.DEVNULL).returncode == 0,
            "needs the user nobody")
    # The build tree may not be readable by nobody: run a copy.
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "netpulse-helper")
        subprocess.run(["cp", helper, copy], check=True)
        os.chmod(tmp, 0o755)
        os.chmod(copy, 0o755)
        p = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                            "--inh-caps=-all", copy, "--standalone", "--duration", "1"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    check(p.returncode == 77, "exit status %d, expected 77" % p.returncode, p.stderr)
    check(len(lines) == 1 and "CAP_BPF" in lines[0] and "root" in lines[0],
          "expected one line saying what is needed", p.stderr)
    print(lines[0])


def case_forced_backend():
    """--backend fentry: loads where the kernel allows it; here (EPERM) it
    must fail with a clear message and the verifier log written."""
    # Whatever the kernel allows: an unknown name is refused, not ignored.
    p = subprocess.run([os.environ["NETPULSE_HELPER"], "--standalone", "--backend", "nonsense"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    check(p.returncode == 1 and "unknown backend" in p.stderr, "an unknown backend was not refused",
          p.stderr)

    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "verifier.log")
        p = subprocess.run([os.environ["NETPULSE_HELPER"], "--standalone", "--json", "--duration", "1",
                            "--backend", "fentry", "--verifier-log", log],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        if p.returncode == 0:
            check("backend fentry ready" in p.stderr, "fentry loaded but was not logged", p.stderr)
            print("fentry loads on this kernel")
            return
        check(p.returncode == 1, "exit status %d" % p.returncode, p.stderr)
        check("fentry" in p.stderr and log in p.stderr, "the error does not name the backend and the log",
              p.stderr)
        check(os.path.getsize(log) > 0, "the verifier log is empty")
        check(os.stat(log).st_mode & 0o777 == 0o600, "the verifier log is not 0600: %o" % os.stat(log).st_mode)
        print(p.stderr.strip().splitlines()[-1])

        # A name that exists is not written through (a link planted there).
        victim = os.path.join(tmp, "victim")
        open(victim, "w").close()
        os.symlink(victim, os.path.join(tmp, "planted.log"))
        p = subprocess.run([os.environ["NETPULSE_HELPER"], "--standalone", "--duration", "1",
                            "--backend", "fentry", "--verifier-log", os.path.join(tmp, "planted.log")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        check(p.returncode == 1 and os.path.getsize(victim) == 0,
              "the verifier log was written through a planted link", p.stderr)

        # By default: a private directory, never the shared /tmp.
        shared = "/tmp/netpulse-verifier.log"
        before = os.stat(shared).st_mtime_ns if os.path.exists(shared) else None
        p = subprocess.run([os.environ["NETPULSE_HELPER"], "--standalone", "--duration", "1",
                            "--backend", "fentry"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60,
                           env={k: v for k, v in os.environ.items() if k != "RUNTIME_DIRECTORY"})
        default = "/run/netpulse/verifier.log"
        check(p.returncode == 1 and default in p.stderr, "the error does not name %s" % default, p.stderr)
        print(p.stderr.strip().splitlines()[-1])
        directory = os.stat("/run/netpulse")
        check(directory.st_uid == 0 and directory.st_mode & 0o777 == 0o700,
              "/run/netpulse is not root's with mode 0700: %o" % directory.st_mode)
        st = os.stat(default)
        check(st.st_uid == 0 and st.st_mode & 0o777 == 0o600 and st.st_size > 0,
              "%s is not root's, 0600 and non-empty: %o" % (default, st.st_mode))
        after = os.stat(shared).st_mtime_ns if os.path.exists(shared) else None
        check(after == before, "the helper wrote %s" % shared)

# ---- a flow table no user can fill for the others ----

# A uid and gid of their own per test run, with no passwd entry (setpriv
# takes numbers): the helper sees the traffic of the whole machine, and a
# per-uid cap must not be spent by someone else's test.
UNPRIVILEGED_ID = 3000000 + os.getpid() % 1000000
DEFAULT_MAX_FLOWS = 65536
DEFAULT_PEERS_PER_SOCKET = 1024


def as_unprivileged(ns, tmp, scenario, *args):
    """traffic.py SCENARIO ARGS in the namespace as an unprivileged user,
    from a copy that user can read, with the system's Python (the test's
    may live under root's home)."""
    copy = os.path.join(tmp, "traffic.py")
    if not os.path.exists(copy):
        subprocess.run(["cp", os.path.join(os.path.dirname(os.path.abspath(__file__)), "traffic.py"), copy],
                       check=True)
        os.chmod(tmp, 0o755)
        os.chmod(copy, 0o644)
        os.mkdir(os.path.join(tmp, "shared"))
        os.chmod(os.path.join(tmp, "shared"), 0o777)   # for the flood's mark file
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    return ns.command("setpriv", "--reuid=%d" % UNPRIVILEGED_ID, "--regid=%d" % UNPRIVILEGED_ID,
                      "--clear-groups", "--inh-caps=-all", python, copy, scenario, *args)


def peer_index(raddr):
    """The index of flood_peer() in traffic.py that gave this address."""
    _, b, c, d = (int(x) for x in raddr.split("."))
    return ((b - 1) << 16) + (c << 8) + d


def flood_records(helper, netns, flood, sock, allow_refused=False):
    """The final records of one flooding socket, once they add up to what
    it sent.  With `allow_refused`, what they add up to after a while (the
    caller checks the difference against the refusals counted)."""
    match = lambda r: r["pid"] == flood["pid"] and r["lport"] == sock["lport"] and r["proto"] == "udp"

    def complete():
        records = helper.latest(netns, match)
        if records and all(r["closed"] for r in records) and sum(r["tx_bytes"] for r in records) == sock["bytes"]:
            return records
        return None
    records = wait_until(complete, timeout=30)
    if not records and allow_refused:
        return helper.latest(netns, match)
    check(records, "the flooding socket's records never added up to what it sent (%d bytes)" % sock["bytes"],
          "records: %d, bytes: %d" % (len(helper.latest(netns, match)),
                                      sum(r["tx_bytes"] for r in helper.latest(netns, match))))
    return records


def check_aggregated_socket(records, flood, sock, cap, exact_cap=True):
    """Per-peer records + one aggregate = what the socket sent, exactly.
    Without `exact_cap` the socket may have held more per-peer entries over
    its life (idle ones closed after --udp-idle make room), never fewer."""
    size = flood["size"]
    aggregates = [r for r in records if r["other_peers"]]
    per_peer = [r for r in records if not r["other_peers"]]
    agg = one(aggregates, "the aggregate of socket %d" % sock["lport"])
    check(len(per_peer) == cap or (not exact_cap and len(per_peer) > cap),
          "socket %d holds %d per-peer records, its cap is %d" % (sock["lport"], len(per_peer), cap))
    check(all(r["tx_bytes"] == size and r["tx_packets"] == 1 and r["per_peer"] for r in per_peer),
          "a per-peer record does not carry exactly its one datagram",
          *[r for r in per_peer if r["tx_bytes"] != size][:3])
    beyond = sock["datagrams"] - len(per_peer)
    expect_fields(agg, "aggregate of socket %d" % sock["lport"], tx_bytes=beyond * size,
                  tx_packets=beyond, peers=beyond, raddr="", rport=0, per_peer=True,
                  uid=flood["uid"], comm="np-udp-flood")
    return agg


def victim_tcp(ns, helper, tmp, sent, received):
    """Root's TCP connection, started while the flood runs: reported with
    its exact bytes both ways."""
    go = os.path.join(tmp, "go-%d" % time.monotonic_ns())
    proc = ns.traffic_background("tcp", "127.0.0.1", sent, received, go)
    match = lambda r: r["comm"] == "np-tcp-client" and r["proto"] == "tcp"
    established = wait_until(lambda: [r for r in helper.snapshot(ns.inode) if match(r)
                                      and r["state"] == "ESTABLISHED" and r["rx_bytes"] == received],
                             timeout=20)
    open(go, "w").close()
    t = json.loads(proc.communicate(timeout=60)[0])
    client_match = lambda r: r["pid"] == t["client_pid"] and r["rport"] == t["port"]
    server_match = lambda r: r["lport"] == t["port"] and r["proto"] == "tcp"
    check(established, "the victim connection was never reported while the table was flooded",
          "records of the victim's namespace: %d" % len(helper.snapshot(t["netns_inode"])),
          *helper.stderr_lines[-5:])
    client = helper.wait_closed(t["netns_inode"], client_match)
    server = helper.wait_closed(t["netns_inode"], server_match)
    check(client and server, "the victim connection never closed")
    expect_fields(client[0], "victim client", tx_bytes=sent, rx_bytes=received, uid=0, closed=True)
    expect_fields(server[0], "victim server", tx_bytes=received, rx_bytes=sent, uid=0, closed=True)
    return client[0], server[0]


def case_udp_flood():
    """Item 5 of issue 9: an unprivileged user's unconnected UDP sockets
    sendto() distinct loopback peers as fast as they can (one socket, then
    four); once they have sent to twice as many peers as the table holds,
    root's TCP connection is made: it is reported with exact bytes.  Each
    flooding socket holds its cap of per-peer records and one aggregate
    with exactly the rest, and the counters say so."""
    sent, received = 100000, 54321
    aggregated = 0
    with Netns() as ns, StandaloneHelper(interval=500) as helper, tempfile.TemporaryDirectory() as tmp:
        for sockets in (1, 4):
            mark = os.path.join(tmp, "shared", "filled-%d" % sockets)
            stop = os.path.join(tmp, "shared", "stop-%d" % sockets)
            flood_proc = subprocess.Popen(as_unprivileged(ns, tmp, "udp-flood", sockets, 180, 0, 0, "rr", 16,
                                                          2 * DEFAULT_MAX_FLOWS, mark, stop),
                                          stdout=subprocess.PIPE)
            # The old table was full after 65,536 peers.
            check(wait_until(lambda: os.path.exists(mark) or flood_proc.poll() is not None, timeout=120)
                  and os.path.exists(mark), "the flood did not reach %d peers" % (2 * DEFAULT_MAX_FLOWS))
            client, _ = victim_tcp(ns, helper, tmp, sent, received)
            time.sleep(2.0)     # and the flood goes on a while
            open(stop, "w").close()
            out, _ = flood_proc.communicate(timeout=60)
            check(flood_proc.returncode == 0, "the flood failed")
            flood = json.loads(out)
            print("%d socket(s): %d distinct peers in %.1f s (%.0f peers/s) as uid %d"
                  % (sockets, flood["peers"], flood["elapsed_s"], flood["peers_per_s"], flood["uid"]))
            check(flood["uid"] != 0, "the flood did not run as an unprivileged user")
            check(flood["peers"] > 2 * DEFAULT_MAX_FLOWS,
                  "the flood reached only %d peers: not enough to fill the table" % flood["peers"])
            for sock in flood["sockets"]:
                records = flood_records(helper, flood["netns_inode"], flood, sock)
                agg = check_aggregated_socket(records, flood, sock, DEFAULT_PEERS_PER_SOCKET, exact_cap=False)
                aggregated += agg["tx_packets"]
                print("  socket %d: %d datagrams, %d per-peer records, aggregate %d bytes (%d other peers)"
                      % (sock["lport"], sock["datagrams"], len(records) - 1, agg["tx_bytes"], agg["peers"]))
            print("  victim: %d bytes sent, %d received, exact" % (client["tx_bytes"], client["rx_bytes"]))
        counters = helper.stop()
        print("counters:", json.dumps(counters))
        check(counters["flow-overflow"] == 0, "flows were refused", counters)
        check(counters["socket-peer-cap"] == aggregated and counters["peers-aggregated"] == aggregated,
              "the counters do not say how many datagrams were aggregated (%d)" % aggregated, counters)
        check(counters["max-peers-per-socket"] == DEFAULT_PEERS_PER_SOCKET
              and counters["max-peers-per-uid"] == DEFAULT_MAX_FLOWS // 8, "the default caps changed", counters)


def case_peer_caps():
    """Eight sockets of one user, one after the other, 200 peers each, with
    caps of 100 per socket and 300 per user: the first three sockets hold
    100 per-peer entries each (the rest of theirs aggregated at the socket
    cap), the other five none (all aggregated at the user's cap) — while
    they are open and at their end.  Another user (root) is not affected.
    (The counters are machine-wide: run alone, they are exact.)"""
    per_socket, per_uid, sockets, peers = 100, 300, 8, 200
    with Netns() as ns, StandaloneHelper("--max-peers-per-socket", str(per_socket),
                                         "--max-peers-per-uid", str(per_uid), interval=300) as helper, \
            tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(as_unprivileged(ns, tmp, "udp-flood", sockets, 0, peers, 3, "seq"),
                                stdout=subprocess.PIPE)
        mine = lambda r: r["comm"] == "np-udp-flood" and r["proto"] == "udp"
        held = wait_until(lambda: (lambda rs: rs if len([r for r in rs if not r["other_peers"]]) == per_uid
                                   and len(rs) == per_uid + sockets else None)(
                              [r for r in helper.latest(ns.inode, mine) if not r["closed"]]), timeout=20)
        check(held, "the user's open per-peer records did not reach exactly the cap of %d" % per_uid,
              "open: %d" % len([r for r in helper.latest(ns.inode, mine) if not r["closed"]]))
        root = ns.traffic("udp-flood", 1, 0, 50, 0, "seq")
        flood = json.loads(proc.communicate(timeout=60)[0])
        netns = flood["netns_inode"]
        for k, sock in enumerate(flood["sockets"]):
            records = flood_records(helper, netns, flood, sock)
            cap = per_socket if k < per_uid // per_socket else 0
            if cap:
                check_aggregated_socket(records, flood, sock, cap)
            else:
                agg = one(records, "socket %d, all aggregated at the user's cap" % sock["lport"])
                expect_fields(agg, "socket %d" % sock["lport"], other_peers=True, tx_bytes=sock["bytes"],
                              tx_packets=peers, peers=peers)
        root_sock = root["sockets"][0]
        root_records = flood_records(helper, root["netns_inode"], root, root_sock)
        check(len(root_records) == 50 and not any(r["other_peers"] for r in root_records),
              "root's 50 peers were not each reported (another user's cap is not root's)", len(root_records))
        counters = helper.stop()
        print("counters:", json.dumps(counters))
        expect_fields(counters, "counters", **{"socket-peer-cap": 3 * (peers - per_socket),
                                              "uid-peer-cap": (sockets - 3) * peers,
                                              "peers-aggregated": sockets * peers - per_uid,
                                              "flow-overflow": 0, "max-peers-per-uid": per_uid,
                                              "max-peers-per-socket": per_socket})


def case_idle_evict():
    """A table of 16,384 entries, caps out of the way: one unprivileged
    user's socket sends to 15,000 peers and stays open.  Once
    they are idle, the least recently used per-peer entries are evicted
    (reported closed with their exact bytes) until the table is 3/4 full;
    root's idle TCP connection is not touched, and a new one is reported
    exactly.  (The table holds the whole machine's connections: should
    others fill it meanwhile, what did not fit must be counted refused.)"""
    max_flows, peers = 16384, 15000
    with Netns() as ns, StandaloneHelper("--verbose", "--max-flows", str(max_flows), "--max-peers-per-socket", "20000",
                                         "--max-peers-per-uid", "20000", "--udp-idle", "60000",
                                         interval=300) as helper, \
            tempfile.TemporaryDirectory() as tmp:
        go = os.path.join(tmp, "go-held")
        held_proc = ns.traffic_background("tcp", "127.0.0.1", 1000, 2000, go)
        held_match = lambda r: r["comm"] == "np-tcp-client" and r["proto"] == "tcp"
        check(wait_until(lambda: [r for r in helper.snapshot(ns.inode) if held_match(r)
                                  and r["state"] == "ESTABLISHED" and r["rx_bytes"] == 2000]),
              "the held TCP connection was not reported")
        proc = subprocess.Popen(as_unprivileged(ns, tmp, "udp-flood", 1, 0, peers, 20, "seq"),
                                stdout=subprocess.PIPE)
        mine = lambda r: r["comm"] == "np-udp-flood" and r["proto"] == "udp"
        # Alone in the table, 15,002 - 12,288 of ours would go; other idle
        # per-peer entries of the machine older than ours go first.
        evicted = wait_until(lambda: (lambda rs: rs if len(rs) >= 500 else None)(
                                 [r for r in helper.latest(ns.inode, mine) if r["closed"]]), timeout=18)
        # A tick's records may still be arriving: take both sets a tick later.
        time.sleep(1.0)
        if evicted:
            evicted = [r for r in helper.latest(ns.inode, mine) if r["closed"]]
        still_flooding = proc.poll() is None
        check(evicted, "idle per-peer entries were not evicted from the nearly full table",
              "closed: %d" % len([r for r in helper.latest(ns.inode, mine) if r["closed"]]),
              "open: %d" % len([r for r in helper.latest(ns.inode, mine) if not r["closed"]]),
              *[l for l in helper.stderr_lines if "evicted" in l][-5:])
        check(still_flooding, "the entries were only closed when the socket was released, not evicted")
        open_ones = [r for r in helper.latest(ns.inode, mine) if not r["closed"]]
        check(max(peer_index(r["raddr"]) for r in evicted) < min(peer_index(r["raddr"]) for r in open_ones),
              "evicted entries are not the least recently used ones")
        check(all(r["tx_bytes"] == 16 for r in evicted), "an evicted entry lost bytes")
        held = [r for r in helper.latest(ns.inode, held_match)]
        check(held and not any(r["closed"] for r in held), "the idle TCP connection was evicted", *held)
        victim_tcp(ns, helper, tmp, 30000, 40000)
        open(go, "w").close()
        held_proc.communicate(timeout=60)
        flood = json.loads(proc.communicate(timeout=60)[0])
        records = flood_records(helper, flood["netns_inode"], flood, flood["sockets"][0], allow_refused=True)
        counters = helper.stop()
        missing = flood["sockets"][0]["bytes"] - sum(r["tx_bytes"] for r in records)
        check(missing % flood["size"] == 0 and missing // flood["size"] <= counters["flow-overflow"],
              "%d datagrams are in no record and not counted refused" % (missing // flood["size"]), counters)
        if counters["peer-table-full"] == 0 and counters["flow-overflow"] == 0:
            check(len(records) == peers and not any(r["other_peers"] for r in records),
                  "expected one record per peer", len(records))
        print("%d of %d per-peer entries evicted while idle; counters: %s"
              % (len(evicted), peers, json.dumps(counters)))
        check(counters["idle-evicted"] >= len(evicted), "idle-evicted does not count them", counters)



if __name__ == "__main__":
    run_cases(globals())
