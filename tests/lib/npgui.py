"""The real netpulse app under Xvfb, seen through its test hooks
(src/netpulse-test-hooks.h).  Shared by the replay GUI test
(tests/app/test-gui.py), the end-to-end app tests against the helper
(tests/helper/app_driver.py) and the app benchmark (bench/app.py).

Python 3 stdlib only (and nptest, next to it).  Errors raise GuiError; each caller turns it into its
own kind of failure.
"""

import ctypes
import ctypes.util
import os
import struct
import subprocess
import time
import urllib.parse
import zlib

from nptest import terminate


class GuiError(Exception):
    pass


# ---- the app's environment --------------------------------------------------

def app_env(base, display, schemas, runtime_dir, **extra):
    """@base (a dict, not changed) with what the app needs under Xvfb: X11
    with the cairo renderer (no GPU), the build's schemas with a memory
    backend, no accessibility bus, the C locale, and no session bus, so that
    GApplication runs as a plain instance and nothing tries to autolaunch
    one; the connection view (NETPULSE_VIEW), which most tests look at,
    unless @extra asks for the Applications view; local traffic and closed
    connections shown (NETPULSE_SETTINGS), as tests make loopback traffic
    and count closed rows.  @extra is added last."""
    env = dict(base)
    env.pop("WAYLAND_DISPLAY", None)
    env.update({
        "DISPLAY": display,
        "GDK_BACKEND": "x11",
        "GSK_RENDERER": "cairo",
        "GSETTINGS_SCHEMA_DIR": schemas,
        "GSETTINGS_BACKEND": "memory",
        "GTK_A11Y": "none",
        "NO_AT_BRIDGE": "1",
        "DBUS_SESSION_BUS_ADDRESS": "unix:path=" + os.path.join(runtime_dir, "no-session-bus"),
        "XDG_RUNTIME_DIR": runtime_dir,
        "LANGUAGE": "C",
        "LC_ALL": "C.UTF-8",
        "NETPULSE_VIEW": "connections",
        # Test traffic is loopback traffic, and tests count closed rows.
        "NETPULSE_SETTINGS": "include-local true;show-closed true",
    })
    env.update(extra)
    return env


# ---- the X server ---------------------------------------------------------

class Xvfb:
    """A private X server.  Without -auth it lets every local client in, so
    test users can connect too; -nolisten tcp keeps it on this machine."""

    def __enter__(self):
        read_fd, write_fd = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1400x900x24",
             "-nolisten", "tcp", "-noreset"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write_fd)
        with os.fdopen(read_fd) as f:
            number = f.readline().strip()
        if not number.isdigit():
            self.__exit__(None, None, None)
            raise GuiError("Xvfb did not start")
        self.display = ":" + number
        return self

    def __exit__(self, *exc):
        terminate(self.proc)
        return False


# ---- the view dump (NETPULSE_DUMP_VIEW) -----------------------------------

TEXT_KEYS = ("label", "tooltip", "shown", "ellipsized")


def read_dump(path):
    """(header, columns, rows): header merges the '# key=value' lines (the
    page line's title, button and banner unescaped); columns maps a column id to
    its (x, y, width, height) on screen; rows are (comm, pid, remote, rx,
    tx, state).  The label and tooltip lines are read by read_dump_texts."""
    header, columns, rows = {}, {}, []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(tuple("# %s=" % k for k in TEXT_KEYS)):
                continue
            # The Usage view's lines: read by their own readers.
            if line.startswith(("# history ", "# header-history ", "# app ", "# usage")):
                continue
            if line.startswith("# column "):
                _, _, cid, x, y, w, h = line.split(" ")
                columns[cid] = (int(x), int(y), int(w), int(h))
            elif line.startswith("# ") or line == "#":
                # ("#" alone: a line of bounds none of which is shown.)
                for word in line[2:].split(" "):
                    if not word:
                        continue
                    if "=" in word:
                        key, value = word.split("=", 1)
                        header[key] = value
                    else:
                        header["direction"] = word
            elif line:
                comm, pid, remote, rx, tx, state = line.split("\t")
                rows.append((comm, int(pid), remote, float(rx), float(tx), state))
    for key in ("title", "button", "banner", "toast", "instance", "details", "search", "empty-title",
                "toast-button", "export-name", "header-subtitle"):
        if key in header:
            header[key] = urllib.parse.unquote(header[key])
    return header, columns, rows


def read_dump_histories(path):
    """One (rx_bytes, tx_bytes, rx samples, tx samples) per row, in the
    order of read_dump's rows: what each row's sparkline draws."""
    histories = []
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("# history "):
                _, _, _, rx_bytes, tx_bytes, rx, tx = line.rstrip("\n").split(" ")
                histories.append((int(rx_bytes), int(tx_bytes),
                                  [float(v) for v in rx.split(",")], [float(v) for v in tx.split(",")]))
    return histories


def read_dump_header_history(path):
    """(store tick, rx samples, tx samples) that the header's graph
    draws, newest last."""
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("# header-history "):
                _, _, tick, rx, tx = line.rstrip("\n").split(" ")
                return int(tick), [float(v) for v in rx.split(",")], [float(v) for v in tx.split(",")]
    return None


def read_dump_apps(path):
    """{row index: (connections, kind, app id, name, shared scale)} of the
    application rows of the dump (the Applications view)."""
    apps = {}
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("# app "):
                _, _, index, n, kind, app_id, name, scale = line.rstrip("\n").split(" ")
                apps[int(index)] = (int(n), kind, urllib.parse.unquote(app_id),
                                    urllib.parse.unquote(name), float(scale))
    return apps


def read_dump_texts(path):
    """{'label': [...], 'tooltip': [...], 'shown': [...], 'ellipsized':
    [...]}: the text of every label and tooltip of the window, of the
    labels on screen now, and of those cut short, as GTK draws them
    (URI-unescaped)."""
    texts = {k: [] for k in TEXT_KEYS}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            for key in TEXT_KEYS:
                if line.startswith("# %s=" % key):
                    texts[key].append(urllib.parse.unquote(line.rstrip("\n").split("=", 1)[1], errors="strict"))
    return texts


# ---- the screenshot (NETPULSE_SCREENSHOT) ---------------------------------

def _unfilter(kind, line, prev, bpp):
    """Undoes one PNG scanline filter in place."""
    for i in range(len(line)):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + a) & 255
        elif kind == 2:
            line[i] = (line[i] + b) & 255
        elif kind == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif kind == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255


def png_pixels(path):
    """Decodes an 8-bit RGB/RGBA non-interlaced PNG: (width, height,
    bytes per pixel, rows)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise GuiError("%s is not a PNG" % path)
    pos, idat, width, height, bpp = 8, b"", None, None, None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace != 0:
                raise GuiError("unexpected PNG format depth=%d type=%d" % (depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if width is None:
        raise GuiError("%s has no IHDR" % path)
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        line = bytearray(raw[start + 1:start + 1 + stride])
        _unfilter(raw[start], line, prev, bpp)
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def check_not_blank(path, min_colours):
    """A real picture, not an empty window: at least 600x400 and
    @min_colours distinct colours (sampled every third pixel and row).
    Returns (width, height, colours)."""
    width, height, bpp, rows = png_pixels(path)
    if width < 600 or height < 400:
        raise GuiError("screenshot too small: %dx%d" % (width, height))
    colours = set()
    for row in rows[::3]:
        for x in range(0, width * bpp, bpp * 3):
            colours.add(row[x:x + 3])
    if len(colours) < min_colours:
        raise GuiError("the screenshot looks blank: %d distinct colours" % len(colours))
    return width, height, len(colours)


# ---- X11 input (XTest through ctypes) -------------------------------------

def _xtest_libraries():
    """(libX11, libXtst) through ctypes, their argument types set; None
    when they are not installed."""
    x11 = ctypes.util.find_library("X11")
    xtst = ctypes.util.find_library("Xtst")
    if not x11 or not xtst:
        return None
    libx11 = ctypes.CDLL(x11)
    libxtst = ctypes.CDLL(xtst)
    libx11.XOpenDisplay.restype = ctypes.c_void_p
    libx11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    libx11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    libx11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    libx11.XStringToKeysym.restype = ctypes.c_ulong
    libx11.XStringToKeysym.argtypes = [ctypes.c_char_p]
    libx11.XKeysymToKeycode.restype = ctypes.c_ubyte
    libx11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    libxtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                             ctypes.c_ulong]
    libxtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
    libxtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
    return libx11, libxtst


def _xtest_open(display):
    """((libX11, libXtst), the display) or (None, None); close the display
    with libX11.XCloseDisplay."""
    libs = _xtest_libraries()
    if libs is None:
        return None, None
    dpy = libs[0].XOpenDisplay(display.encode())
    return (libs, dpy) if dpy else (None, None)


def xtest_click(display, x, y, click=True, button=1, times=1):
    """Moves the pointer to (x, y) on the root window and clicks @button
    (1, or 4/5 for the wheel up/down) @times (with @click false, only moves
    it there).  False when libX11/libXtst or the display are not there."""
    libs, dpy = _xtest_open(display)
    if dpy is None:
        return False
    libx11, libxtst = libs
    try:
        libxtst.XTestFakeMotionEvent(dpy, -1, x, y, 0)
        libx11.XSync(dpy, 0)
        time.sleep(0.2)
        if not click:
            return True
        for _ in range(times):
            libxtst.XTestFakeButtonEvent(dpy, button, 1, 0)
            libxtst.XTestFakeButtonEvent(dpy, button, 0, 0)
            libx11.XSync(dpy, 0)
    finally:
        libx11.XCloseDisplay(dpy)
    return True


def xtest_keys(display, *keysyms):
    """Presses and releases each key (X keysym names: "a", "space",
    "Escape"), one after the other, as a keyboard would; the window under
    the pointer has the keyboard (no window manager).  False when
    libX11/libXtst or the display are not there."""
    libs, dpy = _xtest_open(display)
    if dpy is None:
        return False
    libx11, libxtst = libs
    try:
        for name in keysyms:
            keycode = libx11.XKeysymToKeycode(dpy, libx11.XStringToKeysym(name.encode()))
            if keycode == 0:
                raise GuiError("no key for the keysym %r" % name)
            libxtst.XTestFakeKeyEvent(dpy, keycode, 1, 0)
            libxtst.XTestFakeKeyEvent(dpy, keycode, 0, 0)
            libx11.XSync(dpy, 0)
    finally:
        libx11.XCloseDisplay(dpy)
    return True
