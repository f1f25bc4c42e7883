#!/usr/bin/env bash
# desc: kube-proxy-style ClusterIP (KUBE-SERVICES/SVC/SEP, statistic random 0.5, MARK-MASQ + MASQUERADE) over a bridge with br_netfilter; external + pod clients, hairpin
# Topology:
#   client 10.10.1.2 --eth0-- [node: eth0 10.10.1.1 | bridge cni0 10.244.0.1/24]
#   cni0 ports veth-a, veth-b, veth-c -> pods pod-a 10.244.0.2, pod-b 10.244.0.3 (backends, :8080)
#                                        and pod-c 10.244.0.4 (an in-cluster client)
# Services: 10.96.0.10:80 -> pod-a | pod-b (random 0.5), 10.96.0.11:80 -> pod-a only (hairpin).
# The rules follow kube-proxy's iptables mode (chain names are kube-proxy's hashes' shape).
# shellcheck source-path=SCRIPTDIR/.. source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

pl_begin clusterip "${1:-}" "kube-proxy iptables ClusterIP 10.96.0.10:80 -> 2 pods (statistic random), external client masqueraded, pod client not, hairpin via 10.96.0.11 (pod-a calls itself), bridge cni0 with br_netfilter"
pl_ns client C
pl_ns node N
pl_ns pod-a PA
pl_ns pod-b PB
pl_ns pod-c PC
pl_veth "$C" eth0 "$N" eth0 02:00:0a:0a:01:02 02:00:0a:0a:01:01
pl_addr "$C" eth0 10.10.1.2/24
pl_addr "$N" eth0 10.10.1.1/24
ip -n "$C" route add default via 10.10.1.1
ip -n "$N" link add cni0 type bridge
ip -n "$N" link set cni0 address 02:00:0a:f4:00:01
pl_addr "$N" cni0 10.244.0.1/24
ip -n "$N" link set cni0 up
i=2
for p in a b c; do
  var="P${p^^}"
  ns=${!var}
  pl_veth "$N" "veth-$p" "$ns" eth0 "02:00:0a:f4:01:0$i" "02:00:0a:f4:00:0$i"
  ip -n "$N" link set "veth-$p" master cni0
  # kubelet/CNI set hairpin mode on pod ports (a pod reaching itself through a Service).
  ip -n "$N" link set "veth-$p" type bridge_slave hairpin on
  pl_addr "$ns" eth0 "10.244.0.$i/24"
  ip -n "$ns" route add default via 10.244.0.1
  i=$((i + 1))
done
pl_sysctl "$N" net.ipv4.ip_forward=1
BRNF=$(ip netns exec "$N" sysctl -n net.bridge.bridge-nf-call-iptables 2>/dev/null || echo missing)
if [[ $BRNF != 1 ]]; then
  pl_note "br_netfilter not available in the node netns (bridge-nf-call-iptables=$BRNF): pod replies to pod-c bypass conntrack"
fi

pl_node "$N"
ip netns exec "$N" iptables-restore --noflush <<'RULES'
*nat
:KUBE-SERVICES - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-SVC-WEB4ZQ2CL3Y7XAAA - [0:0]
:KUBE-SEP-POD4AAAAAAAAAAAA - [0:0]
:KUBE-SEP-POD4BBBBBBBBBBBB - [0:0]
:KUBE-SVC-SELFHAIRPIN2222 - [0:0]
:KUBE-SEP-SELFAAAAAAAAAAAA - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-WEB4ZQ2CL3Y7XAAA
-A KUBE-SERVICES -d 10.96.0.11/32 -p tcp -m comment --comment "default/self:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-SELFHAIRPIN2222
-A KUBE-SVC-WEB4ZQ2CL3Y7XAAA ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-WEB4ZQ2CL3Y7XAAA -m comment --comment "default/web:http -> 10.244.0.2:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-POD4AAAAAAAAAAAA
-A KUBE-SVC-WEB4ZQ2CL3Y7XAAA -m comment --comment "default/web:http -> 10.244.0.3:8080" -j KUBE-SEP-POD4BBBBBBBBBBBB
-A KUBE-SEP-POD4AAAAAAAAAAAA -s 10.244.0.2/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-POD4AAAAAAAAAAAA -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.0.2:8080
-A KUBE-SEP-POD4BBBBBBBBBBBB -s 10.244.0.3/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-POD4BBBBBBBBBBBB -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.0.3:8080
-A KUBE-SVC-SELFHAIRPIN2222 ! -s 10.244.0.0/16 -d 10.96.0.11/32 -p tcp -m comment --comment "default/self:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-SELFHAIRPIN2222 -m comment --comment "default/self:http -> 10.244.0.2:8080" -j KUBE-SEP-SELFAAAAAAAAAAAA
-A KUBE-SEP-SELFAAAAAAAAAAAA -s 10.244.0.2/32 -m comment --comment "default/self:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-SELFAAAAAAAAAAAA -p tcp -m comment --comment "default/self:http" -m tcp -j DNAT --to-destination 10.244.0.2:8080
COMMIT
*filter
:KUBE-FORWARD - [0:0]
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
RULES

pl_http_server "$PA" 10.244.0.2 8080 pod-a
pl_http_server "$PB" 10.244.0.3 8080 pod-b

pl_capture_start
# External client: repeat until both backends answered (the choice is the kernel's random
# statistic match; the loop only decides how long to drive traffic), 6..30 connections.
seen_a=0 seen_b=0 n=0
while ((n < 30)) && { ((n < 6)) || ((seen_a == 0 || seen_b == 0)); }; do
  pl_run "$C" curl -sS --max-time 3 --local-port $((41001 + n)) http://10.96.0.10/
  [[ $PL_LAST_OUT == *"pod-a"* ]] && seen_a=1
  [[ $PL_LAST_OUT == *"pod-b"* ]] && seen_b=1
  n=$((n + 1))
done
# In-cluster client: not masqueraded (source inside 10.244.0.0/16); the replies of the
# backend are bridged straight to pod-c and de-NATed by conntrack thanks to br_netfilter.
for k in 0 1 2 3; do
  pl_run "$PC" curl -sS --max-time 3 --local-port $((42001 + k)) http://10.96.0.10/
done
# Hairpin: pod-a calls a Service whose only endpoint is itself; KUBE-SEP marks it for
# masquerade so the reply comes back to the node and not straight from pod-a to pod-a.
pl_run "$PA" curl -sS --max-time 3 --local-port 43001 http://10.96.0.11/
pl_run "$PA" curl -sS --max-time 3 --local-port 43002 http://10.96.0.11/
pl_run "$C" ping -n -c 2 -i 0.2 -e 4097 10.244.0.3

pl_route_get 10.96.0.10 from 10.10.1.2 iif eth0
pl_route_get 10.244.0.2
pl_route_get 10.244.0.3 from 10.244.0.4 iif cni0
pl_route_get 10.96.0.10
pl_route_get 10.10.1.2

svc='"proto":"tcp","orig.dst":"10.96.0.10","orig.dport":80'
pl_expect '{"name":"external connections reached backend pod-a (DNAT 10.244.0.2:8080)","kind":"flows","where":{'"$svc"',"orig.src":"10.10.1.2","reply.src":"10.244.0.2","reply.sport":8080},"count":[">=",1]}'
pl_expect '{"name":"external connections reached backend pod-b (DNAT 10.244.0.3:8080)","kind":"flows","where":{'"$svc"',"orig.src":"10.10.1.2","reply.src":"10.244.0.3","reply.sport":8080},"count":[">=",1]}'
pl_expect '{"name":"external connections are masqueraded to the bridge address","kind":"flows","where":{'"$svc"',"orig.src":"10.10.1.2","reply.dst":"10.244.0.1","nat.snat":true,"nat.dnat":true,"assured":true},"count":[">=",6]}'
pl_expect '{"name":"pod-c connections DNATed but not masqueraded","kind":"flows","where":{'"$svc"',"orig.src":"10.244.0.4","reply.dst":"10.244.0.4","nat.snat":false,"nat.dnat":true,"assured":true},"count":["==",4]}'
pl_expect '{"name":"hairpin: pod-a reaches itself through 10.96.0.11, masqueraded","kind":"flows","where":{"proto":"tcp","orig.src":"10.244.0.2","orig.dst":"10.96.0.11","reply.src":"10.244.0.2","reply.dst":"10.244.0.1","nat.snat":true,"assured":true},"count":["==",2]}'
pl_expect '{"name":"the statistic rule sent some first packets to pod-a","kind":"rule","table":"nat","chain":"KUBE-SVC-WEB4ZQ2CL3Y7XAAA","match":"--probability","packets":[">=",1]}'
pl_expect '{"name":"the fall-through rule sent the others to pod-b","kind":"rule","table":"nat","chain":"KUBE-SVC-WEB4ZQ2CL3Y7XAAA","match":"-j KUBE-SEP-POD4BBBBBBBBBBBB","packets":[">=",1]}'
pl_expect '{"name":"KUBE-SEP hairpin rule marked the self-calls","kind":"rule","table":"nat","chain":"KUBE-SEP-SELFAAAAAAAAAAAA","match":"-s 10.244.0.2/32","packets":["==",2]}'
pl_expect '{"name":"MASQUERADE in KUBE-POSTROUTING for external + hairpin first packets","kind":"rule","table":"nat","chain":"KUBE-POSTROUTING","match":"MASQUERADE","packets":[">=",8]}'
pl_expect '{"name":"nothing INVALID was dropped in KUBE-FORWARD","kind":"rule","table":"filter","chain":"KUBE-FORWARD","match":"--ctstate INVALID","packets":["==",0]}'
pl_expect '{"name":"route to a pod via the bridge","kind":"route","query":"10.244.0.2","field":"dev","equals":"cni0"}'

pl_finish
