#!/usr/bin/env bash
# desc: strict reverse-path filter (rp_filter=1) drops packets arriving on eth1 with a source routed via eth0 (asymmetric path); IPReversePathFilter counts them
# Topology: client 10.10.1.2 -- [node eth0 10.10.1.1 | eth1 10.10.2.1] -- server 10.10.2.2 (+ 10.10.1.50 on lo)
# The server sends from 10.10.1.50, an address of the client's subnet: the node's route back to
# it points out of eth0, so with rp_filter=1 the packet is dropped after PREROUTING.
# shellcheck source-path=SCRIPTDIR/.. source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

pl_begin rp-filter "${1:-}" "rp_filter=1 in the node: UDP and ping from 10.10.1.50 arriving on eth1 (route back via eth0) are dropped (martian source, IPReversePathFilter), normal traffic from 10.10.2.2 passes"
pl_topo_router 1 # the server routes back via the node
pl_addr "$S" lo 10.10.1.50/32
pl_sysctl "$N" net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1 net.ipv4.conf.eth0.rp_filter=1 net.ipv4.conf.eth1.rp_filter=1 net.ipv4.conf.all.log_martians=1

pl_node "$N"
pl_udp_echo "$C" 10.10.1.2 7777 client-udp-echo

pl_capture_start
pl_run "$S" "$PL_PY" "$(pl_py udp_client.py)" 10.10.1.2 7777 --sport 42001 --count 2 --timeout 0.5
pl_run "$S" "$PL_PY" "$(pl_py udp_client.py)" 10.10.1.2 7777 --sport 42002 --count 3 --timeout 0.5 --src 10.10.1.50
pl_run "$S" ping -n -c 2 -i 0.2 -I 10.10.1.50 -W 1 10.10.1.2

pl_route_get 10.10.1.2 from 10.10.1.50 iif eth1
pl_route_get 10.10.1.2 from 10.10.2.2 iif eth1
pl_route_get 10.10.1.50

pl_expect '{"name":"normal UDP from 10.10.2.2 forwarded both ways","kind":"flows","where":{"proto":"udp","orig.src":"10.10.2.2","final.counters.reply.packets":2},"count":["==",1]}'
pl_expect '{"name":"spoofed/asymmetric source: no conntrack flow (dropped before confirmation)","kind":"flows","where":{"orig.src":"10.10.1.50"},"count":["==",0]}'
pl_expect '{"name":"kernel counted reverse-path drops","kind":"netstat","counter":"TcpExtIPReversePathFilter","value":[">=",5]}'
pl_expect '{"name":"route lookup from 10.10.1.50 on eth1 fails (invalid cross-device link)","kind":"route","query":"10.10.1.2 from 10.10.1.50 iif eth1","rc":2}'

pl_finish
