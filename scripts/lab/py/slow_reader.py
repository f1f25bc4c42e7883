#!/usr/bin/env python3
"""HTTP GET with a tiny receive buffer that stops reading for --stall seconds (zero window).

usage: slow_reader.py HOST PORT PATH [--sport N] [--rcvbuf BYTES] [--stall S]
"""
import argparse
import json
import socket
import time

ap = argparse.ArgumentParser()
ap.add_argument("host")
ap.add_argument("port", type=int)
ap.add_argument("path")
ap.add_argument("--sport", type=int, default=0)
ap.add_argument("--rcvbuf", type=int, default=4096)
ap.add_argument("--stall", type=float, default=3.0)
a = ap.parse_args()
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)  # before connect: sets the window scale
s.bind(("0.0.0.0", a.sport))
s.connect((a.host, a.port))
s.sendall(f"GET {a.path} HTTP/1.1\r\nHost: {a.host}\r\nConnection: close\r\n\r\n".encode())
time.sleep(a.stall)  # read nothing: the receive queue fills, the window goes to zero
got = 0
s.settimeout(2)
try:
    while got < 65536:
        b = s.recv(65536)
        if not b:
            break
        got += len(b)
except socket.timeout:
    pass
s.close()  # unread data: the kernel sends RST
print(json.dumps({"received_after_stall": got}))
