#!/usr/bin/env python3
"""Tiny HTTP/1.1 server for the lab: `/` answers "hello from NAME", `/bytes/N` N bytes.

usage: httpd.py ADDR PORT NAME    (access log on stderr; IPv6 when ADDR contains ':')
"""
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

addr, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so one connection can carry 2 requests

    def do_GET(self):
        if self.path.startswith("/bytes/"):
            body = b"x" * int(self.path.split("/")[2])
        elif self.path.startswith("/slow/"):
            # /slow/N: the server sends N bytes but the client may not read (zero-window).
            body = b"y" * int(self.path.split("/")[2])
        else:
            body = f"hello from {name}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s:%s %s\n" % (self.log_date_time_string(), self.client_address[0],
                                            self.client_address[1], fmt % args))
        sys.stderr.flush()


class Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    allow_reuse_address = True
    daemon_threads = True


Server((addr, port), Handler).serve_forever()
