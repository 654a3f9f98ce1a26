#!/usr/bin/env python3
"""The window draws when something changed, not sixty times a second.

The real app under Xvfb, fed a generated recording (bench/gen-replay.py:
40 connections in 4 applications, every one changing once a second), with
bench/np-frame-stats.so preloaded: it writes a line per frame the frame
clock paints and per update of the data source (see its header).  In each
view (Connections, Applications, Usage) the frames from the third update (the first ones
create the rows) to the last are counted.  An update redraws its rows, and a sparkline
or a fading row may ask for a few more frames; an animation that runs for
nothing (a spinner spinning on a hidden page kept the frame clock at 60
frames a second: 56 frames per update) fails.

Python 3 stdlib only.  Skips (77) without Xvfb, fails instead under CI=true.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import nptest  # noqa: E402
import npgui  # noqa: E402

APP = os.environ.get("NETPULSE_APP")
SCHEMAS = os.environ.get("NETPULSE_SCHEMA_DIR")
FRAME_STATS = os.environ.get("NETPULSE_FRAME_STATS")
GEN_REPLAY = os.path.join(HERE, "..", "..", "bench", "gen-replay.py")
TICKS = 8
# Frames per update, at most: one for the update's rows, and room for the
# few that sparklines and fading rows ask for (seen: 1 to 2).
MAX_FRAMES_PER_UPDATE = 6


def read_stats(path):
    frames, updates = [], []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] == "F":
                frames.append(int(parts[1]))
            elif parts and parts[0] == "U":
                updates.append(int(parts[1]))
    return frames, updates


def preload():
    """np-frame-stats.so, after the AddressSanitizer runtime when the app
    has one: ASan aborts a process whose first library is not its own."""
    out = subprocess.run(["ldd", APP], capture_output=True, text=True).stdout
    asan = [line.split("=>")[1].split()[0] for line in out.splitlines()
            if "libasan.so" in line and "=>" in line]
    return " ".join(asan[:1] + [FRAME_STATS])


def frames_per_update(display, tmp, replay, view):
    stats = os.path.join(tmp, view + ".stats")
    env = npgui.app_env(os.environ, display, SCHEMAS, tmp, NETPULSE_VIEW=view,
                        LD_PRELOAD=preload(), NP_FRAME_STATS=stats)
    with open(os.path.join(tmp, view + ".log"), "w") as log:
        proc = subprocess.Popen([APP, "--replay", replay, "--replay-interval", "1000"],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30 + 2 * TICKS
        while True:
            if proc.poll() is not None:
                nptest.check(False, "%s view: the app exited with %d" % (view, proc.returncode))
            if time.monotonic() > deadline:
                nptest.check(False, "%s view: not all %d updates came" % (view, TICKS))
            time.sleep(0.2)
            if os.path.exists(stats) and len(read_stats(stats)[1]) >= TICKS:
                break
    finally:
        nptest.terminate(proc)
    frames, updates = read_stats(stats)
    # From the third update on: the first ones create the rows, and the
    # overlay scrollbars that appear with them fade out over a second.
    span = [t for t in frames if updates[2] <= t < updates[-1]]
    per_update = len(span) / (len(updates) - 3)
    print("%s view: %d frames over %d updates (%.1f per update)" % (
        view, len(span), len(updates) - 3, per_update))
    return per_update


def main():
    nptest.require(shutil.which("Xvfb") is not None, "Xvfb is not installed")
    nptest.require(APP and SCHEMAS and FRAME_STATS and os.path.exists(FRAME_STATS),
                   "NETPULSE_APP, NETPULSE_SCHEMA_DIR, NETPULSE_FRAME_STATS not set")
    with tempfile.TemporaryDirectory(prefix="netpulse-frames-") as tmp, npgui.Xvfb() as x:
        os.chmod(tmp, 0o700)
        replay = os.path.join(tmp, "replay.jsonl")
        subprocess.run([sys.executable, GEN_REPLAY, replay, "40", str(TICKS), "4"], check=True)
        failed = []
        for view in ("connections", "applications", "usage"):
            per_update = frames_per_update(x.display, tmp, replay, view)
            if per_update > MAX_FRAMES_PER_UPDATE:
                failed.append("%s: %.1f frames per update" % (view, per_update))
        nptest.check(not failed, "the window draws more than %d frames per update: %s" % (
            MAX_FRAMES_PER_UPDATE, "; ".join(failed)))
    print("OK")


if __name__ == "__main__":
    sys.exit(main())
