#!/usr/bin/env python3
# app-traffic.py — traffic of known shape for the app's end-to-end tests,
# run inside the test's network namespace:
#
#   app-traffic.py HOST CHUNK PERIOD_MS
#   app-traffic.py --sink HOST
#   app-traffic.py --send HOST PORT BYTES
#
# Two TCP connections on HOST: a busy one, whose client ("np-busy-cli")
# sends CHUNK bytes every PERIOD_MS to its server ("np-busy-srv"), which
# only reads; and an idle one ("np-idle-cli" → "np-idle-srv") that never
# carries a byte.  Prints one JSON line (pids and ports) once both are
# connected, then runs until stdin closes; then prints a second line with
# the bytes the busy client sent.
#
# --sink: a server ("np-sink") that reads whatever any number of clients
# send; prints its port, runs until stdin closes.  --send: a client that
# sends exactly BYTES to the sink at PORT, prints "sent" and holds the
# connection until stdin closes.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import select
import socket
import sys


def set_comm(name):
    with open('/proc/self/comm', 'wb') as f:
        f.write(name)


# Descriptors a child must not hold (the write end of the stop pipe: its
# end of file is the signal to stop).
PARENT_ONLY = []


def fork(comm, fn, *args):
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            for fd in PARENT_ONLY:
                os.close(fd)
            set_comm(comm)
            fn(*args)
        except BaseException as e:      # noqa: B902 — a child never returns
            print(f'{comm.decode()} failed: {e!r}', file=sys.stderr)
            code = 1
        finally:
            os._exit(code)
    return pid


def serve(family, host, stop_r, port_w):
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.bind((host, 0))
    srv.listen(1)
    os.write(port_w, f'{srv.getsockname()[1]}\n'.encode())
    conn, _ = srv.accept()
    srv.close()
    while True:
        ready, _, _ = select.select([conn, stop_r], [], [])
        if stop_r in ready:
            return
        if not conn.recv(65536):
            return


def send_loop(family, host, port, chunk, period, stop_r, report_w):
    sock = socket.create_connection((host, port))
    sent = 0
    payload = b'x' * chunk
    while True:
        ready, _, _ = select.select([stop_r], [], [], period)
        if ready:
            break
        try:
            sock.sendall(payload)
        except OSError:
            break       # the server stopped first
        sent += chunk
    os.write(report_w, f'{sent}\n'.encode())


def idle_loop(family, host, port, stop_r):
    sock = socket.create_connection((host, port))
    select.select([stop_r], [], [])
    sock.close()


def sink(host):
    set_comm(b'np-sink')
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.bind((host, 0))
    srv.listen(16)
    print(json.dumps({'port': srv.getsockname()[1]}), flush=True)
    conns = []
    while True:
        ready, _, _ = select.select([srv, sys.stdin] + conns, [], [])
        if sys.stdin in ready:
            return
        if srv in ready:
            conns.append(srv.accept()[0])
        for conn in [c for c in conns if c in ready]:
            if not conn.recv(65536):
                conns.remove(conn)


def send(host, port, count):
    set_comm(b'np-app-client')
    sock = socket.create_connection((host, port))
    sock.sendall(b'y' * count)
    print(json.dumps({'sent': count, 'pid': os.getpid()}), flush=True)
    sys.stdin.read()
    sock.close()


def main():
    if sys.argv[1] == '--sink':
        return sink(sys.argv[2])
    if sys.argv[1] == '--send':
        return send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    host, chunk, period_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    stop_r, stop_w = os.pipe()
    report_r, report_w = os.pipe()
    PARENT_ONLY.extend([stop_w, report_r])
    pids, ports = {}, {}
    # Every socket is made in the process it belongs to, after that process
    # took its name: no other process ever holds it.
    for kind in ('busy', 'idle'):
        port_r, port_w = os.pipe()
        pids[f'{kind}_server'] = fork(f'np-{kind}-srv'.encode(), serve, family, host, stop_r, port_w)
        os.close(port_w)
        with os.fdopen(port_r) as f:
            ports[kind] = int(f.readline())
    pids['busy_client'] = fork(b'np-busy-cli', send_loop, family, host, ports['busy'], chunk,
                               period_ms / 1000.0, stop_r, report_w)
    pids['idle_client'] = fork(b'np-idle-cli', idle_loop, family, host, ports['idle'], stop_r)
    os.close(report_w)
    print(json.dumps({'pids': pids, 'ports': ports}), flush=True)
    sys.stdin.read()
    os.close(stop_w)
    with os.fdopen(report_r) as f:
        sent = int(f.readline() or 0)
    for pid in pids.values():
        os.waitpid(pid, 0)
    print(json.dumps({'busy_sent': sent}), flush=True)


if __name__ == '__main__':
    main()
