#!/usr/bin/env bash
# desc: two dnsmasq backends behind statistic-random DNAT of 10.10.1.1:53; parallel A/AAAA queries from one socket (UDP clash), conntrack -S before/after
# Topology: client 10.10.1.2 -- [node eth0 10.10.1.1 | eth1 10.10.2.1] -- dns1 10.10.2.2, dns2 10.10.2.3 (bridge in a switch namespace)
# shellcheck source-path=SCRIPTDIR/.. source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

command -v dnsmasq >/dev/null || { echo "lab: udp-dns needs dnsmasq (Debian: dnsmasq-base)" >&2; exit 1; }
pl_begin udp-dns "${1:-}" "two dnsmasq backends (10.10.2.2, 10.10.2.3, different answers) behind statistic-random DNAT of 10.10.1.1:53; 60 bursts of parallel A+AAAA from one socket, 30 sequential; conntrack -S clash counters"
pl_ns client C
pl_ns node N
pl_ns switch W
pl_ns dns1 D1
pl_ns dns2 D2
pl_veth "$C" eth0 "$N" eth0 02:00:0a:0a:01:02 02:00:0a:0a:01:01
pl_veth "$N" eth1 "$W" p0 02:00:0a:0a:02:01
pl_veth "$W" p1 "$D1" eth0 "" 02:00:0a:0a:02:02
pl_veth "$W" p2 "$D2" eth0 "" 02:00:0a:0a:02:03
ip -n "$W" link add br0 type bridge
for p in p0 p1 p2; do ip -n "$W" link set "$p" master br0; done
ip -n "$W" link set br0 up
pl_addr "$C" eth0 10.10.1.2/24
pl_addr "$N" eth0 10.10.1.1/24
pl_addr "$N" eth1 10.10.2.1/24
pl_addr "$D1" eth0 10.10.2.2/24
pl_addr "$D2" eth0 10.10.2.3/24
ip -n "$C" route add default via 10.10.1.1
ip -n "$D1" route add default via 10.10.2.1
ip -n "$D2" route add default via 10.10.2.1
pl_sysctl "$N" net.ipv4.ip_forward=1

pl_node "$N"
ip netns exec "$N" iptables -t nat -A PREROUTING -d 10.10.1.1/32 -p udp --dport 53 -m statistic --mode random --probability 0.5 -j DNAT --to-destination 10.10.2.2:53
ip netns exec "$N" iptables -t nat -A PREROUTING -d 10.10.1.1/32 -p udp --dport 53 -j DNAT --to-destination 10.10.2.3:53

i=1
for d in "$D1" "$D2"; do
  PL_BG_ERR="$PL_OUT/server-logs/dnsmasq-$i.log" pl_bg "dnsmasq-$i" "$d" 120 dnsmasq --no-daemon --keep-in-foreground \
    --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces --listen-address="10.10.2.$((i + 1))" --port=53 \
    --user=root --pid-file="$PL_WORK/dnsmasq-$i.pid" --address="/svc.lab.test/10.0.0.$i" --address="/svc.lab.test/fd00::$i" \
    --log-queries --log-facility=-
  pl_wait_listen "$d" udp 53
  i=$((i + 1))
done

pl_capture_start
PL_RUN_TIMEOUT=40 pl_run "$C" "$PL_PY" "$(pl_py dns_burst.py)" 10.10.1.1 --parallel 60 --sequential 30 --out "$PL_OUT/dns-client.jsonl"

pl_route_get 10.10.2.2
pl_route_get 10.10.2.3
pl_route_get 10.10.1.1 from 10.10.1.2 iif eth0

pl_expect '{"name":"some queries DNATed to dns1","kind":"flows","where":{"proto":"udp","orig.dport":53,"reply.src":"10.10.2.2"},"count":[">=",1]}'
pl_expect '{"name":"some queries DNATed to dns2","kind":"flows","where":{"proto":"udp","orig.dport":53,"reply.src":"10.10.2.3"},"count":[">=",1]}'
pl_expect '{"name":"at least one flow per burst","kind":"flows","where":{"proto":"udp","orig.dport":53},"count":[">=",90]}'
pl_expect '{"name":"DNAT rules counted one packet per new flow (both rules together)","kind":"rule","table":"nat","chain":"PREROUTING","match":"--dport 53","packets":[">=",90]}'

pl_finish
