#!/usr/bin/env bash
# desc: client -> router (node) -> server; DNAT 8080->server:80, 8081->closed port (RST via NAT), udp 7777, MASQUERADE; HTTP, ping, RSTs, UDP
# Topology (all namespaces of this run):
#   client 10.10.1.2 --eth0-- [node: eth0 10.10.1.1 | eth1 10.10.2.1] --eth1-- server 10.10.2.2
# The server has no default route: its answers only reach the client because MASQUERADE
# makes the node's 10.10.2.1 the source of the forwarded connections.
# shellcheck source-path=SCRIPTDIR/.. source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

pl_begin portforward "${1:-}" "client -> router(node) -> server; DNAT router:8080->server:80 (+8081->closed port, udp 7777), MASQUERADE; HTTP, ping, RSTs, UDP echo"
# the server has no default route: replies reach the client only through the masquerade
pl_topo_router 0

pl_node "$N"
ipt() { ip netns exec "$N" iptables "$@"; }
ipt -t nat -A PREROUTING -d 10.10.1.1/32 -p tcp --dport 8080 -j DNAT --to-destination 10.10.2.2:80
ipt -t nat -A PREROUTING -d 10.10.1.1/32 -p tcp --dport 8081 -j DNAT --to-destination 10.10.2.2:81
ipt -t nat -A PREROUTING -d 10.10.1.1/32 -p udp --dport 7777 -j DNAT --to-destination 10.10.2.2:7777
ipt -t nat -A POSTROUTING -o eth1 -j MASQUERADE

pl_http_server "$S" 10.10.2.2 80 http-server
pl_udp_echo "$S" 10.10.2.2 7777 udp-echo

pl_capture_start
curl_w='%{http_code} %{remote_ip}:%{remote_port} local=%{local_ip}:%{local_port} size=%{size_download}\n'
pl_run "$C" curl -sS --max-time 5 --local-port 41001 -o /dev/null -w "$curl_w" http://10.10.1.1:8080/
# keep-alive: two requests on one connection, the second with a 20 kB body
pl_run "$C" curl -sS --max-time 5 --local-port 41002 -o /dev/null -o /dev/null -w "$curl_w" http://10.10.1.1:8080/ http://10.10.1.1:8080/bytes/20000
pl_run "$C" curl -sS --max-time 5 --local-port 41003 -o /dev/null -w "$curl_w" -H 'Connection: close' http://10.10.1.1:8080/bytes/100
pl_run "$C" ping -n -c 3 -i 0.2 -e 4097 10.10.1.1
pl_run "$C" ping -n -c 3 -i 0.2 -e 4098 10.10.2.2
# Closed port behind DNAT: the server's RST comes back through the NAT.
pl_run "$C" curl -sS --max-time 5 --local-port 41004 -o /dev/null -w "$curl_w" http://10.10.1.1:8081/
# Closed port on the node itself: the node's own RST (INPUT/OUTPUT, no NAT).
pl_run "$C" curl -sS --max-time 5 --local-port 41005 -o /dev/null -w "$curl_w" http://10.10.1.1:9999/
pl_run "$C" "$PL_PY" "$(pl_py udp_client.py)" 10.10.1.1 7777 --sport 42001 --count 3

pl_route_get 10.10.2.2
pl_route_get 10.10.1.2
pl_route_get 10.10.1.1
pl_route_get 10.10.2.2 from 10.10.1.2 iif eth0
pl_route_get 10.10.1.2 from 10.10.2.2 iif eth1
pl_route_get 10.10.1.1 from 10.10.1.2 iif eth0
pl_route_get 192.0.2.1

# What the kernel must have done (checked by truth.py against kernel data only).
pl_expect '{"name":"3 HTTP connections DNATed to the server and masqueraded","kind":"flows","where":{"proto":"tcp","orig.dport":8080,"reply.src":"10.10.2.2","reply.sport":80,"reply.dst":"10.10.2.1","nat.dnat":true,"nat.snat":true,"assured":true},"count":["==",3]}'
pl_expect '{"name":"connection to 8081 DNATed, refused by the server (RST), never assured","kind":"flows","where":{"proto":"tcp","orig.dport":8081,"reply.src":"10.10.2.2","reply.sport":81,"assured":false},"count":["==",1]}'
pl_expect '{"name":"connection to the node port 9999 not NATed","kind":"flows","where":{"proto":"tcp","orig.dport":9999,"nat.dnat":false,"nat.snat":false},"count":["==",1]}'
pl_expect '{"name":"UDP 7777 flow DNATed with 3 packets each way","kind":"flows","where":{"proto":"udp","orig.dport":7777,"reply.src":"10.10.2.2","final.counters.orig.packets":3,"final.counters.reply.packets":3},"count":["==",1]}'
pl_expect '{"name":"ping to the server masqueraded","kind":"flows","where":{"proto":"icmp","orig.dst":"10.10.2.2","nat.snat":true},"count":["==",1]}'
pl_expect '{"name":"ping to the node not NATed","kind":"flows","where":{"proto":"icmp","orig.dst":"10.10.1.1","nat.snat":false,"nat.dnat":false},"count":["==",1]}'
pl_expect '{"name":"DNAT 8080 rule counted the 3 first packets","kind":"rule","table":"nat","chain":"PREROUTING","match":"--dport 8080","packets":["==",3]}'
pl_expect '{"name":"MASQUERADE counted one packet per forwarded flow","kind":"rule","table":"nat","chain":"POSTROUTING","match":"MASQUERADE","packets":["==",6]}'
pl_expect '{"name":"route to the server via eth1","kind":"route","query":"10.10.2.2","field":"dev","equals":"eth1"}'
pl_expect '{"name":"no route to 192.0.2.1 (no default route in the node)","kind":"route","query":"192.0.2.1","rc":2}'
pl_expect '{"name":"RST from the server seen in the capture","kind":"capture","field":"tcp_rst","count":[">=",2]}'

pl_finish
