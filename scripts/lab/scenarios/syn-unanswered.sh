#!/usr/bin/env bash
# desc: SYNs that get no answer: to a blackholed prefix (dropped by the node's routing: no flow) and to a server that silently drops (flow stays SYN_SENT/UNREPLIED)
# Topology: client 10.10.1.2 -- [node eth0 10.10.1.1 | eth1 10.10.2.1] -- server 10.10.2.2
# shellcheck source-path=SCRIPTDIR/.. source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

pl_begin syn-unanswered "${1:-}" "unanswered SYNs: 10.10.9.9 is a blackhole route in the node (SYN dropped after PREROUTING, no conntrack flow); the server drops tcp/8080 itself (flow SYN_SENT, UNREPLIED, SYN retransmitted)"
pl_topo_router 1 # the server routes back via the node
ip -n "$N" route add blackhole 10.10.9.0/24
# The server's own firewall drops the port: the node forwards the SYNs and sees no answer.
ip netns exec "$S" iptables -A INPUT -p tcp --dport 8080 -j DROP
pl_node "$N"

pl_capture_start
pl_run "$C" curl -sS --max-time 3.5 --local-port 41001 http://10.10.9.9/
pl_run "$C" curl -sS --max-time 3.5 --local-port 41002 http://10.10.2.2:8080/

pl_route_get 10.10.9.9
pl_route_get 10.10.9.9 from 10.10.1.2 iif eth0
pl_route_get 10.10.2.2 from 10.10.1.2 iif eth0

pl_expect '{"name":"blackholed SYNs created no flow","kind":"flows","where":{"orig.dst":"10.10.9.9"},"count":["==",0]}'
pl_expect '{"name":"route lookup to 10.10.9.9 fails: the kernel answers EINVAL for a blackhole route","kind":"route","query":"10.10.9.9 from 10.10.1.2 iif eth0","rc":2}'
pl_expect '{"name":"SYN to the server: one flow, never replied","kind":"flows","where":{"proto":"tcp","orig.dport":8080,"states":["SYN_SENT"],"assured":false,"final.flags":["UNREPLIED"]},"count":["==",1]}'
pl_expect '{"name":"SYNs retransmitted (capture, both targets)","kind":"capture","field":"tcp_syn_retransmitted","count":[">=",2]}'

pl_finish
