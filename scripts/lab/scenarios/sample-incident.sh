#!/usr/bin/env bash
# desc: the examples/sample-incident run: port-forward node with a NATed HTTP service, a refused port, a firewall drop, an INVALID packet and a ping
# Topology as portforward: client 10.10.1.2 -- [node eth0 10.10.1.1 | eth1 10.10.2.1] -- server 10.10.2.2
# Published: 10.10.1.1:8080 -> 10.10.2.2:80 (works), :8081 -> :81 (nothing listens: RST),
# :8443 -> :443 (server listens, but a leftover FORWARD rule drops it: SYN retransmitted).
# Kept small on purpose (a few hundred packets): examples/sample-incident is committed.
# shellcheck source-path=SCRIPTDIR/.. source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

pl_begin sample-incident "${1:-}" "incident on a port-forwarding node: HTTP via DNAT+MASQUERADE works, :8081 refused (RST via DNAT), :8443 silently dropped by a FORWARD rule (SYN retransmitted), an unsolicited SYN/ACK dropped as INVALID, ping to the backend"
# the server has no default route: replies reach the client only through the masquerade
pl_topo_router 0

pl_node "$N"
ipt() { ip netns exec "$N" iptables "$@"; }
ipt -t nat -A PREROUTING -d 10.10.1.1/32 -p tcp --dport 8080 -j DNAT --to-destination 10.10.2.2:80
ipt -t nat -A PREROUTING -d 10.10.1.1/32 -p tcp --dport 8081 -j DNAT --to-destination 10.10.2.2:81
ipt -t nat -A PREROUTING -d 10.10.1.1/32 -p tcp --dport 8443 -j DNAT --to-destination 10.10.2.2:443
ipt -t nat -A POSTROUTING -o eth1 -j MASQUERADE
ipt -A FORWARD -m conntrack --ctstate INVALID -j DROP
ipt -A FORWARD -d 10.10.2.2/32 -p tcp --dport 443 -m comment --comment "legacy: no https to the backend" -j DROP

pl_http_server "$S" 10.10.2.2 80 http-server
pl_http_server "$S" 10.10.2.2 443 https-port-server

pl_capture_start
curl_w='%{http_code} local=%{local_ip}:%{local_port} size=%{size_download} time=%{time_total}\n'
# 1. the service works: keep-alive connection with two requests, then a 20 kB download
pl_run "$C" curl -sS --max-time 5 --local-port 41001 -o /dev/null -o /dev/null -w "$curl_w" http://10.10.1.1:8080/ http://10.10.1.1:8080/status
pl_run "$C" curl -sS --max-time 5 --local-port 41002 -o /dev/null -w "$curl_w" http://10.10.1.1:8080/bytes/20000
for k in 0 1 2; do
  pl_run "$C" curl -sS --max-time 5 --local-port $((41010 + k)) -o /dev/null -w "$curl_w" http://10.10.1.1:8080/bytes/8000
done
sleep 0.5
# 2. refused: nothing listens on the backend's port 81
pl_run "$C" curl -sS --max-time 5 --local-port 41003 -o /dev/null -w "$curl_w" http://10.10.1.1:8081/
sleep 0.5
# 3. dropped: the SYN is DNATed, then dropped in FORWARD; the client retransmits (1 s, 3 s)
pl_run "$C" curl -sS --max-time 3.5 --local-port 41004 -o /dev/null -w "$curl_w" http://10.10.1.1:8443/
# 4. INVALID: a SYN/ACK that belongs to no connection
pl_run "$C" "$PL_PY" "$(pl_py inject.py)" 10.10.1.2 10.10.2.2 41005 80 SA --seq 5000 --ack 7000
sleep 0.3
# 5. ping to the backend (forwarded and masqueraded)
pl_run "$C" ping -n -c 3 -i 0.2 -e 4097 10.10.2.2

pl_route_get 10.10.2.2
pl_route_get 10.10.2.2 from 10.10.1.2 iif eth0
pl_route_get 10.10.1.2

pl_expect '{"name":"HTTP through DNAT 8080->10.10.2.2:80 and MASQUERADE","kind":"flows","where":{"proto":"tcp","orig.dport":8080,"reply.src":"10.10.2.2","reply.sport":80,"nat.snat":true,"assured":true},"count":["==",5]}'
pl_expect '{"name":"8081 refused by the backend (RST), never assured","kind":"flows","where":{"proto":"tcp","orig.dport":8081,"reply.src":"10.10.2.2","assured":false},"count":["==",1]}'
pl_expect '{"name":"8443 SYN dropped in FORWARD: no conntrack flow","kind":"flows","where":{"proto":"tcp","orig.dport":8443},"count":["==",0]}'
pl_expect '{"name":"the DROP rule counted the SYN and its retransmissions","kind":"rule","table":"filter","chain":"FORWARD","match":"--dport 443","packets":[">=",3]}'
pl_expect '{"name":"the DNAT rule for 8443 saw each SYN (never confirmed, so nat runs again)","kind":"rule","table":"nat","chain":"PREROUTING","match":"--dport 8443","packets":[">=",3]}'
pl_expect '{"name":"the SYN/ACK was INVALID for conntrack","kind":"stat","counter":"invalid","delta":[">=",1]}'
pl_expect '{"name":"INVALID DROP rule counted it","kind":"rule","table":"filter","chain":"FORWARD","match":"--ctstate INVALID","packets":["==",1]}'
pl_expect '{"name":"ping masqueraded","kind":"flows","where":{"proto":"icmp","orig.dst":"10.10.2.2","nat.snat":true},"count":["==",1]}'

pl_finish
