#!/usr/bin/env python3
"""topology.json: `ip -j link/addr/route/neigh` of every namespace of the run, with its role.

usage: topology.py OUT NS=ROLE...
"""
import json
import subprocess
import sys


def ipj(ns, *args):
    p = subprocess.run(["ip", "-n", ns, "-j", *args], capture_output=True, text=True)
    try:
        return json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else []
    except json.JSONDecodeError:
        return []


out = {}
for pair in sys.argv[2:]:
    ns, role = pair.split("=", 1)
    out[ns] = {"role": role, "link": ipj(ns, "link"), "addr": ipj(ns, "addr"),
               "route": ipj(ns, "route", "show", "table", "all"),
               "route6": ipj(ns, "-6", "route", "show", "table", "all"), "neigh": ipj(ns, "neigh")}
with open(sys.argv[1], "w") as f:
    json.dump(out, f, indent=1)
