#!/usr/bin/env python3
"""Moves exactly known TCP byte counts for the history tests.

Runs inside the test's network namespace as root.  For each
FD:SENT:RECEIVED[:ADDRESS:PORT] argument a client process moves itself into a cgroup
(an application scope the test made) by writing its pid to FD, that
cgroup's cgroup.procs opened by the test (`ip netns exec` mounts a sysfs of
its own, without the cgroup tree), connects to a local server (one listening on ADDRESS:PORT when given:
a known peer, e.g. 127.0.0.2:8002 of the namespace's loopback),
sends SENT bytes, reads RECEIVED bytes and closes.  Prints "done".

Usage: usage_traffic.py SPEC [SPEC...]
"""

import os
import socket
import sys
import threading
import time

HOLD_S = 1.5

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'collector'))
from traffic import recv_exactly  # noqa: E402


def client(peer, procs, sent, received):
    os.write(int(procs), str(os.getpid()).encode())
    with socket.create_connection(peer) as sock:
        sock.sendall(b'x' * sent)
        recv_exactly(sock, received)
        # Alive for more than a tick: the helper learns a flow's
        # application from its live process (/proc/PID/cgroup).
        time.sleep(HOLD_S)
        sock.shutdown(socket.SHUT_WR)
        sock.recv(1)


def serve(conn, specs):
    """Each client says how much it sends by its first byte's count: the
    server only needs to read until EOF and answer what the spec says; the
    client's sent bytes are unique per spec."""
    with conn:
        got = b''
        while True:
            chunk = conn.recv(65536)
            got += chunk
            match = [s for s in specs if int(s[1]) == len(got)]
            if match:
                conn.sendall(b'y' * int(match[0][2]))
                break
            if not chunk:
                return
        conn.recv(1)


def main():
    specs = []
    listeners = {}
    for arg in sys.argv[1:]:
        procs, sent, received, *peer = arg.split(':')
        key = (peer[0], int(peer[1])) if peer else ('127.0.0.1', 0)
        if key not in listeners:
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(key)
            listener.listen(16)
            listener.settimeout(60)
            listeners[key] = listener
        specs.append((procs, sent, received, key))
    listeners_addr = {key: listener.getsockname() for key, listener in listeners.items()}
    pids = []
    for procs, sent, received, key in specs:
        pid = os.fork()
        if pid == 0:
            for listener in listeners.values():
                listener.close()
            try:
                client(listeners_addr[key], procs, int(sent), int(received))
                os._exit(0)
            except BaseException as e:
                print('client failed: %s' % e, file=sys.stderr)
                os._exit(1)
        pids.append(pid)
    threads = []
    plain = [s[:3] for s in specs]
    for _, _, _, key in specs:
        conn, _ = listeners[key].accept()
        thread = threading.Thread(target=serve, args=(conn, plain))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    status = 0
    for pid in pids:
        status |= os.waitpid(pid, 0)[1]
    print('done' if status == 0 else 'failed')
    sys.exit(1 if status else 0)


if __name__ == '__main__':
    main()
