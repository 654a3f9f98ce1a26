#!/usr/bin/env python3
# rates-traffic.py — a bursty TCP sender for the rate tests.  Run inside the
# test's network namespace:
#
#   rates-traffic.py HOST BURST_BYTES PERIOD_MS DURATION_S
#
# A client child (comm np-rate-send) connects to a server child (np-rate-recv)
# that reads everything; the client sends BURST_BYTES at once every
# PERIOD_MS, on a fixed schedule (a late burst does not move the later
# ones), for DURATION_S.  Prints one JSON line when connected (pids, port)
# and one at the end (bytes sent, bursts).
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import socket
import sys
import time


def set_comm(name):
    with open('/proc/self/comm', 'wb') as f:
        f.write(name)


def serve(srv):
    set_comm(b'np-rate-recv')
    conn, _ = srv.accept()
    while conn.recv(1 << 20):
        pass
    conn.close()


def main():
    host, burst, period_ms, duration = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind((host, 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    server_pid = os.fork()
    if server_pid == 0:
        try:
            serve(srv)
        finally:
            os._exit(0)
    srv.close()

    set_comm(b'np-rate-send')
    sock = socket.create_connection((host, port))
    print(json.dumps({'client_pid': os.getpid(), 'server_pid': server_pid, 'port': port,
                      'lport': sock.getsockname()[1]}), flush=True)
    data = b'x' * burst
    start = time.monotonic()
    bursts = 0
    while True:
        due = start + bursts * period_ms / 1000
        if due - start >= duration:
            break
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sock.sendall(data)
        bursts += 1
    sock.close()
    os.waitpid(server_pid, 0)
    print(json.dumps({'sent': bursts * burst, 'bursts': bursts,
                      'elapsed': time.monotonic() - start}), flush=True)


if __name__ == '__main__':
    main()
