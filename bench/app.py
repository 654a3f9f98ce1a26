#!/usr/bin/env python3
"""Benchmark 4: the GTK app with 10,000 rows that all change every second.

The real app (`netpulse --replay FILE --replay-interval 1000`) under Xvfb,
fed a generated stream (bench/gen-replay.py: CONNS connections, every one
changing in every tick).  bench/np-frame-stats.so is preloaded
(LD_PRELOAD, NP_FRAME_STATS=PATH): it hooks the GdkFrameClock phases and
the app's NetpulseSource "update" signal from outside the app and writes
one line per frame and per update.

Measured per scenario (default order, which is by download rate
descending; sorted by download rate asked for explicitly, --sort rx-rate;
the Applications view, the same connections grouped in APPS applications;
all re-sort the whole table on every update):
  cpu per update    process CPU time between two consecutive updates
                    (applying one update + every frame it causes)
  first update      the same for the update that creates the rows
  wall per update   time between two updates minus the 1 s pace (the
                    replay schedules the next tick after the last is done)
  frames            before-paint → after-paint time of each frame
                    (update + layout + paint), and its CPU time
  RSS               VmRSS at the end (and of the same app with the small
                    test recording, for comparison)
and, once per pair, the same figures of bench/np-gtk-floor.c: GTK's own
cost for plain tables of the same shape (GtkLabel cells; blank cells, the
list machinery alone, the floor under any first update).

Usage: NETPULSE_BUILD_ROOT=BUILD bench/app.py [--conns N] [--ticks T] [--apps A]
                                             [--baseline OTHER_BUILD] [--pairs P]
With --baseline, every scenario runs with OTHER_BUILD (e.g. main's build)
and with BUILD one after the other, P times, and the table gives both and
their ratio (baseline / this build: > 1 is faster or smaller).
(needs Xvfb; root is not needed.)
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))
import npgui  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def settings_keyfile(tmp, name, view):
    """The app's settings for one run, as the keyfile GSettings backend
    reads them: the view asked for, the rest the defaults.  Not the test
    hooks' NETPULSE_VIEW: older builds read it only with a screenshot
    asked for, and a baseline must show the same view."""
    config = os.path.join(tmp, "config-" + name)
    os.makedirs(os.path.join(config, "glib-2.0", "settings"), exist_ok=True)
    with open(os.path.join(config, "glib-2.0", "settings", "keyfile"), "w") as f:
        f.write("[io/github/netpulse/Netpulse]\nview='%s'\n" % view)
    return config


def app_env(build, display, tmp, name, stats_path, view, source_type=None):
    env = npgui.app_env(os.environ, display, os.path.join(build, "data"), tmp,
                        LD_PRELOAD=os.path.join(build, "bench", "np-frame-stats.so"),
                        NP_FRAME_STATS=stats_path, GSETTINGS_BACKEND="keyfile",
                        XDG_CONFIG_HOME=settings_keyfile(tmp, name, view))
    if source_type:
        env["NP_FRAME_STATS_SOURCE"] = source_type
    for hook in ("NETPULSE_VIEW", "NETPULSE_SETTINGS"):
        env.pop(hook, None)
    return env


def parse_stats(path):
    frames, updates = [], []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "F" and len(parts) >= 8:
                frames.append({"start": int(parts[1]), "total": int(parts[2]), "layout": int(parts[3]),
                               "paint": int(parts[4]), "cpu": int(parts[5]), "fps": float(parts[7])})
            elif parts[0] == "U" and len(parts) >= 5:
                updates.append({"t": int(parts[1]), "cpu": int(parts[2]), "changed": int(parts[3])})
    return frames, updates


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def run_app(build, display, tmp, name, replay, ticks, extra_args=(), view="connections", argv=None,
            source_type=None):
    """The app replaying @replay, or @argv (the GTK floor) with the same
    environment, its updates hooked on @source_type."""
    stats_path = os.path.join(tmp, name + ".stats")
    if os.path.exists(stats_path):
        os.unlink(stats_path)
    if argv is None:
        argv = [os.path.join(build, "src", "netpulse"), "--replay", replay, "--replay-interval", "1000"] + list(extra_args)
    log = open(os.path.join(tmp, name + ".log"), "w")
    proc = subprocess.Popen(argv, env=app_env(build, display, tmp, name, stats_path, view, source_type),
                            stdout=log, stderr=subprocess.STDOUT)
    log.close()
    start = time.monotonic()
    timeout = 30 + 3 * ticks
    rss_peak = 0
    try:
        # Until every tick was played and 1.5 s more passed.
        while True:
            if time.monotonic() - start > timeout:
                B.die("%s: only %d of %d updates after %d s" % (
                    name, len(parse_stats(stats_path)[1]) if os.path.exists(stats_path) else 0, ticks, timeout))
            time.sleep(0.25)
            if proc.poll() is not None:
                B.die("%s: the app exited with %d:\n%s" % (name, proc.returncode,
                                                            open(os.path.join(tmp, name + ".log")).read()[-3000:]))
            rss_peak = max(rss_peak, B.proc_status(proc.pid, "VmRSS") or 0)
            if os.path.exists(stats_path):
                _, updates = parse_stats(stats_path)
                if len(updates) >= ticks and time.monotonic() * 1e6 > updates[-1]["t"] + 1.5e6:
                    break
        rss = B.proc_status(proc.pid, "VmRSS")
        hwm = B.proc_status(proc.pid, "VmHWM")
        cpu_total = B.proc_cpu_seconds(proc.pid)
    finally:
        B.terminate(proc)
    frames, updates = parse_stats(stats_path)
    with open(os.path.join(tmp, name + ".log"), errors="replace") as f:
        app_log = f.read()
    return summarize(name, frames, updates, rss, hwm, rss_peak, cpu_total, app_log)


def summarize(name, frames, updates, rss, hwm, rss_peak, cpu_total, app_log):
    res = {"name": name, "updates": len(updates), "frames": len(frames), "rss_kib": rss,
           "rss_hwm_kib": hwm, "cpu_total_s": cpu_total,
           "criticals": app_log.count("CRITICAL"), "warnings": app_log.count("WARNING")}
    if len(updates) >= 3:
        deltas = [(b["cpu"] - a["cpu"]) / 1000.0 for a, b in zip(updates, updates[1:])]
        walls = [(b["t"] - a["t"]) / 1000.0 - 1000.0 for a, b in zip(updates, updates[1:])]
        res["first_update_cpu_ms"] = deltas[0]
        res["cpu_per_update_ms"] = B.median(deltas[1:])
        res["cpu_per_update_ms_range"] = B.spread(deltas[1:])
        res["wall_per_update_ms"] = B.median(walls[1:])
        res["rows_per_update"] = B.median([u["changed"] for u in updates[1:]])
        res["load_cpu_s"] = updates[0]["cpu"] / 1e6    # loading the recording, building the window
        steady = [f for f in frames if f["start"] >= updates[1]["t"]]
        totals = [f["total"] / 1000.0 for f in steady]
        res["frames_steady"] = len(steady)
        res["frame_ms_median"] = B.median(totals)
        res["frame_ms_p95"] = percentile(totals, 95)
        res["frame_ms_max"] = max(totals) if totals else None
        res["frame_cpu_ms_median"] = B.median([f["cpu"] / 1000.0 for f in steady])
        res["frame_layout_ms_median"] = B.median([f["layout"] / 1000.0 for f in steady])
        res["frame_paint_ms_median"] = B.median([f["paint"] / 1000.0 for f in steady])
        # The first frame after each update carries its rows to the screen.
        after = []
        for u in updates[1:]:
            nxt = [f for f in frames if f["start"] >= u["t"]]
            if nxt:
                after.append(nxt[0]["total"] / 1000.0)
        res["frame_after_update_ms_median"] = B.median(after)
        res["frame_after_update_ms_max"] = max(after) if after else None
        res["fps_reported_by_gdk"] = B.median([f["fps"] for f in steady if f["fps"] > 0])
    return res


COLUMNS = (("cpu/upd", "cpu_per_update_ms", 1), ("1st upd", "first_update_cpu_ms", 1),
           ("wall/upd", "wall_per_update_ms", 1), ("frame", "frame_ms_median", 2),
           ("frame95", "frame_ms_p95", 2), ("frameMax", "frame_ms_max", 1),
           ("upd-frm", "frame_after_update_ms_median", 1), ("RSS MiB", "rss_mib", 1))


def median_of(runs, key):
    values = [r.get(key) for r in runs if r.get(key) is not None]
    return B.median(values) if values else None


def combine(runs):
    """The median of each figure over runs of one scenario and build."""
    for r in runs:
        r["rss_mib"] = (r["rss_kib"] or 0) / 1024.0
    out = {k: median_of(runs, k) for _, k, _ in COLUMNS}
    out["frames"] = runs[0]["frames"]
    out["runs"] = runs
    return out


def print_table(title, results):
    print("\n== %s" % title)
    print("%-22s" % "scenario" + "".join("%10s" % c for c, _, _ in COLUMNS))
    for name, r in results.items():
        print("%-22s" % name + "".join("%10s" % B.fmt(r.get(k), d) for _, k, d in COLUMNS))


# bench/np-gtk-floor.c: the app's table of 12 columns in plain GTK, with
# GtkLabel cells whose every bound one gets a new text per update (nothing
# sorted), and with blank cells (GTK's list machinery alone, nothing shown).
FLOOR_SCENARIOS = (("gtk-plain-labels", []), ("gtk-blank-cells", ["--blank"]))


def print_floor(floor, this, conns):
    """GTK's own cost for a table of the same shape, and this build's
    first update and update over the blank table's (how many times GTK's
    list machinery alone)."""
    print_table("Plain GTK 4.8 tables of the app's 12 columns and %d rows (np-gtk-floor)" % conns, floor)
    blank = floor.get("gtk-blank-cells")
    if not blank:
        return
    print("\n== This build / blank GTK table (how many times GTK's list machinery alone)")
    keys = (("1st upd", "first_update_cpu_ms"),)
    print("%-22s" % "scenario" + "".join("%10s" % c for c, _ in keys))
    for name, r in this.items():
        if name == "small-recording":
            continue
        print("%-22s" % name + "".join(
            "%10s" % (B.fmt(r[k] / blank[k], 2) if r.get(k) and blank.get(k) else "-") for _, k in keys))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conns", type=int, default=10000)
    parser.add_argument("--ticks", type=int, default=12)
    parser.add_argument("--apps", type=int, default=300)
    parser.add_argument("--baseline", help="another build root, run side by side")
    parser.add_argument("--pairs", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("Xvfb") is None:
        B.die("needs Xvfb (package xvfb)")
    builds = [("this", B.build_root())]
    if args.baseline:
        builds.insert(0, ("baseline", os.path.abspath(args.baseline)))
    for _, build in builds:
        if not os.path.exists(os.path.join(build, "src", "netpulse")):
            B.die("%s/src/netpulse is not built" % build)

    runs = {label: {} for label, _ in builds}
    with tempfile.TemporaryDirectory(prefix="netpulse-bench-app-") as tmp, npgui.Xvfb() as x:
        os.chmod(tmp, 0o700)
        replay = os.path.join(tmp, "replay.jsonl")
        B.log("generating %d connections in %d applications x %d ticks" % (args.conns, args.apps, args.ticks))
        subprocess.run([sys.executable, os.path.join(HERE, "gen-replay.py"), replay,
                        str(args.conns), str(args.ticks), str(args.apps)], check=True)
        small = os.path.join(B.SOURCE_ROOT, "tests", "data", "replay-basic.jsonl")
        scenarios = (("default-order", replay, args.ticks, [], "connections"),
                     ("sorted-by-rx-rate", replay, args.ticks, ["--sort", "rx-rate"], "connections"),
                     ("applications-%d" % args.apps, replay, args.ticks, [], "applications"),
                     ("small-recording", small, 3, [], "connections"))
        floor = os.path.join(builds[-1][1], "bench", "np-gtk-floor")
        floor_runs = {}
        for pair in range(args.pairs):
            for name, replay_path, ticks, extra, view in scenarios:
                for label, build in builds:
                    B.log("app: %s, %s build, pair %d" % (name, label, pair + 1))
                    r = run_app(build, x.display, tmp, name, replay_path, ticks, extra, view)
                    runs[label].setdefault(name, []).append(r)
                    B.log("  %s" % {k: v for k, v in r.items() if not isinstance(v, (list, tuple))})
            for name, extra in FLOOR_SCENARIOS if os.path.exists(floor) else ():
                B.log("app: %s (np-gtk-floor), pair %d" % (name, pair + 1))
                r = run_app(builds[-1][1], x.display, tmp, name, None, args.ticks,
                            argv=[floor, "--rows", str(args.conns), "--ticks", str(args.ticks)] + extra,
                            source_type="NpFloorFeed")
                floor_runs.setdefault(name, []).append(r)
                B.log("  %s" % {k: v for k, v in r.items() if not isinstance(v, (list, tuple))})

    results = {label: {name: combine(rs) for name, rs in by_name.items()} for label, by_name in runs.items()}
    floor_result = {name: combine(rs) for name, rs in floor_runs.items()}
    result = {"benchmark": "app", "machine": B.machine_info(), "conns": args.conns, "ticks": args.ticks,
              "apps": args.apps, "pairs": args.pairs, "scenarios": results["this"]}
    if args.baseline:
        result["baseline"] = {"build": os.path.abspath(args.baseline), "scenarios": results["baseline"]}
    if floor_result:
        result["gtk_floor"] = floor_result
    B.write_result("app", result)

    what = "%d rows in %d applications, all changing every second (replay, Xvfb, cairo renderer)" % (
        args.conns, args.apps)
    for label, _ in builds:
        print_table("App, %s build: %s" % (label, what), results[label])
    if args.baseline:
        print("\n== Ratio baseline / this build (> 1: this build is faster or smaller)")
        print("%-22s" % "scenario" + "".join("%10s" % c for c, _, _ in COLUMNS))
        for name in results["this"]:
            a, b = results["baseline"][name], results["this"][name]
            print("%-22s" % name + "".join(
                "%10s" % (B.fmt(a[k] / b[k], 2) if a.get(k) and b.get(k) else "-") for _, k, _ in COLUMNS))
    if floor_result:
        print_floor(floor_result, results["this"], args.conns)
    print("(ms; medians over %d run(s); cpu/upd = process CPU between two updates; frame = "
          "before-paint..after-paint; upd-frm = first frame after an update)" % args.pairs)
    return 0


if __name__ == "__main__":
    B.run_main(main)
