#!/usr/bin/env bash
# desc: routed node with FORWARD policy DROP: dropped SYN retransmitted, REJECT (RELATED ICMP port-unreachable), INVALID packets from a raw socket
# Topology: client 10.10.1.2 -- [node eth0 10.10.1.1 | eth1 10.10.2.1] -- server 10.10.2.2
# No NAT: both ends route through the node.
# shellcheck source-path=SCRIPTDIR/.. source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

pl_begin firewall "${1:-}" "router FORWARD policy DROP: DROP tcp/81 (SYN retransmits), REJECT tcp/82 + udp/83 (RELATED ICMP), ctstate INVALID DROP with injected SYN/ACK, RST, SYN+FIN; HTTP, closed port, UDP, ping accepted"
pl_topo_router 1

pl_node "$N"
ipt() { ip netns exec "$N" iptables "$@"; }
ipt -P FORWARD DROP
ipt -A FORWARD -m conntrack --ctstate INVALID -j DROP
ipt -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
ipt -A FORWARD -p tcp --dport 81 -j DROP
ipt -A FORWARD -p tcp --dport 82 -j REJECT --reject-with icmp-port-unreachable
ipt -A FORWARD -p udp --dport 83 -j REJECT --reject-with icmp-port-unreachable
ipt -A FORWARD -p tcp --dport 80 -j ACCEPT
ipt -A FORWARD -p tcp --dport 85 -j ACCEPT
ipt -A FORWARD -p udp --dport 7777 -j ACCEPT
ipt -A FORWARD -p icmp --icmp-type echo-request -j ACCEPT

pl_http_server "$S" 10.10.2.2 80 http-server
pl_udp_echo "$S" 10.10.2.2 7777 udp-echo

pl_capture_start
curl_w='%{http_code} local=%{local_ip}:%{local_port} size=%{size_download}\n'
pl_run "$C" curl -sS --max-time 5 --local-port 41001 -o /dev/null -w "$curl_w" http://10.10.2.2/
# Dropped silently: the client retransmits its SYN (at ~1 s and ~3 s) until curl gives up.
pl_run "$C" curl -sS --max-time 3.5 --local-port 41002 -o /dev/null -w "$curl_w" http://10.10.2.2:81/
# REJECTed: an ICMP port-unreachable comes back at once (ctstate RELATED).
pl_run "$C" curl -sS --max-time 5 --local-port 41003 -o /dev/null -w "$curl_w" http://10.10.2.2:82/
pl_run "$C" "$PL_PY" "$(pl_py udp_client.py)" 10.10.2.2 83 --sport 42001 --count 1
# Accepted but closed on the server: its RST is ESTABLISHED for conntrack.
pl_run "$C" curl -sS --max-time 5 --local-port 41005 -o /dev/null -w "$curl_w" http://10.10.2.2:85/
pl_run "$C" "$PL_PY" "$(pl_py udp_client.py)" 10.10.2.2 7777 --sport 42002 --count 2
pl_run "$C" ping -n -c 2 -i 0.2 -e 4097 10.10.2.2
# INVALID for conntrack: segments that cannot open or belong to a connection.
pl_run "$C" "$PL_PY" "$(pl_py inject.py)" 10.10.1.2 10.10.2.2 41010 80 SA --seq 5000 --ack 7000
pl_run "$C" "$PL_PY" "$(pl_py inject.py)" 10.10.1.2 10.10.2.2 41011 80 R --seq 6000
pl_run "$C" "$PL_PY" "$(pl_py inject.py)" 10.10.1.2 10.10.2.2 41012 80 SF --seq 7000

pl_route_get 10.10.2.2
pl_route_get 10.10.1.2
pl_route_get 10.10.2.2 from 10.10.1.2 iif eth0
pl_route_get 10.10.1.2 from 10.10.2.2 iif eth1

pl_expect '{"name":"HTTP to port 80 forwarded, assured, no NAT","kind":"flows","where":{"proto":"tcp","orig.dport":80,"orig.sport":41001,"assured":true,"nat.dnat":false,"nat.snat":false},"count":["==",1]}'
pl_expect '{"name":"SYN dropped in FORWARD made no conntrack flow","kind":"flows","where":{"proto":"tcp","orig.dport":81},"count":["==",0]}'
pl_expect '{"name":"the DROP rule counted the SYN and its retransmissions","kind":"rule","table":"filter","chain":"FORWARD","match":"--dport 81 -j DROP","packets":[">=",2]}'
pl_expect '{"name":"the client retransmitted the dropped SYN (capture)","kind":"capture","field":"tcp_syn_retransmitted","count":[">=",1]}'
pl_expect '{"name":"REJECTed SYN made no conntrack flow","kind":"flows","where":{"proto":"tcp","orig.dport":82},"count":["==",0]}'
pl_expect '{"name":"REJECT tcp/82 counted one packet","kind":"rule","table":"filter","chain":"FORWARD","match":"--dport 82 -j REJECT","packets":["==",1]}'
pl_expect '{"name":"ICMP port-unreachable about tcp/82 sent by the node","kind":"icmp_error","type":3,"code":3,"inner_dport":82,"count":[">=",1]}'
pl_expect '{"name":"ICMP port-unreachable about udp/83 sent by the node","kind":"icmp_error","type":3,"code":3,"inner_dport":83,"count":[">=",1]}'
pl_expect '{"name":"injected SYN/ACK, RST and SYN+FIN counted as INVALID by conntrack","kind":"stat","counter":"invalid","delta":[">=",3]}'
pl_expect '{"name":"ctstate INVALID DROP rule counted the injected packets","kind":"rule","table":"filter","chain":"FORWARD","match":"--ctstate INVALID -j DROP","packets":[">=",3]}'
pl_expect '{"name":"injected packets created no flow","kind":"flows","where":{"proto":"tcp","orig.sport":[41010,41011,41012]},"count":["==",0]}'
pl_expect '{"name":"closed port 85: flow ends with the server RST","kind":"flows","where":{"proto":"tcp","orig.dport":85,"assured":false},"count":["==",1]}'
pl_expect '{"name":"ping forwarded","kind":"flows","where":{"proto":"icmp","orig.dst":"10.10.2.2"},"count":["==",1]}'
pl_expect '{"name":"UDP 7777 forwarded both ways","kind":"flows","where":{"proto":"udp","orig.dport":7777,"final.counters.reply.packets":2},"count":["==",1]}'

pl_finish
