#!/usr/bin/env python3
"""Crafted TCP segments through a raw socket (the kernel adds the IPv4 header).

usage: inject.py SRC DST SPORT DPORT FLAGS [--seq N] [--ack N] [--count N] [--gap S] [--payload TEXT]
FLAGS: letters of F S R P A U (e.g. SA for an unsolicited SYN/ACK, R for a bare RST).
With --iface IF --dst-mac MAC the whole Ethernet frame is built and sent with AF_PACKET:
that is how a neighbour sends a packet to 127.0.0.1 (loopback-martian), which its own
kernel would never route out of an interface.
Used to make packets conntrack calls INVALID (no connection, bad flag combination,
out of window). Prints one JSON line per segment sent.
"""
import argparse
import json
import socket
import struct
import time

ap = argparse.ArgumentParser()
ap.add_argument("src")
ap.add_argument("dst")
ap.add_argument("sport", type=int)
ap.add_argument("dport", type=int)
ap.add_argument("flags")
ap.add_argument("--seq", type=int, default=1000)
ap.add_argument("--ack", type=int, default=0)
ap.add_argument("--count", type=int, default=1)
ap.add_argument("--gap", type=float, default=0.05)
ap.add_argument("--payload", default="")
ap.add_argument("--window", type=int, default=64240)
ap.add_argument("--iface", default="")
ap.add_argument("--dst-mac", default="")
a = ap.parse_args()

BITS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20}


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def segment(seq: int) -> bytes:
    flags = 0
    for ch in a.flags.upper():
        flags |= BITS[ch]
    payload = a.payload.encode()
    hdr = struct.pack("!HHIIBBHHH", a.sport, a.dport, seq & 0xFFFFFFFF, a.ack & 0xFFFFFFFF,
                      5 << 4, flags, a.window, 0, 0)
    pseudo = socket.inet_aton(a.src) + socket.inet_aton(a.dst) + struct.pack("!BBH", 0, 6, len(hdr) + len(payload))
    c = csum(pseudo + hdr + payload)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload


def frame(seg: bytes, ident: int) -> bytes:
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), ident, 0x4000, 64, 6, 0,
                     socket.inet_aton(a.src), socket.inet_aton(a.dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    src_mac = open(f"/sys/class/net/{a.iface}/address").read().strip()
    mac = lambda m: bytes(int(x, 16) for x in m.split(":"))  # noqa: E731
    return mac(a.dst_mac) + mac(src_mac) + b"\x08\x00" + ip + seg


if a.iface:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    s.bind((a.src, 0))
for i in range(a.count):
    seq = a.seq + i * max(1, len(a.payload))
    if a.iface:
        s.send(frame(segment(seq), 0x1000 + i))
    else:
        s.sendto(segment(seq), (a.dst, 0))
    print(json.dumps({"sent": a.flags, "src": f"{a.src}:{a.sport}", "dst": f"{a.dst}:{a.dport}",
                      "seq": seq, "ack": a.ack, "ts": time.time()}), flush=True)
    if i + 1 < a.count:
        time.sleep(a.gap)
