#!/usr/bin/env python3
# helper-traffic.py — exactly known TCP traffic for the helper's end-to-end
# tests.  Run inside the test's network namespace:
#
#   helper-traffic.py HOST SENT RECEIVED [CLIENT_COMM_HEX [REAP_DELAY_MS]]
#   helper-traffic.py --hold HOST SENT
#
# A client child connects to a server child, sends SENT bytes, receives
# RECEIVED bytes, and both close.  CLIENT_COMM_HEX, if given, is the client's
# process name as raw bytes in hex (names need not be UTF-8).  With
# REAP_DELAY_MS, the children are left as zombies (exited, not reaped) for
# that long, as a busy parent leaves them.  Prints one
# JSON object: the pids, the port and the byte counts.  With --hold, the
# connection stays open (after SENT bytes) until stdin is closed, and the
# JSON line comes as soon as the bytes are through.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import socket
import sys
import time


def recv_exactly(sock, n):
    got = 0
    while got < n:
        chunk = sock.recv(min(65536, n - got))
        if not chunk:
            raise RuntimeError(f'peer closed after {got} of {n} bytes')
        got += len(chunk)


def set_comm(name):
    with open('/proc/self/comm', 'wb') as f:
        f.write(name)


def fork_child(comm, fn):
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            set_comm(comm)
            fn()
        except BaseException as e:
            print(f'child failed: {e!r}', file=sys.stderr)
            code = 1
        finally:
            os._exit(code)
    return pid


def hold(host, sent):
    """A connection that exists before monitoring starts: the client sends
    @sent bytes, both print their pids and wait until stdin closes."""
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.bind((host, 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    ready_r, ready_w = os.pipe()

    def server():
        conn, _ = srv.accept()
        recv_exactly(conn, sent)
        os.write(ready_w, b'x')
        sys.stdin.buffer.read()
        conn.close()

    def client():
        c = socket.create_connection((host, port))
        c.sendall(b'h' * sent)
        sys.stdin.buffer.read()
        c.close()

    server_pid = fork_child(b'np-hold-server', server)
    client_pid = fork_child(b'np-hold-client', client)
    srv.close()
    os.read(ready_r, 1)
    print(json.dumps({'server_pid': server_pid, 'client_pid': client_pid, 'port': port,
                      'sent': sent}), flush=True)
    for pid in (client_pid, server_pid):
        os.waitpid(pid, 0)


def main():
    if sys.argv[1] == '--hold':
        hold(sys.argv[2], int(sys.argv[3]))
        return
    host = sys.argv[1]
    sent = int(sys.argv[2])
    received = int(sys.argv[3])
    client_comm = bytes.fromhex(sys.argv[4]) if len(sys.argv) > 4 else b'np-e2e-client'
    reap_delay_ms = int(sys.argv[5]) if len(sys.argv) > 5 else 0

    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.bind((host, 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    done_r, done_w = os.pipe()

    def server():
        conn, _ = srv.accept()
        recv_exactly(conn, sent)
        conn.sendall(b's' * received)
        os.read(done_r, 1)          # the client has read everything
        conn.close()

    def client():
        c = socket.create_connection((host, port))
        c.sendall(b'c' * sent)
        recv_exactly(c, received)
        os.write(done_w, b'x')
        c.close()

    server_pid = fork_child(b'np-e2e-server', server)
    client_pid = fork_child(client_comm, client)
    srv.close()
    time.sleep(reap_delay_ms / 1000)
    for pid in (client_pid, server_pid):
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f'child {pid} failed')

    print(json.dumps({'server_pid': server_pid, 'client_pid': client_pid, 'port': port,
                      'sent': sent, 'received': received}))


if __name__ == '__main__':
    main()
