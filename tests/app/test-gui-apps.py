#!/usr/bin/env python3
"""The Applications view of the real app under Xvfb, fed a recording whose
records carry application ids (tests/data/replay-apps.jsonl: a desktop
application with two processes, two plain curl processes without an id,
a service and a container; one connection of each of the first two closes
early and has left the table by the end).

Checks, through the app's test hooks (src/netpulse-test-hooks.h):
  1. one row per application, with its kind and id, the number of its
     connections still open, and exact totals: the sum over all its
     connections' last records, closed and gone ones included;
  2. the graphs of the applications share one scale: the largest robust
     peak (a row's first sample and lone spikes left out) of any of them;
  3. the application expanded: its processes, each with its executable and
     command line in the tooltip;
  4. screenshots for data/screenshots/ (light, dark, a narrow window) that
     are real pictures, copied to NETPULSE_KEEP_SCREENSHOT_DIR when set.

Python 3 stdlib only.  Skips (77) without Xvfb, fails instead under CI=true.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nptest  # noqa: E402
import npgui  # noqa: E402

APP = os.environ.get("NETPULSE_APP")
SCHEMAS = os.environ.get("NETPULSE_SCHEMA_DIR")
DATA = os.environ.get("NETPULSE_TEST_DATA")
RECORDING = os.path.join(DATA or ".", "replay-apps.jsonl")
LINGER_NS = 5_000_000_000  # NETPULSE_STORE_DEFAULT_LINGER_MS


def expected_apps(path):
    """{(kind, app id): (rx, tx, open connections, peak)} from the recording."""
    last, closed_at, last_ts, rates = {}, {}, 0, {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            last[r["id"]] = r
            last_ts = max(last_ts, r["ts_ns"])
            if r["closed"]:
                closed_at[r["id"]] = r["ts_ns"]
            key = (r["app_kind"], r["app_id"] or r["comm"])
            # The application's rate at each tick: the sum of its records'.
            tick = rates.setdefault(key, {}).setdefault(r["ts_ns"], [0.0, 0.0])
            tick[0] += r["rx_rate"]
            tick[1] += r["tx_rate"]
    apps = {}
    for cid, r in last.items():
        key = (r["app_kind"], r["app_id"] or r["comm"])
        rx, tx, n, _ = apps.get(key, (0, 0, 0, 0))
        still_open = cid not in closed_at
        apps[key] = (rx + r["rx_bytes"], tx + r["tx_bytes"], n + still_open, 0)
    for key, ticks in rates.items():
        # The robust peak: the first sample left out, then the second largest.
        values = sorted((max(v) for ts, v in sorted(ticks.items())[1:]), reverse=True)
        apps[key] = apps[key][:3] + (values[1] if len(values) > 1 else 0.0,)
    return apps


def check_not_blank(path):
    try:
        npgui.check_not_blank(path, 40)
    except npgui.GuiError as e:
        nptest.check(False, str(e))


def run_app(xvfb, tmp, name, recording=RECORDING, **extra):
    shot = os.path.join(tmp, name + ".png")
    dump = os.path.join(tmp, name + ".txt")
    extra.setdefault("NETPULSE_VIEW", "applications")
    env = npgui.app_env(os.environ, xvfb.display, SCHEMAS, tmp, NETPULSE_SCREENSHOT=shot,
                        NETPULSE_DUMP_VIEW=dump, NETPULSE_EXIT_AFTER_SCREENSHOT="1", **extra)
    args = [APP, "--replay", recording, "--replay-interval", "40", "--sort", "rx-rate"]
    proc = subprocess.run(args, env=env, timeout=90, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    nptest.check(proc.returncode == 0, "%s: netpulse exited with %d" % (name, proc.returncode), proc.stdout)
    nptest.check("CRITICAL" not in proc.stdout and "WARNING" not in proc.stdout,
                 "%s: netpulse logged criticals or warnings" % name, proc.stdout)
    keep = os.environ.get("NETPULSE_KEEP_SCREENSHOT_DIR")
    if keep:
        shutil.copyfile(shot, os.path.join(keep, name + ".png"))
    return shot, dump


def check_applications(xvfb, tmp):
    shot, dump = run_app(xvfb, tmp, "applications")
    header, _, rows = npgui.read_dump(dump)
    apps = npgui.read_dump_apps(dump)
    histories = npgui.read_dump_histories(dump)
    expected = expected_apps(RECORDING)
    nptest.check(header.get("view") == "applications", "not the Applications view", header)
    nptest.check(len(rows) == len(expected) == len(apps), "one row per application",
                 rows, sorted(expected))
    shown = {}
    for index, (n, kind, app_id, name, scale) in apps.items():
        rx, tx = histories[index][0], histories[index][1]
        shown[(kind, app_id)] = (rx, tx, n)
    wanted = {k: v[:3] for k, v in expected.items()}
    nptest.check(shown == wanted, "application totals or connection counts differ", shown, wanted)
    print("# totals per application:", shown)

    scales = {a[4] for a in apps.values()}
    peak = max(v[3] for v in expected.values())
    nptest.check(scales == {peak}, "the application graphs do not share the largest robust peak",
                 scales, peak)
    print("# shared scale %.1f B/s" % peak)
    names = {a[2]: a[3] for a in apps.values()}
    nptest.check(names["curl"] == "curl" and names["3f2a9c1b7d4e"] == "3f2a9c1b7d4e",
                 "a plain process or container is not named by its id", names)
    check_not_blank(shot)

    # Sorted by download: curl (50 kB/s), then the desktop application.
    nptest.check([r[0] for r in rows][:2] == ["curl", "org.mozilla.firefox"],
                 "not sorted by download rate", rows)


def check_expanded(xvfb, tmp):
    shot, dump = run_app(xvfb, tmp, "applications-expanded", NETPULSE_SELECT_ROW="1")
    _, _, rows = npgui.read_dump(dump)
    processes = sorted((r[0], r[1]) for r in rows if r[5] == "process")
    nptest.check(("Web Content", 2400) in processes and ("firefox-esr", 2314) in processes,
                 "the expanded application does not show its two processes", rows)
    tooltips = npgui.read_dump_texts(dump)["tooltip"]
    nptest.check(any("/usr/lib/firefox-esr/firefox-esr -contentproc" in t and t.startswith("Web Content")
                     for t in tooltips),
                 "no process tooltip with its executable and command line", tooltips)
    check_not_blank(shot)


def is_local(r):
    return r["raddr"] == r["laddr"] or r["raddr"].startswith("127.") or r["raddr"] == "::1"


def check_detail_unit(xvfb, tmp):
    """The detail pane of a connection of a service says its systemd unit
    instead of a raw control group id."""
    _, dump = run_app(xvfb, tmp, "detail-unit", NETPULSE_VIEW="connections", NETPULSE_SETTINGS=(
        "include-local true;show-closed true;sort-column 'process';sort-descending true"))
    _, _, rows = npgui.read_dump(dump)
    index = [r[0] for r in rows].index("systemd-resolve")
    _, dump = run_app(xvfb, tmp, "detail-unit", NETPULSE_VIEW="connections", NETPULSE_SELECT_ROW=str(index),
                      NETPULSE_SETTINGS="include-local true;show-closed true;sort-column 'process';"
                                        "sort-descending true")
    shown = npgui.read_dump_texts(dump)["shown"]
    nptest.check("systemd-resolved.service" in shown and "Service or scope" in shown,
                 "the detail pane does not name the service", shown)
    nptest.check("Control group id" not in shown and "4083" not in shown,
                 "the raw control group id is shown next to the unit", shown)


def check_local(xvfb, tmp):
    """Local traffic off (the default): loopback and same-host flows are
    neither rows nor part of the header's totals and count; on: they are.
    In the Applications view the subtitle counts the applications shown."""
    last = {}
    with open(RECORDING) as f:
        for line in f:
            r = json.loads(line)
            last[r["id"]] = r
    final_ts = max(r["ts_ns"] for r in last.values())
    live = [r for r in last.values() if not r["closed"] and r["ts_ns"] == final_ts]
    for include in (False, True):
        name = "local-%s" % ("on" if include else "off")
        _, dump = run_app(xvfb, tmp, name, NETPULSE_VIEW="connections",
                          NETPULSE_SETTINGS="include-local %s;show-closed false" % str(include).lower())
        header, _, rows = npgui.read_dump(dump)
        wanted = [r for r in live if include or not is_local(r)]
        nptest.check(sorted((r[0], r[1]) for r in rows) == sorted((r["comm"], r["pid"]) for r in wanted),
                     "%s: the rows shown" % name, rows)
        rx = sum(r["rx_rate"] for r in wanted)
        tx = sum(r["tx_rate"] for r in wanted)
        got = (float(header["header-rx"]), float(header["header-tx"]), int(header["header-connections"]))
        nptest.check(got == (rx, tx, len(wanted)), "%s: the header totals" % name, got, (rx, tx, len(wanted)))
        print("# %s: header %.1f/%.1f B/s, %d connections" % ((name,) + got))
        # The Applications view counts the applications it shows: those
        # with a connection shown, not every one the table knows.
        _, dump = run_app(xvfb, tmp, name + "-apps", NETPULSE_VIEW="applications",
                          NETPULSE_SETTINGS="include-local %s;show-closed false" % str(include).lower())
        header, _, rows = npgui.read_dump(dump)
        apps = {r["app_id"] or r["comm"] for r in wanted}
        subtitle = "%d connections of %d applications" % (len(wanted), len(apps))
        nptest.check(header.get("header-subtitle") == subtitle, "%s: the Applications view's subtitle" % name,
                     header.get("header-subtitle"), subtitle)
        nptest.check(len(rows) == len(apps), "%s: one row per application shown" % name, rows, apps)
        print("# %s: \"%s\"" % (name, header.get("header-subtitle")))


def check_header_rates(xvfb, tmp):
    """The header sums the rates its rows show: in the Applications view
    the applications' smoothed rates, in the Connections view each
    connection's rate over the last tick (a bursty download showed 3.3 MB/s
    in the header over an application of 668 kB/s).  A connection that
    closed in the tick is hidden (Show Closed off) but its application's row
    counts its last tick, and so does the header above that row (it said
    0 B/s over "curl 414 B/s"); the row's count of connections is that of
    those shown below it (it said "4 connections" over one).  An application of two users says "2
    users"."""
    with open(RECORDING) as f:
        first = json.loads(f.readline())
    # Two processes of the application, of two users: its row says so
    # (it named the user of whichever process came last).
    records = [dict(first, id=1, lport=40001, rx_rate=3000.0, rx_rate_avg=1000.0,
                    tx_rate=300.0, tx_rate_avg=100.0),
               dict(first, id=2, lport=40002, pid=first["pid"] + 1, uid=0, rx_rate=4000.0,
                    rx_rate_avg=500.0, tx_rate=0.0, tx_rate_avg=50.0),
               dict(first, id=3, lport=40003, pid=first["pid"] + 2, rx_rate=5000.0, rx_rate_avg=0.0,
                    tx_rate=0.0, tx_rate_avg=0.0, closed=True)]
    path = os.path.join(tmp, "header-rates.jsonl")
    with open(path, "w") as f:
        f.write("".join(json.dumps(r) + "\n" for r in records))
    for view, want in (("applications", (6500.0, 150.0)), ("connections", (7000.0, 300.0))):
        _, dump = run_app(xvfb, tmp, "header-" + view, recording=path, NETPULSE_VIEW=view,
                          NETPULSE_SETTINGS="include-local true;show-closed false")
        header, _, rows = npgui.read_dump(dump)
        got = (float(header["header-rx"]), float(header["header-tx"]))
        nptest.check(got == want, "%s view: the header's rates" % view, got, want)
        shown = (sum(r[3] for r in rows), sum(r[4] for r in rows))
        nptest.check(shown == want and int(header["header-connections"]) == 2,
                     "%s view: the header is not the sum of its rows, or counts the closed connection" % view,
                     rows, header)
        if view == "applications":
            shown = npgui.read_dump_texts(dump)["shown"]
            nptest.check("2 users" in shown and "root" not in shown,
                         "the application of two users does not say \"2 users\"", shown)
            # Its row counts the connections shown below it: not the closed one.
            nptest.check("2 connections" in shown and "3 connections" not in shown,
                         "the application's row does not count the 2 connections shown", shown)
        print("# %s view: header %.1f/%.1f B/s" % ((view,) + got))


def check_layout(xvfb, tmp):
    """At 800x600 and 1280x800, the detail pane open, rates in bits: the
    name, Download and Upload columns lie fully inside the window and none
    of their texts is cut short; a column hidden through the titles' menu
    setting stays hidden."""
    for view in ("connections", "applications"):
        for width, height in ((800, 600), (1280, 800)):
            name = "layout-%s-%dx%d" % (view, width, height)
            shot, dump = run_app(xvfb, tmp, name, NETPULSE_VIEW=view, NETPULSE_SELECT_ROW="0",
                                 NETPULSE_SETTINGS="include-local true;show-closed true;units-bits true;"
                                                   "window-width %d;window-height %d;hidden-columns ['pid']"
                                                   % (width, height))
            header, columns, rows = npgui.read_dump(dump)
            # The surface asked for, less its client-side frame.
            shown_w, shown_h = (int(v) for v in header.get("window", "0x0").split("x"))
            nptest.check(width - 20 <= shown_w <= width and height - 20 <= shown_h <= height,
                         "%s: window size" % name, header)
            # Where the list is seen: the window less the detail pane.
            lx, ly, lw, lh = (int(v) for v in header["list-bounds"].split(","))
            nptest.check(lx >= 0 and lx + lw <= shown_w, "%s: the list is not inside the window" % name, header)
            for cid in ("process", "rx-rate", "tx-rate"):
                nptest.check(cid in columns, "%s: no %s column shown" % (name, cid), columns)
                x, y, w, h = columns[cid]
                nptest.check(x >= lx and x + w <= lx + lw, "%s: the %s column is not inside the list"
                             % (name, cid), columns[cid], header["list-bounds"])
            nptest.check("pid" not in columns, "%s: the hidden PID column is shown" % name, columns)
            texts = npgui.read_dump_texts(dump)
            names = {r[0] for r in rows}
            cut = [t for t in texts["ellipsized"] if "bit/s" in t or t in names]
            nptest.check(not cut, "%s: names or rates cut short" % name, cut)
            nptest.check(any("bit/s" in t for t in texts["label"]), "%s: no rate in bits" % name)
            print("# %s: name, Download, Upload inside, none cut short" % name)
            if width == 800 and view == "applications":
                keep = os.environ.get("NETPULSE_KEEP_SCREENSHOT_DIR")
                if keep:
                    shutil.copyfile(shot, os.path.join(keep, "narrow.png"))


def check_narrow(xvfb, tmp):
    """At 360 and 600 px wide, a row selected: the window is that narrow
    (the header and the summary fit), the detail pane lies over the list
    (folded) instead of squeezing it, inside the window; the list keeps
    the whole width, and its name, Download and Upload columns are inside
    it (at 360 px the name column narrower).  At 800 px the pane is beside
    the list again."""
    # GNOME's title bar buttons (only Close; GTK's own default without a
    # desktop adds Minimize and Maximize), and no animations: the view dump
    # must not catch the pane halfway through folding on a busy machine.
    config = os.path.join(tmp, "gnome-config")
    os.makedirs(os.path.join(config, "gtk-4.0"), exist_ok=True)
    with open(os.path.join(config, "gtk-4.0", "settings.ini"), "w") as f:
        f.write("[Settings]\ngtk-decoration-layout=appmenu:close\ngtk-enable-animations=0\n")
    for view in ("connections", "applications"):
        for width, folded in ((360, "1"), (600, "1"), (800, "0")):
            name = "narrow-%s-%d" % (view, width)
            shot, dump = run_app(xvfb, tmp, name, NETPULSE_VIEW=view, NETPULSE_SELECT_ROW="0",
                                 XDG_CONFIG_HOME=config,
                                 NETPULSE_SETTINGS="include-local true;show-closed true;"
                                                   "window-width %d;window-height 640" % width)
            header, columns, rows = npgui.read_dump(dump)
            shown_w, shown_h = (int(v) for v in header.get("window", "0x0").split("x"))
            nptest.check(width - 20 <= shown_w <= width, "%s: the window is %d wide" % (name, shown_w), header)
            nptest.check(header.get("detail-pane") == "1", "%s: the detail pane is not open" % name, header)
            nptest.check(header.get("detail-folded") == folded, "%s: folded should be %s" % (name, folded), header)
            dx, dy, dw, dh = (int(v) for v in header["detail-bounds"].split(","))
            nptest.check(dx >= 0 and dx + dw <= shown_w, "%s: the detail pane leaves the window" % name, header)
            lx, ly, lw, lh = (int(v) for v in header["list-bounds"].split(","))
            nptest.check(lx >= 0 and lx + lw <= shown_w, "%s: the list leaves the window" % name, header)
            if folded == "1":
                nptest.check(lw >= shown_w - 2, "%s: the folded pane squeezes the list" % name, header)
            for cid in ("process", "rx-rate", "tx-rate"):
                nptest.check(cid in columns, "%s: no %s column shown" % (name, cid), columns)
                x, y, w, h = columns[cid]
                nptest.check(x >= lx and x + w <= lx + lw, "%s: the %s column is not inside the list"
                             % (name, cid), columns[cid], header["list-bounds"])
            print("# %s: pane %s, name, Download, Upload inside" % (name, "over the list" if folded == "1"
                                                                    else "beside the list"))
            keep = os.environ.get("NETPULSE_KEEP_SCREENSHOT_DIR")
            if keep and width == 360 and view == "applications":
                shutil.copyfile(shot, os.path.join(keep, "narrow-360.png"))


def check_screenshots(xvfb, tmp):
    shot, _ = run_app(xvfb, tmp, "applications-dark", ADW_DEBUG_COLOR_SCHEME="prefer-dark")
    check_not_blank(shot)
    shot, _ = run_app(xvfb, tmp, "connections", NETPULSE_VIEW="connections")
    check_not_blank(shot)


def main():
    if not APP or not SCHEMAS or not DATA:
        print("NETPULSE_APP, NETPULSE_SCHEMA_DIR and NETPULSE_TEST_DATA must be set (meson test)")
        return 1
    nptest.require(shutil.which("Xvfb") is not None, "needs Xvfb (package xvfb)")
    with tempfile.TemporaryDirectory(prefix="netpulse-gui-apps-") as tmp, npgui.Xvfb() as xvfb:
        try:
            check_applications(xvfb, tmp)
            check_expanded(xvfb, tmp)
            check_detail_unit(xvfb, tmp)
            check_local(xvfb, tmp)
            check_header_rates(xvfb, tmp)
            check_layout(xvfb, tmp)
            check_narrow(xvfb, tmp)
            check_screenshots(xvfb, tmp)
        except npgui.GuiError as e:
            nptest.check(False, str(e))
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
