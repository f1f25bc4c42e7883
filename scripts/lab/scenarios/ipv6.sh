#!/usr/bin/env bash
# desc: portforward over IPv6: ip6tables DNAT [fd00:10:1::1]:8080 -> [fd00:10:2::2]:80 and MASQUERADE; HTTP, ping6, refused port
# Topology: client fd00:10:1::2 -- [node eth0 fd00:10:1::1 | eth1 fd00:10:2::1] -- server fd00:10:2::2 (no default route)
# shellcheck source-path=SCRIPTDIR/.. source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

PL_IPV6=1
PL_TRACE_V6=1
pl_begin ipv6 "${1:-}" "IPv6 port forward: ip6tables DNAT [fd00:10:1::1]:8080->[fd00:10:2::2]:80, :8081->:81 (closed), MASQUERADE -o eth1; HTTP, ping6, RST via DNAT"
pl_ns client C
pl_ns node N
pl_ns server S
pl_veth "$C" eth0 "$N" eth0 02:00:0a:0a:01:02 02:00:0a:0a:01:01
pl_veth "$N" eth1 "$S" eth0 02:00:0a:0a:02:01 02:00:0a:0a:02:02
pl_addr "$C" eth0 fd00:10:1::2/64
pl_addr "$N" eth0 fd00:10:1::1/64
pl_addr "$N" eth1 fd00:10:2::1/64
pl_addr "$S" eth0 fd00:10:2::2/64
ip -n "$C" -6 route add default via fd00:10:1::1
pl_sysctl "$N" net.ipv6.conf.all.forwarding=1
# IPv4 is not used here; ICMPv6 ND/MLD are part of the capture (and untracked or tracked as icmpv6).

pl_node "$N"
ip6() { ip netns exec "$N" ip6tables "$@"; }
ip6 -t nat -A PREROUTING -d fd00:10:1::1/128 -p tcp --dport 8080 -j DNAT --to-destination '[fd00:10:2::2]:80'
ip6 -t nat -A PREROUTING -d fd00:10:1::1/128 -p tcp --dport 8081 -j DNAT --to-destination '[fd00:10:2::2]:81'
ip6 -t nat -A POSTROUTING -o eth1 -j MASQUERADE

pl_http_server "$S" fd00:10:2::2 80 http-server

pl_capture_start
w='%{http_code} local=%{local_ip}:%{local_port}\n'
pl_run "$C" curl -sS -g --max-time 5 --local-port 41001 -o /dev/null -w "$w" 'http://[fd00:10:1::1]:8080/'
pl_run "$C" curl -sS -g --max-time 5 --local-port 41002 -o /dev/null -w "$w" 'http://[fd00:10:1::1]:8080/bytes/20000'
pl_run "$C" curl -sS -g --max-time 5 --local-port 41003 -o /dev/null -w "$w" 'http://[fd00:10:1::1]:8081/'
pl_run "$C" ping -6 -n -c 2 -i 0.2 fd00:10:2::2
pl_run "$C" ping -6 -n -c 2 -i 0.2 fd00:10:1::1

pl_route_get fd00:10:2::2
pl_route_get fd00:10:2::2 from fd00:10:1::2 iif eth0
pl_route_get fd00:10:1::2

pl_expect '{"name":"HTTP over IPv6 DNATed and masqueraded","kind":"flows","where":{"family":"ipv6","proto":"tcp","orig.dport":8080,"reply.src":"fd00:10:2::2","reply.sport":80,"reply.dst":"fd00:10:2::1","assured":true},"count":["==",2]}'
pl_expect '{"name":"8081 refused through the DNAT","kind":"flows","where":{"family":"ipv6","proto":"tcp","orig.dport":8081,"reply.src":"fd00:10:2::2","assured":false},"count":["==",1]}'
pl_expect '{"name":"ping6 to the server masqueraded","kind":"flows","where":{"proto":"icmpv6","orig.dst":"fd00:10:2::2","nat.snat":true},"count":["==",1]}'
pl_expect '{"name":"DNAT rule counted 2 first packets","kind":"rule","family":"ipv6","table":"nat","chain":"PREROUTING","match":"--dport 8080","packets":["==",2]}'
pl_expect '{"name":"route to the server via eth1","kind":"route","query":"fd00:10:2::2","field":"dev","equals":"eth1"}'

pl_finish
