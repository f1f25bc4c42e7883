#!/usr/bin/env python3
"""DNS client in the style of glibc: A and AAAA for one name from ONE UDP socket.

--parallel N bursts: two threads released by a barrier send A and AAAA at the same time
(the same 5-tuple: two packets may race to create the conntrack entry -> clash).
--sequential N bursts: both queries back to back from one thread.
Each burst uses a new socket (new source port). One JSON line per query to --out.
usage: dns_burst.py SERVER [--parallel N] [--sequential N] [--name NAME] [--out FILE]
"""
import argparse
import json
import random
import socket
import struct
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("server")
ap.add_argument("--parallel", type=int, default=50)
ap.add_argument("--sequential", type=int, default=20)
ap.add_argument("--name", default="svc.lab.test")
ap.add_argument("--out", default="/dev/null")
a = ap.parse_args()


def query(qid, qtype):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in a.name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", qtype, 1)


def answers(resp):
    qid, _flags, _qd, an = struct.unpack("!HHHH", resp[:8])
    return qid, an


results = []
lock = threading.Lock()


def one(sock, qtype, barrier, burst, mode):
    qid = random.randint(0, 65535)
    if barrier:
        barrier.wait()
    t0 = time.time()
    sock.sendto(query(qid, qtype), (a.server, 53))
    rec = {"burst": burst, "mode": mode, "qtype": "A" if qtype == 1 else "AAAA", "sport": sock.getsockname()[1]}
    with lock:
        results.append(rec)
    return qid, t0


ok = 0
for mode, n in (("parallel", a.parallel), ("sequential", a.sequential)):
    for burst in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", 0))
        s.settimeout(0.5)
        if mode == "parallel":
            b = threading.Barrier(2)
            ts = [threading.Thread(target=one, args=(s, t, b, burst, mode)) for t in (1, 28)]
            [t.start() for t in ts]
            [t.join() for t in ts]
        else:
            one(s, 1, None, burst, mode)
            one(s, 28, None, burst, mode)
        got = 0
        try:
            for _ in range(2):
                resp = s.recv(512)
                got += 1
        except socket.timeout:
            pass
        ok += got
        s.close()
with open(a.out, "w") as f:
    for r in results:
        f.write(json.dumps(r) + "\n")
print(json.dumps({"queries": len(results), "answers": ok}))
