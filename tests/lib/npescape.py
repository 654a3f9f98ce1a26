"""What common/netpulse-text.h does to text from outside, written again
for the tests that look at real output (the app's view dump and exports,
netpulsectl's table and JSON lines).  Python 3 stdlib only.

- unsafe(ch): C0, DEL, C1, the format characters (bidi controls,
  zero-width, tags), U+2028/U+2029 and the Hangul fillers.
- first_unsafe(text, allowed): the first of them in @text, if any.
- shown(name): @name as a person is shown it ("\\e", "\\x7f", "\\u{202e}").
- HOSTILE_NAMES: the process names of issue 9, each at most the 15 bytes
  the kernel keeps.
"""

import unicodedata

BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
FILLERS = {0x115F, 0x1160, 0x3164, 0xFFA0}
NAMED = {0x07: "a", 0x08: "b", 0x09: "t", 0x0A: "n", 0x0B: "v", 0x0C: "f", 0x0D: "r", 0x1B: "e"}

# The terminal's title, a cleared screen in red, forged rows, backspaces
# and DEL, C1 CSIs (U+009B), a bidi override ("exe.jpg"), isolates and
# marks, zero-width and a line separator.
HOSTILE_NAMES = [
    "\x1b]0;PWNED\x07",
    "\x1b[2J\x1b[31mRED",
    "ab\nFAKE\n1.2.3.4",
    "ok\b\b\bno\x7f",
    "c1\x9b2J\x9b31m",
    "np\u202egpj.exe",
    "\u2066x\u2069\u200f\u061c",
    "fire\u200bfox\u2028",
]


def unsafe(ch):
    c = ord(ch)
    return (c < 0x20 or 0x7F <= c < 0xA0 or c in BIDI or c in FILLERS
            or unicodedata.category(ch) in ("Cf", "Zl", "Zp"))


def first_unsafe(text, allowed=""):
    return next((ch for ch in text if ch not in allowed and unsafe(ch)), None)


def describe(ch):
    return "U+%04X" % ord(ch) if ch is not None else "nothing"


def shown(name):
    out = []
    for ch in name:
        c = ord(ch)
        if not unsafe(ch):
            out.append(ch)
        elif c in NAMED:
            out.append("\\" + NAMED[c])
        elif c < 0x80:
            out.append("\\x%02x" % c)
        else:
            out.append("\\u{%x}" % c)
    return "".join(out)
