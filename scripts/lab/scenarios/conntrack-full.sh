#!/usr/bin/env bash
# desc: conntrack table full: tiny nf_conntrack_max in the node netns, new connections dropped (only where the kernel lets a netns lower it; exits 77 "not possible here" otherwise)
# Topology: client 10.10.1.2 -- [node] -- server 10.10.2.2
# net.netfilter.nf_conntrack_max is global on many kernels; in a non-init netns it is read-only
# (EINVAL) on others. This scenario never touches the root namespace: when the node netns
# cannot set its own limit, it says so and exits 77 (skipped).
# shellcheck source-path=SCRIPTDIR/.. source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

pl_begin conntrack-full "${1:-}" "nf_conntrack_max=8 in the node netns; 20 parallel connections: the ones beyond the limit are dropped (conntrack -S drop/early_drop, SYN retransmitted)"
pl_topo_router 1 # the server routes back via the node
MAX=8
# Read back: `sysctl -q -w` exits 0 even when the kernel refused the value.
ip netns exec "$N" sysctl -w "net.netfilter.nf_conntrack_max=$MAX" >/dev/null 2>"$PL_WORK/max.err" || true
if [[ $(ip netns exec "$N" sysctl -n net.netfilter.nf_conntrack_max) != "$MAX" ]]; then
  msg="net.netfilter.nf_conntrack_max is not writable in a network namespace on this kernel ($(uname -r): $(tr -d '\n' <"$PL_WORK/max.err")); lowering it would change the whole host, which the lab never does"
  pl_note "$msg"
  echo "lab: conntrack-full not possible here: $msg" >&2
  printf '{"scenario":"conntrack-full","skipped":true,"reason":%s}\n' "$("$PL_PY" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$msg")" >"$PL_OUT/meta.json"
  exit 77
fi

pl_node "$N"
pl_http_server "$S" 10.10.2.2 80 http-server
pl_capture_start
# 20 connections held open at the same time: more than nf_conntrack_max
for k in $(seq 1 20); do
  PL_BG_OUT="$PL_WORK/hold-$k.json" pl_bg "hold-$k" "$C" 10 "$PL_PY" "$(pl_py tcp_connect.py)" 10.10.2.2 80 --sport $((41000 + k)) --timeout 3 --hold 4
done
sleep 6
pl_expect '{"name":"conntrack dropped packets because the table was full","kind":"stat","counter":"drop","delta":[">=",1]}'
pl_expect '{"name":"at most nf_conntrack_max flows","kind":"flows","where":{"proto":"tcp"},"count":["<=",8]}'
pl_finish
