#!/usr/bin/env python3
"""Opens a TCP connection and reports what happened (connected/refused/timeout) as JSON.

usage: tcp_connect.py DST PORT [--sport N] [--timeout S] [--send BYTES] [--eof] [--hold S] [--src ADDR]
--send takes backslash escapes (\r\n); --eof reads until the server closes, so that the
server is the side that closes first (and keeps the TIME_WAIT).
"""
import argparse
import json
import socket
import time

ap = argparse.ArgumentParser()
ap.add_argument("dst")
ap.add_argument("port", type=int)
ap.add_argument("--sport", type=int, default=0)
ap.add_argument("--src", default="")
ap.add_argument("--timeout", type=float, default=3.0)
ap.add_argument("--send", default="")
ap.add_argument("--hold", type=float, default=0.0)
ap.add_argument("--eof", action="store_true")
a = ap.parse_args()
fam = socket.AF_INET6 if ":" in a.dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if a.sport or a.src:
    s.bind((a.src or ("::" if fam == socket.AF_INET6 else "0.0.0.0"), a.sport))
s.settimeout(a.timeout)
t0 = time.time()
res = {"dst": f"{a.dst}:{a.port}", "sport": a.sport}
try:
    s.connect((a.dst, a.port))
    res["result"] = "connected"
    res["local"] = "%s:%s" % s.getsockname()[:2]
    if a.send:
        s.sendall(a.send.encode().decode("unicode_escape").encode())
        try:
            got = len(s.recv(65535))
            while a.eof:
                b = s.recv(65535)
                if not b:
                    break
                got += len(b)
            res["received"] = got
        except socket.timeout:
            res["received"] = "timeout"
    if a.hold:
        time.sleep(a.hold)
except ConnectionRefusedError:
    res["result"] = "refused"
except socket.timeout:
    res["result"] = "timeout"
except OSError as e:
    res["result"] = f"error: {e}"
res["elapsed_s"] = round(time.time() - t0, 3)
s.close()
print(json.dumps(res))
raise SystemExit(0 if res["result"] == "connected" else 1)
