#!/usr/bin/env python3
"""The selection stays on its connection while the list re-sorts.

The connection view's positions keep their widgets when rows move
(src/netpulse-row-slots.h), so the selection, which GtkSingleSelection
keeps by position, is moved by the window to where its row went.  The real
app under Xvfb, fed a recording written here, sorted by download rate, the
top row selected at the second tick (NETPULSE_SELECT_ROW=0,
NETPULSE_SELECT_AT_TICK=2):
  1. follows: the selected connection falls from first to fifth place
     (one new connection above it, three pass it), and the list grows by
     one row; at the end the selection is on that connection's row, and the
     detail pane still shows it.
  2. the same recording in the Applications view (a tree): the selection
     follows its application.
  3. leaves: the selected connection closes, fades and leaves the list;
     then nothing is selected and the detail pane is closed.

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
from npgui import read_dump  # noqa: E402

APP = os.environ.get("NETPULSE_APP")
SCHEMAS = os.environ.get("NETPULSE_SCHEMA_DIR")
T0 = 1732370000000000000
SECOND = 1000000000
TICKS = 11
INTERVAL_MS = 150
SELECTED = "10.0.0.1:443"


def record(tick, conn_id, rate, total, closed=False):
    return {"ts_ns": T0 + tick * SECOND, "id": conn_id, "pid": 2000 + conn_id, "comm": "app%d" % conn_id,
            "uid": 1000, "proto": "tcp", "family": 4, "laddr": "192.168.1.23", "lport": 40000 + conn_id,
            "raddr": "10.0.0.%d" % conn_id, "rport": 443, "state": "CLOSE" if closed else "ESTABLISHED",
            "tx_bytes": 100, "rx_bytes": total, "tx_packets": 1, "rx_packets": 1, "tx_rate": 0.0,
            "rx_rate": float(rate), "rtt_us": 1000, "retrans": 0, "cgroup_id": 1, "netns": 4026531840,
            "first_seen_ns": T0 - SECOND, "last_seen_ns": T0 + tick * SECOND, "closed": closed,
            "partial": False, "per_peer": False}


def write_recording(path, rates_at, closes_at=None):
    """rates_at(tick) -> {id: download rate}; every connection changes in
    every tick (its total grows by its rate) until it closes."""
    totals = {}
    with open(path, "w") as f:
        for tick in range(TICKS):
            for conn_id, rate in sorted(rates_at(tick).items()):
                if closes_at is not None and conn_id == 1 and tick > closes_at:
                    continue
                totals[conn_id] = totals.get(conn_id, 0) + rate
                closed = closes_at is not None and conn_id == 1 and tick == closes_at
                f.write(json.dumps(record(tick, conn_id, rate, totals[conn_id], closed)) + "\n")


def run(xvfb, tmp, name, recording, view="connections"):
    dump = os.path.join(tmp, name + ".txt")
    env = npgui.app_env(os.environ, xvfb.display, SCHEMAS, tmp, NETPULSE_DUMP_VIEW=dump, NETPULSE_VIEW=view,
                        NETPULSE_SCREENSHOT=os.path.join(tmp, name + ".png"), NETPULSE_EXIT_AFTER_SCREENSHOT="1",
                        NETPULSE_SELECT_ROW="0", NETPULSE_SELECT_AT_TICK=str(SELECT_AT),
                        # the dump after the last tick
                        NETPULSE_SCREENSHOT_DELAY_MS=str(TICKS * INTERVAL_MS + 1500))
    proc = subprocess.run([APP, "--replay", recording, "--replay-interval", str(INTERVAL_MS), "--sort", "rx-rate"],
                          env=env, timeout=90, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    nptest.check(proc.returncode == 0 and os.path.exists(dump), "%s: netpulse exited with %d" % (name, proc.returncode),
                 proc.stdout)
    nptest.check("CRITICAL" not in proc.stdout, "%s: netpulse logged criticals" % name, proc.stdout)
    return read_dump(dump)


# The top row is selected at the store's second tick, the order changes at
# the recording's fourth.
SELECT_AT = 2
CHANGE_AT = 3


def follows_rates(tick):
    if tick < CHANGE_AT:
        return {1: 50000, 2: 40000, 3: 30000, 4: 20000, 5: 10000}
    # A new connection on top, three pass the selected one, one stays below.
    return {1: 15000, 2: 40000, 3: 30000, 4: 20000, 5: 10000, 6: 90000}


def check_follows(xvfb, tmp):
    recording = os.path.join(tmp, "follows.jsonl")
    write_recording(recording, follows_rates)
    header, _, rows = run(xvfb, tmp, "follows", recording)
    remotes = [r[2] for r in rows]
    nptest.check(len(rows) == 6, "expected 6 rows", rows)
    nptest.check(remotes.index(SELECTED) == 4, "the selected connection is not fifth by download rate", remotes)
    nptest.check(header.get("selected") == "4",
                 "the selection stayed at its position instead of following its connection to row 4",
                 header, remotes)
    nptest.check(header.get("detail-remote") == SELECTED and header.get("detail-shown") == "1",
                 "the detail pane does not show the selected connection", header)
    print("follows: the selection moved with its connection from row 0 to row 4")


def check_leaves(xvfb, tmp):
    recording = os.path.join(tmp, "leaves.jsonl")
    # Closed after the selection, it fades for 5 s of recorded time and leaves.
    write_recording(recording, lambda tick: {1: 50000, 2: 40000, 3: 30000}, closes_at=CHANGE_AT)
    header, _, rows = run(xvfb, tmp, "leaves", recording)
    remotes = [r[2] for r in rows]
    nptest.check(SELECTED not in remotes and len(rows) == 2, "the closed connection did not leave", remotes)
    nptest.check(header.get("selected") == "none", "a row is still selected after its connection left", header)
    nptest.check(header.get("detail-shown") == "0" and header.get("detail-remote") == "-",
                 "the detail pane still shows a connection that left", header)
    print("leaves: nothing selected, the detail pane closed")


def check_applications(xvfb, tmp):
    """The same in the Applications view (a tree: the selected application
    is expanded by the hooks, its process below it)."""
    recording = os.path.join(tmp, "applications.jsonl")
    write_recording(recording, follows_rates)
    header, _, rows = run(xvfb, tmp, "applications", recording, view="applications")
    names = [r[0] for r in rows]
    nptest.check(header.get("view") == "applications", "not the Applications view", header)
    nptest.check("app1" in names and names.index("app1") == 4, "app1 is not the fifth application", names)
    nptest.check(header.get("selected") == "4",
                 "the selection did not follow its application to row 4", header, names)
    nptest.check(header.get("detail-comm") == "app1" and header.get("detail-shown") == "1",
                 "the detail pane does not show the selected application", header)
    print("applications: the selection moved with its application from row 0 to row 4")


def main():
    nptest.require(shutil.which("Xvfb") is not None, "Xvfb is not installed")
    nptest.require(APP and SCHEMAS, "NETPULSE_APP and NETPULSE_SCHEMA_DIR not set")
    with tempfile.TemporaryDirectory(prefix="netpulse-selection-") as tmp, npgui.Xvfb() as x:
        os.chmod(tmp, 0o700)
        check_follows(x, tmp)
        check_applications(x, tmp)
        check_leaves(x, tmp)
    print("OK")


if __name__ == "__main__":
    sys.exit(main())
