#!/usr/bin/env python3
"""Builds truth.json for one lab run, from kernel outputs only.

usage: truth.py OUTDIR

Sources (all written by the kernel or by the kernel's own tools, never by pathlens):
  flows     conntrack-ext.log (`conntrack -E -o timestamp,extended,id`), one flow per
            conntrack id (`id#n` when the kernel reuses an id after DESTROY); final state
            and counters from conntrack-table.txt (`conntrack -L -o extended,id`) or from
            the DESTROY event.
  packets   trace.log (`xtables-monitor --trace`), split into hook traversals; ICMP
            type/code from trace-nft.log (`nft monitor trace`, same trace ids). When
            trace.log is empty or truncated, trace-nft.log is parsed instead.
  routes    route-get.json (`ip -j -d route get`).
  counters  conntrack-stats.txt (`conntrack -S`/`-C` before and after), iptables-save.txt
            and ip6tables-save.txt (`-c`: per-rule packet/byte counters).
  capture   capture.pcap (packet socket): record count, link type, ICMP errors, TCP
            SYN/RST tallies.
  expect    expect.json: statements the scenario makes about the kernel's behaviour,
            each checked here against the data above (see check_expect for the kinds).

The schema follows the reference lab's gt-lab-truth/1 (see /work/shared/lab/README.md);
the id is "pl-lab-truth/1" because some parts (expect, capture, rules) are additions.
This file is deliberately independent of pathlens' TypeScript parsers.
"""
import json
import os
import re
import struct
import sys
from collections import Counter, OrderedDict, defaultdict

OUT = sys.argv[1] if len(sys.argv) > 1 else "."


def path(name):
    return os.path.join(OUT, name)


def read_lines(name):
    try:
        with open(path(name), errors="replace") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def load_json(name, default=None):
    try:
        with open(path(name)) as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return default


# ---------------------------------------------------------------- conntrack lines
TUPLE_KEYS = {"src", "dst", "sport", "dport", "type", "code", "id", "srckey", "dstkey"}
EVENT_RE = re.compile(r"^\[(\d+\.\d+)\]\s+\[(NEW|UPDATE|DESTROY)\]\s+(.*)$")
SUMMARY_RE = re.compile(r"conntrack v[\d.]+ \(conntrack-tools\)")


def num(v):
    try:
        return int(v)
    except ValueError:
        return v


def parse_ct(body):
    """Parses the part of a conntrack line after the event type (or a -L line)."""
    toks = body.split()
    r = {"flags": [], "orig": {}, "reply": {}}
    i = 0
    if toks and toks[0] in ("ipv4", "ipv6"):
        r["family"] = toks[0]
        i = 2
    r["proto"] = toks[i]
    r["protonum"] = int(toks[i + 1])
    i += 2
    if i < len(toks) and toks[i].isdigit():
        r["timeout"] = int(toks[i])
        i += 1
    if i < len(toks) and "=" not in toks[i] and not toks[i].startswith("["):
        r["state"] = toks[i]
        i += 1
    rest = toks[i:]
    # The conntrack id (-o id) is the last id= token; ICMP tuples have id= too.
    ct_id = None
    for j in range(len(rest) - 1, -1, -1):
        if rest[j].startswith("id="):
            ct_id = int(rest[j][3:])
            del rest[j]
            break
    r["ct_id"] = ct_id
    side = None
    nsrc = 0
    counters = {"orig": {}, "reply": {}}
    for t in rest:
        if t.startswith("["):
            r["flags"].append(t.strip("[]"))
            continue
        if "=" not in t:
            continue
        k, v = t.split("=", 1)
        if k == "src":
            nsrc += 1
            side = "orig" if nsrc == 1 else "reply"
        if k in ("packets", "bytes") and side:
            counters[side][k] = int(v)
        elif k in TUPLE_KEYS and side and k not in r[side]:
            r[side][k] = num(v)
        else:
            r[k] = num(v)
    if counters["orig"] or counters["reply"]:
        r["counters"] = counters
    return r


def nat_of(f):
    o, rp = f["orig"], f["reply"]
    icmp = f["proto"] in ("icmp", "icmpv6")
    dnat = rp.get("src") != o.get("dst") or (not icmp and rp.get("sport") != o.get("dport"))
    snat = rp.get("dst") != o.get("src") or (
        rp.get("id") != o.get("id") if icmp else rp.get("dport") != o.get("sport"))
    if icmp:
        after = {"src": rp.get("dst"), "dst": rp.get("src"), "type": o.get("type"), "code": o.get("code"),
                 "id": rp.get("id")}
    elif "sport" in o:
        after = {"src": rp.get("dst"), "dst": rp.get("src"), "sport": rp.get("dport"), "dport": rp.get("sport")}
    else:
        after = {"src": rp.get("dst"), "dst": rp.get("src")}
    return {"snat": bool(snat), "dnat": bool(dnat), "before": dict(o), "after": after}


def build_flows():
    lines = read_lines("conntrack-ext.log")
    flows = OrderedDict()
    current_key = {}  # kernel id -> key of the live flow with that id
    reuse = Counter()
    notes = []
    event_lines = 0
    enobufs = {"conntrack.log": 0, "conntrack-ext.log": 0}
    for ln in lines:
        if "ENOBUFS" in ln or "No buffer space" in ln:
            enobufs["conntrack-ext.log"] += 1
            continue
        m = EVENT_RE.match(ln)
        if not m:
            continue
        event_lines += 1
        ts, etype, body = float(m.group(1)), m.group(2), m.group(3)
        c = parse_ct(body)
        kid = c["ct_id"]
        key = current_key.get(kid)
        if key is None or (etype == "NEW" and flows[key]["destroyed"]) or (etype != "DESTROY" and flows[key]["destroyed"]):
            reuse[kid] += 1
            key = str(kid) if reuse[kid] == 1 else f"{kid}#{reuse[kid]}"
            current_key[kid] = key
            flows[key] = {"key": key, "id": kid, "family": c.get("family", "ipv4"), "proto": c["proto"],
                          "protonum": c["protonum"], "orig": c["orig"], "reply": c["reply"], "events": [],
                          "destroyed": False}
        f = flows[key]
        ev = {"ts": ts, "type": etype}
        for k in ("state", "timeout"):
            if k in c:
                ev[k] = c[k]
        ev["flags"] = c["flags"]
        for k in ("mark", "zone", "delta-time", "helper"):
            if k in c:
                ev[k] = c[k]
        if "counters" in c:
            ev["counters"] = c["counters"]
        if "USERSPACE" in c["flags"]:
            ev["userspace"] = True
        f["events"].append(ev)
        if etype == "DESTROY":
            f["destroyed"] = True
    for ln in read_lines("conntrack.log"):
        if "ENOBUFS" in ln or "No buffer space" in ln:
            enobufs["conntrack.log"] += 1
    # The other listener's view: events per kernel id.
    other = Counter()
    for ln in read_lines("conntrack.log"):
        m = re.search(r"\bid=(\d+)\s*$", ln)
        if m and EVENT_RE.match(ln):
            other[int(m.group(1))] += 1
    # Final state: conntrack -L at the end of the traffic.
    table = {}
    table_entries = 0
    for ln in read_lines("conntrack-table.txt"):
        if not ln.strip() or ln.startswith("#") or SUMMARY_RE.search(ln):
            continue
        c = parse_ct(ln)
        table_entries += 1
        table[(c["ct_id"], json.dumps(c["orig"], sort_keys=True))] = c
    without_new = 0
    for f in flows.values():
        evs = f["events"]
        f["event_types"] = [e["type"] for e in evs]
        f["states"] = []
        for e in evs:
            if "state" in e and (not f["states"] or f["states"][-1] != e["state"]):
                f["states"].append(e["state"])
        f["first_ts"] = evs[0]["ts"]
        f["last_ts"] = evs[-1]["ts"]
        f["assured"] = any("ASSURED" in e["flags"] for e in evs)
        f["nat"] = nat_of(f)
        if evs[0]["type"] != "NEW":
            without_new += 1
        t = table.get((f["id"], json.dumps(f["orig"], sort_keys=True)))
        if f["destroyed"]:
            d = evs[-1]
            f["final"] = {"source": "DESTROY event", "state": d.get("state") or (f["states"][-1] if f["states"] else None),
                          "flags": d["flags"], "counters": d.get("counters"), "delta-time": d.get("delta-time"),
                          "mark": d.get("mark", 0)}
        elif t is not None and f is list(v for v in flows.values() if v["id"] == f["id"])[-1]:
            f["final"] = {"source": "conntrack-table.txt", "state": t.get("state"), "timeout": t.get("timeout"),
                          "flags": t["flags"], "counters": t.get("counters"), "mark": t.get("mark", 0),
                          "use": t.get("use")}
        else:
            f["final"] = None
        f["events_in_conntrack_log"] = other.get(f["id"], 0)
    # Entries in the table that no event announced (e.g. created before the listeners).
    seen = {(f["id"], json.dumps(f["orig"], sort_keys=True)) for f in flows.values()}
    table_only = [dict(c, source="conntrack-table.txt") for k, c in table.items() if k not in seen]
    if table_only:
        notes.append(f"{len(table_only)} table entries have no event (created before the listeners started?)")
    src = {"source": "conntrack-ext.log", "event_lines": event_lines, "table_entries_at_end": table_entries,
           "enobufs_warnings": enobufs, "flows_without_NEW_event": without_new, "notes": notes}
    return list(flows.values()), table_only, src


# ---------------------------------------------------------------- conntrack -S
def build_stats():
    blocks = {}
    cur = None
    for ln in read_lines("conntrack-stats.txt"):
        m = re.match(r"^### (\w+)\s+([\d.]+)?", ln)
        if m:
            cur = m.group(1)
            blocks[cur] = {"ts": float(m.group(2)) if m.group(2) else None, "counters": Counter(), "count": None}
            mode = None
            continue
        if cur is None:
            continue
        if ln.startswith("# conntrack -C"):
            mode = "C"
            continue
        if ln.startswith("#"):
            mode = "S"
            continue
        if mode == "C" and ln.strip().isdigit():
            blocks[cur]["count"] = int(ln.strip())
        elif ln.startswith("cpu="):
            for k, v in re.findall(r"(\w+)=(\d+)", ln):
                if k != "cpu":
                    blocks[cur]["counters"][k] += int(v)
    out = {k: {"ts": b["ts"], "counters": dict(b["counters"]), "count": b["count"]} for k, b in blocks.items()}
    if "before" in out and "after" in out:
        b, a = out["before"]["counters"], out["after"]["counters"]
        out["delta"] = {k: a.get(k, 0) - b.get(k, 0) for k in sorted(set(a) | set(b))}
    return out


# ---------------------------------------------------------------- iptables-save -c
def build_rules():
    rules = []
    for fam, name in (("ipv4", "iptables-save.txt"), ("ipv6", "ip6tables-save.txt")):
        table = None
        for ln in read_lines(name):
            if ln.startswith("*"):
                table = ln[1:].strip()
            m = re.match(r"^:(\S+) (\S+) \[(\d+):(\d+)\]", ln)
            if m and table:
                rules.append({"family": fam, "table": table, "chain": m.group(1), "policy": m.group(2),
                              "packets": int(m.group(3)), "bytes": int(m.group(4))})
            m = re.match(r"^\[(\d+):(\d+)\] -A (\S+) (.*)$", ln)
            if m and table:
                rules.append({"family": fam, "table": table, "chain": m.group(3), "rule": f"-A {m.group(3)} {m.group(4)}",
                              "packets": int(m.group(1)), "bytes": int(m.group(2))})
    return rules


# ---------------------------------------------------------------- nstat
def build_netstat():
    """`nstat -asz` in the node at the end: kernel SNMP/netstat counters (e.g. IPReversePathFilter)."""
    out = {}
    for ln in read_lines("nstat.txt"):
        parts = ln.split()
        if len(parts) >= 2 and parts[1].isdigit():
            out[parts[0]] = int(parts[1])
    return out


# ---------------------------------------------------------------- capture.pcap
def ip_str(b):
    return ".".join(str(x) for x in b)


def ip6_str(b):
    import ipaddress
    return str(ipaddress.IPv6Address(bytes(b)))


def parse_l3(buf, proto):
    """Returns a dict for an IPv4/IPv6 packet (with L4 basics), or None."""
    if proto == 0x0800 and len(buf) >= 20:
        ihl = (buf[0] & 0x0F) * 4
        p = {"v": 4, "src": ip_str(buf[12:16]), "dst": ip_str(buf[16:20]), "proto": buf[9], "ttl": buf[8],
             "len": struct.unpack("!H", buf[2:4])[0]}
        l4 = buf[ihl:]
        icmp_proto = 1
    elif proto == 0x86DD and len(buf) >= 40:
        p = {"v": 6, "src": ip6_str(buf[8:24]), "dst": ip6_str(buf[24:40]), "proto": buf[6], "ttl": buf[7],
             "len": struct.unpack("!H", buf[4:6])[0] + 40}
        l4 = buf[40:]
        icmp_proto = 58
    else:
        return None
    if p["proto"] in (6, 17) and len(l4) >= 4:
        p["sport"], p["dport"] = struct.unpack("!HH", l4[:4])
        if p["proto"] == 6 and len(l4) >= 14:
            p["tcpflags"] = l4[13]
            p["seq"] = struct.unpack("!I", l4[4:8])[0]
            p["window"] = struct.unpack("!H", l4[14:16])[0] if len(l4) >= 16 else None
            p["payload"] = max(0, p["len"] - (buf[0] & 0x0F) * 4 - (l4[12] >> 4) * 4) if p["v"] == 4 else None
    elif p["proto"] == icmp_proto and len(l4) >= 4:
        p["icmp_type"], p["icmp_code"] = l4[0], l4[1]
        err = (p["v"] == 4 and l4[0] in (3, 4, 5, 11, 12)) or (p["v"] == 6 and l4[0] in (1, 2, 3, 4))
        if err:
            if p["v"] == 4 and l4[0] == 3 and l4[1] == 4:
                p["mtu"] = struct.unpack("!H", l4[6:8])[0]
            if p["v"] == 6 and l4[0] == 2:
                p["mtu"] = struct.unpack("!I", l4[4:8])[0]
            inner = parse_l3(l4[8:], 0x0800 if p["v"] == 4 else 0x86DD)
            if inner:
                p["inner"] = {k: inner[k] for k in ("src", "dst", "proto", "sport", "dport") if k in inner}
    return p


def build_capture():
    fn = path("capture.pcap")
    res = {"file": "capture.pcap", "records": 0}
    try:
        data = open(fn, "rb").read()
    except FileNotFoundError:
        res["error"] = "missing"
        return res
    if len(data) < 24:
        res["error"] = "short file"
        return res
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        res["error"] = "not a classic pcap"
        return res
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
    res["linktype"] = linktype
    res["ts_resolution"] = "ns" if nano else "us"
    off = 24
    by_if = Counter()
    icmp_errors = []
    icmp_echo = Counter()
    syns = Counter()
    rsts = []
    zero_windows = Counter()
    data_segs = Counter()
    max_len = {}
    first = last = None
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(e + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        res["records"] += 1
        ts = sec + frac / (1e9 if nano else 1e6)
        first = ts if first is None else first
        last = ts
        if linktype == 276 and len(pkt) >= 20:  # LINUX_SLL2
            proto = struct.unpack("!H", pkt[0:2])[0]
            ifindex = struct.unpack("!I", pkt[4:8])[0]
            pkttype = pkt[10]
            l3 = pkt[20:]
        elif linktype == 113 and len(pkt) >= 16:  # LINUX_SLL
            pkttype = struct.unpack("!H", pkt[0:2])[0]
            proto = struct.unpack("!H", pkt[14:16])[0]
            ifindex = None
            l3 = pkt[16:]
        elif linktype == 1 and len(pkt) >= 14:
            proto = struct.unpack("!H", pkt[12:14])[0]
            ifindex, pkttype, l3 = None, None, pkt[14:]
        else:
            continue
        by_if[str(ifindex)] += 1
        p = parse_l3(l3, proto)
        if not p:
            continue
        where = {"ts": round(ts, 9), "ifindex": ifindex, "dir": "out" if pkttype == 4 else "in"}
        if "inner" in p:
            icmp_errors.append(dict(where, src=p["src"], dst=p["dst"], type=p["icmp_type"], code=p["icmp_code"],
                                    inner=p["inner"], **({"mtu": p["mtu"]} if "mtu" in p else {})))
        elif "icmp_type" in p:
            icmp_echo[f'{p["src"]}>{p["dst"]} type={p["icmp_type"]}'] += 1
        if p.get("proto") == 6 and "tcpflags" in p:
            fl = p["tcpflags"]
            tup = f'{p["src"]}:{p["sport"]}>{p["dst"]}:{p["dport"]}'
            if fl & 0x02 and not fl & 0x10:
                syns[f"{tup} if={ifindex}"] += 1
            if fl & 0x04:
                rsts.append(dict(where, tuple=tup, flags=fl))
            if p.get("window") == 0 and not fl & 0x04:
                zero_windows[f"{tup} if={ifindex}"] += 1
            if p.get("payload"):
                data_segs[(f"{tup} if={ifindex}", p["seq"])] += 1
            max_len[tup] = max(max_len.get(tup, 0), p["len"])
    res.update({"first_ts": first, "last_ts": last, "records_by_ifindex": dict(by_if),
                "icmp_errors": icmp_errors[:200], "icmp_non_error": dict(icmp_echo),
                "tcp_syn": dict(syns), "tcp_syn_retransmitted": {k: v for k, v in syns.items() if v > 1},
                "tcp_rst": rsts[:200], "tcp_zero_window": dict(zero_windows),
                "tcp_data_retransmitted": dict(Counter(k for (k, _seq), n in data_segs.items() if n > 1 for _ in range(n - 1))),
                "tcp_max_ip_len": max_len})
    return res


# ---------------------------------------------------------------- trace
HOOK_ORDER = {  # base chain -> position of its hook in a traversal
    "PREROUTING": 0, "INPUT": 1, "FORWARD": 1, "OUTPUT": 0, "POSTROUTING": 2}
TABLE_PRIO = {"raw": 0, "mangle": 1, "nat": 2, "filter": 3, "security": 4}
BASE = {"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"}
TRACE_RE = re.compile(r"^\s*TRACE: (\d+) ([0-9a-f]{8}) ([^:\s]+):([^:\s]+):(rule|policy|return):?(\S*)\s*(.*)$")
PACKET_RE = re.compile(r"^PACKET: (\d+) ([0-9a-f]{8}) (.*)$")


def parse_pkt_fields(s):
    h = {}
    flags = []
    for t in s.split():
        if "=" in t:
            k, v = t.split("=", 1)
            k = k.lower()
            if k in ("len", "ttl", "id", "sport", "dport", "hoplimit"):
                k = {"id": "ipid", "hoplimit": "ttl"}.get(k, k)
                try:
                    v = int(v)
                except ValueError:
                    pass
            h[k] = v
        elif t in ("SYN", "ACK", "FIN", "RST", "PSH", "URG"):
            flags.append(t)
        elif t == "DF":
            h["df"] = True
        elif t == "LOOPBACK":
            h["loopback"] = True
    if flags:
        h["tcpflags"] = flags
    return h


def hook_pos(chain_base, table):
    return (HOOK_ORDER[chain_base], TABLE_PRIO.get(table, 5))


NEXT_HOOKS = {  # which base chain may follow which, within one traversal
    "PREROUTING": {"PREROUTING", "INPUT", "FORWARD"},
    "INPUT": {"INPUT"},
    "FORWARD": {"FORWARD", "POSTROUTING"},
    "OUTPUT": {"OUTPUT", "POSTROUTING"},
    "POSTROUTING": {"POSTROUTING"},
}


def build_packets():
    """One entry per packet traversal seen by xtables-monitor. Returns (packets, source info)."""
    lines = read_lines("trace.log")
    packets = []
    live = {}  # trace id -> packet being built
    events = 0
    for n, ln in enumerate(lines, 1):
        m = PACKET_RE.match(ln)
        if m:
            fam, tid, rest = m.groups()
            hdr = parse_pkt_fields(rest)
            live.setdefault(tid, {"pending_header": None})
            live[tid]["pending_header"] = (hdr, int(fam), n)
            continue
        m = TRACE_RE.match(ln)
        if not m:
            continue
        events += 1
        fam, tid, table, chain, kind, rest1, rest2 = m.groups()
        # rest1 is "0x<handle>:<VERDICT>" for rule, "<VERDICT>" for policy.
        handle = verdict = None
        if kind == "rule":
            parts = rest1.split(":", 1)
            handle = int(parts[0], 16) if parts[0].startswith("0x") else None
            verdict = parts[1] if len(parts) > 1 else None
        elif kind == "policy":
            verdict = rest1
        else:
            verdict = "RETURN"
        if verdict == "0xfffffffb":
            verdict = "RETURN"
        rule_text = rest2.strip() or None
        st = live.setdefault(tid, {"pending_header": None})
        pkt = st.get("pkt")
        hdr_info = st.get("pending_header")
        base_chain = chain if chain in BASE else None
        # A new traversal starts at raw PREROUTING/OUTPUT, or when this base chain cannot
        # follow the previous one (trace ids are reused once skb memory is recycled).
        new = pkt is None
        if pkt is not None and base_chain and hdr_info is not None:
            last_base = pkt["path"][-1].split(":")[1]
            lt = pkt["path"][-1].split(":")[0]
            if table == "raw" and base_chain in ("PREROUTING", "OUTPUT"):
                new = True
            elif base_chain not in NEXT_HOOKS[last_base]:
                new = True
            elif base_chain == last_base and TABLE_PRIO.get(table, 5) <= TABLE_PRIO.get(lt, 5) and f"{table}:{chain}" in pkt["path"]:
                new = True
        if new:
            pkt = {"trace_id": tid, "family": {"2": "ipv4", "10": "ipv6"}.get(fam, fam), "trace_line": n,
                   "path": [], "chains": [], "steps": [], "rules_matched": [], "verdict": None,
                   "verdict_chain": None, "verdict_rule": None}
            packets.append(pkt)
            st["pkt"] = pkt
        if hdr_info is not None:
            hdr = hdr_info[0]
            step = {"chain": f"{table}:{chain}", "packet": hdr, "events": []}
            pkt["steps"].append(step)
            st["pending_header"] = None
            if "header_first" not in pkt:
                pkt["header_first"] = hdr
            pkt["header_last"] = hdr
        elif not pkt["steps"]:
            pkt["steps"].append({"chain": f"{table}:{chain}", "packet": None, "events": []})
        full = f"{table}:{chain}"
        if base_chain and full not in pkt["path"]:
            pkt["path"].append(full)
        if full not in pkt["chains"]:
            pkt["chains"].append(full)
        ev = {"type": kind, "verdict": verdict, "line": n}
        if handle is not None:
            ev["handle"] = handle
        if rule_text:
            ev["rule"] = rule_text
        pkt["steps"][-1]["events"].append(ev)
        if rule_text and "pl-probe " in rule_text:
            m2 = re.search(r"pl-probe (ctstate|ctdir)=(\w+)", rule_text)
            if m2:
                pkt["ct_state" if m2.group(1) == "ctstate" else "ct_dir"] = m2.group(2)
        if kind == "rule" and verdict != "CONTINUE":
            pkt["rules_matched"].append({"chain": full, "handle": handle, "verdict": verdict, "rule": rule_text})
        if verdict in ("ACCEPT", "DROP", "QUEUE", "STOLEN"):
            pkt["verdict"] = verdict
            pkt["verdict_chain"] = full
            pkt["verdict_rule"] = rule_text if kind == "rule" else None
    packets = relink_bridge_continuations(packets)
    for i, p in enumerate(packets):
        p["index"] = i
        hf = p.get("header_first") or {}
        hl = p.get("header_last") or {}
        p["iif"] = hf.get("in") or hl.get("in")
        p["oif"] = hl.get("out")
        bases = [c.split(":")[1] for c in p["path"]]
        if "FORWARD" in bases:
            p["kind"] = "forward"
        elif "INPUT" in bases:
            p["kind"] = "input"
        elif "OUTPUT" in bases:
            p["kind"] = "output"
        elif "PREROUTING" in bases:
            p["kind"] = "prerouting-only"
        else:
            p["kind"] = "other"
        if "sport" in hf:
            p["proto"] = "tcp" if "tcpflags" in hf or hf.get("proto") == "TCP" else None
        p["nat_rules"] = [r for r in p["rules_matched"] if r["rule"] and re.search(r"-j (DNAT|SNAT|MASQUERADE|REDIRECT)", r["rule"])]
        changes = []
        prev = None
        for s in p["steps"]:
            h = s["packet"]
            if h is None:
                continue
            if prev is not None:
                diff = {k: [prev[1].get(k), h.get(k)] for k in ("src", "dst", "sport", "dport", "ttl")
                        if prev[1].get(k) != h.get(k)}
                if diff:
                    changes.append({"between": [prev[0], s["chain"]], "changed": diff})
            prev = (s["chain"], h)
        p["header_changes"] = changes
    enrich_from_nft(packets)
    for p in packets:
        if p.get("proto") is None:
            l4 = p.get("l4", {}).get("l4proto")
            hf = p.get("header_first") or {}
            p["proto"] = l4 or ("tcp" if "tcpflags" in hf else ("udp" if "sport" in hf else None))
    src = {"source": "trace.log", "trace_events": events}
    return packets, src


def relink_bridge_continuations(packets):
    """With br_netfilter the trace id changes between the bridge-port PREROUTING and
    FORWARD/POSTROUTING (skb_iif changes). A traversal that starts at a non-first hook is
    glued to the latest PREROUTING-only traversal with the same src/IP id/len/sport/flags."""
    out = []
    open_pre = []  # indexes in out of traversals that stopped after PREROUTING
    for p in packets:
        first = p["path"][0] if p["path"] else ""
        if first and not first.startswith("raw:") and first.split(":")[1] != "PREROUTING":
            hf = p.get("header_first") or {}
            key = tuple(hf.get(k) for k in ("src", "ipid", "len", "sport", "dport", "tcpflags") if k != "dport")
            for j in range(len(open_pre) - 1, max(-1, len(open_pre) - 200), -1):
                q = out[open_pre[j]]
                hl = q.get("header_last") or {}
                if tuple(hl.get(k) for k in ("src", "ipid", "len", "sport", "tcpflags")) == key:
                    q["trace_ids"] = q.get("trace_ids", [q["trace_id"]]) + [p["trace_id"]]
                    for c in p["path"]:
                        if c not in q["path"]:
                            q["path"].append(c)
                    for c in p["chains"]:
                        if c not in q["chains"]:
                            q["chains"].append(c)
                    q["steps"] += p["steps"]
                    q["rules_matched"] += p["rules_matched"]
                    if p["verdict"]:
                        q["verdict"], q["verdict_chain"], q["verdict_rule"] = p["verdict"], p["verdict_chain"], p["verdict_rule"]
                    if "header_last" in p:
                        q["header_last"] = p["header_last"]
                    del open_pre[j]
                    break
            else:
                out.append(p)
            continue
        out.append(p)
        if p["path"] and all(c.endswith(":PREROUTING") for c in p["path"]):
            open_pre.append(len(out) - 1)
    return out


NFT_RE = re.compile(r"^trace id ([0-9a-f]{8}) (\S+) (\S+) (\S+) packet: (.*)$")


def enrich_from_nft(packets):
    """Adds l4 details (ICMP type/code, TCP flags/window) from trace-nft.log, same trace ids."""
    by_key = defaultdict(list)
    for ln in read_lines("trace-nft.log"):
        m = NFT_RE.match(ln)
        if not m:
            continue
        tid, fam, table, chain, rest = m.groups()
        by_key[(tid, f"{table}:{chain}")].append(rest)
    used = Counter()
    for p in packets:
        if not p["path"]:
            continue
        k = (p["trace_id"], p["path"][0])
        lst = by_key.get(k)
        if not lst or used[k] >= len(lst):
            continue
        rest = lst[used[k]]
        used[k] += 1
        l4 = {}
        for key, rx in (("l4proto", r"meta l4proto (\S+)"), ("icmp_type", r"icmp type (\S+)"),
                        ("icmp_code", r"icmp code (\S+)"), ("icmp_id", r"icmp id (\d+)"),
                        ("icmpv6_type", r"icmpv6 type (\S+)"), ("icmpv6_code", r"icmpv6 code (\S+)"),
                        ("tcp_flags", r"tcp flags == (\S+)"), ("tcp_window", r"tcp window (\d+)")):
            mm = re.search(rx, rest)
            if mm:
                v = mm.group(1)
                l4[key] = int(v) if v.isdigit() else v
        if "l4proto" not in l4:
            for name in ("tcp", "udp", "icmpv6", "icmp"):
                if re.search(rf"(^| ){name} ", rest):
                    l4["l4proto"] = name
                    break
        if l4:
            p["l4"] = l4


def join_packets(packets, flows):
    """Mechanical join: first-hook tuple = flow orig/reply tuple or their NATed inverses."""
    idx = defaultdict(list)
    for f in flows:
        o, r, a = f["orig"], f["reply"], f["nat"]["after"]
        if f["proto"] in ("icmp", "icmpv6") and "id" in o:
            # ICMP echo: the key is (src, dst, id); type disambiguates direction.
            for tup, d in (((o["src"], o["dst"], "id", o["id"]), "ORIGINAL"), ((r["src"], r["dst"], "id", r["id"]), "REPLY"),
                           ((a["src"], a["dst"], "id", a["id"]), "ORIGINAL"), ((r["dst"], o["src"], "id", o["id"]), "REPLY")):
                idx[(f["proto"], tup)].append((f, d))
            continue
        if f["proto"] not in ("tcp", "udp"):
            continue
        for tup, d in (((o["src"], o["dst"], o.get("sport"), o.get("dport")), "ORIGINAL"),
                       ((r["src"], r["dst"], r.get("sport"), r.get("dport")), "REPLY"),
                       ((a["src"], a["dst"], a.get("sport"), a.get("dport")), "ORIGINAL"),
                       ((r["dst"], o["src"], r.get("dport"), o.get("sport")), "REPLY")):
            idx[(f["proto"], tup)].append((f, d))
    joined = Counter()
    for p in packets:
        h = p.get("header_first") or {}
        l4 = p.get("l4") or {}
        if p.get("proto") in ("icmp", "icmpv6") and "icmp_id" in l4:
            key = (p["proto"], (h.get("src"), h.get("dst"), "id", l4["icmp_id"]))
        else:
            key = (p.get("proto"), (h.get("src"), h.get("dst"), h.get("sport"), h.get("dport")))
        cands = idx.get(key, [])
        best = None
        for f, d in cands:
            if f["first_ts"] is not None and (best is None or f["first_ts"] >= best[0]["first_ts"]):
                best = (f, d)
        if best:
            p["flow_id"] = best[0]["id"]
            p["flow_key"] = best[0]["key"]
            p["flow_dir"] = best[1]
            joined[best[0]["key"]] += 1
    for f in flows:
        f["traced_packets"] = joined.get(f["key"], 0)
    return sum(joined.values())


# ---------------------------------------------------------------- expectations
def get_path(obj, dotted):
    cur = obj
    for part in dotted.split("."):
        if isinstance(cur, dict):
            cur = cur.get(part)
        else:
            return None
    return cur


def matches(obj, where):
    for k, v in (where or {}).items():
        got = get_path(obj, k)
        if isinstance(v, list) and not isinstance(got, list):
            if got not in v:
                return False
        elif isinstance(v, list) and isinstance(got, list):
            if not all(x in got for x in v):
                return False
        elif got != v:
            return False
    return True


def compare(got, op, val):
    if got is None:
        return False
    return {">=": got >= val, ">": got > val, "==": got == val, "<=": got <= val, "<": got < val,
            "!=": got != val}[op]


def check_expect(exp, truth):
    """Kinds:
      flows       {"where": {dotted: value}, "count": [op, n]}      flows matching `where`
      rule        {"table", "chain", "match": substring, "family"?, "packets": [op, n]}
      policy      {"table", "chain", "packets": [op, n]}            policy counter
      stat        {"counter": "invalid", "delta": [op, n]}          conntrack -S before/after
      route       {"query", "rc"?: n, "field"?: dotted, "equals"?: v}
      capture     {"field": dotted (in truth.capture), "count": [op, n]} (len of list/dict or value)
      icmp_error  {"type": t, "code": c, "inner_dport"?: p, "count": [op, n]}
      packets     {"where": {dotted: value}, "count": [op, n]}      traced packets
      netstat     {"counter": "TcpExtIPReversePathFilter", "value": [op, n]} (nstat -asz at the end)
    """
    k = exp["kind"]
    res = dict(exp)
    if k == "flows":
        got = sum(1 for f in truth["flows"] if matches(f, exp.get("where")))
        op, n = exp.get("count", [">=", 1])
    elif k == "packets":
        got = sum(1 for p in truth.get("packets", []) if matches(p, exp.get("where")))
        op, n = exp.get("count", [">=", 1])
    elif k in ("rule", "policy"):
        fam = exp.get("family", "ipv4")
        cands = [r for r in truth["rules"] if r["family"] == fam and r["table"] == exp["table"] and r["chain"] == exp["chain"]
                 and (("rule" in r and exp.get("match", "") in r["rule"]) if k == "rule" else "policy" in r)]
        got = sum(r["packets"] for r in cands) if cands else None
        res["matched_rules"] = [r.get("rule") or r.get("policy") for r in cands]
        op, n = exp.get("packets", [">=", 1])
    elif k == "stat":
        got = (truth["conntrack_stats"].get("delta") or {}).get(exp["counter"])
        op, n = exp.get("delta", [">=", 1])
    elif k == "route":
        r = next((x for x in truth["routes"] if x["query"] == exp["query"]), None)
        if r is None:
            got, op, n = None, "==", True
        elif "field" in exp:
            got = get_path((r.get("result") or [{}])[0], exp["field"])
            op, n = "==", exp["equals"]
        else:
            got, op, n = r["rc"], "==", exp.get("rc", 0)
    elif k == "netstat":
        got = truth["netstat"].get(exp["counter"])
        op, n = exp.get("value", [">=", 1])
    elif k == "capture":
        v = get_path(truth["capture"], exp["field"])
        got = len(v) if isinstance(v, (list, dict)) else v
        op, n = exp.get("count", [">=", 1])
    elif k == "icmp_error":
        got = 0
        for e in truth["capture"].get("icmp_errors", []):
            if e["type"] == exp["type"] and e["code"] == exp.get("code", e["code"]) and (
                    "inner_dport" not in exp or e.get("inner", {}).get("dport") == exp["inner_dport"]):
                got += 1
        op, n = exp.get("count", [">=", 1])
    else:
        res.update(ok=False, observed=None, error=f"unknown kind {k}")
        return res
    res["observed"] = got
    try:
        res["ok"] = bool(compare(got, op, n))
    except TypeError:
        res["ok"] = False
    return res


# ---------------------------------------------------------------- main
def main():
    meta = load_json("meta.json", {}) or {}
    flows, table_only, flow_src = build_flows()
    packets, pkt_src = build_packets()
    joined = join_packets(packets, flows)
    routes = load_json("route-get.json", []) or []
    capture = build_capture()
    truth = OrderedDict()
    truth["schema"] = "pl-lab-truth/1"
    truth["compatible_with"] = "gt-lab-truth/1"
    truth["scenario"] = meta.get("scenario")
    truth["node_netns"] = meta.get("node_netns")
    truth["kernel"] = meta.get("kernel")
    if meta.get("xtables_monitor_enobufs"):
        pkt_src["notes"] = ["xtables-monitor died with ENOBUFS: packets are incomplete"]
    truth["sources"] = {"flows": flow_src, "packets": pkt_src, "routes": "route-get.json",
                        "counters": ["conntrack-stats.txt", "iptables-save.txt", "ip6tables-save.txt"],
                        "capture": "capture.pcap"}
    truth["flows"] = flows
    truth["table_only_entries"] = table_only
    truth["packets"] = packets
    truth["routes"] = routes
    truth["conntrack_stats"] = build_stats()
    truth["rules"] = build_rules()
    truth["capture"] = capture
    truth["netstat"] = build_netstat()
    exps = load_json("expect.json", []) or []
    truth["expect"] = [check_expect(e, truth) for e in exps]
    hook_paths = Counter(" > ".join(p["path"]) for p in packets)
    truth["summary"] = OrderedDict([
        ("capture_pcap_records", capture.get("records")), ("capture_pcap_linktype", capture.get("linktype")),
        ("flows", len(flows)), ("flows_by_proto", dict(Counter(f["proto"] for f in flows))),
        ("flows_dnat", sum(1 for f in flows if f["nat"]["dnat"])),
        ("flows_snat", sum(1 for f in flows if f["nat"]["snat"])),
        ("flows_destroyed", sum(1 for f in flows if f["destroyed"])),
        ("conntrack_events", flow_src["event_lines"]),
        ("traced_packets", len(packets)), ("traced_packets_by_kind", dict(Counter(p["kind"] for p in packets))),
        ("traced_packets_joined_to_flow", joined), ("hook_paths", dict(hook_paths.most_common())),
        ("verdicts", dict(Counter(p["verdict"] for p in packets))),
        ("routes", len(routes)),
        ("expect_total", len(truth["expect"])), ("expect_failed", sum(1 for e in truth["expect"] if not e["ok"])),
    ])
    # Layout like the reference: top level indented, one flow/packet/route per line.
    order = ["schema", "compatible_with", "scenario", "node_netns", "kernel", "sources", "summary", "expect",
             "flows", "table_only_entries", "packets", "routes", "conntrack_stats", "rules", "capture", "netstat"]
    parts = []
    for key in order:
        v = truth[key]
        if key in ("flows", "packets", "routes", "rules", "table_only_entries", "expect") and isinstance(v, list):
            inner = ",\n".join("  " + json.dumps(x, separators=(",", ":")) for x in v)
            parts.append(f' "{key}": [\n{inner}\n ]' if v else f' "{key}": []')
        else:
            parts.append(f' "{key}": ' + json.dumps(v, indent=1).replace("\n", "\n "))
    with open(path("truth.json"), "w") as f:
        f.write("{\n" + ",\n".join(parts) + "\n}\n")
    failed = [e for e in truth["expect"] if not e["ok"]]
    for e in failed:
        print(f"truth: expectation failed: {json.dumps(e)}", file=sys.stderr)
    print(f"truth: {len(flows)} flows, {len(packets)} traced packets, {len(routes)} routes, "
          f"{len(truth['expect']) - len(failed)}/{len(truth['expect'])} expectations hold", file=sys.stderr)


if __name__ == "__main__":
    main()
