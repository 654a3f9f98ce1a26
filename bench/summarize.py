#!/usr/bin/env python3
"""Sums up the results of a benchmark run (OUT/*.json written by the
benchmarks) as Markdown: machine, kernel, backend, and one line per
measurement with its target and whether it was met.

Usage: bench/summarize.py OUT_DIR
"""

import json
import os
import sys


def load(out, name):
    path = os.path.join(out, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def f(value, digits=3):
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return ("%%.%df" % digits) % value
    return str(value)


def verdict(ok):
    return "n/a" if ok is None else ("met" if ok else "**not met**")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    results = {name: load(out, name) for name in ("overhead", "churn", "scale", "dbus", "app")}
    machine = next((r["machine"] for r in results.values() if r and r.get("machine")), {})
    backend = next((r["machine"].get("backend") for r in results.values()
                    if r and r.get("machine", {}).get("backend")), None)

    print("# Netpulse benchmark summary\n")
    print("- date: %s" % machine.get("date", "?"))
    print("- machine: %s, %s CPUs, %s GiB RAM, %s" % (machine.get("cpu", "?"), machine.get("cpus", "?"),
                                                    machine.get("memory_gib", "?"), machine.get("os", "?")))
    print("- kernel: %s" % machine.get("kernel", "?"))
    print("- helper backend: %s" % (backend or "?"))
    print()
    print("| benchmark | measured | baseline / raw | target | result |")
    print("|---|---|---|---|---|")

    o = results["overhead"]
    if o:
        for name, s in o["loads"].items():
            lo, hi = s["ratio_helper_range"]
            target = s.get("target")
            ok = None if target is None else s["ratio_helper"] >= target
            print("| overhead %s, helper | ratio %s (rounds %s–%s; CPU-cost ratio %s) | %s %.0f → %.0f | %s | %s |" % (
                name, f(s["ratio_helper"]), f(lo), f(hi), f(s.get("cpu_ratio_helper")), s["metric"],
                s["baseline_median"], s["helper_median"], "≥ %.2f" % target if target else "—", verdict(ok)))
        for name, s in o["loads"].items():
            print("| overhead %s, nethogs | ratio %s (CPU-cost ratio %s) | %s %.0f → %s | — | — |" % (
                name, f(s["ratio_nethogs"]), f(s.get("cpu_ratio_nethogs")), s["metric"], s["baseline_median"],
                f(s["nethogs_median"], 0)))
        print("| CPU of the monitor during the loads | helper %s %%, nethogs %s %% of one core | | — | — |" % (
            f(o["helper_cpu_percent"], 1), f(o["nethogs_cpu_percent"], 1)))
        a = o["accuracy"]
        print("| accuracy at max rate (TCP 64 B, 16 KiB, UDP 64 B) | %d/%d runs exact, %d bytes lost | %d bytes checked | 0 lost | %s |" % (
            a["exact_runs"], a["runs"], a["lost_bytes"], a["bytes_checked"],
            verdict(a["lost_bytes"] == 0 and a["exact_runs"] == a["runs"])))
    c = results["churn"]
    if c:
        for label, k, rate in (("max rate", "at_max_rate", c["helper_conns_per_s"]),
                               ("paced %g/s" % c["paced_rate"], "at_paced_rate", c["paced_conns_per_s"])):
            x = c[k]
            print("| churn at %s, all reported? | %.0f conn/s with helper: %d of %d connections not exact (%d sockets never reported closed, %d with wrong bytes; kernel skipped %d state-program runs) | baseline max %.0f/s, ratio %s | ≥ 5000/s, none missing | %s |" % (
                label, rate, x["not_exact"], x["connections"], x["never_closed"], x["bytes_wrong"],
                x["recursion_misses"], c["baseline_conns_per_s"], f(c["ratio"]),
                verdict(c["target_met"]) if k == "at_paced_rate" else ("all reported" if x["all_reported"] else "incomplete")))
    s = results["scale"]
    if s:
        for n in s["sizes"]:
            r = s["rows"].get(str(n)) or s["rows"].get(n)
            col, st, cg = r["collector"], r["standalone"], r.get("callgrind") or {}
            print("| helper at %d conns (%d flows) | sample %.1f ms CPU/tick%s; standalone %.0f ms/tick, RSS %.0f MiB | first tick %.2f s, full Update build %.2f s, RSS after it %.0f MiB | — | — |" % (
                n, col["flows"], col["sample_cpu_us"] / 1000,
                ", %.1f M instructions/tick (%s flows)" % (cg["ir_sample_per_tick"] / 1e6, cg.get("flows"))
                if cg.get("ir_sample_per_tick") else "",
                st["cpu_per_tick_ms"], st["rss_kib"] / 1024, col["first_sample_cpu_us"] / 1e6,
                col["first_update_cpu_us"] / 1e6, col["rss_first_update_kib"] / 1024))
    d = results["dbus"]
    if d:
        for r in d["rows"] + d.get("extra", []):
            print("| D-Bus per tick (%s): %s | %s bytes, %s records | helper %s ms CPU/tick, RSS %.0f MiB | linear in changes | %s |" % (
                d["mode"], r["label"], f(r["bytes"], 0), f(r["changed"], 0), f(r["helper_cpu_ms_per_tick"], 1),
                (r["helper_rss_kib"] or 0) / 1024,
                "%.1f B/record" % r["bytes_per_record"] if r.get("bytes_per_record") else "—"))
    a = results["app"]
    if a:
        for name, r in a["scenarios"].items():
            print("| app %s (%s rows/update) | %s ms CPU/update, frames median %s / p95 %s / max %s ms | first update %s ms, RSS %.0f MiB | — | — |" % (
                name, f(r.get("rows_per_update"), 0), f(r.get("cpu_per_update_ms"), 1), f(r.get("frame_ms_median"), 2),
                f(r.get("frame_ms_p95"), 1), f(r.get("frame_ms_max"), 1), f(r.get("first_update_cpu_ms"), 1),
                (r["rss_kib"] or 0) / 1024))
    missing = [name for name, r in results.items() if r is None]
    if missing:
        print("\nNot run or failed: %s (see the logs in %s)" % (", ".join(missing), out))
    if o:
        n = o["noise"]
        print("\nNoise: the CPUs were %.0f %% / %.0f %% busy with other work before / after the overhead runs;"
              " someone else's netpulse programs seen: %s." % (
                  100 * n["cpu_busy_before"], 100 * n["cpu_busy_after"], n["foreign_netpulse_programs"] or "none"))


if __name__ == "__main__":
    main()
