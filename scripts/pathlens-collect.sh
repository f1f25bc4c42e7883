#!/usr/bin/env bash
# pathlens-collect.sh: records what pathlens needs from one Linux node into one .tar.gz.
#
# Run as root on the node (or inside a network namespace with `ip netns exec NS ...`).
# For --duration seconds (or until Ctrl-C) it records:
#   capture.pcap            tcpdump -i IF (default any; LINUX_SLL2, ns timestamps when possible)
#   conntrack-events.log    conntrack -E -o timestamp,extended,id
#   trace.log               xtables-monitor --trace (only with --trace FILTER)
# and takes snapshots:
#   conntrack-table-{start,end}.txt   conntrack -L -o extended,id
#   conntrack-stats-{start,end}.txt   conntrack -S
#   ip-addr.json ip-link.json ip-route.json ip-route6.json ip-rule.json ip-rule6.json
#   iptables-save.txt ip6tables-save.txt (-c, at the end: counters cover the recording)
#   iptables-legacy-save.txt (when present and non-empty), nft-ruleset.json
#   sysctl.txt              ip_forward, rp_filter, route_localnet, nf_conntrack_max, tcp_be_liberal, tcp_loose
#   dmesg-conntrack.txt     dmesg | grep -i conntrack (e.g. "table full, dropping packet")
#   collect.json            what was run, tool versions, missing tools, warnings
# --trace FILTER inserts `iptables -t raw -I PREROUTING/OUTPUT 1 FILTER -m comment --comment
# pathlens-collect-trace -j TRACE` and removes exactly those rules on exit (also on Ctrl-C).
set -euo pipefail

PROG=pathlens-collect
DURATION=30
IFACE=any
OUT=""
TRACE_FILTER=""
TRACE_COMMENT=pathlens-collect-trace
MAX_DURATION=3600

usage() {
  cat <<EOF
usage: $PROG.sh [--duration N] [--iface IF] [--trace FILTER] [--out FILE] [-h]

Records packets and conntrack events on this node for N seconds (default $DURATION; Ctrl-C
stops early and still writes the bundle), snapshots addresses, routes, rules, rulesets,
conntrack table/statistics and sysctls, and writes one .tar.gz for \`pathlens ingest\`.

  --duration N     seconds to record (1..$MAX_DURATION, default $DURATION)
  --iface IF       capture interface (default: any)
  --trace FILTER   also trace matching packets through netfilter: an iptables match such as
                   '-p tcp --dport 80' (IPv4; TRACE rules go to raw PREROUTING and OUTPUT and
                   are removed on exit); needs iptables-nft and xtables-monitor
  --out FILE       bundle path (default: ./pathlens-<host>-<date>.tar.gz)
  -h, --help       this help

Must run as root. Example: sudo $PROG.sh --duration 20 --trace '-p tcp --dport 443'
EOF
}

die() {
  echo "$PROG: $*" >&2
  exit 1
}

while (($#)); do
  case "$1" in
    --duration) DURATION=${2:?--duration needs a value}; shift 2 ;;
    --duration=*) DURATION=${1#*=}; shift ;;
    --iface) IFACE=${2:?--iface needs a value}; shift 2 ;;
    --iface=*) IFACE=${1#*=}; shift ;;
    --trace) TRACE_FILTER=${2:?--trace needs an iptables match}; shift 2 ;;
    --trace=*) TRACE_FILTER=${1#*=}; shift ;;
    --out) OUT=${2:?--out needs a file}; shift 2 ;;
    --out=*) OUT=${1#*=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
if ! [[ $DURATION =~ ^[0-9]+$ ]] || ((DURATION < 1 || DURATION > MAX_DURATION)); then
  die "--duration must be 1..$MAX_DURATION"
fi
[[ $(id -u) == 0 ]] || die "must run as root (packet capture, conntrack and iptables need it)"

HOST=$(hostname -s 2>/dev/null || hostname 2>/dev/null || echo node)
STAMP=$(date +%Y%m%d-%H%M%S)
NAME="pathlens-$HOST-$STAMP"
[[ -n $OUT ]] || OUT="$PWD/$NAME.tar.gz"
OUT_DIR=$(dirname -- "$OUT")
[[ -d $OUT_DIR ]] || die "output directory does not exist: $OUT_DIR"
OUT="$(cd "$OUT_DIR" && pwd)/$(basename -- "$OUT")"

# ---- tools: required ones stop the run, optional ones are reported and skipped
REQUIRED=(tcpdump conntrack ip tar gzip timeout)
OPTIONAL=(iptables-save ip6tables-save nft iptables-legacy-save sysctl dmesg stdbuf)
[[ -n $TRACE_FILTER ]] && REQUIRED+=(iptables xtables-monitor)
missing_req=() missing_opt=()
for t in "${REQUIRED[@]}"; do command -v "$t" >/dev/null 2>&1 || missing_req+=("$t"); done
for t in "${OPTIONAL[@]}"; do command -v "$t" >/dev/null 2>&1 || missing_opt+=("$t"); done
if ((${#missing_req[@]})); then
  die "missing required tools: ${missing_req[*]} (Debian: tcpdump conntrack iproute2 tar gzip coreutils iptables)"
fi
if ((${#missing_opt[@]})); then
  echo "$PROG: optional tools missing, their files are skipped: ${missing_opt[*]}" >&2
fi
have() { command -v "$1" >/dev/null 2>&1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/$PROG.XXXXXX")
B="$WORK/$NAME" # bundle directory: one top-level folder in the tarball
mkdir -p "$B"
WARNINGS=()
PIDS=()
TRACE_RULES_ADDED=()
STOP=0
FINISHED=0

warn() {
  WARNINGS+=("$*")
  echo "$PROG: warning: $*" >&2
}

# stdbuf keeps listeners line-buffered, so nothing is lost when they are stopped.
LB=()
have stdbuf && LB=(stdbuf -oL)

bg() { # bg NAME SECONDS OUT CMD...: bounded background process, PID recorded
  local name=$1 secs=$2 out=$3
  shift 3
  timeout -k 2 "$secs" "$@" >"$out" 2>"$WORK/$name.err" </dev/null &
  BG_PID=$!
  PIDS+=("$BG_PID")
}

stop_pid() { # stop_pid PID: TERM (timeout forwards it to the child), then KILL after 5 s
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

remove_trace_rules() {
  local spec chain
  for spec in "${TRACE_RULES_ADDED[@]+"${TRACE_RULES_ADDED[@]}"}"; do
    chain=${spec%% *}
    # shellcheck disable=SC2086 # FILTER is an iptables match: word splitting is intended
    while iptables -w 5 -t raw -D "$chain" ${TRACE_FILTER} -m comment --comment "$TRACE_COMMENT" -j TRACE 2>/dev/null; do :; done
  done
  TRACE_RULES_ADDED=()
}

cleanup() { # every exit path: processes by PID, trace rules, work directory
  local rc=$?
  set +e
  local pid
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do stop_pid "$pid"; done
  remove_trace_rules
  rm -rf "$WORK"
  if ((FINISHED == 0 && rc == 0)); then rc=1; fi
  exit "$rc"
}
trap cleanup EXIT
# First Ctrl-C/TERM: stop recording and still write the bundle. Second: abort.
on_signal() {
  if ((STOP)); then
    echo "$PROG: aborted" >&2
    FINISHED=0
    exit 130
  fi
  STOP=1
  echo "$PROG: stopping early, writing the bundle (Ctrl-C again to abort)" >&2
}
trap on_signal INT TERM

snap() { # snap FILE CMD...: stdout to FILE, stderr noted; a failing snapshot is a warning
  local f=$1
  shift
  if ! "$@" >"$B/$f" 2>"$WORK/snap.err"; then
    warn "$* failed: $(head -c 200 "$WORK/snap.err" | tr '\n' ' ')"
  fi
}

conntrack_snapshots() { # conntrack_snapshots start|end
  local when=$1
  # -L: stdout only; its "N flow entries have been shown" summary goes to stderr.
  { conntrack -L -o extended,id 2>"$WORK/ct-L.err" || warn "conntrack -L failed: $(head -c 200 "$WORK/ct-L.err")"; } >"$B/conntrack-table-$when.txt"
  snap "conntrack-stats-$when.txt" conntrack -S
}

echo "$PROG: recording for ${DURATION}s on $IFACE into $OUT (Ctrl-C stops early)" >&2
START_TS=$(date +%s.%N)

# ---- start snapshots
conntrack_snapshots start

# ---- optional trace rules (IPv4 raw table, first position so nothing can skip them)
if [[ -n $TRACE_FILTER ]]; then
  if [[ $(iptables -V 2>&1 || true) == *legacy* ]]; then
    warn "iptables uses the legacy backend: TRACE output goes to the kernel log, not to xtables-monitor"
  fi
  for chain in PREROUTING OUTPUT; do
    # shellcheck disable=SC2086 # FILTER is an iptables match: word splitting is intended
    if iptables -w 5 -t raw -I "$chain" 1 ${TRACE_FILTER} -m comment --comment "$TRACE_COMMENT" -j TRACE 2>"$WORK/ipt.err"; then
      TRACE_RULES_ADDED+=("$chain")
    else
      die "cannot add the TRACE rule to raw $chain: $(cat "$WORK/ipt.err")"
    fi
  done
fi

# ---- recorders (each bounded by timeout: duration + margin)
BOUND=$((DURATION + 30))
dlt=()
if [[ $IFACE == any ]]; then
  dlts=$(tcpdump -L -i any 2>&1 || true)
  if [[ $dlts == *LINUX_SLL2* ]]; then dlt=(-y LINUX_SLL2); else warn "tcpdump cannot write LINUX_SLL2 for any; using its default link type"; fi
fi
tsprec=()
tdhelp=$(tcpdump --help 2>&1 || true) # captured first: `| grep -q` + pipefail can fail on SIGPIPE
if [[ $tdhelp == *time-stamp-precision* ]]; then tsprec=(--time-stamp-precision=nano); fi
bg tcpdump "$BOUND" /dev/null tcpdump -Z root -i "$IFACE" -p -s 0 -U "${tsprec[@]}" "${dlt[@]}" -w "$B/capture.pcap"
PID_tcpdump=$BG_PID
bg conntrack "$BOUND" "$B/conntrack-events.log" "${LB[@]}" conntrack -E -o timestamp,extended,id
if [[ -n $TRACE_FILTER ]]; then
  bg xtables-monitor "$BOUND" "$B/trace.log" "${LB[@]}" xtables-monitor --trace
fi
# Wait (max 5 s) for tcpdump to listen, so the recording window is what the user asked for.
for ((i = 0; i < 50; i++)); do
  grep -q 'listening on' "$WORK/tcpdump.err" 2>/dev/null && break
  kill -0 "$PID_tcpdump" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$PID_tcpdump" 2>/dev/null || die "tcpdump failed: $(cat "$WORK/tcpdump.err")"
REC_START=$(date +%s.%N)

# ---- record (sleep in small steps so that Ctrl-C is handled at once)
for ((i = 0; i < DURATION * 10; i++)); do
  ((STOP)) && break
  # Ctrl-C reaches the whole foreground process group: this sleep dies of SIGINT too,
  # which must not end the script (set -e) before the bundle is written.
  sleep 0.1 || true
done
REC_END=$(date +%s.%N)
sleep 0.5 # conntrack events and trace lines arrive asynchronously

# ---- end snapshots (rulesets now: their counters cover the recording, and the trace
# rules are still there so that trace rule handles match the dump)
conntrack_snapshots end
snap ip-addr.json ip -j addr show
snap ip-link.json ip -j -d link show
snap ip-route.json ip -j route show table all
snap ip-route6.json ip -j -6 route show table all
snap ip-rule.json ip -j rule show
snap ip-rule6.json ip -j -6 rule show
have iptables-save && snap iptables-save.txt iptables-save -c
have ip6tables-save && snap ip6tables-save.txt ip6tables-save -c
if have iptables-legacy-save; then
  # Only meaningful when legacy tables are loaded; an empty dump is not kept.
  if iptables-legacy-save -c >"$WORK/legacy.txt" 2>/dev/null && grep -q '^\*' "$WORK/legacy.txt"; then
    cp "$WORK/legacy.txt" "$B/iptables-legacy-save.txt"
  fi
fi
have nft && snap nft-ruleset.json nft -j list ruleset
if have sysctl; then
  sysctl -a 2>/dev/null | grep -E '^net\.(ipv4\.(ip_forward|conf\.[^.]+\.(rp_filter|route_localnet|forwarding))|ipv6\.conf\.(all|default)\.forwarding|netfilter\.(nf_conntrack_max|nf_conntrack_count|nf_conntrack_buckets|nf_conntrack_tcp_be_liberal|nf_conntrack_tcp_loose)) ' \
    >"$B/sysctl.txt" || warn "sysctl gave nothing"
fi
if have dmesg; then
  if dmesg >"$WORK/dmesg.txt" 2>"$WORK/dmesg.err"; then
    grep -i conntrack "$WORK/dmesg.txt" >"$B/dmesg-conntrack.txt" || true
  else
    warn "dmesg not readable: $(head -c 200 "$WORK/dmesg.err")"
  fi
fi

# ---- stop recorders, then remove the trace rules
for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
PIDS=()
remove_trace_rules
if [[ -n $TRACE_FILTER ]] && grep -qi 'no buffer space' "$WORK/xtables-monitor.err" 2>/dev/null; then
  warn "xtables-monitor stopped with ENOBUFS: trace.log is incomplete"
fi
if grep -qi 'ENOBUFS\|no buffer space' "$WORK/conntrack.err" 2>/dev/null; then
  warn "conntrack -E reported ENOBUFS: some events are missing"
fi
tcpdump_stats=$(grep -E 'packets (captured|received|dropped)' "$WORK/tcpdump.err" | tr '\n' ';' || true)

# ---- empty files are left out (an empty ip6tables-save or dmesg excerpt only makes
# `pathlens ingest` report an input of unknown kind); collect.json lists them instead.
EMPTY=()
for f in "$B"/*; do
  if [[ ! -s $f ]]; then
    EMPTY+=("$(basename -- "$f")")
    rm -f -- "$f"
  fi
done

# ---- collect.json (python-free: values are plain, strings are JSON-escaped here)
jstr() { # JSON string literal
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\t'/\\t}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/}
  printf '"%s"' "$s"
}
jarr() { # JSON array of strings
  local first=1 x
  printf '['
  for x in "$@"; do
    ((first)) || printf ','
    first=0
    jstr "$x"
  done
  printf ']'
}
ver() { "$@" 2>&1 | head -n1 || true; }
{
  printf '{\n "tool": "pathlens-collect", "version": 1,\n'
  printf ' "host": %s, "kernel": %s,\n' "$(jstr "$HOST")" "$(jstr "$(uname -r)")"
  printf ' "netns": %s,\n' "$(jstr "$(ip netns identify $$ 2>/dev/null || true)")"
  printf ' "started": %s, "recording_start": %s, "recording_end": %s,\n' "$START_TS" "$REC_START" "$REC_END"
  printf ' "duration_requested": %s, "stopped_early": %s,\n' "$DURATION" "$( ((STOP)) && echo true || echo false)"
  printf ' "iface": %s, "trace_filter": %s,\n' "$(jstr "$IFACE")" "$(jstr "$TRACE_FILTER")"
  printf ' "tcpdump_stats": %s,\n' "$(jstr "$tcpdump_stats")"
  printf ' "tools": {"tcpdump": %s, "conntrack": %s, "iptables": %s, "nft": %s, "ip": %s},\n' \
    "$(jstr "$(ver tcpdump --version)")" "$(jstr "$(ver conntrack --version)")" \
    "$(jstr "$(ver iptables --version)")" "$(jstr "$(ver nft --version)")" "$(jstr "$(ver ip -V)")"
  printf ' "empty_files_omitted": %s,\n' "$(jarr "${EMPTY[@]+"${EMPTY[@]}"}")"
  printf ' "missing_optional_tools": %s,\n' "$(jarr "${missing_opt[@]+"${missing_opt[@]}"}")"
  printf ' "warnings": %s\n}\n' "$(jarr "${WARNINGS[@]+"${WARNINGS[@]}"}")"
} >"$B/collect.json"

tar -C "$WORK" -czf "$OUT.tmp" "$NAME"
mv "$OUT.tmp" "$OUT"
FINISHED=1
echo "$PROG: wrote $OUT ($(du -h "$OUT" | cut -f1)); ${#WARNINGS[@]} warning(s)" >&2
