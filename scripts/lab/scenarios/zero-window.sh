#!/usr/bin/env bash
# desc: a client that stops reading: its receive window drops to zero, the server sends zero-window probes (connection stays ESTABLISHED, DNAT in the path)
# Topology: client 10.10.1.2 -- [node, DNAT 10.10.1.1:8080 -> 10.10.2.2:80] -- server 10.10.2.2
# shellcheck source-path=SCRIPTDIR/.. source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

pl_begin zero-window "${1:-}" "zero window: the client asks for 4 MB through a DNAT, reads nothing for 3 s with a 4 kB receive buffer; the client advertises window 0, the server probes"
pl_topo_router 1 # the server routes back via the node
pl_node "$N"
ip netns exec "$N" iptables -t nat -A PREROUTING -d 10.10.1.1/32 -p tcp --dport 8080 -j DNAT --to-destination 10.10.2.2:80
pl_http_server "$S" 10.10.2.2 80 http-server

pl_capture_start
pl_run "$C" "$PL_PY" "$(pl_py slow_reader.py)" 10.10.1.1 8080 /bytes/4000000 --sport 41001 --rcvbuf 4096 --stall 3

pl_route_get 10.10.2.2 from 10.10.1.2 iif eth0

pl_expect '{"name":"the DNATed connection is established","kind":"flows","where":{"proto":"tcp","orig.sport":41001,"reply.src":"10.10.2.2","assured":true},"count":["==",1]}'
pl_expect '{"name":"the client advertised a zero window (capture)","kind":"capture","field":"tcp_zero_window","count":[">=",1]}'

pl_finish
