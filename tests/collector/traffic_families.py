#!/usr/bin/env python3
"""Exactly known traffic of the less common kinds, for
tests/collector/test_sockets.py (issue 13): error-queue reads, zero-copy
sends, peeks; ping sockets, raw IP sockets, AF_PACKET.

Runs inside the test's network namespace like traffic.py, whose helpers it
shares, and prints one JSON object on stdout.

Usage: traffic_families.py SCENARIO [ARGS...]
"""

import json
import os
import select
import socket
import struct
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


def ping(host, count, payload):
    """Unprivileged ping sockets (SOCK_DGRAM, IPPROTO_ICMP/ICMPV6): @count
    echo requests of an 8-byte header and @payload bytes, each answered by
    the kernel with a reply of the same size."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    proto = socket.IPPROTO_ICMPV6 if family == socket.AF_INET6 else socket.IPPROTO_ICMP
    echo_request = 128 if family == socket.AF_INET6 else 8
    s = socket.socket(family, socket.SOCK_DGRAM, proto)
    s.connect((host, 0))
    for seq in range(count):
        # type, code, checksum (the kernel fills it), id (the kernel's), sequence
        packet = struct.pack("!BBHHH", echo_request, 0, 0, 0, seq) + b"p" * payload
        assert s.send(packet) == len(packet)
        reply = s.recv(65536)
        assert len(reply) == len(packet), (len(reply), len(packet))
    s.close()


def scenario_ping(host, count, payload):
    count, payload = int(count), int(payload)
    pid = fork_child("np-ping", ping, host, count, payload)
    wait_all([pid])
    return {"pid": pid, "bytes": count * (8 + payload)}


RAW_PROTO = 253    # RFC 3692: for experiments


def scenario_raw(host, count, size):
    """A raw IPv4 socket of protocol 253 sends @count datagrams of @size
    bytes; another reads them, each with its 20-byte IP header."""
    count, size = int(count), int(size)
    receiver = socket.socket(socket.AF_INET, socket.SOCK_RAW, RAW_PROTO)
    receiver.bind((host, 0))

    def receive():
        for _ in range(count):
            assert len(receiver.recv(65536)) == 20 + size

    def send():
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, RAW_PROTO)
        s.connect((host, 0))
        for _ in range(count):
            assert s.send(b"r" * size) == size
        s.close()

    receiver_pid = fork_child("np-raw-recv", receive)
    receiver.close()
    sender_pid = fork_child("np-raw-send", send)
    wait_all([sender_pid, receiver_pid])
    return {"sender_pid": sender_pid, "receiver_pid": receiver_pid, "tx": count * size,
            "rx": count * (20 + size)}


ETH_P_EXPERIMENTAL = 0x88B5   # IEEE 802 local experimental ethertype


def scenario_packet(count, size):
    """An AF_PACKET sender writes @count Ethernet frames of @size bytes on
    lo; an AF_PACKET socket bound to their ethertype reads them."""
    count, size = int(count), int(size)
    receiver = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_EXPERIMENTAL))
    receiver.bind(("lo", ETH_P_EXPERIMENTAL))

    def receive():
        for _ in range(count):
            assert len(receiver.recv(65536)) == size

    def send():
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        s.bind(("lo", 0))
        frame = b"\0" * 12 + struct.pack("!H", ETH_P_EXPERIMENTAL) + b"f" * (size - 14)
        for _ in range(count):
            assert s.send(frame) == size
        s.close()

    receiver_pid = fork_child("np-pkt-recv", receive)
    receiver.close()
    sender_pid = fork_child("np-pkt-send", send)
    wait_all([sender_pid, receiver_pid])
    return {"sender_pid": sender_pid, "receiver_pid": receiver_pid, "bytes": count * size}


IPPROTO_MPTCP = 262


def stream_exchange(host, proto, name, sent, received):
    """A client of stream protocol @proto sends @sent bytes, the server
    answers @received; both close.  Processes named np-@name-cli/-srv."""
    sent, received = int(sent), int(received)
    srv = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, proto)
    srv.bind((host, 0))
    srv.listen(8)
    port = srv.getsockname()[1]

    def server():
        conn, _ = srv.accept()
        recv_exactly(conn, sent)
        conn.sendall(b"s" * received)
        conn.shutdown(socket.SHUT_WR)
        assert conn.recv(1) == b""
        conn.close()

    def client():
        c = socket.socket(srv.family, socket.SOCK_STREAM, proto)
        c.connect((host, port))
        c.sendall(b"c" * sent)
        recv_exactly(c, received)
        c.close()

    server_pid = fork_child("np-%s-srv" % name, server)
    client_pid = fork_child("np-%s-cli" % name, client)
    srv.close()
    wait_all([client_pid, server_pid])
    return {"server_pid": server_pid, "client_pid": client_pid, "port": port}


def scenario_mptcp(host, sent, received):
    """One MPTCP connection, whose subflow(s) are TCP."""
    return stream_exchange(host, IPPROTO_MPTCP, "mptcp", sent, received)


def splice_all(src_fd, dst_fd, size):
    """Moves @size bytes from @src_fd to @dst_fd through a pipe, with
    splice() both ways: the data never passes read() or write()."""
    pipe_r, pipe_w = os.pipe()
    moved = 0
    while moved < size:
        n = os.splice(src_fd, pipe_w, min(65536, size - moved))
        if n == 0:
            raise RuntimeError("EOF after %d of %d bytes" % (moved, size))
        left = n
        while left:
            left -= os.splice(pipe_r, dst_fd, left)
        moved += n
    os.close(pipe_r)
    os.close(pipe_w)


def scenario_splice(host, header, size, tmpdir):
    """The server sends a @header of bytes with send(), then @size bytes
    spliced from a file into the socket; the client reads the header with
    recv() and splices the rest out of the socket into a file."""
    header, size = int(header), int(size)
    source = os.path.join(tmpdir, "source")
    with open(source, "wb") as f:
        f.truncate(size)
    srv = listen(host)
    port = srv.getsockname()[1]

    def server():
        conn, _ = srv.accept()
        conn.sendall(b"h" * header)
        with open(source, "rb") as f:
            splice_all(f.fileno(), conn.fileno(), size)
        assert conn.recv(1) == b""
        conn.close()

    def client():
        c = socket.create_connection((host, port))
        recv_exactly(c, header)
        with open(os.path.join(tmpdir, "sink"), "wb") as f:
            splice_all(c.fileno(), f.fileno(), size)
        c.close()

    server_pid = fork_child("np-splice-srv", server)
    client_pid = fork_child("np-splice-cli", client)
    srv.close()
    wait_all([client_pid, server_pid])
    return {"server_pid": server_pid, "client_pid": client_pid, "port": port}


def scenario_sctp(host, sent, received):
    """A one-to-one SCTP association (SOCK_STREAM, IPPROTO_SCTP)."""
    return stream_exchange(host, socket.IPPROTO_SCTP, "sctp", sent, received)


def setns(path):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    with open(path) as f:
        if libc.setns(f.fileno(), 0x40000000) != 0:    # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), "setns(%s)" % path)


def scenario_away(host, home_netns, ready_file, go_file):
    """Opens an idle TCP connection (both ends) and an idle connected UDP
    socket in this namespace, then moves to @home_netns holding them: no
    process is left in this one, only its sockets.  Says so in
    @ready_file, closes everything once @go_file exists."""
    traffic.set_comm("np-away")
    netns_inode = os.stat("/proc/self/ns/net").st_ino
    srv = listen(host)
    client = socket.create_connection(srv.getsockname()[:2])
    conn, _ = srv.accept()
    srv.close()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.connect((host, 9))
    setns(home_netns)
    info = {"pid": os.getpid(), "tcp_lport": client.getsockname()[1], "tcp_port": conn.getsockname()[1],
            "udp_lport": udp.getsockname()[1], "away_netns": netns_inode}
    with open(ready_file + ".tmp", "w") as f:
        json.dump(info, f)
    os.rename(ready_file + ".tmp", ready_file)
    traffic.wait_for_file(go_file)
    for s in (client, conn, udp):
        s.close()
    return info


SCENARIOS = {
    "errqueue": scenario_errqueue,
    "away": scenario_away,
    "sctp": scenario_sctp,
    "splice": scenario_splice,
    "mptcp": scenario_mptcp,
    "ping": scenario_ping,
    "raw": scenario_raw,
    "packet": scenario_packet,
}


if __name__ == "__main__":
    traffic.main(SCENARIOS)
