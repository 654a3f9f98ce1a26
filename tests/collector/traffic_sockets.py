#!/usr/bin/env python3
"""More exactly known loopback traffic, for tests/collector/test_identity.py:
processes inside given cgroups, sockets used the ways real programs use
them (reads after the peer's FIN, recvfrom()/sendto() on a connected UDP
socket, connect() after unconnected use) and an idle accepted socket.

Runs inside the test's network namespace like traffic.py, whose helpers it
shares, and prints one JSON object on stdout.

Usage: traffic_sockets.py SCENARIO [ARGS...]
"""

import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import traffic  # noqa: E402
from traffic import (family_of, fork_child, listen, recv_exactly,  # noqa: E402
                     wait_all, wait_for_file)

TCP_CLOSE_WAIT = 8
TCP_CLOSE = 7


def tcp_state(sock):
    """tcpi_state, the first byte of struct tcp_info."""
    return struct.unpack("B", sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1))[0]


def wait_state(sock, state, timeout_s=20.0):
    deadline = time.monotonic() + timeout_s
    while tcp_state(sock) != state:
        if time.monotonic() > deadline:
            raise RuntimeError("socket never reached TCP state %d (is %d)" % (state, tcp_state(sock)))
        time.sleep(0.01)


def scenario_identity(procs_fd, host, sent, go_file):
    """A client moves itself into a cgroup through `procs_fd`, its
    cgroup.procs opened by the test (`ip netns exec` mounts a /sys of its
    own: the cgroup mount is not in sight here), then connects and sends
    `sent` bytes; both ends stay open until `go_file` exists, so that the
    test sees the client while it lives."""
    sent, procs_fd = int(sent), int(procs_fd)
    srv = listen(host)
    port = srv.getsockname()[1]

    def server():
        conn, _ = srv.accept()
        recv_exactly(conn, sent)
        conn.recv(1)  # the client's close
        conn.close()

    def client():
        os.write(procs_fd, str(os.getpid()).encode())
        c = socket.create_connection((host, port))
        c.sendall(b"i" * sent)
        wait_for_file(go_file)
        c.close()

    server_pid = fork_child("np-id-server", server)
    client_pid = fork_child("np-id-client", client)
    wait_all([client_pid, server_pid])
    return {"server_pid": server_pid, "client_pid": client_pid, "port": port, "sent": sent}


def scenario_half_close(host, size, request):
    """The client sends `request` bytes; the server answers with `size`
    bytes and shuts its side down first.  The client reads nothing until
    that FIN is in, then shuts down its own side and waits until its
    socket is CLOSE — only then does it read the `size` bytes."""
    size, request = int(size), int(request)
    srv = listen(host)
    port = srv.getsockname()[1]

    def server():
        conn, _ = srv.accept()
        recv_exactly(conn, request)
        conn.sendall(b"h" * size)
        conn.shutdown(socket.SHUT_WR)
        assert conn.recv(1) == b""  # the client's FIN
        conn.close()

    def client():
        c = socket.socket(family_of(host), socket.SOCK_STREAM)
        # Room for the whole answer before the client reads a byte.
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * size)
        c.connect((host, port))
        c.sendall(b"q" * request)
        wait_state(c, TCP_CLOSE_WAIT)
        c.shutdown(socket.SHUT_WR)
        wait_state(c, TCP_CLOSE)
        got = 0
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            got += len(chunk)
        assert got == size, "read %d of %d bytes" % (got, size)
        c.close()

    server_pid = fork_child("np-half-server", server)
    client_pid = fork_child("np-half-client", client)
    wait_all([client_pid, server_pid])
    return {"server_pid": server_pid, "client_pid": client_pid, "port": port}


def echo_server(srv, count):
    for _ in range(count):
        data, peer = srv.recvfrom(65536)
        srv.sendto(data, peer)


def scenario_udp_recvfrom(host, sizes):
    """A connected UDP client that sends with sendto() to its peer's
    address and receives with recvfrom() (as glibc's resolver does)."""
    sizes = [int(s) for s in sizes.split(",")]
    srv = socket.socket(family_of(host), socket.SOCK_DGRAM)
    srv.bind((host, 0))
    port = srv.getsockname()[1]

    def client():
        c = socket.socket(family_of(host), socket.SOCK_DGRAM)
        c.connect((host, port))
        for i, n in enumerate(sizes):
            if i % 2 == 0:
                c.sendto(b"r" * n, (host, port))
            else:
                c.send(b"r" * n)
            data, _ = c.recvfrom(65536)
            assert len(data) == n
        c.close()

    server_pid = fork_child("np-rf-server", echo_server, srv, len(sizes))
    client_pid = fork_child("np-rf-client", client)
    wait_all([client_pid, server_pid])
    return {"server_pid": server_pid, "client_pid": client_pid, "port": port, "total": sum(sizes)}


def scenario_udp_connect_after(host, before, after):
    """A UDP socket first sendto()s the server unconnected (datagrams of
    `before`), then connect()s to it and goes on with send()/sendto() and
    recv()/recvfrom() (datagrams of `after`)."""
    before = [int(s) for s in before.split(",")]
    after = [int(s) for s in after.split(",")]
    srv = socket.socket(family_of(host), socket.SOCK_DGRAM)
    srv.bind((host, 0))
    port = srv.getsockname()[1]

    def client():
        c = socket.socket(family_of(host), socket.SOCK_DGRAM)
        c.bind((host, 0))
        for n in before:
            c.sendto(b"b" * n, (host, port))
            assert len(c.recvfrom(65536)[0]) == n
        c.connect((host, port))
        for i, n in enumerate(after):
            if i % 2 == 0:
                c.sendto(b"a" * n, (host, port))
                assert len(c.recv(65536)) == n
            else:
                c.send(b"a" * n)
                assert len(c.recvfrom(65536)[0]) == n
        c.close()

    server_pid = fork_child("np-ca-server", echo_server, srv, len(before) + len(after))
    client_pid = fork_child("np-ca-client", client)
    wait_all([client_pid, server_pid])
    return {"server_pid": server_pid, "client_pid": client_pid, "port": port,
            "before": sum(before), "after": sum(after)}


def scenario_idle_accept(host, ready_file, go_file):
    """A server accept()s a connection and neither reads nor writes; its
    client stays idle too.  Once both are set up, `ready_file` gets the
    pids and port; both end when `go_file` exists."""
    srv = listen(host)
    port = srv.getsockname()[1]
    r, w = os.pipe()

    def server():
        conn, _ = srv.accept()
        os.write(w, b"a")
        wait_for_file(go_file)
        conn.close()

    def client():
        c = socket.create_connection((host, port))
        wait_for_file(go_file)
        c.close()

    server_pid = fork_child("np-idle-server", server)
    client_pid = fork_child("np-idle-client", client)
    os.read(r, 1)
    info = {"server_pid": server_pid, "client_pid": client_pid, "port": port}
    with open(ready_file + ".tmp", "w") as f:
        json.dump(info, f)
    os.rename(ready_file + ".tmp", ready_file)
    wait_all([client_pid, server_pid])
    return info


SCENARIOS = {
    "identity": scenario_identity,
    "half-close": scenario_half_close,
    "udp-recvfrom": scenario_udp_recvfrom,
    "udp-connect-after": scenario_udp_connect_after,
    "idle-accept": scenario_idle_accept,
}


if __name__ == "__main__":
    traffic.main(SCENARIOS)
