#!/usr/bin/env bash
# desc: PMTU black hole: the node's client-side link has MTU 1280, a rule drops the ICMP frag-needed the node generates, the server retransmits full-size segments
# Topology: client 10.10.1.2 (mtu 1500) --eth0 mtu 1280-- node --eth1 1500-- server 10.10.2.2
# Both ends announce MSS 1460, so the server's 1500-byte DF segments do not fit the node's eth0:
# the node answers ICMP type 3 code 4 (mtu 1280), which its own OUTPUT rule drops.
# shellcheck source-path=SCRIPTDIR/.. source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

pl_begin mtu-blackhole "${1:-}" "PMTU black hole: node eth0 mtu 1280 towards a client with mtu 1500; filter OUTPUT drops icmp fragmentation-needed; a 20 kB HTTP download stalls, full-size segments retransmitted"
pl_topo_router 1 # the server routes back via the node
ip -n "$N" link set eth0 mtu 1280

pl_node "$N"
ip netns exec "$N" iptables -A OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP
ip netns exec "$N" iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT

pl_http_server "$S" 10.10.2.2 80 http-server

pl_capture_start
# small answer: fits, works
pl_run "$C" curl -sS --max-time 3 --local-port 41001 -o /dev/null -w '%{http_code} size=%{size_download}\n' http://10.10.2.2/
# large answer: stalls (curl gives up after 4 s)
pl_run "$C" curl -sS --max-time 4 --local-port 41002 -o /dev/null -w '%{http_code} size=%{size_download}\n' http://10.10.2.2/bytes/20000

pl_route_get 10.10.1.2
pl_route_get 10.10.1.2 from 10.10.2.2 iif eth1

pl_expect '{"name":"the node generated frag-needed errors and dropped them in OUTPUT","kind":"rule","table":"filter","chain":"OUTPUT","match":"--icmp-type 3/4 -j DROP","packets":[">=",2]}'
pl_expect '{"name":"no frag-needed left the node (capture)","kind":"icmp_error","type":3,"code":4,"count":["==",0]}'
pl_expect '{"name":"the server retransmitted full-size data segments (capture)","kind":"capture","field":"tcp_data_retransmitted","count":[">=",1]}'
pl_expect '{"name":"the stalled connection is established in conntrack","kind":"flows","where":{"proto":"tcp","orig.sport":41002,"assured":true},"count":["==",1]}'
pl_expect '{"name":"route to the client: eth0 with mtu 1280 (link)","kind":"route","query":"10.10.1.2","field":"dev","equals":"eth0"}'

pl_finish
