#!/usr/bin/env python3
"""Collector tests of issue 11 (items 1, 5 and 6): which application owns a
connection, owners of idle accepted sockets, one record per socket.

Real kernel programs, real loopback traffic in a network namespace the
test creates (tests/collector/traffic_sockets.py), cgroups the test creates
under the cgroup v2 root and removes after; records of
`netpulse-helper --standalone --json` compared exactly.

Usage: test_identity.py CASE
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nptest import Netns, StandaloneHelper, check, require, run_cases, wait_until  # noqa: E402

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "traffic_sockets.py")
CMDLINE_MAX = 256


def one(records, what):
    check(len(records) == 1, "expected exactly one record for %s, got %d" % (what, len(records)), *records)
    return records[0]


def expect_fields(record, what, **expected):
    for key, value in expected.items():
        check(record.get(key) == value, "%s: %s is %r, expected %r" % (what, key, record.get(key), value),
              record)


def argv(*args):
    return [sys.executable, SCRIPT] + [str(a) for a in args]


def run(ns, *args, timeout=120):
    out = subprocess.run(ns.command(*argv(*args)), check=True, stdout=subprocess.PIPE, timeout=timeout)
    return json.loads(out.stdout)


def expected_cmdline(*args):
    return " ".join(argv(*args))[:CMDLINE_MAX]


def cgroup2_root():
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            if len(fields) > 2 and fields[2] == "cgroup2":
                return fields[1]
    return None


# ---- item 1: application identity ----

def identity_cases():
    """(cgroup name, app_id, app_kind) of the processes the test starts."""
    container = uuid.uuid4().hex + uuid.uuid4().hex
    service = "test%s" % uuid.uuid4().hex[:12]
    return [
        ("app-gnome-org.example.Test-%d.scope" % os.getpid(), "org.example.Test", "desktop"),
        ("docker-%s.scope" % container, container[:12], "container"),
        ("%s.service" % service, service, "service"),
    ]


def check_identity(helper, ns, tmp, root, unit, app_id, kind, sent):
    cgroup = os.path.join(root, unit)
    go = os.path.join(tmp, "go-" + unit)
    os.mkdir(cgroup)
    procs = os.open(os.path.join(cgroup, "cgroup.procs"), os.O_WRONLY)
    args = ("identity", procs, "127.0.0.1", sent, go)
    try:
        proc = subprocess.Popen(ns.command(*argv(*args)), stdout=subprocess.PIPE, pass_fds=(procs,))
        os.close(procs)
        mine = lambda r: r["comm"] == "np-id-client" and r["proto"] == "tcp" and r["unit"] == unit
        live = wait_until(lambda: [r for r in helper.latest(ns.inode, mine) if r["tx_bytes"] == sent])
        # The server too is seen while it lives: it exits as soon as the
        # client closes, and a process that is gone has no executable to
        # read (under load its reads came after the client's record).
        server_read = lambda r: r["comm"] == "np-id-server" and r["proto"] == "tcp" and r["rx_bytes"] == sent
        server_live = wait_until(lambda: helper.latest(ns.inode, server_read))
        open(go, "w").close()
        t = json.loads(proc.communicate(timeout=60)[0])
        check(live, "no record of the client in %s with its %d bytes" % (unit, sent),
              *[r for r in helper.snapshot(ns.inode) if r["comm"] == "np-id-client"][-3:])
        check(server_live, "no record of the server of %s with its %d bytes" % (unit, sent),
              *[r for r in helper.snapshot(ns.inode) if r["comm"] == "np-id-server"][-3:])
        identity = dict(app_id=app_id, app_kind=kind, unit=unit, exe=os.path.realpath(sys.executable),
                        cmdline=expected_cmdline(*args), pid=t["client_pid"])
        expect_fields(live[0], "client in " + unit, **identity)
        # The process has exited: its connection keeps the identity.
        match = lambda r: r["pid"] == t["client_pid"] and r["rport"] == t["port"]
        final = helper.wait_closed(t["netns_inode"], match)
        check(final, "the client in %s never closed" % unit, *helper.snapshot(t["netns_inode"])[-3:])
        expect_fields(one(final, "client in " + unit), "closed client in " + unit, tx_bytes=sent, rx_bytes=0,
                      closed=True, **identity)
        server = one(helper.latest(t["netns_inode"], lambda r: r["lport"] == t["port"] and r["proto"] == "tcp"),
                     "the server of " + unit)
        expect_fields(server, "server of " + unit, pid=t["server_pid"], rx_bytes=sent,
                      exe=os.path.realpath(sys.executable), cmdline=expected_cmdline(*args))
        check(server["unit"] != unit, "the server is not in the client's cgroup", server)
        print(unit, json.dumps({k: final[0][k] for k in ("app_id", "app_kind", "unit", "exe", "cmdline")}))
    finally:
        wait_until(lambda: os.rmdir(cgroup) is None if os.path.isdir(cgroup) else True, timeout=10)


def case_identity():
    root = cgroup2_root()
    require(root is not None, "needs a cgroup v2 mount")
    with Netns() as ns, StandaloneHelper() as helper, tempfile.TemporaryDirectory() as tmp:
        for i, (unit, app_id, kind) in enumerate(identity_cases()):
            check_identity(helper, ns, tmp, root, unit, app_id, kind, 10000 + i)
        check_sandboxed_identity(helper)


def check_sandboxed_identity(helper):
    """The helper read those as it really runs: its capabilities dropped and
    seccomp on (standalone does the same as the service)."""
    with open("/proc/%d/status" % helper.proc.pid) as f:
        status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    check(status["Seccomp"] == "2" and int(status["CapEff"], 16) & (1 << 21) == 0,
          "the helper was not sandboxed (no seccomp, or CAP_SYS_ADMIN kept)", status)


def case_identity_other_user():
    """A process of another user (not root, not dumpable-by-us): the
    sandboxed helper (CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH) still reads its
    exe and command line."""
    uid = 3100000 + os.getpid() % 100000
    with Netns() as ns, StandaloneHelper() as helper, tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "scripts")
        os.mkdir(copy)
        for name in ("traffic_sockets.py", "traffic.py"):
            subprocess.run(["cp", os.path.join(os.path.dirname(SCRIPT), name), copy], check=True)
        os.chmod(tmp, 0o755)
        os.chmod(copy, 0o755)
        python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
        script = os.path.join(copy, "traffic_sockets.py")
        ready, go = os.path.join(tmp, "ready"), os.path.join(tmp, "go")
        os.chmod(tmp, 0o777)
        cmd = [python, script, "idle-accept", "127.0.0.1", ready, go]
        proc = subprocess.Popen(ns.command("setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups",
                                           "--inh-caps=-all", *cmd), stdout=subprocess.PIPE)
        try:
            check(wait_until(lambda: os.path.exists(ready), timeout=20), "the other user's server did not start")
            info = json.load(open(ready))
            match = lambda r: r["pid"] == info["client_pid"] and r["uid"] == uid and r["exe"] != ""
            found = wait_until(lambda: helper.latest(ns.inode, match))
            check(found, "no record of the other user's client with its exe",
                  *[r for r in helper.snapshot(ns.inode)][-3:])
            expect_fields(found[0], "other user's client", exe=os.path.realpath(python),
                          cmdline=" ".join(cmd)[:CMDLINE_MAX])
        finally:
            open(go, "w").close()
            proc.communicate(timeout=30)


GONE_PROGRAM = """
import socket, sys
with open("/proc/self/comm", "w") as f:
    f.write(sys.argv[1])
if len(sys.argv) > 3:
    import os
    os.write(int(sys.argv[3]), b"0")    # cgroup.procs, opened by the test
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", 9))
s.send(b"g" * int(sys.argv[2]))
"""


def case_identity_gone():
    """A process that has exited before the helper reads /proc is named by
    its executable, as it would have been while it ran, not by its comm:
    the kernel read the executable's name when it sent."""
    with Netns() as ns, StandaloneHelper(interval=2000) as helper, tempfile.TemporaryDirectory() as tmp:
        program = os.path.join(tmp, "np-gone-" + uuid.uuid4().hex[:8])
        shutil.copy2(os.path.realpath(sys.executable), program)
        os.chmod(tmp, 0o755)
        subprocess.run(ns.command(program, "-c", GONE_PROGRAM, "np-other-comm", 1234), check=True, timeout=60)
        mine = lambda r: r["comm"] == "np-other-comm" and r["tx_bytes"] == 1234
        found = wait_until(lambda: helper.latest(ns.inode, mine), timeout=20)
        check(found, "no record of the exited sender", *helper.snapshot(ns.inode)[-3:])
        expect_fields(found[0], "exited sender", app_id=os.path.basename(program), app_kind="process",
                      proto="udp")

        # In a service's cgroup, which stays after the process: the service.
        root = cgroup2_root()
        require(root is not None, "needs a cgroup v2 mount")
        service = "npgone%s" % uuid.uuid4().hex[:12]
        cgroup = os.path.join(root, service + ".service")
        os.mkdir(cgroup)
        try:
            # `ip netns exec` mounts a /sys of its own: the test opens cgroup.procs.
            procs = os.open(os.path.join(cgroup, "cgroup.procs"), os.O_WRONLY)
            try:
                subprocess.run(ns.command(program, "-c", GONE_PROGRAM, "np-other-comm", 4321, procs),
                               check=True, timeout=60, pass_fds=(procs,))
            finally:
                os.close(procs)
            mine = lambda r: r["comm"] == "np-other-comm" and r["tx_bytes"] == 4321
            found = wait_until(lambda: helper.latest(ns.inode, mine), timeout=20)
            check(found, "no record of the exited sender in " + service, *helper.snapshot(ns.inode)[-3:])
            expect_fields(found[0], "exited sender in " + service, app_id=service, app_kind="service",
                          unit=service + ".service")
        finally:
            wait_until(lambda: os.rmdir(cgroup) is None if os.path.isdir(cgroup) else True, timeout=10)


# ---- item 5: owners of idle accepted sockets ----

def case_idle_accept():
    """An accepted socket that never moves data is named with its PID and
    comm within two ticks of its first record."""
    with Netns() as ns, StandaloneHelper(interval=500) as helper, tempfile.TemporaryDirectory() as tmp:
        ready, go = os.path.join(tmp, "ready"), os.path.join(tmp, "go")
        proc = subprocess.Popen(ns.command(*argv("idle-accept", "127.0.0.1", ready, go)), stdout=subprocess.PIPE)
        try:
            check(wait_until(lambda: os.path.exists(ready), timeout=20), "the idle server did not start")
            info = json.load(open(ready))
            accepted = lambda r: r["lport"] == info["port"] and r["proto"] == "tcp"
            named = wait_until(lambda: [r for r in helper.snapshot(ns.inode)
                                        if accepted(r) and r["pid"] == info["server_pid"]], timeout=20)
            check(named, "the idle accepted socket was never named",
                  *[r for r in helper.snapshot(ns.inode) if accepted(r)][-3:])
            seen = [r for r in helper.snapshot(ns.inode) if r["id"] == named[0]["id"]]
            ticks = sorted({r["ts_ns"] for r in seen if r["ts_ns"] <= named[0]["ts_ns"]})
            print("named on the %d. tick of the socket's records" % len(ticks))
            check(len(ticks) <= 3, "named only on the %d. tick of its records (within two ticks: 3.)" % len(ticks),
                  *seen[:4])
            expect_fields(named[0], "idle accepted socket", comm="np-idle-server", tx_bytes=0, rx_bytes=0,
                          exe=os.path.realpath(sys.executable), state="ESTABLISHED")
        finally:
            open(go, "w").close()
            proc.communicate(timeout=30)


# ---- item 6: one record per socket ----

def case_half_close():
    """The peer shuts down first, then the client reads 300,000 bytes
    while its socket is CLOSE: one record, exact totals."""
    size, request = 300000, 1234
    with Netns() as ns, StandaloneHelper() as helper:
        t = run(ns, "half-close", "127.0.0.1", size, request)
        netns = t["netns_inode"]
        client_match = lambda r: r["pid"] == t["client_pid"]
        check(helper.wait_closed(netns, client_match), "the client never closed", *helper.snapshot(netns)[-3:])
        helper.wait_ticks(2)
        client = one(helper.latest(netns, client_match), "the half-closed client socket")
        expect_fields(client, "client", tx_bytes=request, rx_bytes=size, rport=t["port"], closed=True)
        check(client["lport"] != 0, "the client's local port is 0", client)
        server = one(helper.latest(netns, lambda r: r["pid"] == t["server_pid"]), "the server socket")
        expect_fields(server, "server", tx_bytes=size, rx_bytes=request, lport=t["port"], closed=True)


def case_udp_recvfrom():
    """A connected UDP socket that uses sendto() and recvfrom() with its
    peer's address: one record, not one per peer."""
    sizes = "100,200,1400,7,33"
    with Netns() as ns, StandaloneHelper() as helper:
        t = run(ns, "udp-recvfrom", "127.0.0.1", sizes)
        netns = t["netns_inode"]
        client_match = lambda r: r["pid"] == t["client_pid"]
        check(helper.wait_closed(netns, client_match), "the client never closed", *helper.snapshot(netns)[-3:])
        helper.wait_ticks(2)
        client = one(helper.latest(netns, client_match), "the connected UDP client")
        expect_fields(client, "client", tx_bytes=t["total"], rx_bytes=t["total"], tx_packets=5, rx_packets=5,
                      per_peer=False, rport=t["port"], closed=True)
        server = one(helper.latest(netns, lambda r: r["pid"] == t["server_pid"]), "the unconnected server")
        expect_fields(server, "server (per peer)", tx_bytes=t["total"], rx_bytes=t["total"], per_peer=True,
                      rport=client["lport"])


def case_udp_connect_after():
    """Unconnected sendto()s first (a per-peer record), then connect(): the
    connected record takes all later traffic, whatever call moves it."""
    with Netns() as ns, StandaloneHelper() as helper:
        t = run(ns, "udp-connect-after", "127.0.0.1", "10,20,30", "400,500,600,700")
        netns = t["netns_inode"]
        client_match = lambda r: r["pid"] == t["client_pid"]
        check(helper.wait_closed(netns, client_match, count=2), "the client's records never closed",
              *helper.snapshot(netns)[-3:])
        helper.wait_ticks(2)
        records = helper.latest(netns, client_match)
        check(len(records) == 2, "expected the per-peer and the connected record", *records)
        peer = one([r for r in records if r["per_peer"]], "the per-peer record")
        connected = one([r for r in records if not r["per_peer"]], "the connected record")
        expect_fields(peer, "before connect()", tx_bytes=t["before"], rx_bytes=t["before"], rport=t["port"])
        expect_fields(connected, "after connect()", tx_bytes=t["after"], rx_bytes=t["after"], rport=t["port"],
                      tx_packets=4, rx_packets=4)


if __name__ == "__main__":
    run_cases(globals())
