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
from nptest import (Netns, StandaloneHelper, check, require, require_root,  # noqa: E402
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


def udp_unconnected_case(hosts, family):
    sizes = "10,300,1000"
    with Netns() as ns, StandaloneHelper() as helper:
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
        time.sleep(2.5)  # two more ticks: a closed connection is printed once, then gone
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
        time.sleep(1.0)
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
        p = subprocess.run([os.environ["NETPULSE_HELPER"], "--standalone", "--backend", "nonsense"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        check(p.returncode == 1 and "unknown backend" in p.stderr, "an unknown backend was not refused",
              p.stderr)


CASES = {name[len("case_"):].replace("_", "-"): fn for name, fn in globals().items()
         if name.startswith("case_")}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        sys.exit("usage: test_collector.py {%s}" % ",".join(sorted(CASES)))
    require_root()
    CASES[sys.argv[1]]()
    print("PASS:", sys.argv[1])


if __name__ == "__main__":
    main()
