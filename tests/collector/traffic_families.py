#!/usr/bin/env python3
"""Exactly known traffic of the less common kinds, for
tests/collector/test_sockets.py (issue 13): error-queue reads, zero-copy
sends, peeks.

Runs inside the test's network namespace like traffic.py, whose helpers it
shares, and prints one JSON object on stdout.

Usage: traffic_families.py SCENARIO [ARGS...]
"""

import os
import select
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import traffic  # noqa: E402
from traffic import fork_child, listen, recv_exactly, wait_all  # noqa: E402

# Not in Python's socket module everywhere (linux/in.h, asm-generic/socket.h).
IP_RECVERR = 11
SO_ZEROCOPY = 60
MSG_ZEROCOPY = 0x4000000


def closed_port(host):
    """A UDP port of @host on which nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_error_queue(sock):
    poller = select.poll()
    poller.register(sock, select.POLLERR)
    if not poller.poll(10000):
        raise RuntimeError("no error report arrived")


def errqueue_client(host, port, size, count):
    """Sends @count datagrams of @size to a closed port; each one comes back
    as an ICMP error carrying the datagram, read from the error queue."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
    s.connect((host, port))
    for _ in range(count):
        assert s.send(b"e" * size) == size
        wait_error_queue(s)
        data, _, flags, _ = s.recvmsg(size * 2, 512, socket.MSG_ERRQUEUE)
        assert len(data) == size and flags & socket.MSG_ERRQUEUE, (len(data), flags)
    s.close()


def zerocopy_pair(host, size):
    """A client sends @size bytes with MSG_ZEROCOPY and reads the
    completions from its error queue; the server peeks at the first bytes,
    then reads everything once."""
    srv = listen(host)
    port = srv.getsockname()[1]

    def server():
        conn, _ = srv.accept()
        peeked = conn.recv(1000, socket.MSG_PEEK | socket.MSG_WAITALL)
        assert len(peeked) == 1000
        recv_exactly(conn, size)
        conn.sendall(b"k")
        conn.close()

    def client():
        c = socket.create_connection((host, port))
        c.setsockopt(socket.SOL_SOCKET, SO_ZEROCOPY, 1)
        sent = 0
        while sent < size:
            sent += c.send(b"z" * min(16384, size - sent), MSG_ZEROCOPY)
        assert c.recv(1) == b"k"
        # The completions (no payload) wait in the error queue.
        wait_error_queue(c)
        while True:
            try:
                data, _, _, _ = c.recvmsg(0, 512, socket.MSG_ERRQUEUE | socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            assert data == b""
        c.close()

    server_pid = fork_child("np-zc-server", server)
    client_pid = fork_child("np-zc-client", client)
    wait_all([client_pid, server_pid])
    return {"server_pid": server_pid, "client_pid": client_pid, "port": port}


def scenario_errqueue(host, size, count, zc_size):
    size, count = int(size), int(count)
    port = closed_port(host)
    errq_pid = fork_child("np-errq", errqueue_client, host, port, size, count)
    wait_all([errq_pid])
    result = zerocopy_pair(host, int(zc_size))
    result.update(errq_pid=errq_pid, errq_port=port)
    return result


SCENARIOS = {
    "errqueue": scenario_errqueue,
}


if __name__ == "__main__":
    traffic.main(SCENARIOS)
