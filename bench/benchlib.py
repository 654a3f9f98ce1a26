"""Shared pieces of the Netpulse benchmarks (Python 3, stdlib only).

- Netns: a network namespace with loopback up and a wide port range, removed
  at the end (also on SIGTERM/SIGINT: they are turned into exceptions).
- Helper: `netpulse-helper --standalone --json` with stdout to a file.
- Proc: CPU time (utime+stime) and memory of a process from /proc.
- Results: every benchmark writes OUT/<name>.json; run-all.sh sums them up.

Benchmarks never run in the test suite; they need root.
"""

import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(HERE)

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(SOURCE_ROOT, "tests", "lib"))
import nptest  # noqa: E402
from nptest import terminate  # noqa: E402,F401  (for the benchmarks)

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class Interrupted(BaseException):
    """SIGTERM/SIGINT: unwinds through every finally: clause."""


def _on_signal(signum, frame):
    raise Interrupted("signal %d" % signum)


def run_main(main):
    """Runs a benchmark's main() and exits with its status.  SIGTERM and
    SIGINT unwind it through every finally: clause, so that what it started
    (helpers, namespaces) is stopped, and end it with a message."""
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        sys.exit(main())
    except Interrupted as e:
        die("interrupted (%s)" % e)


def log(*args):
    print("#", *args, file=sys.stderr, flush=True)


def die(message):
    print("bench: " + message, file=sys.stderr, flush=True)
    sys.exit(1)


def require_root():
    if os.geteuid() != 0:
        die("needs root (kernel programs, network namespaces): run with sudo")


# ---- paths ------------------------------------------------------------------

def build_root():
    root = os.environ.get("NETPULSE_BUILD_ROOT")
    if not root:
        die("NETPULSE_BUILD_ROOT is not set (run through bench/run-all.sh or set it to the build directory)")
    return os.path.abspath(root)


def built(*parts):
    path = os.path.join(build_root(), *parts)
    if not os.path.exists(path):
        die("%s is not built" % path)
    return path


def tool(name):
    """A bench tool: from the meson build (BUILD/bench/) if bench/ is part of
    it, else from BENCH_TOOLS_DIR where run-all.sh / build-tools.sh put them."""
    for directory in (os.environ.get("NETPULSE_BENCH_TOOLS"), os.path.join(build_root(), "bench")):
        if directory and os.path.exists(os.path.join(directory, name)):
            return os.path.join(directory, name)
    die("bench tool %s is not built: run bench/build-tools.sh BUILD_DIR" % name)


def out_dir():
    path = os.environ.get("NETPULSE_BENCH_OUT") or os.path.join(build_root(), "bench-results", "latest")
    os.makedirs(path, exist_ok=True)
    return path


def write_result(name, data):
    path = os.path.join(out_dir(), name + ".json")
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    log("results written to", path)
    return path


# ---- statistics ----------------------------------------------------------------

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def spread(values):
    """(min, max) of the values, for the noise column."""
    values = [v for v in values if v is not None]
    return (min(values), max(values)) if values else (None, None)


# ---- /proc ---------------------------------------------------------------------

def proc_cpu_seconds(pid):
    """utime + stime of @pid (all its threads) in seconds; None if gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # fields[0] is the state (field 3); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_run_seconds(pid):
    """Time on CPU of all threads of @pid, from schedstat (ns resolution,
    unlike utime/stime's clock ticks); None if gone."""
    total = 0
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                    total += int(f.read().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                continue
    except (FileNotFoundError, ProcessLookupError):
        return None
    return total / 1e9


def proc_status(pid, key):
    """A "kB" value of /proc/PID/status (VmRSS, VmHWM…) in KiB."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def cpu_busy_fraction(duration=0.5):
    """How busy all CPUs are over @duration (from /proc/stat): a noise hint."""
    def read():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        idle = values[3] + values[4]
        return sum(values), idle
    t0, i0 = read()
    time.sleep(duration)
    t1, i1 = read()
    return 1.0 - (i1 - i0) / max(1, t1 - t0)


# ---- kernel programs of others -------------------------------------------------

def foreign_netpulse_programs(own_pids=(), own_ids=()):
    """Ids of netpulse kernel programs (np_*) loaded by someone else (another
    test run on this machine): they would make a "baseline" not one.  The
    programs of our own helpers (@own_ids, also while the kernel is still
    freeing them after the helper exited) do not count."""
    try:
        out = subprocess.run(["bpftool", "--json", "prog", "show"], capture_output=True,
                             text=True, timeout=20).stdout
        progs = json.loads(out or "[]")
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return []
    own = set(own_ids)
    for pid in own_pids:
        own |= programs_of_process(pid)
    return [p["id"] for p in progs if p.get("name", "").startswith("np_") and p["id"] not in own]


def programs_of_process(pid):
    ids = set()
    fdinfo = "/proc/%d/fdinfo" % pid
    try:
        names = os.listdir(fdinfo)
    except (FileNotFoundError, ProcessLookupError):
        return ids
    for name in names:
        try:
            with open(os.path.join(fdinfo, name)) as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return ids


def program_stats(ids):
    """{id: (name, run_time_ns, run_cnt)} from bpftool (needs
    kernel.bpf_stats_enabled=1 for non-zero numbers)."""
    out = subprocess.run(["bpftool", "--json", "prog", "show"], capture_output=True,
                         text=True, timeout=20).stdout
    stats = {}
    for p in json.loads(out or "[]"):
        if p["id"] in ids:
            stats[p["id"]] = (p.get("name", "?"), p.get("run_time_ns", 0), p.get("run_cnt", 0))
    return stats


def recursion_misses(ids):
    """{program name: runs the kernel skipped because the program was
    already running on that CPU} for the programs @ids (non-zero only)."""
    out = subprocess.run(["bpftool", "--json", "prog", "show"], capture_output=True,
                         text=True, timeout=20).stdout
    return {p.get("name", "?"): p["recursion_misses"] for p in json.loads(out or "[]")
            if p["id"] in ids and p.get("recursion_misses")}


class BpfStats:
    """kernel.bpf_stats_enabled=1 for the duration, then the old value back."""

    def __enter__(self):
        with open("/proc/sys/kernel/bpf_stats_enabled") as f:
            self.old = f.read().strip()
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write("1")
        return self

    def __exit__(self, *exc):
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(self.old)
        return False


# ---- network namespace ---------------------------------------------------------

class Netns(nptest.Netns):
    """A fresh network namespace with loopback up, tuned for many
    connections; removed on exit."""

    def __init__(self, sysctls=None):
        super().__init__("np-bench", {
            # Many ports for connect() (50,000 connections), but none of
            # the listening ports of the benchmarks (5000-9999).
            "net.ipv4.ip_local_port_range": "10000 65535",
            # connect/close churn: reuse TIME_WAIT ports for new connections.
            "net.ipv4.tcp_tw_reuse": "1",
            "net.core.somaxconn": "65535",
            **(sysctls or {}),
        })

    def snmp(self, proto="Tcp"):
        """The namespace's /proc/net/snmp counters of @proto as a dict."""
        text = subprocess.run(self.command("cat", "/proc/net/snmp"), stdout=subprocess.PIPE,
                              text=True, check=True).stdout
        lines = [l.split() for l in text.splitlines() if l.startswith(proto + ":")]
        return {k: int(v) for k, v in zip(lines[0][1:], lines[1][1:])} if len(lines) >= 2 else {}

    def run_json(self, *argv, timeout=120):
        """Runs ARGV in the namespace; its last stdout line is JSON."""
        p = subprocess.run(self.command(*argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=timeout)
        lines = [l for l in p.stdout.splitlines() if l.strip()]
        if not lines:
            die("%s printed nothing (exit %d): %s" % (" ".join(map(str, argv)), p.returncode, p.stderr))
        return json.loads(lines[-1])


def load(netns, mode, *args, timeout=120):
    return netns.run_json(tool("np-load"), mode, *args, timeout=timeout)


class Hold:
    """np-load hold: N open TCP connections in @netns, the same @pct % of
    them moving one byte every period; set_pct() changes the share."""

    def __init__(self, netns, conns, pct=0, port=6000, period_ms=250):
        self.argv = netns.command(tool("np-load"), "hold", "--conns", conns, "--active-pct", pct,
                                  "--seconds", 0, "--period-ms", period_ms, "--port", port)
        self.conns = conns
        self.proc = None

    def __enter__(self):
        # ip netns exec execs np-load: proc.pid is np-load's.
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            self.__exit__()
            die("np-load hold %d failed to set up its connections" % self.conns)
        self.info = json.loads(line)
        log("%d connections open in %.1f s (%d processes)" % (self.conns, self.info["setup_s"],
                                                               self.info["workers"]))
        return self

    def set_pct(self, pct):
        self.proc.stdin.write("%g\n" % pct)
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def __exit__(self, *exc):
        if self.proc:
            terminate(self.proc, 30)
        return False


# ---- the helper, standalone ------------------------------------------------------

class Helper:
    """netpulse-helper --standalone --json --interval MS, stdout to a file."""

    def __init__(self, records_path, *args, interval=1000, stderr_path=None):
        self.binary = built("helper", "netpulse-helper")
        self.records_path = records_path
        self.argv = [self.binary, "--standalone", "--json", "--interval", str(interval)] + list(args)
        self.proc = None
        self.stderr_path = stderr_path or records_path + ".stderr"

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        return False

    def start(self, timeout=60):
        self.out = open(self.records_path, "w")
        self.err = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(self.argv, stdout=self.out, stderr=self.err)
        self.out.close()
        self.err.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.backend() is not None:
                return
            if self.proc.poll() is not None:
                die("the helper exited with %d: %s" % (self.proc.returncode, self.stderr()))
            time.sleep(0.05)
        die("the helper did not become ready: " + self.stderr())

    @property
    def pid(self):
        return self.proc.pid

    def stderr(self):
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    def backend(self):
        for line in self.stderr().splitlines():
            if line.startswith("netpulse-helper: backend ") and line.endswith(" ready"):
                return line.split()[2]
        return None

    def stop(self):
        """SIGTERM (the helper samples a last time), wait; returns the counters."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=60)
        if code != 0:
            die("the helper exited with %d: %s" % (code, self.stderr()[-2000:]))
        for line in self.stderr().splitlines():
            if line.startswith("netpulse-helper: counters "):
                return json.loads(line[len("netpulse-helper: counters "):])
        return None

    def records(self, netns=None):
        out = []
        with open(self.records_path, errors="replace") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                r = json.loads(line)
                if netns is None or r["netns"] == netns:
                    out.append(r)
        return out


def latest_by_id(records, predicate):
    """The last record of each connection (by id) matching @predicate."""
    by_id = {}
    for r in records:
        if predicate(r):
            by_id[r["id"]] = r
    return list(by_id.values())


# ---- machine -------------------------------------------------------------------

def machine_info(backend=None):
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    os_name = "?"
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    os_name = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "cpu": model,
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": os_name,
        "backend": backend,
        "loadavg_at_start": loadavg(),
    }


def fmt(value, digits=3):
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return ("%%.%df" % digits) % value
    return str(value)
