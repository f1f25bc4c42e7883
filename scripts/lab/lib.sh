# shellcheck shell=bash
# Shared library of the pathlens lab (sourced by scripts/lab/scenarios/*.sh).
#
# Rules this library enforces, because the lab runs on shared machines:
#  * everything happens inside network namespaces created here (names start with
#    "pl-<scenario>-<role>-<runid>"); the root namespace is never touched: veth pairs are
#    created from inside a namespace with the peer placed directly in the other one;
#  * every background process is wrapped in `timeout`, its PID is recorded, and it is
#    ended by that PID only;
#  * a trap on EXIT/INT/TERM kills the recorded PIDs and deletes the namespaces on every
#    exit path.
#
# Typical scenario:
#   source lib.sh; pl_begin portforward "$OUTDIR" "description"
#   C=$(pl_ns client) ... pl_veth ...; pl_node "$N"; pl_capture_start
#   pl_run "$C" curl ...; pl_capture_stop; pl_route_get "10.10.2.2" ...; pl_finish

set -euo pipefail

PL_LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PL_PY_DIR="$PL_LAB_DIR/py"
# Prefer Debian's interpreter (what CI installs); fall back to whatever python3 is on PATH.
if [[ -x /usr/bin/python3 ]]; then PL_PY=/usr/bin/python3; else PL_PY=$(command -v python3); fi
export PL_PY

PL_PIDS=()          # PIDs of background processes we started (timeout wrappers)
PL_PIDNAMES=()      # parallel array: a short name per PID, for logs
PL_NAMESPACES=()    # namespaces we created (deleted by the cleanup trap)
PL_NS_ROLES=()      # "ns=role" pairs, for meta.json
PL_NODE=""          # the namespace under study
PL_NODE_IFACES=()   # node interfaces captured with dumpcap
PL_NOTES=()         # free-text notes that end up in meta.json
PL_ROUTE_QUERIES=() # `ip route get` arguments run at the end in the node
PL_CAPTURING=0
PL_TRACE_RULES=1    # install raw-table TRACE rules + xtables-monitor/nft monitor
PL_TRACE_V6=0       # also ip6tables TRACE (set by IPv6 scenarios)
PL_CLEANED=0

pl_log() { # pl_log MESSAGE...: timestamped line in actions.log (and stderr when PL_VERBOSE=1)
  local ts
  ts=$(date +%s.%N)
  printf '%s\t%s\n' "$ts" "$*" >>"$PL_OUT/actions.log"
  if [[ "${PL_VERBOSE:-0}" == 1 ]]; then printf '[lab] %s\n' "$*" >&2; fi
}

pl_die() {
  echo "lab: $*" >&2
  if [[ -n "${PL_OUT:-}" && -d "${PL_OUT:-}" ]]; then pl_log "FATAL: $*"; fi
  exit 1
}

pl_note() { PL_NOTES+=("$*"); pl_log "note: $*"; }

# pl_begin SCENARIO OUTDIR DESCRIPTION: checks privileges, creates OUTDIR, installs the trap.
pl_begin() {
  PL_SCENARIO=$1
  PL_OUT=$2
  PL_DESC=${3:-}
  [[ -n "$PL_OUT" ]] || pl_die "usage: $PL_SCENARIO.sh OUTDIR"
  mkdir -p "$PL_OUT"
  PL_OUT=$(cd "$PL_OUT" && pwd)
  # Start from an empty folder so that files of an earlier run cannot pass for this run's.
  find "$PL_OUT" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
  mkdir -p "$PL_OUT/server-logs"
  : >"$PL_OUT/actions.log"
  PL_WORK=$(mktemp -d "${TMPDIR:-/tmp}/pl-lab-$PL_SCENARIO.XXXXXX")
  # Short run id: parallel runs and leftovers stay identifiable.
  PL_RUNID=$(printf '%04x' $(((RANDOM << 1 ^ $$) & 0xffff)))
  PL_START=$(date +%s.%N)
  trap pl_cleanup EXIT
  trap 'pl_log "interrupted"; exit 130' INT
  trap 'pl_log "terminated"; exit 143' TERM
  [[ $(id -u) == 0 ]] || pl_die "must run as root (network namespaces are needed)"
  for tool in ip iptables conntrack tcpdump timeout "$PL_PY"; do
    command -v "$tool" >/dev/null || pl_die "missing tool: $tool"
  done
  # Probe that namespaces can be created at all, so that callers get a clear message.
  local probe="pl-$PL_SCENARIO-probe-$PL_RUNID"
  if ! ip netns add "$probe" 2>"$PL_WORK/netns.err"; then
    pl_die "cannot create network namespaces: $(cat "$PL_WORK/netns.err")"
  fi
  ip netns del "$probe"
  pl_log "scenario $PL_SCENARIO run $PL_RUNID output $PL_OUT"
}

# pl_ns ROLE: creates namespace pl-<scenario>-<role>-<runid>, brings lo up, prints its name.
# Call as NS=$(pl_ns role) is impossible (subshell would lose the bookkeeping), so the name
# is returned in the variable named by $2 (default: PL_NS_<ROLE>).
pl_ns() {
  local role=$1 var=${2:-}
  local ns="pl-$PL_SCENARIO-$role-$PL_RUNID"
  ip netns add "$ns" || pl_die "cannot create namespace $ns"
  PL_NAMESPACES+=("$ns")
  PL_NS_ROLES+=("$ns=$role")
  ip -n "$ns" link set lo up
  # IPv4-only scenarios disable IPv6 before any interface exists, so that no MLD reports,
  # router solicitations or DAD probes land in the capture; IPv6 scenarios (PL_IPV6=1)
  # keep it but skip DAD so that addresses are usable at once.
  if [[ ${PL_IPV6:-0} == 1 ]]; then
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
      net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.all.router_solicitations=0 >/dev/null 2>&1 || true
  else
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1 || true
  fi
  [[ -n "$var" ]] || var="PL_NS_${role//[^A-Za-z0-9_]/_}"
  printf -v "$var" '%s' "$ns"
}

# pl_veth NS1 IF1 NS2 IF2 [MAC1 MAC2]: veth pair created inside NS1 with its peer moved
# straight into NS2 (never into the root namespace), both ends up.
pl_veth() {
  local ns1=$1 if1=$2 ns2=$3 if2=$4 mac1=${5:-} mac2=${6:-}
  ip -n "$ns1" link add "$if1" type veth peer name "$if2" netns "$ns2"
  if [[ -n "$mac1" ]]; then ip -n "$ns1" link set "$if1" address "$mac1"; fi
  if [[ -n "$mac2" ]]; then ip -n "$ns2" link set "$if2" address "$mac2"; fi
  ip -n "$ns1" link set "$if1" up
  ip -n "$ns2" link set "$if2" up
}

pl_addr() { ip -n "$1" addr add "$3" dev "$2" nodad 2>/dev/null || ip -n "$1" addr add "$3" dev "$2"; }

pl_sysctl() { # pl_sysctl NS key=value...: in the namespace only
  local ns=$1
  shift
  ip netns exec "$ns" sysctl -qw "$@" >/dev/null
}

# pl_node NS: marks NS as the node under study and prepares its netfilter accounting.
pl_node() {
  PL_NODE=$1
  pl_ensure_chains "$PL_NODE" iptables
  if [[ $PL_TRACE_V6 == 1 ]]; then pl_ensure_chains "$PL_NODE" ip6tables; fi
  # Per-flow counters and start times in DESTROY events; both are per-netns sysctls.
  if ! pl_sysctl "$PL_NODE" net.netfilter.nf_conntrack_acct=1 net.netfilter.nf_conntrack_timestamp=1 2>/dev/null; then
    pl_note "nf_conntrack_acct/timestamp not writable in the node netns"
  fi
}

# pl_bg NAME NS SECONDS CMD...: background process inside NS, bounded by timeout; stdout
# and stderr go to $PL_WORK/NAME.out/.err unless PL_BG_OUT/PL_BG_ERR are set for this call.
pl_bg() {
  local name=$1 ns=$2 secs=$3
  shift 3
  local out=${PL_BG_OUT:-$PL_WORK/$name.out} err=${PL_BG_ERR:-$PL_WORK/$name.err}
  ip netns exec "$ns" timeout -k 2 "$secs" "$@" >"$out" 2>"$err" </dev/null &
  local pid=$!
  PL_PIDS+=("$pid")
  PL_PIDNAMES+=("$name")
  printf -v "PL_PID_${name//[^A-Za-z0-9_]/_}" '%s' "$pid"
  echo "$pid $name $ns" >>"$PL_WORK/pids"
  pl_log "started $name (pid $pid) in $ns: $*"
}

pl_pid_of() { local v="PL_PID_${1//[^A-Za-z0-9_]/_}"; printf '%s' "${!v:-}"; }

# pl_stop NAME [SIGNAL]: ends one background process by its PID and reaps it.
pl_stop() {
  local name=$1 sig=${2:-TERM} pid
  pid=$(pl_pid_of "$name")
  [[ -n "$pid" ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -s "$sig" "$pid" 2>/dev/null || true
    # timeout forwards the signal to its child and exits when the child does.
    local i
    for i in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  wait "$pid" 2>/dev/null || true
}

# pl_wait_listen NS PROTO PORT: waits (max 5 s) until something listens on PORT in NS.
pl_wait_listen() {
  local ns=$1 proto=$2 port=$3 i flag=-ltnH
  if [[ $proto == udp ]]; then flag=-lunH; fi
  for i in $(seq 1 50); do
    if [[ -n $(ip netns exec "$ns" ss "$flag" "sport = :$port" 2>/dev/null) ]]; then return 0; fi
    sleep 0.1
  done
  pl_die "nothing listens on $proto/$port in $ns"
}

# pl_run NS CMD...: foreground traffic command, bounded (PL_RUN_TIMEOUT, default 20 s);
# exit code and a one-line digest of the output go to actions.log. Never fails the run:
# refused or dropped connections are what several scenarios are about.
pl_run() {
  local ns=$1 rc=0 out
  shift
  out=$(ip netns exec "$ns" timeout -k 2 "${PL_RUN_TIMEOUT:-20}" "$@" 2>&1) || rc=$?
  pl_log "$ns rc=$rc :: $* :: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-400)"
  # shellcheck disable=SC2034 # read by scenarios (e.g. to loop until both backends answered)
  PL_LAST_RC=$rc PL_LAST_OUT=$out
  return 0
}

pl_py() { printf '%s\n' "$PL_PY_DIR/$1"; } # path of one of the lab's python helpers

pl_http_server() { # pl_http_server NS ADDR PORT NAME: python http server, access log in server-logs/
  local ns=$1 addr=$2 port=$3 name=$4
  PL_BG_ERR="$PL_OUT/server-logs/$name.log" pl_bg "$name" "$ns" 120 "$PL_PY" "$(pl_py httpd.py)" "$addr" "$port" "$name"
  pl_wait_listen "$ns" tcp "$port"
}

pl_udp_echo() { # pl_udp_echo NS ADDR PORT NAME
  local ns=$1 addr=$2 port=$3 name=$4
  PL_BG_ERR="$PL_OUT/server-logs/$name.log" pl_bg "$name" "$ns" 120 "$PL_PY" "$(pl_py udp_echo.py)" "$addr" "$port" "$name"
  pl_wait_listen "$ns" udp "$port"
}

# Instrumentation, tagged with comments so that an analyzer can recognise (and ignore) it:
#  * TRACE rules at the top of raw PREROUTING/OUTPUT ("pl-trace");
#  * passive probes without a target in mangle PREROUTING/OUTPUT ("pl-probe ctstate=X",
#    "pl-probe ctdir=X"): a matching rule shows up in the trace as CONTINUE, so the kernel
#    itself states each traced packet's conntrack state. They also make sure conntrack is
#    active in the node: a netns only registers conntrack hooks once a rule needs them (a
#    routed node without NAT or ctstate rules has no conntrack at all).
pl_trace_rules() {
  local ns=$1 cmd c st
  local -a cmds=(iptables)
  if [[ $PL_TRACE_V6 == 1 ]]; then cmds+=(ip6tables); fi
  for cmd in "${cmds[@]}"; do
    for c in PREROUTING OUTPUT; do
      ip netns exec "$ns" "$cmd" -t raw -I "$c" 1 -m comment --comment pl-trace -j TRACE
      for st in NEW ESTABLISHED RELATED INVALID UNTRACKED; do
        ip netns exec "$ns" "$cmd" -t mangle -I "$c" -m conntrack --ctstate "$st" -m comment --comment "pl-probe ctstate=$st"
      done
      for st in ORIGINAL REPLY; do
        ip netns exec "$ns" "$cmd" -t mangle -I "$c" -m conntrack --ctdir "$st" -m comment --comment "pl-probe ctdir=$st"
      done
    done
  done
}

# pl_ensure_chains NS [iptables|ip6tables]: creates every built-in chain with policy ACCEPT.
# With iptables-nft a base chain only exists once something touches it (`iptables -L`
# does not), and a chain that does not exist never appears in the trace. Called by
# pl_node, before the scenario sets its own policies.
pl_ensure_chains() {
  local ns=$1 cmd=${2:-iptables} t
  for t in raw:PREROUTING raw:OUTPUT mangle:PREROUTING mangle:INPUT mangle:FORWARD mangle:OUTPUT \
    mangle:POSTROUTING nat:PREROUTING nat:INPUT nat:OUTPUT nat:POSTROUTING filter:INPUT filter:FORWARD filter:OUTPUT; do
    ip netns exec "$ns" "$cmd" -t "${t%%:*}" -P "${t#*:}" ACCEPT
  done
}

pl_conntrack_stats() { # appends a "### LABEL" block with conntrack -S and -C to conntrack-stats.txt
  local label=$1
  {
    echo "### $label $(date +%s.%N)"
    echo "# conntrack -S"
    ip netns exec "$PL_NODE" conntrack -S 2>&1 || true
    echo "# conntrack -C"
    ip netns exec "$PL_NODE" conntrack -C 2>&1 || true
  } >>"$PL_OUT/conntrack-stats.txt"
}

# pl_capture_start: starts every recorder in the node namespace.
pl_capture_start() {
  [[ -n "$PL_NODE" ]] || pl_die "pl_node was not called"
  local ifs=() ifc
  mapfile -t ifs < <(ip -n "$PL_NODE" -j link show | "$PL_PY" -c 'import json,sys; [print(l["ifname"]) for l in json.load(sys.stdin)]')
  PL_NODE_IFACES=("${ifs[@]}")
  if [[ $PL_TRACE_RULES == 1 ]]; then pl_trace_rules "$PL_NODE"; fi
  pl_conntrack_stats before

  # Classic pcap, nanosecond, LINUX_SLL2 (ifindex per packet). -p: `any` cannot be
  # promiscuous anyway; -U: packet-buffered so that nothing is lost on stop.
  local dlt=(-y LINUX_SLL2)
  local dlts
  dlts=$(ip netns exec "$PL_NODE" tcpdump -L -i any 2>&1 || true) # no `| grep -q`: SIGPIPE + pipefail
  if [[ $dlts != *LINUX_SLL2* ]]; then
    dlt=()
    pl_note "tcpdump has no LINUX_SLL2 for any: capture.pcap uses the default link type (LINUX_SLL)"
  fi
  PL_BG_ERR="$PL_WORK/tcpdump.err" pl_bg tcpdump "$PL_NODE" 300 \
    tcpdump -Z root -i any -p -s 0 -U --time-stamp-precision=nano "${dlt[@]}" -w "$PL_OUT/capture.pcap"
  # One dumpcap per interface (one dumpcap with several -i loses packets of quiet
  # interfaces); -p because a promiscuous bridge passes frames up and changes forwarding.
  if command -v dumpcap >/dev/null && [[ "${PL_DUMPCAP:-1}" == 1 ]]; then
    for ifc in "${PL_NODE_IFACES[@]}"; do
      pl_bg "dumpcap-$ifc" "$PL_NODE" 300 dumpcap -q -i "$ifc" -p -s 0 -w "$PL_WORK/dumpcap-$ifc.pcapng"
    done
  fi
  # Two independent conntrack listeners (formats differ; each keeps its own stderr so the
  # summary line never lands in the middle of the log). stdbuf: line-buffered even if killed.
  PL_BG_OUT="$PL_OUT/conntrack.log" pl_bg conntrack "$PL_NODE" 300 stdbuf -oL conntrack -E -o timestamp,id
  PL_BG_OUT="$PL_OUT/conntrack-ext.log" pl_bg conntrack-ext "$PL_NODE" 300 stdbuf -oL conntrack -E -o timestamp,extended,id
  if [[ $PL_TRACE_RULES == 1 ]]; then
    # A 64 MiB netlink buffer via a tiny LD_PRELOAD shim (shim/rcvbuf.c), built when a C
    # compiler exists (PL_XTM_SHIM=0 disables it); without it xtables-monitor may die with ENOBUFS.
    local preload=()
    if [[ ${PL_XTM_SHIM:-1} == 1 ]] && command -v cc >/dev/null &&
      cc -shared -fPIC -O2 -o "$PL_WORK/rcvbuf.so" "$PL_LAB_DIR/shim/rcvbuf.c" -ldl 2>>"$PL_WORK/shim.err"; then
      preload=(env "LD_PRELOAD=$PL_WORK/rcvbuf.so")
      PL_XTM_SHIM_USED=1
    else
      pl_note "xtables-monitor runs without the SO_RCVBUFFORCE shim (no C compiler or PL_XTM_SHIM=0): it may die with ENOBUFS"
    fi
    PL_BG_OUT="$PL_OUT/trace.log" pl_bg xtables-monitor "$PL_NODE" 300 "${preload[@]}" stdbuf -oL xtables-monitor --trace
    # nft monitor sets a 16 MiB receive buffer itself and prints ICMP type/TCP flags:
    # the fallback when xtables-monitor dies (ENOBUFS, IPv6 parse errors).
    PL_BG_OUT="$PL_OUT/trace-nft.log" pl_bg nft-monitor "$PL_NODE" 300 stdbuf -oL nft monitor trace
  fi
  # Wait until tcpdump says it listens (max 5 s), then give the netlink listeners a moment.
  local i
  for i in $(seq 1 50); do
    grep -q 'listening on' "$PL_WORK/tcpdump.err" 2>/dev/null && break
    sleep 0.1
  done
  sleep 0.7
  PL_CAPTURING=1
  PL_TRAFFIC_START=$(date +%s.%N)
  pl_log "capture started in $PL_NODE (interfaces: ${PL_NODE_IFACES[*]})"
}

# pl_capture_stop: lets the listeners flush, stops them, merges per-interface captures.
pl_capture_stop() {
  [[ $PL_CAPTURING == 1 ]] || return 0
  pl_log "traffic finished; stopping captures"
  PL_TRAFFIC_END=$(date +%s.%N)
  sleep "${PL_FLUSH_WAIT:-1}" # conntrack events and trace lines arrive asynchronously
  pl_conntrack_stats after
  # The table right after the traffic, with counters (stdout only: the summary line goes
  # to stderr and must not land in the middle of the file).
  {
    echo "# conntrack -L -o extended,id (table at end of traffic)"
    ip netns exec "$PL_NODE" conntrack -L -o extended,id 2>"$PL_WORK/ct-L.err" || true
  } >"$PL_OUT/conntrack-table.txt"
  local n
  for n in tcpdump conntrack conntrack-ext xtables-monitor nft-monitor; do pl_stop "$n"; done
  local files=() ifc
  for ifc in "${PL_NODE_IFACES[@]}"; do
    pl_stop "dumpcap-$ifc"
    if [[ -s "$PL_WORK/dumpcap-$ifc.pcapng" ]]; then files+=("$PL_WORK/dumpcap-$ifc.pcapng"); fi
  done
  if ((${#files[@]})) && command -v mergecap >/dev/null; then
    mergecap -w "$PL_OUT/capture-ifaces.pcapng" "${files[@]}" 2>>"$PL_WORK/mergecap.err" ||
      pl_note "mergecap failed: $(cat "$PL_WORK/mergecap.err")"
  elif [[ "${PL_DUMPCAP:-1}" == 1 ]]; then
    pl_note "no per-interface capture (dumpcap or mergecap missing or produced nothing)"
  fi
  cat "$PL_WORK/tcpdump.err" >"$PL_OUT/capture-stats.txt" 2>/dev/null || true
  for ifc in "${PL_NODE_IFACES[@]}"; do
    if [[ -s "$PL_WORK/dumpcap-$ifc.err" ]]; then { echo "## dumpcap $ifc"; cat "$PL_WORK/dumpcap-$ifc.err"; } >>"$PL_OUT/capture-stats.txt"; fi
  done
  if [[ $PL_TRACE_RULES == 1 ]]; then
    if grep -qi 'no buffer space' "$PL_WORK/xtables-monitor.err" 2>/dev/null; then
      PL_XTM_ENOBUFS=1
      pl_note "xtables-monitor died with ENOBUFS (net.core.rmem_default is not writable in a netns); trace.log is truncated, trace-nft.log is complete"
    fi
    if grep -qi 'unsupported\|failed' "$PL_WORK/xtables-monitor.err" 2>/dev/null; then
      pl_note "xtables-monitor: $(head -c 300 "$PL_WORK/xtables-monitor.err" | tr '\n' ' ')"
    fi
  fi
  local f
  for f in conntrack conntrack-ext; do
    if grep -qi 'no buffer space\|ENOBUFS' "$PL_WORK/$f.err" 2>/dev/null; then
      pl_note "$f listener reported ENOBUFS: some events are missing"
    fi
  done
  PL_CAPTURING=0
}

# pl_route_get ARGS...: one `ip route get` query run in the node at the end (route-get.json).
pl_route_get() { PL_ROUTE_QUERIES+=("$*"); }

# pl_expect JSON: a statement about the kernel's behaviour that truth.py checks against
# kernel data (see truth.py for the kinds). Written to expect.json.
pl_expect() { printf '%s\n' "$1" >>"$PL_OUT/expect.jsonl"; }

pl_dump_state() {
  local ns=$PL_NODE o=$PL_OUT
  ip -n "$ns" -j addr >"$o/ip-addr.json"
  ip -n "$ns" addr >"$o/ip-addr.txt"
  ip -n "$ns" -j -d link >"$o/ip-link.json"
  ip -n "$ns" -j route show table all >"$o/ip-route.json"
  ip -n "$ns" route show table all >"$o/ip-route.txt"
  ip -n "$ns" -j -6 route show table all >"$o/ip-route6.json"
  ip -n "$ns" -6 route show table all >"$o/ip-route6.txt"
  ip -n "$ns" -j rule >"$o/ip-rule.json"
  ip -n "$ns" rule >"$o/ip-rule.txt"
  ip -n "$ns" -j -6 rule >"$o/ip-rule6.json"
  ip -n "$ns" -j neigh >"$o/ip-neigh.json"
  ip netns exec "$ns" iptables-save -c >"$o/iptables-save.txt" 2>>"$PL_WORK/dump.err" || true
  ip netns exec "$ns" ip6tables-save -c >"$o/ip6tables-save.txt" 2>>"$PL_WORK/dump.err" || true
  ip netns exec "$ns" nft -j list ruleset >"$o/nft-ruleset.json" 2>>"$PL_WORK/dump.err" || true
  ip netns exec "$ns" nft list ruleset >"$o/nft-ruleset.txt" 2>>"$PL_WORK/dump.err" || true
  # Kernel SNMP/netstat counters (absolute, history untouched): rp_filter drops etc.
  ip netns exec "$ns" nstat -asz >"$o/nstat.txt" 2>>"$PL_WORK/dump.err" || true
  # Sysctls of interest: forwarding, rp_filter, route_localnet, bridge-nf, conntrack.
  ip netns exec "$ns" sysctl -a 2>/dev/null |
    grep -E '^net\.(ipv4\.(ip_forward|ip_local_port_range|conf\.[^.]+\.(forwarding|rp_filter|route_localnet|accept_local|accept_redirects|send_redirects|log_martians|mtu))|ipv6\.conf\.[^.]+\.(forwarding|disable_ipv6)|bridge\.|netfilter\.)' |
    sort >"$o/sysctl.txt" || true
  # topology.json: links/addresses/routes of every namespace, with its role.
  local pair args=()
  for pair in "${PL_NS_ROLES[@]}"; do args+=("$pair"); done
  "$PL_PY" "$(pl_py topology.py)" "$o/topology.json" "${args[@]}" || pl_note "topology.json failed"
  # route-get.json
  local q
  : >"$PL_WORK/route-get.tsv"
  for q in "${PL_ROUTE_QUERIES[@]}"; do
    local rc=0 out
    # shellcheck disable=SC2086 # the query is a list of ip-route-get words on purpose
    out=$(ip -n "$ns" -j -d route get $q 2>&1) || rc=$?
    printf '%s\t%s\t%s\n' "$q" "$rc" "$(printf '%s' "$out" | tr '\n\t' '  ')" >>"$PL_WORK/route-get.tsv"
  done
  "$PL_PY" - "$PL_WORK/route-get.tsv" "$ns" >"$o/route-get.json" <<'EOF'
import json, sys
res = []
for line in open(sys.argv[1]):
    q, rc, out = line.rstrip('\n').split('\t', 2)
    e = {"query": q, "command": "ip -j -d route get " + q, "netns": sys.argv[2], "rc": int(rc)}
    if int(rc) == 0:
        e["result"] = json.loads(out)
    else:
        e["error"] = out.strip()
    res.append(e)
json.dump(res, sys.stdout, indent=1)
EOF
}

pl_write_meta() {
  local roles
  roles=$(printf '%s\n' "${PL_NS_ROLES[@]}")
  PL_META_ROLES=$roles PL_META_NOTES=$(printf '%s\n' "${PL_NOTES[@]+"${PL_NOTES[@]}"}") \
    PL_META_IFACES="${PL_NODE_IFACES[*]}" PL_META_PIDS="$(cat "$PL_WORK/pids" 2>/dev/null || true)" \
    PL_SCENARIO=$PL_SCENARIO PL_DESC=$PL_DESC PL_NODE=$PL_NODE PL_RUNID=$PL_RUNID \
    PL_TRAFFIC_START=${PL_TRAFFIC_START:-} PL_TRAFFIC_END=${PL_TRAFFIC_END:-} PL_START=$PL_START \
    PL_TRACE_RULES=$PL_TRACE_RULES PL_XTM_ENOBUFS=${PL_XTM_ENOBUFS:-0} PL_XTM_SHIM_USED=${PL_XTM_SHIM_USED:-0} \
    "$PL_PY" "$(pl_py meta.py)" >"$PL_OUT/meta.json"
}

# pl_finish: dumps the node, stops servers, writes meta.json and truth.json.
pl_finish() {
  pl_capture_stop
  pl_dump_state
  local i
  for i in "${!PL_PIDNAMES[@]}"; do pl_stop "${PL_PIDNAMES[$i]}"; done
  if [[ -f "$PL_OUT/expect.jsonl" ]]; then
    "$PL_PY" -c 'import json,sys; json.dump([json.loads(l) for l in open(sys.argv[1]) if l.strip()], open(sys.argv[2],"w"), indent=1)' \
      "$PL_OUT/expect.jsonl" "$PL_OUT/expect.json"
    rm -f "$PL_OUT/expect.jsonl"
  fi
  pl_write_meta
  "$PL_PY" "$PL_LAB_DIR/truth.py" "$PL_OUT" || pl_die "truth.py failed"
  pl_log "run finished"
}

# Cleanup trap: kill our PIDs, then anything still running inside our namespaces (those
# processes can only have been started by this run), then delete the namespaces.
pl_cleanup() {
  local rc=$?
  [[ $PL_CLEANED == 1 ]] && return
  PL_CLEANED=1
  set +e
  local pid ns p
  for pid in "${PL_PIDS[@]+"${PL_PIDS[@]}"}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PL_PIDS[@]+"${PL_PIDS[@]}"}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  for ns in "${PL_NAMESPACES[@]+"${PL_NAMESPACES[@]}"}"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  if [[ -n "${PL_WORK:-}" && -d "${PL_WORK:-}" ]]; then rm -rf "$PL_WORK"; fi
  exit "$rc"
}

# pl_topo_router [SERVER_DEFAULT_ROUTE=1]: the common three-namespace topology
#   client 10.10.1.2 --eth0-- [node eth0 10.10.1.1 | eth1 10.10.2.1] --eth0-- server 10.10.2.2
# Sets C, N, S to the namespace names; forwarding on in the node; pl_node not yet called.
pl_topo_router() {
  local server_default=${1:-1}
  pl_ns client C
  pl_ns node N
  pl_ns server S
  pl_veth "$C" eth0 "$N" eth0 02:00:0a:0a:01:02 02:00:0a:0a:01:01
  pl_veth "$N" eth1 "$S" eth0 02:00:0a:0a:02:01 02:00:0a:0a:02:02
  pl_addr "$C" eth0 10.10.1.2/24
  pl_addr "$N" eth0 10.10.1.1/24
  pl_addr "$N" eth1 10.10.2.1/24
  pl_addr "$S" eth0 10.10.2.2/24
  ip -n "$C" route add default via 10.10.1.1
  if [[ $server_default == 1 ]]; then ip -n "$S" route add default via 10.10.2.1; fi
  pl_sysctl "$N" net.ipv4.ip_forward=1
}
