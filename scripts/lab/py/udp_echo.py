#!/usr/bin/env python3
"""UDP echo server: answers b"echo:" + payload. usage: udp_echo.py ADDR PORT NAME"""
import socket
import sys

addr, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
while True:
    data, peer = s.recvfrom(65535)
    sys.stderr.write(f"{name} from {peer[0]}:{peer[1]} {data[:40]!r}\n")
    sys.stderr.flush()
    s.sendto(b"echo:" + data, peer)
