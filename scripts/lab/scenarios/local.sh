#!/usr/bin/env bash
# desc: processes in the node: 127.0.0.1 and own address, nat OUTPUT REDIRECT, UDP on loopback, ping itself; node -> external and external -> node
# Topology: external 10.10.1.2 --eth0-- node 10.10.1.1 (servers on 127.0.0.1:7001 and 10.10.1.1:7002)
# shellcheck source-path=SCRIPTDIR/.. source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

pl_begin local "${1:-}" "local traffic in the node: 127.0.0.1:7001, own address 10.10.1.1:7002, nat OUTPUT REDIRECT 10.10.1.1:7080->:7002, UDP on 127.0.0.1, ping itself; node -> external and external -> node"
pl_ns external X
pl_ns node N
pl_veth "$X" eth0 "$N" eth0 02:00:0a:0a:01:02 02:00:0a:0a:01:01
pl_addr "$X" eth0 10.10.1.2/24
pl_addr "$N" eth0 10.10.1.1/24

pl_node "$N"
# Locally generated traffic is DNATed in nat OUTPUT; REDIRECT of a locally generated packet
# rewrites the destination to 127.0.0.1 (incoming packets: to the incoming interface address).
ip netns exec "$N" iptables -t nat -A OUTPUT -d 10.10.1.1/32 -p tcp --dport 7080 -j REDIRECT --to-ports 7002
ip netns exec "$N" iptables -A INPUT -i lo -j ACCEPT
ip netns exec "$N" iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT

pl_http_server "$N" 127.0.0.1 7001 node-loopback-http
# 0.0.0.0: REDIRECT of locally generated packets goes to 127.0.0.1, not to 10.10.1.1
pl_http_server "$N" 0.0.0.0 7002 node-http
pl_udp_echo "$N" 127.0.0.1 7777 node-udp-echo
pl_http_server "$X" 10.10.1.2 80 external-http

pl_capture_start
pl_run "$N" curl -sS --max-time 5 --local-port 41001 -o /dev/null -w '%{http_code}\n' http://127.0.0.1:7001/
pl_run "$N" curl -sS --max-time 5 --local-port 41002 -o /dev/null -w '%{http_code}\n' http://10.10.1.1:7002/
pl_run "$N" curl -sS --max-time 5 --local-port 41003 -o /dev/null -w '%{http_code}\n' http://10.10.1.1:7080/
pl_run "$N" "$PL_PY" "$(pl_py udp_client.py)" 127.0.0.1 7777 --sport 42001 --count 2
pl_run "$N" ping -n -c 2 -i 0.2 -e 4097 10.10.1.1
pl_run "$N" curl -sS --max-time 5 --local-port 41004 -o /dev/null -w '%{http_code}\n' http://10.10.1.2/
pl_run "$N" ping -n -c 2 -i 0.2 -e 4098 10.10.1.2
pl_run "$X" curl -sS --max-time 5 --local-port 41005 -o /dev/null -w '%{http_code}\n' http://10.10.1.1:7002/
pl_run "$X" ping -n -c 2 -i 0.2 -e 4099 10.10.1.1
# 127.0.0.1:7001 is not reachable from outside (no route_localnet, no DNAT): refused/no route
pl_run "$X" curl -sS --max-time 2 --local-port 41006 -o /dev/null -w '%{http_code}\n' http://10.10.1.1:7001/

pl_route_get 127.0.0.1
pl_route_get 10.10.1.1
pl_route_get 10.10.1.2
pl_route_get 10.10.1.1 from 10.10.1.2 iif eth0

pl_expect '{"name":"loopback connection, no NAT","kind":"flows","where":{"proto":"tcp","orig.src":"127.0.0.1","orig.dst":"127.0.0.1","orig.dport":7001,"nat.dnat":false,"assured":true},"count":["==",1]}'
pl_expect '{"name":"own-address connection, no NAT","kind":"flows","where":{"proto":"tcp","orig.dst":"10.10.1.1","orig.dport":7002,"orig.sport":41002,"nat.dnat":false,"assured":true},"count":["==",1]}'
pl_expect '{"name":"nat OUTPUT REDIRECT 7080 -> 127.0.0.1:7002 (REDIRECT of local packets maps to 127.0.0.1)","kind":"flows","where":{"proto":"tcp","orig.dport":7080,"reply.src":"127.0.0.1","reply.sport":7002,"nat.dnat":true,"assured":true},"count":["==",1]}'
pl_expect '{"name":"REDIRECT rule counted once","kind":"rule","table":"nat","chain":"OUTPUT","match":"REDIRECT","packets":["==",1]}'
pl_expect '{"name":"UDP on loopback","kind":"flows","where":{"proto":"udp","orig.dst":"127.0.0.1","orig.dport":7777,"final.counters.reply.packets":2},"count":["==",1]}'
pl_expect '{"name":"node -> external HTTP","kind":"flows","where":{"proto":"tcp","orig.src":"10.10.1.1","orig.dst":"10.10.1.2","orig.dport":80,"assured":true},"count":["==",1]}'
pl_expect '{"name":"external -> node HTTP","kind":"flows","where":{"proto":"tcp","orig.src":"10.10.1.2","orig.dport":7002,"assured":true},"count":["==",1]}'
pl_expect '{"name":"three pings (self, out, in)","kind":"flows","where":{"proto":"icmp"},"count":["==",3]}'
pl_expect '{"name":"127.0.0.1 is a local route via lo","kind":"route","query":"127.0.0.1","field":"dev","equals":"lo"}'

pl_finish
