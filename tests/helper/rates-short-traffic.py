#!/usr/bin/env python3
# rates-short-traffic.py — TCP connections that come and go within a tick,
# for the rates test of short connections.  Run inside the test's network
# namespace:
#
#   rates-short-traffic.py HOST BYTES COUNT PAUSE_MS
#
# COUNT times, PAUSE_MS apart: a client connects to the server child, sends
# BYTES at once and closes; the server reads to the end and closes too (a
# download of a few MB over loopback takes milliseconds).  Prints one JSON
# line per connection: the client's port, the server's port, the bytes.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import json
import os
import socket
import sys
import time


def serve(srv, count):
    for _ in range(count):
        conn, _ = srv.accept()
        while conn.recv(1 << 20):
            pass
        conn.close()


def main():
    host, size, count, pause_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind((host, 0))
    srv.listen(count)
    port = srv.getsockname()[1]
    server_pid = os.fork()
    if server_pid == 0:
        try:
            serve(srv, count)
        finally:
            os._exit(0)
    srv.close()
    data = b's' * size
    for _ in range(count):
        time.sleep(pause_ms / 1000)
        sock = socket.create_connection((host, port))
        lport = sock.getsockname()[1]
        start = time.monotonic()
        sock.sendall(data)
        sock.close()
        print(json.dumps({'lport': lport, 'port': port, 'bytes': size,
                          'seconds': time.monotonic() - start}), flush=True)
    os.waitpid(server_pid, 0)


if __name__ == '__main__':
    main()
