#!/usr/bin/env python3
"""Checks the translation setup:
  - POTFILES.in is sorted, lists only existing files, and lists every
    source file with translatable strings (C: _( N_( C_( g_dngettext(;
    .ui: translatable="yes"; desktop/metainfo/gschema/policy sources);
  - the .pot the build generated holds the app's strings;
  - every language in LINGUAS has a .po that msgfmt --check accepts, with
    the app's main strings translated.
"""
import os
import re
import subprocess
import sys

SRC = os.environ["NETPULSE_SOURCE_ROOT"]
PO = os.path.join(SRC, "po")
POT = sys.argv[1]
failures = []


def fail(message):
    failures.append(message)


def listed():
    with open(os.path.join(PO, "POTFILES.in")) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def translatable(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return False
    if path.endswith(".c"):
        return re.search(r'\b(_|N_|C_|NC_|g_dngettext)\s*\(\s*"', text) is not None
    if path.endswith(".ui"):
        return 'translatable="yes"' in text
    if path.endswith((".desktop.in", ".metainfo.xml.in", ".gschema.xml", ".policy.in")):
        return True
    return False


files = listed()
if files != sorted(files):
    fail("POTFILES.in is not sorted")
for name in files:
    if not os.path.exists(os.path.join(SRC, name)):
        fail("POTFILES.in lists %s, which does not exist" % name)

for top in ("common", "src", "helper", "tools", "data"):
    for root, dirs, names in os.walk(os.path.join(SRC, top)):
        for name in names:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, SRC)
            if translatable(path) and rel not in files:
                fail("%s has translatable strings but is not in POTFILES.in" % rel)

with open(POT, encoding="utf-8") as f:
    pot = f.read()
for needle in ('msgid "No Network Activity"', 'msgid "Authorization Required"',
               'msgid "Network Monitor"', 'msgid "Show closed connections"'):
    if needle not in pot:
        fail("the generated .pot lacks %s" % needle)

with open(os.path.join(PO, "LINGUAS")) as f:
    languages = [l.strip() for l in f if l.strip() and not l.startswith("#")]
if not languages:
    fail("LINGUAS lists no language")
for lang in languages:
    po = os.path.join(PO, lang + ".po")
    proc = subprocess.run(["msgfmt", "--check", "--statistics", "-o", os.devnull, po],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        fail("%s.po: msgfmt --check failed:\n%s" % (lang, proc.stdout))
    print("%s: %s" % (lang, proc.stdout.strip()))
    with open(po, encoding="utf-8") as f:
        text = f.read()
    if 'msgid "No Network Activity"\nmsgstr ""' in text:
        fail("%s.po leaves the app's strings untranslated" % lang)

for message in failures:
    print("FAIL: " + message, file=sys.stderr)
sys.exit(1 if failures else 0)
