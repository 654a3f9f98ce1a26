#!/usr/bin/env python3
"""Collector tests of issue 13: every byte a process moves, whatever the
socket family and the system call — error-queue reads and peeks that are
not payload, zero-copy sends, and the protocols beyond TCP and UDP.

Own clients in test network namespaces (tests/collector/traffic_families.py),
exact byte counts on both ends.

Usage: test_sockets.py CASE
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nptest import Netns, StandaloneHelper, check, require, run_cases, wait_until  # noqa: E402
import test_collector  # noqa: E402

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "traffic_families.py")


def helper_map_ids(pid):
    """The ids of the BPF maps process @pid holds (its /proc fdinfo)."""
    ids = set()
    fd_dir = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fd_dir):
        try:
            with open(os.path.join(fd_dir, fd)) as f:
                for line in f:
                    if line.startswith("map_id:"):
                        ids.add(int(line.split()[1]))
        except OSError:
            continue      # closed in the meantime
    return ids


def pending_slots_map(helper):
    """The id of the helper's array of pending-peer slots (np_pending_slots,
    named np_pending_slot in the kernel: 15 characters)."""
    mine = helper_map_ids(helper.proc.pid)
    out = subprocess.run(["bpftool", "-j", "map", "show"], check=True, stdout=subprocess.PIPE)
    found = [m for m in json.loads(out.stdout) if m["id"] in mine and m.get("name") == "np_pending_slot"]
    check(len(found) == 1, "the helper's np_pending_slots map", found)
    return found[0]


# struct np_pending_slot: the owner (pid_tgid, no thread's: 0xff…), then
# an empty struct np_pending_peer (cookie 0: nothing pending) and padding
# to a cache line.
HELD_SLOT = "ff " * 8 + "00 " * 56


def hold_every_slot(helper):
    """Every slot held by a thread that does not exist: each stash of a
    datagram's peer finds its thread's slot taken and uses the LRU map."""
    slots = pending_slots_map(helper)
    check(slots["bytes_value"] == len(HELD_SLOT.split()), "struct np_pending_slot changed", slots)
    with tempfile.NamedTemporaryFile("w", suffix=".batch") as batch:
        for index in range(slots["max_entries"]):
            key = " ".join("%02x" % b for b in index.to_bytes(4, sys.byteorder))
            batch.write("map update id %d key hex %s value hex %s\n" % (slots["id"], key, HELD_SLOT.strip()))
        batch.flush()
        subprocess.run(["bpftool", "batch", "file", batch.name], check=True, stdout=subprocess.DEVNULL)
    helper.held_slots = slots


def check_slots_still_held(helper):
    """No slot was taken from the thread that held it."""
    out = subprocess.run(["bpftool", "-j", "map", "dump", "id", str(helper.held_slots["id"])],
                         check=True, stdout=subprocess.PIPE)
    entries = json.loads(out.stdout)
    held = [int(b, 16) for b in HELD_SLOT.split()]
    taken = [e for e in entries if [int(v, 16) for v in e["value"]] != held]
    check(len(entries) == helper.held_slots["max_entries"] and not taken,
          "%d of %d slots were taken from their holder" % (len(taken), len(entries)), *taken[:3])


def case_udp_pending_fallback():
    """Unconnected UDP with every thread's array slot held by another: the
    peers go through the LRU map, and every peer's bytes are still exact
    (the checks of udp4-unconnected, whose threads use the slots)."""
    require(shutil.which("bpftool") is not None, "needs bpftool")
    test_collector.udp_unconnected_case("127.0.0.1,127.0.0.2,127.0.0.3", 4, prepare=hold_every_slot,
                                        verify=check_slots_still_held)
    print("every slot held by another thread; the peers went through np_pending_peers, exact")


def run(ns, *args, timeout=120):
    argv = [sys.executable, SCRIPT] + [str(a) for a in args]
    out = subprocess.run(ns.command(*argv), check=True, stdout=subprocess.PIPE, timeout=timeout)
    return json.loads(out.stdout)


def one(records, what):
    check(len(records) == 1, "expected exactly one record for %s, got %d" % (what, len(records)),
          *records)
    return records[0]


def expect_fields(record, what, **expected):
    for key, value in expected.items():
        check(record.get(key) == value, "%s: %s is %r, expected %r" % (what, key, record.get(key), value),
              record)


def final(helper, netns, match, what):
    check(helper.wait_closed(netns, match), "%s never reported closed" % what, *helper.snapshot(netns))
    return one(helper.latest(netns, match), what)


def case_errqueue():
    # The ICMP errors of 6 datagrams of 500 bytes (an ICMP error quotes 520 at most) to a closed port come back
    # with the datagrams in the error queue: 3,000 bytes that are not
    # received payload.  Zero-copy sends are counted once, their completions
    # (error-queue reads without payload) not; a peek before the read is not.
    size, count, zc_size = 500, 6, 200000
    with Netns(sysctls={"net.ipv4.icmp_ratelimit": 0}) as ns, StandaloneHelper() as helper:
        print("backend:", helper.backend())
        t = run(ns, "errqueue", "127.0.0.1", size, count, zc_size)
        netns = t["netns_inode"]
        errq = final(helper, netns, lambda r: r["pid"] == t["errq_pid"], "the IP_RECVERR socket")
        expect_fields(errq, "IP_RECVERR socket", proto="udp", tx_bytes=size * count, tx_packets=count,
                      rx_bytes=0, rx_packets=0, rport=t["errq_port"])
        client = final(helper, netns, lambda r: r["pid"] == t["client_pid"] and r["proto"] == "tcp",
                       "the zero-copy client")
        expect_fields(client, "zero-copy client", tx_bytes=zc_size, rx_bytes=1)
        server = final(helper, netns, lambda r: r["pid"] == t["server_pid"] and r["proto"] == "tcp",
                       "the peeking server")
        expect_fields(server, "peeking server", rx_bytes=zc_size, tx_bytes=1)
        print("errqueue", json.dumps(errq))


PING_RANGE = {"net.ipv4.ping_group_range": "0 2147483647"}


def ping_case(host, proto, family):
    count, payload = 3, 56
    with Netns(sysctls=PING_RANGE) as ns, StandaloneHelper() as helper:
        t = run(ns, "ping", host, count, payload)
        r = final(helper, t["netns_inode"], lambda r: r["pid"] == t["pid"], "the ping socket")
        expect_fields(r, "ping socket", proto=proto, family=family, tx_bytes=t["bytes"],
                      rx_bytes=t["bytes"], tx_packets=count, rx_packets=count, raddr=host,
                      comm="np-ping", raw=False, packet=False, state="")
        print("ping", json.dumps(r))


def case_ping4():
    ping_case("127.0.0.1", "icmp", 4)


def case_ping6():
    ping_case("::1", "icmp6", 6)


def case_raw_ip():
    with Netns() as ns, StandaloneHelper() as helper:
        t = run(ns, "raw", "127.0.0.1", 3, 100)
        netns = t["netns_inode"]
        sender = final(helper, netns, lambda r: r["pid"] == t["sender_pid"], "the raw sender")
        expect_fields(sender, "raw sender", proto="raw/253", raw=True, tx_bytes=t["tx"], rx_bytes=0,
                      tx_packets=3, family=4, raddr="127.0.0.1")
        receiver = final(helper, netns, lambda r: r["pid"] == t["receiver_pid"], "the raw receiver")
        expect_fields(receiver, "raw receiver", proto="raw/253", raw=True, rx_bytes=t["rx"], tx_bytes=0,
                      rx_packets=3)


def case_packet():
    # AF_PACKET sockets have no release hook (cgroup/sock_release is for
    # inet sockets): their records close once idle, like UDP's.
    with Netns() as ns, StandaloneHelper("--udp-idle", "500") as helper:
        t = run(ns, "packet", 3, 60)
        netns = t["netns_inode"]
        sender = final(helper, netns, lambda r: r["pid"] == t["sender_pid"], "the AF_PACKET sender")
        expect_fields(sender, "packet sender", proto="packet", packet=True, family=0, tx_bytes=t["bytes"],
                      rx_bytes=0, tx_packets=3, laddr="", raddr="")
        receiver = final(helper, netns, lambda r: r["pid"] == t["receiver_pid"], "the AF_PACKET receiver")
        expect_fields(receiver, "packet receiver", proto="packet", packet=True, rx_bytes=t["bytes"],
                      tx_bytes=0, rx_packets=3)


def case_mptcp():
    require(os.path.exists("/proc/sys/net/mptcp/enabled"), "needs a kernel with CONFIG_MPTCP")
    sent, received = 300000, 54321
    with Netns(sysctls={"net.mptcp.enabled": 1}) as ns, StandaloneHelper() as helper:
        t = run(ns, "mptcp", "127.0.0.1", sent, received)
        netns = t["netns_inode"]
        client = final(helper, netns, lambda r: r["pid"] == t["client_pid"], "the MPTCP client")
        expect_fields(client, "MPTCP client", proto="mptcp", mptcp=True, tx_bytes=sent, rx_bytes=received,
                      rport=t["port"], raddr="127.0.0.1", state="", comm="np-mptcp-cli")
        server = final(helper, netns, lambda r: r["pid"] == t["server_pid"], "the MPTCP server")
        expect_fields(server, "MPTCP server", proto="mptcp", mptcp=True, tx_bytes=received, rx_bytes=sent,
                      lport=t["port"], rport=client["lport"])
        # The subflows are the MPTCP sockets' transport, not connections of their own.
        helper.wait_ticks(2)
        subflows = [r for r in helper.snapshot(netns) if r["proto"] == "tcp"]
        check(not subflows, "MPTCP subflows reported as TCP connections", *subflows[:4])


def case_splice():
    # 16 bytes with send()/recv(), then 20,000,000 spliced: from a file into
    # the server's socket, out of the client's socket into a file (the
    # receive side never passes recvmsg()).
    header, size = 16, 20000000
    with Netns() as ns, StandaloneHelper() as helper, tempfile.TemporaryDirectory() as tmp:
        t = run(ns, "splice", "127.0.0.1", header, size, tmp)
        netns = t["netns_inode"]
        client = final(helper, netns, lambda r: r["pid"] == t["client_pid"] and r["proto"] == "tcp",
                       "the splicing client")
        expect_fields(client, "splicing client", rx_bytes=header + size, tx_bytes=0, rport=t["port"])
        server = final(helper, netns, lambda r: r["lport"] == t["port"] and r["proto"] == "tcp",
                       "the splicing server")
        expect_fields(server, "splicing server", tx_bytes=header + size, rx_bytes=0, pid=t["server_pid"])


def kernel_config(option):
    """The value of a kernel build option ("y", "m", None if not set), or
    "unknown" when the kernel's configuration cannot be read."""
    import gzip
    for path in ("/proc/config.gz", "/boot/config-" + os.uname().release):
        try:
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rt") as f:
                for line in f:
                    if line.startswith(option + "="):
                        return line.strip().split("=", 1)[1]
            return None
        except OSError:
            continue
    return "unknown"


def sctp_available():
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP).close()
        return True
    except OSError:
        return False


def case_sctp():
    # SCTP is a module on most distributions (loaded at the first socket
    # when modprobe is there).  A kernel built without it cannot have it:
    # that is said and skipped (77) also under CI=true, since no package
    # can change it; a kernel that has it as a module we could not load
    # fails under CI=true like every other missing piece.
    if not sctp_available():
        config = kernel_config("CONFIG_IP_SCTP")
        if config is None:
            print("SKIP: this kernel (%s) is built without SCTP (CONFIG_IP_SCTP is not set): "
                  "no sctp module can exist here" % os.uname().release, file=sys.stderr)
            sys.exit(77)
        require(False, "SCTP sockets are refused (CONFIG_IP_SCTP=%s: load the sctp module)" % config)
    sent, received = 100000, 4321
    with Netns() as ns, StandaloneHelper() as helper:
        t = run(ns, "sctp", "127.0.0.1", sent, received)
        netns = t["netns_inode"]
        client = final(helper, netns, lambda r: r["pid"] == t["client_pid"], "the SCTP client")
        expect_fields(client, "SCTP client", proto="sctp", tx_bytes=sent, rx_bytes=received, state="")
        server = final(helper, netns, lambda r: r["pid"] == t["server_pid"], "the SCTP server")
        expect_fields(server, "SCTP server", proto="sctp", tx_bytes=received, rx_bytes=sent)


def case_other_netns_idle():
    # Idle sockets of a second namespace in which no process is (their
    # process created them there and went back, `ip netns` keeps the
    # namespace), all from before the helper started: reported at start-up.
    with Netns() as ns, tempfile.TemporaryDirectory() as tmp:
        ready, go = os.path.join(tmp, "ready"), os.path.join(tmp, "go")
        argv = [sys.executable, SCRIPT, "away", "127.0.0.1", "/proc/%d/ns/net" % os.getpid(), ready, go]
        proc = subprocess.Popen(ns.command(*argv), stdout=subprocess.PIPE)
        try:
            check(wait_until(lambda: os.path.exists(ready), timeout=20), "the idle sockets were not set up")
            info = json.loads(open(ready).read())
            pids = subprocess.run(["ip", "netns", "pids", ns.name], stdout=subprocess.PIPE, text=True).stdout
            check(pids.split() == [], "a process is still in the second namespace", pids)
            with StandaloneHelper() as helper:
                away = info["away_netns"]
                mine = lambda r: r["pid"] == info["pid"]
                found = wait_until(lambda: len(helper.latest(away, mine)) >= 3 and helper.latest(away, mine),
                                   timeout=10)
                check(found, "the idle sockets of the second namespace were not reported",
                      *helper.snapshot(away))
                client = one([r for r in found if r["lport"] == info["tcp_lport"]], "the idle TCP client")
                server = one([r for r in found if r["lport"] == info["tcp_port"]], "the idle TCP server")
                udp = one([r for r in found if r["lport"] == info["udp_lport"]], "the idle connected UDP socket")
                for r, what in ((client, "client"), (server, "server")):
                    expect_fields(r, "idle TCP " + what, proto="tcp", state="ESTABLISHED", partial=True,
                                  tx_bytes=0, rx_bytes=0, comm="np-away")
                expect_fields(udp, "idle UDP", proto="udp", partial=True, rport=9, comm="np-away")
        finally:
            open(go, "w").close()
            proc.communicate(timeout=30)


if __name__ == "__main__":
    run_cases(globals())
