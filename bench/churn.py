#!/usr/bin/env python3
"""Benchmark 2b: connection churn — how many connect/send/close cycles per
second the helper reports completely.

np-load churn (sender pinned to CPU 0, server to CPU 1) opens connections,
writes SIZE bytes on each and closes it; the server accepts, reads to EOF
and closes.  Each round runs it
  - as fast as possible without anything attached (the baseline),
  - as fast as possible with `netpulse-helper --standalone --json
    --interval 1000` (default flow table),
  - paced at RATE connections/s (default 5,000, the target) with the helper,
and checks that every client connection and every accepted socket appears
in the helper's records, closed, with exactly SIZE bytes.

Target: >= 5,000 connections/s with none missing.

Usage: sudo NETPULSE_BUILD_ROOT=BUILD bench/churn.py [--rounds N] [--seconds S] [--size K] [--rate R]
"""

import argparse
import os
import time
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

TARGET = 5000
PORT = 5101


def churn(ns, seconds, size, rate=0):
    return B.load(ns, "churn", "--size", size, "--seconds", seconds, "--port", PORT,
                  "--cpu-tx", 0, "--cpu-rx", 1, "--rate", rate)


def completeness(records, run, size):
    netns = run["netns"]
    client, server = {}, {}
    for r in records:
        if r["netns"] != netns or r["proto"] != "tcp":
            continue
        if r["rport"] == run["port"] and r["pid"] == run["client_pid"]:
            client[r["id"]] = r
        elif r["lport"] == run["port"]:
            server[r["id"]] = r
    good_client = sum(1 for r in client.values() if r["closed"] and r["tx_bytes"] == size)
    good_server = sum(1 for r in server.values() if r["closed"] and r["rx_bytes"] == size)
    # Bytes right whether or not the close was seen.
    bytes_exact = (sum(1 for r in client.values() if r["tx_bytes"] == size)
                   + sum(1 for r in server.values() if r["rx_bytes"] == size))
    bad = [r for r in client.values() if not (r["closed"] and r["tx_bytes"] == size)] + \
          [r for r in server.values() if not (r["closed"] and r["rx_bytes"] == size)]
    n = run["connections"]
    return {
        "bytes_exact": bytes_exact,
        "never_closed": sum(1 for r in list(client.values()) + list(server.values()) if not r["closed"]),
        "bad_examples": bad[:5],
        "bad_states": sorted({"%s closed=%s" % (r["state"], r["closed"]) for r in bad}),
        "connections": n,
        "client_reported": len(client),
        "client_exact": good_client,
        "server_reported": len(server),
        "server_exact": good_server,
        "missing": (n - good_client) + (n - good_server),
        "complete": good_client == n and good_server == n and len(client) == n and len(server) == n,
    }


def attached_run(ns, args, out, name, rate):
    """One churn run with the helper; returns (np-load result, check, helper CPU share)."""
    path = os.path.join(out, "churn-%s.jsonl" % name)
    with B.Helper(path, "--interval", "1000") as helper:
        backend = helper.backend()
        cpu0 = B.proc_run_seconds(helper.pid)
        run = churn(ns, args.seconds, args.size, rate)
        cpu = (B.proc_run_seconds(helper.pid) - cpu0) / run["seconds"]
        # Kernel programs attached to tracepoints do not run nested on one
        # CPU: an event during another run of the same program (a softirq
        # interrupting it) is skipped and counted here.
        misses = B.recursion_misses(B.programs_of_process(helper.pid))
        # A close whose state event was skipped is reported from the socket's
        # release after a 2 s grace (netpulse-collector.c): give it that and
        # one more tick before judging.
        time.sleep(3.5)
        counters = helper.stop()
        records = helper.records(run["netns"])
    check = completeness(records, run, args.size)
    check.update(flow_overflow=counters["flow-overflow"] if counters else None, recursion_misses=misses,
                 counters=counters, backend=backend, conns_per_s=run["conns_per_s"])
    B.log("%s: %.0f connections/s, %d not exact (bytes exact on %d of %d sockets), flow-overflow %s%s" % (
        name, run["conns_per_s"], check["missing"], check["bytes_exact"], 2 * run["connections"],
        check["flow_overflow"], "; last states %s, kernel program runs skipped: %s" % (check["bad_states"], misses)
        if check["bad_states"] else ""))
    if check["complete"]:
        os.unlink(path)   # tens of MB of records; kept when something is missing
    return run, check, cpu


def summarize_checks(checks):
    return {
        "all_reported": all(c["complete"] for c in checks),
        "not_exact": sum(c["missing"] for c in checks),
        "never_closed": sum(c["never_closed"] for c in checks),
        "bytes_wrong": sum(2 * c["connections"] - c["bytes_exact"] for c in checks),
        "connections": sum(c["connections"] for c in checks),
        "recursion_misses": sum(sum(c["recursion_misses"].values()) for c in checks),
        "flow_overflow": sum(c["flow_overflow"] or 0 for c in checks),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 3)))
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--rate", type=float, default=TARGET, help="the paced run's connections/s")
    args = parser.parse_args()

    B.require_root()
    out = B.out_dir()
    base, fast, paced = [], [], []          # np-load results
    fast_checks, paced_checks, cpu_fast, cpu_paced = [], [], [], []
    backend = None
    foreign = set()

    with B.Netns() as ns:
        for r in range(args.rounds):
            foreign |= set(B.foreign_netpulse_programs())
            run = churn(ns, args.seconds, args.size)
            base.append(run)
            B.log("round %d base: %.0f connections/s" % (r, run["conns_per_s"]))
            run, check, cpu = attached_run(ns, args, out, "round%d-max" % r, 0)
            fast.append(run)
            fast_checks.append(check)
            cpu_fast.append(cpu)
            run, check, cpu = attached_run(ns, args, out, "round%d-%g" % (r, args.rate), args.rate)
            paced.append(run)
            paced_checks.append(check)
            cpu_paced.append(cpu)
            backend = check["backend"]

    ratios = [a["conns_per_s"] / b["conns_per_s"] for a, b in zip(fast, base)]
    at_max, at_rate = summarize_checks(fast_checks), summarize_checks(paced_checks)
    result = {
        "benchmark": "churn",
        "machine": B.machine_info(backend),
        "rounds": args.rounds,
        "seconds_per_run": args.seconds,
        "size": args.size,
        "baseline_conns_per_s": B.median([b["conns_per_s"] for b in base]),
        "helper_conns_per_s": B.median([a["conns_per_s"] for a in fast]),
        "helper_conns_per_s_min": min(a["conns_per_s"] for a in fast),
        "ratio": B.median(ratios),
        "ratio_range": B.spread(ratios),
        "at_max_rate": at_max,
        "paced_rate": args.rate,
        "paced_conns_per_s": B.median([p["conns_per_s"] for p in paced]),
        "at_paced_rate": at_rate,
        "target": TARGET,
        "target_met": at_rate["all_reported"] and min(p["conns_per_s"] for p in paced) >= 0.98 * TARGET,
        "max_rate_all_reported": at_max["all_reported"],
        "helper_cpu_percent": 100 * B.median(cpu_fast),
        "helper_cpu_percent_paced": 100 * B.median(cpu_paced),
        "checks_max": fast_checks,
        "checks_paced": paced_checks,
        "foreign_netpulse_programs": sorted(foreign),
        "raw": {"base": base, "helper_max": fast, "helper_paced": paced},
    }
    B.write_result("churn", result)

    print("\n== Connection churn (connect / write %d B / close), %d rounds of %.1f s" % (
        args.size, args.rounds, args.seconds))
    print("max rate: baseline %.0f conn/s, with helper %.0f conn/s (min %.0f): ratio %.3f (%.3f-%.3f); "
          "helper CPU %.1f %% of one core" % (
              result["baseline_conns_per_s"], result["helper_conns_per_s"], result["helper_conns_per_s_min"],
              result["ratio"], *result["ratio_range"], result["helper_cpu_percent"]))
    for label, s, rate in (("at max rate", at_max, result["helper_conns_per_s"]),
                           ("paced at %g/s" % args.rate, at_rate, result["paced_conns_per_s"])):
        print("%-16s %.0f conn/s: %d connections (x2 sockets): %d not exact, of which %d never reported closed, "
              "%d with wrong bytes; kernel state-program runs skipped: %d; flow-overflow %d -> %s" % (
                  label, rate, s["connections"], s["not_exact"], s["never_closed"], s["bytes_wrong"],
                  s["recursion_misses"], s["flow_overflow"], "all reported exactly" if s["all_reported"] else "INCOMPLETE"))
    print("target >= %d/s with none missing: %s" % (TARGET, "met" if result["target_met"] else "NOT met"))
    return 0


if __name__ == "__main__":
    B.run_main(main)
