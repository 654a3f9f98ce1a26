"""Shared pieces of the Netpulse integration tests (Python 3, stdlib only).

- require(): a test whose real part cannot run here exits 77 (skip), but
  under CI=true it fails instead, so that a green CI means the real thing ran.
- Netns: a network namespace with only loopback, created and removed by the
  test, in which traffic.py generates exactly known traffic.
- StandaloneHelper: netpulse-helper --standalone --json, its records parsed
  as they arrive.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS_DIR = os.path.dirname(HERE)
TRAFFIC = os.path.join(TESTS_DIR, "collector", "traffic.py")

SKIP = 77


def in_ci():
    return os.environ.get("CI", "").lower() == "true"


def require(condition, reason):
    """Skip (77) when `condition` is false, or fail loudly under CI=true."""
    if condition:
        return
    if in_ci():
        print("FAIL: %s (CI=true: this test must run for real)" % reason, file=sys.stderr)
        sys.exit(1)
    print("SKIP: %s" % reason, file=sys.stderr)
    sys.exit(SKIP)


def require_root():
    require(os.geteuid() == 0, "needs root (kernel programs, network namespaces)")
    require(os.path.exists("/sys/kernel/btf/vmlinux"), "needs a kernel with BTF")
    require(shutil.which("ip") is not None, "needs iproute2 (ip)")


def run_cases(namespace):
    """main() of a collector test script: runs the case_NAME function of
    @namespace (the script's globals()) named on the command line, as
    NAME with dashes, as root."""
    cases = {name[len("case_"):].replace("_", "-"): fn for name, fn in namespace.items()
             if name.startswith("case_")}
    if len(sys.argv) != 2 or sys.argv[1] not in cases:
        sys.exit("usage: %s {%s}" % (os.path.basename(sys.argv[0]), ",".join(sorted(cases))))
    require_root()
    cases[sys.argv[1]]()
    print("PASS:", sys.argv[1])


def check(condition, message, *details):
    if not condition:
        print("FAIL: " + message, file=sys.stderr)
        for d in details:
            print("  " + (d if isinstance(d, str) else json.dumps(d)), file=sys.stderr)
        sys.exit(1)


def terminate(proc, timeout=10):
    """Stops @proc if it still runs: SIGTERM, and SIGKILL after @timeout
    seconds.  Waits for it either way."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_dbus_daemon(args, stdout, stderr, env=None):
    """Starts `dbus-daemon --nofork --nopidfile` with @args: (process, address).

    The address comes through a pipe of its own.  The services the bus
    starts inherit its stdout and stderr (there is no journal here), so
    those must be files, never a pipe that nobody reads: a service blocks
    once such a pipe is full.  The address is '' when the bus did not start."""
    address_read, address_write = os.pipe()
    try:
        proc = subprocess.Popen(["dbus-daemon", "--nofork", "--nopidfile",
                                 "--print-address=%d" % address_write] + list(args),
                                stdout=stdout, stderr=stderr, env=env, pass_fds=(address_write,))
    finally:
        os.close(address_write)
    with os.fdopen(address_read) as address_pipe:
        return proc, address_pipe.readline().strip()


def wait_until(predicate, timeout=15.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


class Netns:
    """A fresh network namespace with loopback up; removed on exit."""

    def __init__(self, prefix="np-test", sysctls=None):
        self.name = "%s-%s" % (prefix, uuid.uuid4().hex[:10])
        self.sysctls = dict(sysctls or {})

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        try:
            subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=True)
            for key, value in self.sysctls.items():
                subprocess.run(self.command("sysctl", "-q", "-w", "%s=%s" % (key, value)), check=True)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        # Whatever a failed test left running in the namespace goes with it.
        pids = subprocess.run(["ip", "netns", "pids", self.name], stdout=subprocess.PIPE,
                              text=True, check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        subprocess.run(["ip", "netns", "del", self.name], check=False)
        return False

    @property
    def inode(self):
        """The namespace's inode number, as records carry it in "netns"."""
        return os.stat("/run/netns/" + self.name).st_ino

    def command(self, *argv):
        return ["ip", "netns", "exec", self.name] + [str(a) for a in argv]

    def traffic(self, scenario, *args, timeout=120):
        """Runs traffic.py SCENARIO ARGS in the namespace; returns its JSON."""
        out = subprocess.run(self.command(sys.executable, TRAFFIC, scenario, *map(str, args)),
                             check=True, stdout=subprocess.PIPE, timeout=timeout)
        return json.loads(out.stdout)

    def traffic_background(self, scenario, *args):
        return subprocess.Popen(self.command(sys.executable, TRAFFIC, scenario, *map(str, args)),
                                stdout=subprocess.PIPE)


class StandaloneHelper:
    """netpulse-helper --standalone --json with its records collected."""

    def __init__(self, *args, interval=200):
        self.binary = os.environ.get("NETPULSE_HELPER")
        check(self.binary and os.path.exists(self.binary),
              "NETPULSE_HELPER does not name the built helper: %r" % self.binary)
        self.argv = [self.binary, "--standalone", "--json", "--interval", str(interval)] + list(args)
        self.records = []
        self.stderr_lines = []
        self.not_records = []       # stdout lines that are not JSON records
        self.lock = threading.Lock()
        self.proc = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.stop()
        return False

    def start(self, wait_ready=True):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.out_thread = threading.Thread(target=self._read_stdout, daemon=True)
        self.err_thread = threading.Thread(target=self._read_stderr, daemon=True)
        self.out_thread.start()
        self.err_thread.start()
        if wait_ready:
            wait_until(lambda: self.ready() or self.proc.poll() is not None, timeout=30)
            check(self.ready(), "the helper did not become ready", *self.stderr_lines)

    def _read_stdout(self):
        for line in self.proc.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                with self.lock:
                    self.not_records.append(line)
                continue
            with self.lock:
                self.records.append(record)

    def _read_stderr(self):
        for line in self.proc.stderr:
            with self.lock:
                self.stderr_lines.append(line.rstrip("\n"))

    def ready(self):
        with self.lock:
            return any(" ready" in l and "backend" in l for l in self.stderr_lines)

    def backend(self):
        with self.lock:
            for l in self.stderr_lines:
                if l.startswith("netpulse-helper: backend "):
                    return l.split()[2]
        return None

    def stop(self):
        """SIGTERM, wait; returns the counters printed at exit."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        self.out_thread.join(timeout=10)
        self.err_thread.join(timeout=10)
        check(code == 0, "the helper exited with %d" % code, *self.stderr_lines[-20:])
        check(not self.not_records, "the helper printed lines on stdout that are not records",
              *self.not_records[:5])
        return self.counters()

    def counters(self):
        with self.lock:
            for l in self.stderr_lines:
                if l.startswith("netpulse-helper: counters "):
                    return json.loads(l[len("netpulse-helper: counters "):])
        return None

    def snapshot(self, netns=None):
        with self.lock:
            records = list(self.records)
        if netns is not None:
            records = [r for r in records if r["netns"] == netns]
        return records

    def latest(self, netns, predicate):
        """The last record of each connection (by id) that matches."""
        by_id = {}
        for r in self.snapshot(netns):
            if predicate(r):
                by_id[r["id"]] = r
        return list(by_id.values())

    def wait_ticks(self, count, after=0, timeout=20):
        """Waits until the helper has printed `count` ticks later than
        `after` (ns since the epoch).  Every tick prints the open records
        with its time: a connected UDP socket of ours, sent to on each look,
        is one, whatever else the machine does."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as witness:
            witness.bind(("127.0.0.1", 0))
            witness.connect(witness.getsockname())

            def ticked():
                witness.send(b"tick")
                witness.recv(16)
                ticks = {r["ts_ns"] for r in self.snapshot() if r["ts_ns"] > after}
                return len(ticks) >= count
            check(wait_until(ticked, timeout=timeout, step=0.1),
                  "the helper did not tick %d times" % count, *self.stderr_lines[-5:])

    def wait_closed(self, netns, predicate, count=1, timeout=20):
        """Waits for `count` connections matching `predicate` to be reported
        closed; returns their final records."""
        def closed():
            found = [r for r in self.latest(netns, predicate) if r["closed"]]
            return found if len(found) >= count else None
        return wait_until(closed, timeout=timeout) or []
