#!/usr/bin/env bash
# desc: source-port clashes behind MASQUERADE (two clients, same sport -> one is remapped) and a reused 4-tuple while conntrack is in TIME_WAIT (old entry destroyed, new one created)
# Topology: clients 10.10.1.2 and 10.10.1.3 (one namespace) -- [node] -- server 10.10.2.2 (no default route)
# shellcheck source-path=SCRIPTDIR/.. source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

pl_begin snat-port-reuse "${1:-}" "MASQUERADE port clash: 10.10.1.2:40000 and 10.10.1.3:40000 to the same server port, the second is remapped; then the same client port reused while the first flow is in TIME_WAIT"
pl_topo_router 0
pl_addr "$C" eth0 10.10.1.3/24
pl_node "$N"
ip netns exec "$N" iptables -t nat -A POSTROUTING -o eth1 -j MASQUERADE
pl_http_server "$S" 10.10.2.2 80 http-server

pl_capture_start
w='%{http_code} local=%{local_ip}:%{local_port}\n'
# same source port from two clients: after MASQUERADE both would be 10.10.2.1:40000
pl_run "$C" curl -sS --max-time 3 --interface 10.10.1.2 --local-port 40000 -o /dev/null -w "$w" http://10.10.2.2/
pl_run "$C" curl -sS --max-time 3 --interface 10.10.1.3 --local-port 40000 -o /dev/null -w "$w" http://10.10.2.2/
# same 4-tuple twice: the client reads until the server closes, so the server keeps the
# TIME_WAIT and the client port is free at once; conntrack's entry is still in TIME_WAIT
req='GET / HTTP/1.1\r\nHost: 10.10.2.2\r\nConnection: close\r\n\r\n'
pl_run "$C" "$PL_PY" "$(pl_py tcp_connect.py)" 10.10.2.2 80 --src 10.10.1.2 --sport 40001 --send "$req" --eof
sleep 0.3
pl_run "$C" "$PL_PY" "$(pl_py tcp_connect.py)" 10.10.2.2 80 --src 10.10.1.2 --sport 40001 --send "$req" --eof

pl_route_get 10.10.2.2

pl_expect '{"name":"first client keeps port 40000","kind":"flows","where":{"proto":"tcp","orig.src":"10.10.1.2","orig.sport":40000,"reply.dport":40000,"assured":true},"count":["==",1]}'
pl_expect '{"name":"second client remapped by MASQUERADE (reply dport != 40000)","kind":"flows","where":{"proto":"tcp","orig.src":"10.10.1.3","orig.sport":40000,"nat.snat":true,"assured":true},"count":["==",1]}'
pl_expect '{"name":"the reused 4-tuple made two flows","kind":"flows","where":{"proto":"tcp","orig.sport":40001},"count":["==",2]}'
pl_expect '{"name":"the first of them was destroyed in TIME_WAIT by the new SYN","kind":"flows","where":{"proto":"tcp","orig.sport":40001,"destroyed":true,"final.state":"TIME_WAIT"},"count":["==",1]}'

pl_finish
