#!/usr/bin/env python3
"""Writes meta.json on stdout from the PL_* environment set by lib.sh (pl_write_meta)."""
import json
import os
import platform
import subprocess


def version(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=5)
        return ((p.stdout or p.stderr).strip().splitlines() or [""])[0]
    except (OSError, subprocess.TimeoutExpired):
        return None


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


env = os.environ
namespaces = {}
for line in env.get("PL_META_ROLES", "").splitlines():
    if "=" in line:
        ns, role = line.split("=", 1)
        namespaces[ns] = role
procs = []
for line in env.get("PL_META_PIDS", "").splitlines():
    parts = line.split(" ", 2)
    if len(parts) == 3:
        procs.append({"pid": int(parts[0]), "name": parts[1], "netns": parts[2]})
meta = {
    "scenario": env["PL_SCENARIO"],
    "description": env.get("PL_DESC", ""),
    "run_id": env.get("PL_RUNID"),
    "node_netns": env.get("PL_NODE"),
    "namespaces": namespaces,
    "node_interfaces": env.get("PL_META_IFACES", "").split(),
    "run_start": num(env.get("PL_START")),
    "traffic_start": num(env.get("PL_TRAFFIC_START")),
    "traffic_end": num(env.get("PL_TRAFFIC_END")),
    "trace_enabled": env.get("PL_TRACE_RULES") == "1",
    "xtables_monitor_enobufs": env.get("PL_XTM_ENOBUFS") == "1",
    "xtables_monitor_rcvbuf_shim": env.get("PL_XTM_SHIM_USED") == "1",
    "kernel": platform.release(),
    "tools": {
        "iptables": version(["iptables", "--version"]),
        "nft": version(["nft", "--version"]),
        "conntrack": version(["conntrack", "--version"]),
        "tcpdump": version(["tcpdump", "--version"]),
        "dumpcap": version(["dumpcap", "--version"]),
        "ip": version(["ip", "-V"]),
        "xtables-monitor": version(["xtables-monitor", "--version"]),
        "python3": platform.python_version(),
    },
    "processes": procs,
    "notes": [n for n in env.get("PL_META_NOTES", "").splitlines() if n],
}
print(json.dumps(meta, indent=1))
