#!/usr/bin/env python3
"""UDP client: sends COUNT requests from one socket and prints one JSON line per answer.

usage: udp_client.py DST PORT [--sport N] [--count N] [--timeout S] [--interval S]
"""
import argparse
import json
import socket
import time

ap = argparse.ArgumentParser()
ap.add_argument("dst")
ap.add_argument("port", type=int)
ap.add_argument("--sport", type=int, default=0)
ap.add_argument("--count", type=int, default=3)
ap.add_argument("--timeout", type=float, default=1.0)
ap.add_argument("--interval", type=float, default=0.0)
ap.add_argument("--src", default="")
a = ap.parse_args()
fam = socket.AF_INET6 if ":" in a.dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((a.src or ("::" if fam == socket.AF_INET6 else "0.0.0.0"), a.sport))
s.settimeout(a.timeout)
ok = 0
for i in range(a.count):
    msg = f"req-{i}".encode()
    t0 = time.time()
    s.sendto(msg, (a.dst, a.port))
    rec = {"i": i, "sent": msg.decode()}
    try:
        data, peer = s.recvfrom(65535)
        rec.update(reply=data.decode(errors="replace"), frm=f"{peer[0]}:{peer[1]}",
                   rtt_ms=round((time.time() - t0) * 1000, 3))
        ok += 1
    except (socket.timeout, ConnectionRefusedError) as e:
        rec["error"] = type(e).__name__
    print(json.dumps(rec), flush=True)
    if a.interval:
        time.sleep(a.interval)
raise SystemExit(0 if ok == a.count else 1)
