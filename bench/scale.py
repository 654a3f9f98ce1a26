#!/usr/bin/env python3
"""Benchmark 3a: the helper's cost with 1,000 / 10,000 / 50,000 open TCP
connections (each is two sockets in the namespace: 2N flows).

For each size, np-load hold opens the connections (idle: nothing moves),
then:
  collector   bench/np-collector-bench: the real collector started in the
              benchmark's own process; CPU time of netpulse_collector_sample()
              per tick and of building the Update body a subscriber would
              get, first tick (taking in every existing connection) apart;
              RSS after start, after the first sample and after the first
              (full) Update.
  standalone  `netpulse-helper --standalone --json --interval 1000
              --max-flows 262144 >/dev/null`: CPU per tick (per-second deltas
              of utime+stime after a warm-up) and RSS — standalone prints
              every open record every tick, so this is an upper bound.
  callgrind   np-collector-bench under `valgrind --tool=callgrind`, only
              the steady ticks instrumented: user-space instructions per
              tick (not the kernel's map reads), for the sizes where that
              fits in the time budget (1,000 and 10,000).

Usage: sudo NETPULSE_BUILD_ROOT=BUILD bench/scale.py [--sizes 1000,10000,50000] [--no-callgrind]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

MAX_FLOWS = 262144
CALLGRIND_MAX = 10000


def collector_bench(ticks=4, interval_ms=500):
    p = subprocess.run([B.tool("np-collector-bench"), "--ticks", str(ticks), "--interval-ms", str(interval_ms),
                        "--max-flows", str(MAX_FLOWS)], capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        B.die("np-collector-bench failed: " + p.stderr[-2000:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def callgrind(out, conns, ticks=3):
    path = os.path.join(out, "callgrind-%d.out" % conns)
    p = subprocess.run(["valgrind", "--tool=callgrind", "--collect-atstart=no", "--callgrind-out-file=" + path,
                        B.tool("np-collector-bench"), "--ticks", str(ticks), "--interval-ms", "200",
                        "--max-flows", str(MAX_FLOWS)], capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        B.log("callgrind failed: " + p.stderr[-1500:])
        return None
    run = json.loads(p.stdout.strip().splitlines()[-1])
    total = None
    with open(path) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                total = int(line.split()[1])
    inclusive, top = {}, []
    if shutil.which("callgrind_annotate"):
        a = subprocess.run(["callgrind_annotate", "--inclusive=yes", path], capture_output=True, text=True)
        for line in a.stdout.splitlines():
            fields = line.split()
            if not fields or not fields[0][:1].isdigit() or ":" not in line:
                continue
            ir = int(fields[0].replace(",", ""))
            function = line.rsplit(":", 1)[-1].split()[0]
            inclusive.setdefault(function, ir)
            if ("netpulse" in line or "inet_ntop" in line) and len(top) < 8:
                top.append("%s %s" % (fields[0], function))
    sample = inclusive.get("netpulse_collector_sample")
    update = inclusive.get("netpulse_collector_foreach_changed")
    return {"ir_total": total, "ticks": ticks, "ir_per_tick": total / ticks if total else None,
            "ir_sample_per_tick": sample / ticks if sample else None,
            "ir_update_per_tick": update / ticks if update else None,
            "ir_sample_per_flow": sample / ticks / run["flows"] if sample and run["flows"] else None,
            "flows": run["flows"], "changed": run["changed"], "file": path, "top_inclusive": top}


def standalone(out, conns, warmup=3.0, samples=5):
    with B.Helper("/dev/null", "--max-flows", str(MAX_FLOWS), "--interval", "1000",
                  stderr_path=os.path.join(out, "scale-standalone-%d.stderr" % conns)) as helper:
        start = time.monotonic()
        time.sleep(warmup)
        cpu = [B.proc_run_seconds(helper.pid)]
        for _ in range(samples):
            time.sleep(1.0)
            cpu.append(B.proc_run_seconds(helper.pid))
        deltas = [b - a for a, b in zip(cpu, cpu[1:])]
        rss = B.proc_status(helper.pid, "VmRSS")
        hwm = B.proc_status(helper.pid, "VmHWM")
        startup_cpu = cpu[0]
        counters = helper.stop()
    return {"cpu_per_tick_ms": 1000 * B.median(deltas), "cpu_per_tick_ms_range": [1000 * d for d in B.spread(deltas)],
            "startup_and_warmup_cpu_s": startup_cpu, "rss_kib": rss, "rss_hwm_kib": hwm,
            "wall_s": time.monotonic() - start, "counters": counters, "backend": helper.backend()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--no-callgrind", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    B.require_root()
    out = B.out_dir()
    have_valgrind = shutil.which("valgrind") is not None and not args.no_callgrind
    rows = {}
    backend = None

    with B.Netns() as ns:
        for n in sizes:
            B.log("== %d connections" % n)
            with B.Hold(ns, n) as hold:
                row = {"conns": n, "hold_setup_s": hold.info["setup_s"]}
                row["collector"] = collector_bench()
                backend = row["collector"]["backend"]
                B.log("collector: %s" % row["collector"])
                row["standalone"] = standalone(out, n)
                B.log("standalone: %s" % row["standalone"])
                if have_valgrind and n <= CALLGRIND_MAX:
                    row["callgrind"] = callgrind(out, n)
                    B.log("callgrind: %s" % (row["callgrind"] and row["callgrind"]["ir_per_tick"]))
            rows[n] = row

    result = {"benchmark": "scale", "machine": B.machine_info(backend), "sizes": sizes, "rows": rows,
              "max_flows": MAX_FLOWS}
    B.write_result("scale", result)
    print_summary(result)
    return 0


def print_summary(res):
    print("\n== Helper cost at scale (idle connections; flows = 2 x connections)")
    print("%8s %7s | %10s %10s %9s %11s %10s | %10s %9s | %12s" % (
        "conns", "flows", "sample ms", "1st smpl s", "1st upd s", "RSS MiB", "RSS 1stUpd",
        "standalone", "RSS MiB", "Ir/tick"))
    for n in res["sizes"]:
        r = res["rows"][n] if n in res["rows"] else res["rows"][str(n)]
        c, s = r["collector"], r["standalone"]
        cg = r.get("callgrind") or {}
        print("%8d %7d | %10.2f %10.2f %9.2f %11.1f %10.1f | %10.2f %9.1f | %12s" % (
            n, c["flows"], c["sample_cpu_us"] / 1000, c["first_sample_cpu_us"] / 1e6,
            c["first_update_cpu_us"] / 1e6, c["rss_first_sample_kib"] / 1024, c["rss_first_update_kib"] / 1024,
            s["cpu_per_tick_ms"], s["rss_kib"] / 1024,
            "%.1f M" % (cg["ir_sample_per_tick"] / 1e6) if cg.get("ir_sample_per_tick") else "n/a"))
    print("(sample ms = CPU of one steady netpulse_collector_sample(); standalone = CPU per tick of the"
          " standalone helper printing every record to /dev/null; Ir = user-space instructions of one steady"
          " netpulse_collector_sample())")
    for n in res["sizes"]:
        r = res["rows"][n] if n in res["rows"] else res["rows"][str(n)]
        cg = r.get("callgrind")
        if cg and cg.get("ir_sample_per_flow"):
            print("callgrind %d conns: %.0f instructions per flow per tick (%d flows, %d changed); top: %s" % (
                n, cg["ir_sample_per_flow"], cg["flows"], cg["changed"], "; ".join(cg["top_inclusive"][:5])))


if __name__ == "__main__":
    B.run_main(main)
