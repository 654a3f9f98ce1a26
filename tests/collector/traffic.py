#!/usr/bin/env python3
"""Generates exactly known loopback traffic for the collector tests.

Runs inside the test's network namespace.  Each scenario forks child
processes with their own pid and command name, moves a precise number of
bytes, and prints one JSON object on stdout describing what happened (pids,
ports, byte counts) for the test to compare against the helper's records.

Usage: traffic.py SCENARIO [ARGS...]
"""

import json
import os
import resource
import socket
import sys
import time


def set_comm(name):
    with open("/proc/self/comm", "w") as f:
        f.write(name)


def recv_exactly(sock, n):
    got = 0
    while got < n:
        chunk = sock.recv(min(65536, n - got))
        if not chunk:
            raise RuntimeError("peer closed after %d of %d bytes" % (got, n))
        got += len(chunk)
    return got


def fork_child(name, fn, *args):
    """Runs fn(*args) in a child whose comm is `name`; returns its pid."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            set_comm(name)
            fn(*args)
        except BaseException as e:  # report and exit non-zero, never return
            print("child %s failed: %r" % (name, e), file=sys.stderr)
            code = 1
        finally:
            os._exit(code)
    return pid


def wait_all(pids):
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit("child %d failed" % pid)


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def listen(host):
    srv = socket.socket(family_of(host), socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, 0))
    srv.listen(4096)
    return srv


def wait_for_file(path, timeout_s=60.0):
    deadline = time.monotonic() + timeout_s
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.02)


def tcp_exchange(host, sent, received, go_file=None):
    """A client child sends `sent` bytes and receives `received`; a server
    child does the opposite.  Both close at the end — once `go_file` exists,
    if one is named, so that the test can see the connection established."""
    srv = listen(host)
    port = srv.getsockname()[1]
    r, w = os.pipe()

    def server():
        conn, _ = srv.accept()
        recv_exactly(conn, sent)
        conn.sendall(b"s" * received)
        os.read(r, 1)  # wait until the client has read everything
        if go_file:
            wait_for_file(go_file)
        conn.close()

    def client():
        c = socket.create_connection((host, port))
        c.sendall(b"c" * sent)
        recv_exactly(c, received)
        os.write(w, b"x")
        if go_file:
            wait_for_file(go_file)
        c.close()

    server_pid = fork_child("np-tcp-server", server)
    client_pid = fork_child("np-tcp-client", client)
    wait_all([client_pid, server_pid])
    return {"server_pid": server_pid, "client_pid": client_pid, "port": port,
            "sent": sent, "received": received}


def scenario_tcp(host, sent, received, go_file=None):
    return tcp_exchange(host, int(sent), int(received), go_file)


def scenario_tcp_peek(host, size):
    """The server peeks at the data before reading it: peeks must not count."""
    size = int(size)
    srv = listen(host)
    port = srv.getsockname()[1]

    def server():
        conn, _ = srv.accept()
        peeked = conn.recv(size, socket.MSG_PEEK | socket.MSG_WAITALL)
        assert len(peeked) == size
        recv_exactly(conn, size)
        conn.close()

    def client():
        c = socket.create_connection((host, port))
        c.sendall(b"p" * size)
        c.recv(1)  # returns at the server's close
        c.close()

    server_pid = fork_child("np-peek-server", server)
    client_pid = fork_child("np-peek-client", client)
    wait_all([client_pid, server_pid])
    return {"server_pid": server_pid, "client_pid": client_pid, "port": port, "size": size}


def scenario_udp_connected(host, sizes):
    """A client connect()s a UDP socket and sends datagrams of `sizes`
    (comma-separated); the server echoes each one back."""
    sizes = [int(s) for s in sizes.split(",")]
    srv = socket.socket(family_of(host), socket.SOCK_DGRAM)
    srv.bind((host, 0))
    port = srv.getsockname()[1]

    def server():
        for _ in sizes:
            data, peer = srv.recvfrom(65536)
            srv.sendto(data, peer)

    def client():
        c = socket.socket(family_of(host), socket.SOCK_DGRAM)
        c.connect((host, port))
        for n in sizes:
            c.send(b"u" * n)
            assert len(c.recv(65536)) == n
        c.close()

    server_pid = fork_child("np-udp-server", server)
    client_pid = fork_child("np-udp-client", client)
    wait_all([client_pid, server_pid])
    return {"server_pid": server_pid, "client_pid": client_pid, "port": port,
            "total": sum(sizes)}


def scenario_udp_unconnected(hosts, sizes):
    """One unconnected socket sends to several peers (one receiver per host
    in `hosts`, comma-separated) with sendto(), datagrams of `sizes` each;
    every receiver answers each datagram with one of half the size."""
    hosts = hosts.split(",")
    sizes = [int(s) for s in sizes.split(",")]
    receivers = []
    for h in hosts:
        s = socket.socket(family_of(h), socket.SOCK_DGRAM)
        s.bind((h, 0))
        receivers.append(s)
    ports = [s.getsockname()[1] for s in receivers]

    def receiver(sock, count):
        for _ in range(count):
            data, peer = sock.recvfrom(65536)
            sock.sendto(data[: len(data) // 2], peer)

    pids = [fork_child("np-udp-recv%d" % i, receiver, s, len(sizes)) for i, s in enumerate(receivers)]

    def sender():
        s = socket.socket(family_of(hosts[0]), socket.SOCK_DGRAM)
        for i, h in enumerate(hosts):
            for n in sizes:
                # a different amount per peer: size * (i + 1)
                s.sendto(b"d" * (n * (i + 1)), (h, ports[i]))
                data, _ = s.recvfrom(65536)
                assert len(data) == (n * (i + 1)) // 2
        s.close()

    sender_pid = fork_child("np-udp-sender", sender)
    wait_all([sender_pid] + pids)
    peers = []
    for i, h in enumerate(hosts):
        tx = sum(n * (i + 1) for n in sizes)
        rx = sum((n * (i + 1)) // 2 for n in sizes)
        peers.append({"host": h, "port": ports[i], "receiver_pid": pids[i], "tx": tx, "rx": rx})
    return {"sender_pid": sender_pid, "peers": peers}


def scenario_short_lived(host, sent, received):
    """Connect, exchange and close as fast as possible (well under 10 ms)."""
    srv = listen(host)
    port = srv.getsockname()[1]
    sent, received = int(sent), int(received)

    def server():
        conn, _ = srv.accept()
        recv_exactly(conn, sent)
        conn.sendall(b"r" * received)
        conn.close()

    server_pid = fork_child("np-short-srv", server)
    result = {}

    def client():
        start = time.monotonic()
        c = socket.create_connection((host, port))
        c.sendall(b"q" * sent)
        recv_exactly(c, received)
        c.close()
        elapsed = time.monotonic() - start
        with open(os.environ["NP_SHORT_ELAPSED_FILE"], "w") as f:
            f.write(str(elapsed))

    elapsed_file = "/tmp/np-short-%d" % os.getpid()
    os.environ["NP_SHORT_ELAPSED_FILE"] = elapsed_file
    client_pid = fork_child("np-short-cli", client)
    wait_all([client_pid, server_pid])
    with open(elapsed_file) as f:
        result["elapsed_s"] = float(f.read())
    os.unlink(elapsed_file)
    result.update({"server_pid": server_pid, "client_pid": client_pid, "port": port,
                   "sent": sent, "received": received})
    return result


def scenario_many(host, count, hold_s):
    """`count` concurrent TCP connections; client i sends i+1 bytes; all stay
    open for `hold_s` seconds, then the client closes every one, and only
    then the server (which never read: it resets them).  In that order
    every client socket has left its process when it reaches CLOSE, so its
    close goes through the kernel's ring of closed connections; had the
    server's resets come first, the client's sockets would close while
    still held and be harvested from the table instead (ring-full saw
    that race once in ten runs)."""
    count, hold_s = int(count), float(hold_s)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 2 * count + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, soft), max(want, hard)))
    srv = listen(host)
    port = srv.getsockname()[1]
    r, w = os.pipe()

    def server():
        conns = []
        for _ in range(count):
            conn, _ = srv.accept()
            conns.append(conn)
        os.read(r, 1)
        for c in conns:
            c.close()

    server_pid = fork_child("np-many-srv", server)

    def client():
        socks = []
        for i in range(count):
            c = socket.create_connection((host, port))
            c.sendall(b"m" * (i + 1))
            socks.append(c)
        time.sleep(hold_s)
        for c in socks:
            c.close()
        os.write(w, b"x")

    client_pid = fork_child("np-many-cli", client)
    wait_all([client_pid, server_pid])
    return {"server_pid": server_pid, "client_pid": client_pid, "port": port, "count": count}


def scenario_udp_idle(host, size, hold_s):
    """A UDP socket sends one datagram, then stays open and idle."""
    size, hold_s = int(size), float(hold_s)
    rcv = socket.socket(family_of(host), socket.SOCK_DGRAM)
    rcv.bind((host, 0))
    port = rcv.getsockname()[1]

    def sender():
        s = socket.socket(family_of(host), socket.SOCK_DGRAM)
        s.sendto(b"i" * size, (host, port))
        time.sleep(hold_s)
        s.close()

    pid = fork_child("np-udp-idle", sender)
    wait_all([pid])
    return {"sender_pid": pid, "port": port, "size": size}


def scenario_serve_existing(host, before, after, ready_file, go_file):
    """A connection that exists before the helper starts: `before` bytes are
    sent, then `ready_file` is written; once `go_file` appears, `after` more
    bytes are sent and the connection closes."""
    before, after = int(before), int(after)
    srv = listen(host)
    port = srv.getsockname()[1]

    def server():
        conn, _ = srv.accept()
        recv_exactly(conn, before + after)
        conn.close()

    server_pid = fork_child("np-old-srv", server)

    def client():
        c = socket.create_connection((host, port))
        c.sendall(b"o" * before)
        with open(ready_file, "w") as f:
            f.write(json.dumps({"client_pid": os.getpid(), "port": port,
                                "lport": c.getsockname()[1]}))
        while not os.path.exists(go_file):
            time.sleep(0.05)
        c.sendall(b"n" * after)
        c.recv(1)
        c.close()

    client_pid = fork_child("np-old-cli", client)
    wait_all([client_pid, server_pid])
    return {"server_pid": server_pid, "client_pid": client_pid, "port": port}


def scenario_forked_reader(host, size):
    """The server accept()s, then a forked child reads the data: the socket
    belongs to whoever last read or wrote it, here the child."""
    size = int(size)
    srv = listen(host)
    port = srv.getsockname()[1]
    info_r, info_w = os.pipe()

    def server():
        conn, _ = srv.accept()
        def reader():
            recv_exactly(conn, size)
            conn.close()
        reader_pid = fork_child("np-fork-reader", reader)
        os.write(info_w, str(reader_pid).encode() + b"\n")
        conn.close()
        os.waitpid(reader_pid, 0)

    server_pid = fork_child("np-fork-parent", server)

    def client():
        c = socket.create_connection((host, port))
        c.sendall(b"f" * size)
        c.recv(1)
        c.close()

    client_pid = fork_child("np-fork-client", client)
    reader_pid = int(os.read(info_r, 64).decode().strip())
    wait_all([client_pid, server_pid])
    return {"server_pid": server_pid, "reader_pid": reader_pid, "client_pid": client_pid,
            "port": port, "size": size}


def flood_peer(i):
    """The i-th distinct loopback peer: 127.1.0.0 upwards (16 million)."""
    return "127.%d.%d.%d" % (1 + (i >> 16), (i >> 8) & 255, i & 255)


def scenario_udp_flood(sockets, seconds, peers_per_socket, hold_s, order="rr", size=16,
                       mark_after=0, mark_file="", stop_file=""):
    """Unconnected UDP sockets sendto() distinct loopback peers as fast as
    they can, round robin (`order` "rr") or one socket after the other
    ("seq"): for `seconds` (or until `stop_file` exists, if given), or
    (`peers_per_socket` > 0) that many peers each.  Once `mark_after` peers
    are done, `mark_file` is written.  Every peer is a different address at
    one port where a socket of ours listens without reading (the kernel
    drops what does not fit: no ICMP errors).  The sockets stay open
    `hold_s` more seconds.  Meant to run as an unprivileged user."""
    set_comm("np-udp-flood")
    sockets, seconds, hold_s = int(sockets), float(seconds), float(hold_s)
    peers_per_socket, size, mark_after = int(peers_per_socket), int(size), int(mark_after)
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sink.bind(("0.0.0.0", 0))
    port = sink.getsockname()[1]
    socks = []
    for _ in range(sockets):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    if order == "seq" and peers_per_socket <= 0:
        raise SystemExit("udp-flood: order seq needs a number of peers per socket")
    counts = [0] * sockets
    payload = b"f" * size
    total = peers_per_socket * sockets if peers_per_socket > 0 else None
    start = time.monotonic()
    deadline = start + seconds
    i = 0
    while True:
        if total is not None:
            if i >= total:
                break
        elif (i & 1023) == 0:
            if time.monotonic() >= deadline or (stop_file and os.path.exists(stop_file)):
                break
            if mark_file and i >= mark_after and not os.path.exists(mark_file):
                with open(mark_file, "w") as f:
                    f.write("%d\n" % i)
        k = i % sockets if order == "rr" else i // peers_per_socket
        socks[k].sendto(payload, (flood_peer(i), port))
        counts[k] += 1
        i += 1
    elapsed = time.monotonic() - start
    time.sleep(hold_s)
    result = {"pid": os.getpid(), "uid": os.getuid(), "port": port, "elapsed_s": elapsed,
              "peers": i, "peers_per_s": i / elapsed if elapsed > 0 else 0.0, "size": size,
              "sockets": [{"lport": s.getsockname()[1], "datagrams": c, "bytes": c * size}
                          for s, c in zip(socks, counts)]}
    for s in socks:
        s.close()
    sink.close()
    return result


SCENARIOS = {
    "tcp": scenario_tcp,
    "tcp-peek": scenario_tcp_peek,
    "udp-connected": scenario_udp_connected,
    "udp-unconnected": scenario_udp_unconnected,
    "short-lived": scenario_short_lived,
    "many": scenario_many,
    "udp-idle": scenario_udp_idle,
    "serve-existing": scenario_serve_existing,
    "forked-reader": scenario_forked_reader,
    "udp-flood": scenario_udp_flood,
}


def main(scenarios=SCENARIOS):
    """Runs the scenario named on the command line; prints its JSON with
    the network namespace's inode added."""
    if len(sys.argv) < 2 or sys.argv[1] not in scenarios:
        sys.exit("usage: %s {%s} ARGS..." % (os.path.basename(sys.argv[0]), ",".join(scenarios)))
    result = scenarios[sys.argv[1]](*sys.argv[2:])
    result["netns_inode"] = os.stat("/proc/self/ns/net").st_ino
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
