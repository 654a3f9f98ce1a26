#!/usr/bin/env python3
"""Benchmark 1 (hot-path overhead) and 2a (byte accuracy at that rate).

Loopback load in a network namespace of its own, measured side by side in
the same run:
  base     nothing attached
  helper   netpulse-helper --standalone --json --interval 1000 running
  base     nothing attached again (the two baselines bracket the attached run)
  nethogs  `nethogs -t -C -a lo` in the namespace

Loads (bench/np-load.c, sender pinned to CPU 0, receiver to CPU 1):
  tcp-64    one TCP connection, 64-byte writes        → bytes/s
  tcp-16k   one TCP connection, 16 KiB writes         → bytes/s
  udp-64    unconnected UDP sendto(), 64-byte datagrams → datagrams/s sent

Each round runs every load in every mode; the ratio of a round is
attached / mean(baseline before, baseline after); the report gives the
median over the rounds with their spread.  The helper's records of every
attached run are compared byte for byte with what np-load moved.

Finally one more attached run per load with kernel.bpf_stats_enabled=1
(restored afterwards) gives the kernel programs' own run time per call: a
cost measure that, unlike throughput, hardly depends on what else the
machine is doing.

Usage: sudo NETPULSE_BUILD_ROOT=BUILD bench/overhead.py [--rounds N] [--seconds S]
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

LOADS = [
    # name, np-load mode, write size, port, metric
    ("tcp-64", "tcp", 64, 5001, "bytes_per_s"),
    ("tcp-16k", "tcp", 16384, 5002, "bytes_per_s"),
    ("udp-64", "udp", 64, 5003, "packets_per_s"),
]
TARGETS = {"tcp-16k": 0.97, "tcp-64": 0.90}
SEND_PROGRAMS = ("np_tp_send", "np_sendmsg4", "np_sendmsg6")
RECV_PROGRAMS = ("np_tp_recv", "np_recvmsg4", "np_recvmsg6")


def run_load(ns, load, seconds):
    name, mode, size, port, metric = load
    before = ns.snmp() if mode == "tcp" else None
    run = B.load(ns, mode, "--size", size, "--seconds", seconds, "--port", port,
                 "--cpu-tx", 0, "--cpu-rx", 1)
    if before is not None:
        # TCP segments per write: when writes come slower, fewer of them
        # are coalesced into one segment (autocorking), which costs more
        # per byte than the extra instructions themselves.
        after = ns.snmp()
        run["segments_per_write"] = (after["OutSegs"] - before["OutSegs"]) / max(1, run["tx_calls"])
    return run


# ---- nethogs -----------------------------------------------------------------

class Nethogs:
    def __init__(self, ns, log_path):
        self.ns = ns
        self.log_path = log_path

    def __enter__(self):
        out = open(self.log_path, "w")
        # ip netns exec execs nethogs itself: proc.pid is nethogs.
        self.proc = subprocess.Popen(self.ns.command("nethogs", "-t", "-C", "-a", "-d", "1", "lo"),
                                     stdout=out, stderr=subprocess.STDOUT)
        out.close()
        # Ready once it has opened its capture and printed its first lines.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                B.die("nethogs exited: " + open(self.log_path).read())
            if "Refreshing" in open(self.log_path, errors="replace").read():
                break
            time.sleep(0.1)
        return self

    def __exit__(self, *exc):
        B.terminate(self.proc)
        return False


# ---- accuracy ------------------------------------------------------------------

def check_accuracy(records, run):
    """Compares the helper's final records of one np-load run with what it
    moved; returns a dict of expected/reported pairs and whether all match."""
    netns = run["netns"]
    mine = [r for r in records if r["netns"] == netns]
    if run["mode"] == "tcp":
        client = B.latest_by_id(mine, lambda r: r["proto"] == "tcp" and r["lport"] == run["client_lport"]
                                and r["rport"] == run["port"])
        server = B.latest_by_id(mine, lambda r: r["proto"] == "tcp" and r["lport"] == run["port"]
                                and r["rport"] == run["client_lport"])
    else:
        client = B.latest_by_id(mine, lambda r: r["proto"] == "udp" and r["pid"] == run["client_pid"]
                                and r["rport"] == run["port"])
        server = B.latest_by_id(mine, lambda r: r["proto"] == "udp" and r["lport"] == run["port"]
                                and r["pid"] == run["server_pid"])
    got = {
        "client_tx": sum(r["tx_bytes"] for r in client),
        "server_rx": sum(r["rx_bytes"] for r in server),
        "client_records": len(client),
        "server_records": len(server),
        "closed": all(r["closed"] for r in client + server) and bool(client) and bool(server),
    }
    expected = {"client_tx": run["tx_bytes"], "server_rx": run["rx_bytes"]}
    exact = (len(client) == 1 and len(server) == 1
             and got["client_tx"] == expected["client_tx"] and got["server_rx"] == expected["server_rx"])
    return {"expected": expected, "reported": got, "exact": exact,
            "lost_bytes": (expected["client_tx"] - got["client_tx"]) + (expected["server_rx"] - got["server_rx"])}


def cpu_per_unit(run):
    """CPU time (sender + receiver, ns) per byte (TCP) or datagram (UDP)."""
    units = run["tx_bytes"] if run["mode"] == "tcp" else run["tx_calls"]
    return (run["tx_cpu_ns"] + run["rx_cpu_ns"]) / max(1, units)


# ---- the rounds -------------------------------------------------------------------

def block(ns, seconds, results, mode, round_no):
    for load in LOADS:
        run = run_load(ns, load, seconds)
        results.setdefault(load[0], {}).setdefault(mode, []).append(run)
        B.log("round %d %-8s %-8s %s=%.0f" % (round_no, mode, load[0], load[4], run[load[4]]))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 4)))
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 1.5)))
    args = parser.parse_args()

    B.require_root()
    have_nethogs = shutil.which("nethogs") is not None
    if not have_nethogs:
        B.log("nethogs is not installed (bench/install-bench-deps.sh): its column stays empty")

    out = B.out_dir()
    busy_before = B.cpu_busy_fraction()
    runs = {}          # load → mode → [np-load JSON]
    helper_cpu = []    # (cpu seconds, wall seconds) per attached block
    nethogs_cpu = []
    accuracy = []      # per attached run
    counters = []
    foreign = set()
    contaminated = set()   # rounds during which foreign programs were loaded
    own_ids = set()        # our helpers' programs
    backend = None

    with B.Netns() as ns:
        for r in range(args.rounds):
            # Someone else's netpulse programs (a test run) would make the
            # baseline not one: give them a few seconds to go away.
            deadline = time.monotonic() + 5
            while B.foreign_netpulse_programs(own_ids=own_ids) and time.monotonic() < deadline:
                time.sleep(0.5)
            seen = set(B.foreign_netpulse_programs(own_ids=own_ids))
            block(ns, args.seconds, runs, "base1", r)

            records_path = os.path.join(out, "overhead-round%d.jsonl" % r)
            with B.Helper(records_path, "--interval", "1000") as helper:
                backend = helper.backend()
                own_ids |= B.programs_of_process(helper.pid)
                cpu0, t0 = B.proc_run_seconds(helper.pid), time.monotonic()
                before = {load[0]: len(runs.get(load[0], {}).get("helper", [])) for load in LOADS}
                block(ns, args.seconds, runs, "helper", r)
                helper_cpu.append((B.proc_run_seconds(helper.pid) - cpu0, time.monotonic() - t0))
                counters.append(helper.stop())
                records = helper.records()
            for load in LOADS:
                run = runs[load[0]]["helper"][before[load[0]]]
                acc = check_accuracy(records, run)
                acc.update(load=load[0], round=r)
                accuracy.append(acc)
                if not acc["exact"]:
                    B.log("NOT EXACT: %s round %d: %s" % (load[0], r, acc))

            seen |= set(B.foreign_netpulse_programs(own_ids=own_ids))
            block(ns, args.seconds, runs, "base2", r)
            seen |= set(B.foreign_netpulse_programs(own_ids=own_ids))
            if seen:
                B.log("round %d: someone else's netpulse programs were loaded: its baselines are not clean" % r)
                contaminated.add(r)
            foreign |= seen

            if have_nethogs:
                with Nethogs(ns, os.path.join(out, "nethogs-round%d.log" % r)) as nh:
                    cpu0, t0 = B.proc_run_seconds(nh.proc.pid), time.monotonic()
                    block(ns, args.seconds, runs, "nethogs", r)
                    nethogs_cpu.append((B.proc_run_seconds(nh.proc.pid) - cpu0, time.monotonic() - t0))

        # The kernel programs' own cost per call.
        bpf = {}
        with B.BpfStats(), B.Helper(os.path.join(out, "overhead-bpfstats.jsonl"), "--interval", "1000") as helper:
            ids = B.programs_of_process(helper.pid)
            for load in LOADS:
                s0 = B.program_stats(ids)
                run = run_load(ns, load, args.seconds)
                s1 = B.program_stats(ids)
                per_prog = {}
                for pid_, (name, ns1, cnt1) in s1.items():
                    name0, ns0, cnt0 = s0.get(pid_, (name, 0, 0))
                    if cnt1 - cnt0 > 0:
                        per_prog[name] = {"calls": cnt1 - cnt0, "ns": ns1 - ns0,
                                          "ns_per_call": (ns1 - ns0) / (cnt1 - cnt0)}
                send_ns = sum(p["ns"] for n, p in per_prog.items() if n in SEND_PROGRAMS)
                recv_ns = sum(p["ns"] for n, p in per_prog.items() if n in RECV_PROGRAMS)
                bpf[load[0]] = {"programs": per_prog, "writes": run["tx_calls"],
                                "send_side_ns_per_write": send_ns / max(1, run["tx_calls"]),
                                "recv_side_ns_per_read": recv_ns / max(1, run["rx_calls"])}
            helper.stop()

    busy_after = B.cpu_busy_fraction()

    # ---- summary ----
    # Rounds whose baselines had someone else's programs attached are left
    # out, unless no round was clean.
    clean_rounds = [i for i in range(args.rounds) if i not in contaminated] or list(range(args.rounds))
    summary = {}
    for load in LOADS:
        name, metric = load[0], load[4]
        per_mode = runs[name]
        ratios, nh_ratios, cpu_ratios, nh_cpu_ratios = [], [], [], []
        for i in clean_rounds:
            base = (per_mode["base1"][i][metric] + per_mode["base2"][i][metric]) / 2
            base_cpu = (cpu_per_unit(per_mode["base1"][i]) + cpu_per_unit(per_mode["base2"][i])) / 2
            ratios.append(per_mode["helper"][i][metric] / base)
            cpu_ratios.append(base_cpu / cpu_per_unit(per_mode["helper"][i]))
            if have_nethogs:
                nh_ratios.append(per_mode["nethogs"][i][metric] / base)
                nh_cpu_ratios.append(base_cpu / cpu_per_unit(per_mode["nethogs"][i]))
        base_all = [r[metric] for r in per_mode["base1"] + per_mode["base2"]]
        base_writes = B.median([r["tx_calls"] / r["seconds"] for r in per_mode["base1"] + per_mode["base2"]])
        send_ns = bpf[name]["send_side_ns_per_write"]
        estimate = (1e9 / base_writes) / (1e9 / base_writes + send_ns) if base_writes else None
        summary[name] = {
            "metric": metric,
            "baseline_median": B.median(base_all),
            "helper_median": B.median([r[metric] for r in per_mode["helper"]]),
            "nethogs_median": B.median([r[metric] for r in per_mode.get("nethogs", [])]),
            "ratio_helper": B.median(ratios),
            "ratio_helper_range": B.spread(ratios),
            "ratio_helper_rounds": ratios,
            "ratio_nethogs": B.median(nh_ratios),
            "ratio_nethogs_range": B.spread(nh_ratios),
            "ratio_nethogs_rounds": nh_ratios,
            "cpu_ratio_helper": B.median(cpu_ratios),
            "cpu_ratio_helper_range": B.spread(cpu_ratios),
            "cpu_ratio_nethogs": B.median(nh_cpu_ratios),
            "baseline_cpu_ns_per_unit": B.median([cpu_per_unit(r) for r in per_mode["base1"] + per_mode["base2"]]),
            "helper_cpu_ns_per_unit": B.median([cpu_per_unit(r) for r in per_mode["helper"]]),
            "segments_per_write": {mode: B.median([r.get("segments_per_write") for r in per_mode[mode]])
                                   for mode in per_mode} if load[1] == "tcp" else None,
            "target": TARGETS.get(name),
            "bpf_send_ns_per_write": send_ns,
            "bpf_recv_ns_per_read": bpf[name]["recv_side_ns_per_read"],
            "baseline_ns_per_write": 1e9 / base_writes if base_writes else None,
            "ratio_estimate_from_bpf_cost": estimate,
        }
    cpu = lambda pairs: (100.0 * sum(c for c, _ in pairs) / sum(w for _, w in pairs)) if pairs else None
    lost = sum(a["lost_bytes"] for a in accuracy)
    result = {
        "benchmark": "overhead",
        "machine": B.machine_info(backend),
        "rounds": args.rounds,
        "seconds_per_run": args.seconds,
        "loads": summary,
        "helper_cpu_percent": cpu(helper_cpu),
        "nethogs_cpu_percent": cpu(nethogs_cpu),
        "accuracy": {
            "runs": len(accuracy),
            "exact_runs": sum(1 for a in accuracy if a["exact"]),
            "lost_bytes": lost,
            "bytes_checked": sum(a["expected"]["client_tx"] + a["expected"]["server_rx"] for a in accuracy),
            "details": accuracy,
        },
        "helper_counters": counters,
        "bpf_stats": bpf,
        "noise": {
            "cpu_busy_before": busy_before,
            "cpu_busy_after": busy_after,
            "foreign_netpulse_programs": sorted(foreign),
            "rounds_used": clean_rounds,
        },
        "raw": runs,
    }
    B.write_result("overhead", result)
    print_summary(result)
    return 0


def print_summary(res):
    print("\n== Hot-path overhead (median of %d rounds, %.1f s each; ratio = attached / bracketing baselines)"
          % (res["rounds"], res["seconds_per_run"]))
    print("%-8s %-13s %13s %13s %13s %7s %13s %6s %7s | %7s %7s %7s" % (
        "load", "metric", "baseline", "helper", "nethogs", "helper", "(min-max)", "target", "nethogs",
        "cpu:hlp", "cpu:nh", "bpf est"))
    for name, s in res["loads"].items():
        lo, hi = s["ratio_helper_range"]
        print("%-8s %-13s %13.0f %13.0f %13s %7.3f %13s %6s %7s | %7s %7s %7s" % (
            name, s["metric"], s["baseline_median"], s["helper_median"],
            B.fmt(s["nethogs_median"], 0), s["ratio_helper"], "%.3f-%.3f" % (lo, hi),
            B.fmt(s["target"], 2), B.fmt(s["ratio_nethogs"]), B.fmt(s["cpu_ratio_helper"]),
            B.fmt(s["cpu_ratio_nethogs"]), B.fmt(s["ratio_estimate_from_bpf_cost"])))
    print("(cpu:* = baseline CPU per byte or datagram / CPU with the monitor, sender + receiver;"
          " bpf est = baseline time per write / (that + kernel programs' time per write))")
    print("TCP segments per write (median): " + "; ".join(
        "%s: %s" % (n, ", ".join("%s %.3f" % (m, v) for m, v in sorted(s["segments_per_write"].items()) if v is not None))
        for n, s in res["loads"].items() if s.get("segments_per_write")))
    print("kernel programs per call (bpf_stats): " + "; ".join(
        "%s: send side %.0f ns/write, recv side %.0f ns/read" % (n, s["bpf_send_ns_per_write"], s["bpf_recv_ns_per_read"])
        for n, s in res["loads"].items()))
    print("CPU: helper %s %% of one core, nethogs %s %% (while the loads ran)" % (
        B.fmt(res["helper_cpu_percent"], 1), B.fmt(res["nethogs_cpu_percent"], 1)))
    a = res["accuracy"]
    print("accuracy at these rates: %d/%d runs exact, %d of %d bytes lost" % (
        a["exact_runs"], a["runs"], a["lost_bytes"], a["bytes_checked"]))
    n = res["noise"]
    print("rounds used: %s of %d" % (n["rounds_used"], res["rounds"]))
    print("noise: CPUs busy %.0f %% before / %.0f %% after (other work on the machine); foreign np_* programs: %s" % (
        100 * n["cpu_busy_before"], 100 * n["cpu_busy_after"], n["foreign_netpulse_programs"] or "none"))


if __name__ == "__main__":
    B.run_main(main)
