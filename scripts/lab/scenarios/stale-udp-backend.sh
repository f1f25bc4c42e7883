#!/usr/bin/env bash
# desc: UDP conntrack entry keeps pointing to a backend whose address vanished after the DNAT rule moved to a new backend (stale kube-proxy UDP entry)
# Topology: client 10.10.1.2 -- [node eth0 10.10.1.1 | eth1 10.10.2.1] -- server 10.10.2.2 (old) + 10.10.2.3 (new)
# shellcheck source-path=SCRIPTDIR/.. source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

pl_begin stale-udp-backend "${1:-}" "UDP service 10.10.1.1:5300 DNAT to 10.10.2.2; mid-stream the rule is replaced by 10.10.2.3 and 10.10.2.2 is removed: the client's existing flow (same socket) still goes to 10.10.2.2 and gets no answers; a new socket reaches 10.10.2.3"
pl_topo_router 1 # the server routes back via the node
pl_addr "$S" eth0 10.10.2.3/24
# 10.10.2.3 is a secondary address: keep it when the primary 10.10.2.2 is deleted
pl_sysctl "$S" net.ipv4.conf.eth0.promote_secondaries=1 net.ipv4.conf.all.promote_secondaries=1

pl_node "$N"
ip netns exec "$N" iptables -t nat -A PREROUTING -d 10.10.1.1/32 -p udp --dport 5300 -m comment --comment "svc backend v1" -j DNAT --to-destination 10.10.2.2:5300
pl_udp_echo "$S" 10.10.2.2 5300 backend-old
pl_udp_echo "$S" 10.10.2.3 5300 backend-new

pl_capture_start
# one socket, 16 requests 0.25 s apart (0.3 s reply timeout), for ~4 s
PL_BG_OUT="$PL_OUT/udp-client.jsonl" pl_bg udp-client "$C" 20 "$PL_PY" "$(pl_py udp_client.py)" 10.10.1.1 5300 --sport 42001 --count 16 --interval 0.25 --timeout 0.3
sleep 1.5
# "the backend pod is replaced": new rule, old address gone, conntrack entry NOT flushed
ip netns exec "$N" iptables -t nat -R PREROUTING 1 -d 10.10.1.1/32 -p udp --dport 5300 -m comment --comment "svc backend v2" -j DNAT --to-destination 10.10.2.3:5300
ip -n "$S" addr del 10.10.2.2/24 dev eth0
pl_log "rule replaced (backend 10.10.2.3), 10.10.2.2 removed from the server"
wait "$(pl_pid_of udp-client)" || true
pl_log "udp client (old socket): $(tr '\n' ' ' <"$PL_OUT/udp-client.jsonl" | cut -c1-600)"
pl_run "$C" "$PL_PY" "$(pl_py udp_client.py)" 10.10.1.1 5300 --sport 42002 --count 2 --timeout 0.5

pl_route_get 10.10.2.2
pl_route_get 10.10.2.3

pl_expect '{"name":"the old socket stays on the vanished backend 10.10.2.2 (one flow for all 16 datagrams)","kind":"flows","where":{"proto":"udp","orig.sport":42001,"reply.src":"10.10.2.2","final.counters.orig.packets":16},"count":["==",1]}'
pl_expect '{"name":"a new socket reaches the new backend","kind":"flows","where":{"proto":"udp","orig.sport":42002,"reply.src":"10.10.2.3","final.counters.reply.packets":2},"count":["==",1]}'
pl_expect '{"name":"the new DNAT rule only saw the new flow (nat is not consulted for an existing entry)","kind":"rule","table":"nat","chain":"PREROUTING","match":"svc backend v2","packets":["==",1]}'

pl_finish
