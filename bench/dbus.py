#!/usr/bin/env python3
"""Benchmark 3b: what one subscriber costs on D-Bus per tick, and the
service helper's CPU per tick, when 0 / 1 / 10 / 100 % of the connections
change.

The real service: a private system bus and polkitd set up by the helper
tests' fixture (tests/helper/helperfixture.py: a temporary granted user, a
polkit rules file, all removed at the end), the helper of the build
directory started by bus activation with --max-flows 262144, and
bench/np-dbus-probe subscribed as the granted user with interval-ms 1000.
The probe prints the size of every frame it reads from its stream
(8-byte header + payload).

np-load hold keeps CONNS connections open in a network namespace and moves
one byte every 250 ms on the same PCT % of them, so that exactly those
connections (both of their sockets) change in every tick.

If the service cannot be used (not built, fixture fails, Subscribe fails),
the frame sizes are computed instead by bench/np-collector-bench, which
builds the same frames from the real collector: the result says
"computed, not captured".

Usage: sudo NETPULSE_BUILD_ROOT=BUILD bench/dbus.py [--conns 10000] [--pcts 0,1,10,100]
       [--extra-sizes 1000,50000]   (10 % changing at these sizes too)
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

sys.path.insert(0, os.path.join(B.SOURCE_ROOT, "tests", "helper"))

MAX_FLOWS = 262144
HEADER_ESTIMATE = 150   # bytes of a D-Bus message header, for computed sizes
WARMUP_UPDATES = 2
MEASURED_UPDATES = 4


def read_updates(path):
    updates = []
    try:
        with open(path) as f:
            for line in f:
                if line.endswith("\n") and line.strip():
                    updates.append(json.loads(line))
    except FileNotFoundError:
        pass
    return updates


def wait_updates(path, count, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        updates = read_updates(path)
        if len(updates) >= count:
            return updates
        time.sleep(0.05)
    B.die("only %d Updates after %d s (wanted %d)" % (len(read_updates(path)), timeout, count))


def measure_level(path, helper_pid, label):
    """Skips the warm-up Updates after a change of load, then measures
    MEASURED_UPDATES steady ones: sizes, records, and the helper's CPU per
    tick (CPU read as each Update arrives; a window only counts when its
    Updates came about a second apart, not in a burst after a slow tick)."""
    have = len(read_updates(path))
    wait_updates(path, have + WARMUP_UPDATES, 60)
    samples = []
    deadline = time.monotonic() + 60
    window = []
    while time.monotonic() < deadline:
        updates = wait_updates(path, len(read_updates(path)) + 1, 30)
        # utime+stime: unlike schedstat it keeps the time of threads that
        # ended (GDBus and GLib start and stop worker threads).
        samples.append((updates[-1], B.proc_cpu_seconds(helper_pid)))
        window = samples[-(MEASURED_UPDATES + 1):]
        if len(window) == MEASURED_UPDATES + 1 and \
                all(b[0]["t"] - a[0]["t"] >= 0.5 for a, b in zip(window, window[1:])):
            break
    else:
        B.log("%s: the Updates never came at a steady pace" % label)
    first, last = window[0], window[-1]
    measured = [u for u in read_updates(path)
                if first[0]["sequence"] < u["sequence"] <= last[0]["sequence"]]
    ticks = last[0]["sequence"] - first[0]["sequence"]
    row = {
        "label": label,
        "updates": len(measured),
        "bytes": B.median([u["bytes"] for u in measured]),
        "bytes_range": B.spread([u["bytes"] for u in measured]),
        "changed": B.median([u["changed"] for u in measured]),
        "removed": B.median([u["removed"] for u in measured]),
        "helper_cpu_ms_per_tick": 1000 * (last[1] - first[1]) / max(1, ticks),
        "helper_rss_kib": B.proc_status(helper_pid, "VmRSS"),
    }
    idle = [u["bytes"] for u in read_updates(path) if u["changed"] == 0 and u["removed"] == 0]
    row["bytes_per_record"] = (row["bytes"] - B.median(idle)) / row["changed"] if row["changed"] and idle else None
    B.log("%s: %s" % (label, row))
    return row


def captured(args, ns, hold):
    from helperfixture import HelperFixture, TestFailure  # noqa: E402  (the tests' fixture)

    try:
        with HelperFixture(B.build_root(), B.SOURCE_ROOT, idle_timeout_ms=60000,
                           helper_args=["--max-flows=%d" % MAX_FLOWS]) as fx:
            probe = fx.user_copy(B.tool("np-dbus-probe"))
            out = os.path.join(fx.tmpdir, "probe.jsonl")
            proc = fx.spawn_as(fx.granted, [probe, "--interval-ms", "1000"], out)
            first = wait_updates(out, 1, 90)[0]
            helper_pid = fx.helper_pid()
            if first["changed"] > 2 * hold.conns * 1.2 + 200:
                B.log("the first Update has %d records for %d connections: other sockets exist on this "
                      "machine (other benchmarks or tests?)" % (first["changed"], hold.conns))
            backend = fx.helper_property("Backend").split("'")[1] if "'" in fx.helper_property("Backend") else None
            rows = []
            for pct in args.pcts:
                hold.set_pct(pct)
                rows.append(dict(measure_level(out, helper_pid, "%d conns, %g %% changing" % (hold.conns, pct)),
                                 conns=hold.conns, pct=pct))
            extra = []
            for n in args.extra_sizes:
                with B.Hold(ns, n, pct=10, port=7000) as other:
                    hold.set_pct(0)
                    # The main set still exists (idle): count only the new connections.
                    row = measure_level(out, helper_pid, "%d more conns, 10 %% changing" % n)
                    extra.append(dict(row, conns=n, pct=10, idle_besides=hold.conns))
                    other.set_pct(0)
            proc.terminate()
            log_text = fx.helper_log()
            return {"mode": "captured", "first_update": first, "rows": rows, "extra": extra,
                    "backend": backend, "helper_log_tail": log_text[-1500:]}
    except (TestFailure, SystemExit) as e:
        B.log("the D-Bus service could not be measured (%s): computing the sizes instead" % e)
        return None


def computed(args, hold):
    rows = []
    for pct in args.pcts:
        hold.set_pct(pct)
        time.sleep(0.6)
        p = subprocess.run([B.tool("np-collector-bench"), "--ticks", "3", "--interval-ms", "1000",
                            "--max-flows", str(MAX_FLOWS)], capture_output=True, text=True, timeout=120)
        c = json.loads(p.stdout.strip().splitlines()[-1])
        rows.append({"label": "%d conns, %g %% changing" % (hold.conns, pct), "conns": hold.conns, "pct": pct,
                     "bytes": c["update_bytes"] + HEADER_ESTIMATE, "body_bytes": c["update_bytes"],
                     "changed": c["changed"], "helper_cpu_ms_per_tick": (c["sample_cpu_us"] + c["update_cpu_us"]) / 1000,
                     "helper_rss_kib": c["rss_kib"]})
        B.log("computed: %s" % rows[-1])
    return {"mode": "computed, not captured", "rows": rows, "extra": []}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conns", type=int, default=10000)
    parser.add_argument("--pcts", default="0,1,10,100")
    parser.add_argument("--extra-sizes", default="")
    parser.add_argument("--computed", action="store_true", help="do not use the service, compute the sizes")
    args = parser.parse_args()
    args.pcts = [float(p) for p in args.pcts.split(",")]
    args.extra_sizes = [int(s) for s in args.extra_sizes.split(",") if s]

    B.require_root()
    with B.Netns() as ns, B.Hold(ns, args.conns) as hold:
        res = None if args.computed else captured(args, ns, hold)
        if res is None:
            res = computed(args, hold)

    result = dict(res, benchmark="dbus", machine=B.machine_info(res.get("backend")), conns=args.conns)
    B.write_result("dbus", result)

    print("\n== D-Bus bytes per tick for one subscriber (%s), %d connections" % (res["mode"], args.conns))
    print("%-38s %9s %12s %11s %14s %12s" % ("load", "records", "bytes/tick", "B/record", "helper ms/tick",
                                               "helper RSS"))
    for r in res["rows"] + res.get("extra", []):
        print("%-38s %9s %12s %11s %14s %10s MiB" % (
            r["label"], B.fmt(r["changed"], 0), B.fmt(r["bytes"], 0), B.fmt(r.get("bytes_per_record"), 1),
            B.fmt(r["helper_cpu_ms_per_tick"], 1), B.fmt((r["helper_rss_kib"] or 0) / 1024, 1)))
    if res.get("first_update"):
        f = res["first_update"]
        print("first Update (the whole table): %d records, %d bytes" % (f["changed"], f["bytes"]))
    return 0


if __name__ == "__main__":
    B.run_main(main)
