#!/usr/bin/env bash
# desc: two uplinks: main table default via isp1, `ip rule from 10.10.1.3` and `fwmark 0x1` (mangle MARK for tcp/443) to table 200 via isp2; MASQUERADE on both
# Topology:
#   client 10.10.1.2 + 10.10.1.3 --eth0-- [node eth0 10.10.1.1 | eth1 10.20.1.1 | eth2 10.20.2.1]
#   eth1 -- isp1 10.20.1.2, eth2 -- isp2 10.20.2.2; both ISPs own 198.51.100.10 (the "internet"
#   server, on lo) and answer with their own name, so the route taken is visible in the reply.
# shellcheck source-path=SCRIPTDIR/.. source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

pl_begin policy-routing "${1:-}" "policy routing: default via isp1 (main), ip rule from 10.10.1.3 -> table 200 (isp2), ip rule fwmark 0x1 -> table 200, mangle PREROUTING MARK tcp/443; MASQUERADE per uplink"
pl_ns client C
pl_ns node N
pl_ns isp1 I1
pl_ns isp2 I2
pl_veth "$C" eth0 "$N" eth0 02:00:0a:0a:01:02 02:00:0a:0a:01:01
pl_veth "$N" eth1 "$I1" eth0 02:00:0a:14:01:01 02:00:0a:14:01:02
pl_veth "$N" eth2 "$I2" eth0 02:00:0a:14:02:01 02:00:0a:14:02:02
pl_addr "$C" eth0 10.10.1.2/24
pl_addr "$C" eth0 10.10.1.3/24
pl_addr "$N" eth0 10.10.1.1/24
pl_addr "$N" eth1 10.20.1.1/24
pl_addr "$N" eth2 10.20.2.1/24
pl_addr "$I1" eth0 10.20.1.2/24
pl_addr "$I2" eth0 10.20.2.2/24
pl_addr "$I1" lo 198.51.100.10/32
pl_addr "$I2" lo 198.51.100.10/32
ip -n "$C" route add default via 10.10.1.1
pl_sysctl "$N" net.ipv4.ip_forward=1
# Policy routing in the node.
ip -n "$N" route add default via 10.20.1.2 dev eth1
ip -n "$N" route add default via 10.20.2.2 dev eth2 table 200
ip -n "$N" rule add from 10.10.1.3 lookup 200 pref 1000
ip -n "$N" rule add fwmark 0x1 lookup 200 pref 1100

pl_node "$N"
# The mark is set in mangle PREROUTING, before the routing decision that reads it.
ip netns exec "$N" iptables -t mangle -A PREROUTING -i eth0 -p tcp --dport 443 -j MARK --set-mark 0x1
ip netns exec "$N" iptables -t nat -A POSTROUTING -o eth1 -j MASQUERADE
ip netns exec "$N" iptables -t nat -A POSTROUTING -o eth2 -j MASQUERADE

for isp in 1 2; do
  var="I$isp"
  pl_http_server "${!var}" 198.51.100.10 80 "isp$isp-http"
  pl_http_server "${!var}" 198.51.100.10 443 "isp$isp-https-port"
done

pl_capture_start
w='%{http_code} local=%{local_ip}:%{local_port}\n'
pl_run "$C" curl -sS --max-time 3 --interface 10.10.1.2 --local-port 41001 -w "$w" http://198.51.100.10/
pl_run "$C" curl -sS --max-time 3 --interface 10.10.1.3 --local-port 41002 -w "$w" http://198.51.100.10/
pl_run "$C" curl -sS --max-time 3 --interface 10.10.1.2 --local-port 41003 -w "$w" http://198.51.100.10:443/
pl_run "$C" ping -n -c 2 -i 0.2 -I 10.10.1.3 -e 4097 198.51.100.10

pl_route_get 198.51.100.10 from 10.10.1.2 iif eth0
pl_route_get 198.51.100.10 from 10.10.1.3 iif eth0
pl_route_get 198.51.100.10 from 10.10.1.2 iif eth0 mark 0x1
pl_route_get 198.51.100.10

pl_expect '{"name":"10.10.1.2:80 leaves via isp1 (main table), masqueraded to 10.20.1.1","kind":"flows","where":{"proto":"tcp","orig.sport":41001,"reply.dst":"10.20.1.1","assured":true},"count":["==",1]}'
pl_expect '{"name":"10.10.1.3 leaves via isp2 (ip rule from), masqueraded to 10.20.2.1","kind":"flows","where":{"proto":"tcp","orig.sport":41002,"reply.dst":"10.20.2.1","assured":true},"count":["==",1]}'
pl_expect '{"name":"tcp/443 marked and routed via isp2 (ip rule fwmark)","kind":"flows","where":{"proto":"tcp","orig.sport":41003,"reply.dst":"10.20.2.1","assured":true},"count":["==",1]}'
pl_expect '{"name":"the MARK rule counted the 443 packets of the client","kind":"rule","table":"mangle","chain":"PREROUTING","match":"MARK","packets":[">=",3]}'
pl_expect '{"name":"ping from 10.10.1.3 via isp2","kind":"flows","where":{"proto":"icmp","orig.src":"10.10.1.3","reply.dst":"10.20.2.1"},"count":["==",1]}'
pl_expect '{"name":"route from 10.10.1.2: eth1","kind":"route","query":"198.51.100.10 from 10.10.1.2 iif eth0","field":"dev","equals":"eth1"}'
pl_expect '{"name":"route from 10.10.1.3: eth2 (table 200)","kind":"route","query":"198.51.100.10 from 10.10.1.3 iif eth0","field":"dev","equals":"eth2"}'
pl_expect '{"name":"route with mark 0x1: eth2","kind":"route","query":"198.51.100.10 from 10.10.1.2 iif eth0 mark 0x1","field":"dev","equals":"eth2"}'

pl_finish
