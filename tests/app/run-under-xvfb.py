#!/usr/bin/env python3
"""Runs a test program (the arguments) with DISPLAY on a private Xvfb, the
way the app runs in tests: X11, the cairo renderer, no accessibility bus.
Exits with the program's status.  Skips (77) without Xvfb, fails instead
under CI=true."""

import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import nptest  # noqa: E402
import npgui  # noqa: E402


def main():
    nptest.require(shutil.which("Xvfb") is not None, "Xvfb is not installed")
    with tempfile.TemporaryDirectory(prefix="netpulse-xvfb-") as tmp, npgui.Xvfb() as x:
        os.chmod(tmp, 0o700)
        env = npgui.app_env(os.environ, x.display, os.environ.get("NETPULSE_SCHEMA_DIR", ""), tmp)
        return subprocess.run(sys.argv[1:], env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
