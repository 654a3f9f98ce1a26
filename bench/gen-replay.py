#!/usr/bin/env python3
"""Writes a recorded stream for `netpulse --replay`: CONNS connections, every
one of them changing in every one of TICKS ticks one second apart (JSON
lines in the format of netpulse_record_append_json(), tick by tick).

Usage: gen-replay.py OUT CONNS TICKS [APPS]

Deterministic (fixed seed), so that runs compare.  Connections belong to
CONNS/50 processes (at least APPS) with a handful of command names, mix
TCP/UDP and IPv4/IPv6, and their rates change every tick so that a sort by
rate reorders the table every second.  With APPS, process P belongs to the
desktop application "io.github.netpulse.Bench<P % APPS>" (the Applications
view then has APPS rows); without, records carry no application id and
the view groups by command name.
"""

import json
import random
import sys

COMMS = ["firefox-esr", "chromium", "thunderbird", "syncthing", "ssh", "curl", "transmission-gt",
         "spotify", "python3", "node", "apt", "dnsmasq", "chronyd", "evolution", "steam"]
START_NS = 1_700_000_000_000_000_000


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    out_path, conns, ticks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    apps = int(sys.argv[4]) if len(sys.argv) == 5 else 0
    rng = random.Random(20241123)
    procs = max(1, conns // 50, apps)
    conn = []
    for i in range(conns):
        p = i % procs
        v6 = i % 5 == 0
        udp = i % 7 == 0
        conn.append({
            "id": 1000 + i,
            "pid": 2000 + p,
            "comm": COMMS[p % len(COMMS)],
            "uid": 1000 + (p % 3),
            "proto": "udp" if udp else "tcp",
            "family": 6 if v6 else 4,
            "laddr": "2001:db8::%x" % (1 + p % 200) if v6 else "10.0.%d.%d" % (p % 250, 1 + i % 250),
            "lport": 30000 + i % 30000,
            "raddr": "2001:db8:1::%x" % (1 + i) if v6 else "192.0.%d.%d" % ((i // 250) % 250, 1 + i % 250),
            "rport": rng.choice([443, 80, 22, 53, 993, 5222, 8080]),
            "state": "" if udp else "ESTABLISHED",
            "tx": 0, "rx": 0, "txp": 0, "rxp": 0,
            "cgroup_id": 4000 + p,
            "rtt": 0 if udp else rng.randint(200, 90000),
            "app_id": "io.github.netpulse.Bench%03d" % (p % apps) if apps else "",
            "app_kind": "desktop" if apps else "process",
        })
    with open(out_path, "w") as f:
        for t in range(ticks):
            ts = START_NS + t * 1_000_000_000
            for c in conn:
                dtx = rng.randint(1, 50_000)
                drx = rng.randint(1, 500_000)
                c["tx"] += dtx
                c["rx"] += drx
                c["txp"] += 1 + dtx // 1400
                c["rxp"] += 1 + drx // 1400
                record = {
                    "ts_ns": ts, "id": c["id"], "pid": c["pid"], "comm": c["comm"], "uid": c["uid"],
                    "proto": c["proto"], "family": c["family"], "laddr": c["laddr"], "lport": c["lport"],
                    "raddr": c["raddr"], "rport": c["rport"], "state": c["state"],
                    "tx_bytes": c["tx"], "rx_bytes": c["rx"], "tx_packets": c["txp"], "rx_packets": c["rxp"],
                    "tx_rate": float(dtx), "rx_rate": float(drx), "rtt_us": c["rtt"], "retrans": 0,
                    "cgroup_id": c["cgroup_id"], "netns": 4026531840,
                    "first_seen_ns": START_NS - 10_000_000_000, "last_seen_ns": ts,
                    "closed": False, "partial": False, "per_peer": False,
                }
                if c["app_id"]:
                    record["app_id"] = c["app_id"]
                    record["app_kind"] = c["app_kind"]
                f.write(json.dumps(record, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
