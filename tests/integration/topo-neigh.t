#!/bin/bash
# Every link end gets a permanent ARP and NDP entry for the other end, so
# nothing is resolved on the wire. Without them, netem loss on a link drops
# ARP requests: a lost request held all traffic behind the neighbour queue
# for a second (the CI failure of udp_metrics_loss: 22.7% loss measured for
# 5%), and at 50% loss a run could deliver nothing at all.
# 1. `testbed up` of a chain (host kernel): PERMANENT entries, v4 and v6,
#    with the peer's MAC. 2. c1 -> r1 -> s1 with 50% loss on r1's egress to
#    s1 (netem: UML guest here), 4 runs of UDP: each delivers about half, and
#    no ARP or neighbour solicitation crosses the lossy link.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd jq tshark
need_testbed
scratch TMP tb-neigh
CHAIN="$TOP/tests/integration/chain3.conf"
run=$("$TESTBED" up "$CHAIN" 2>"$TMP/err" | tail -n 1)
[ -n "$run" ] || bail "testbed up: $(cat "$TMP/err")"
defer "$TESTBED" down "$run"
n4=$("$TESTBED" exec "$run" r1 -- ip -4 neigh show nud permanent)
n6=$("$TESTBED" exec "$run" r1 -- ip -6 neigh show nud permanent)
diag "r1 IPv4 neighbours: $(echo "$n4" | paste -sd';')"
diag "r1 IPv6 neighbours: $(echo "$n6" | paste -sd';')"
is "$(echo "$n4" | grep -c PERMANENT)" 2 "r1: a permanent ARP entry for each of its two peers"
is "$(echo "$n6" | grep -c PERMANENT)" 2 "r1: a permanent NDP entry for each of its two peers"
# the entry's MAC is the peer interface's own
s1mac=$("$TESTBED" exec "$run" s1 -- cat /sys/class/net/eth0/address)
s1ip=$("$TESTBED" exec "$run" s1 -- ip -4 -o addr show dev eth0 | awk '{ split($4, a, "/"); print a[1] }')
ok "r1's entry for s1 ($s1ip) carries s1's MAC ($s1mac)" sh -c "echo '$n4' | grep -q '^$s1ip .*lladdr $s1mac PERMANENT'"
"$TESTBED" down "$run"

cat >"$TMP/loss.conf" <<EOC
[experiment]
topology = $CHAIN
duration = 2s
repeat = 4
seed = 3
[link r1-s1]
r1.loss = 50%
[flow m]
worker = udp
from = c1
to = s1
rate = 1000
size = 200
[capture r1cap]
node = r1
iface = eth1
EOC
"$TESTBED" run --quiet "$TMP/loss.conf" --out "$TMP/o" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 3 ] && skip_all "no kernel with netem here: $(tail -n 1 "$TMP/err")"
is "$rc" 0 "the lossy run completes (exit 0)"
for r in 1 2 3 4; do
	d="$TMP/o/runs/c1-r$r"
	exp=$(jq '.expected' "$d/flows/m.server.json"); lost=$(jq '.lost' "$d/flows/m.server.json")
	res=$(tshark -r "$d/pcap/r1-eth1.pcap" -Y 'arp or icmpv6.type == 135' 2>/dev/null | wc -l)
	diag "run $r: expected $exp, lost $lost; ARP/NS packets on r1's lossy egress: $res"
	ok "run $r: about half arrives at 50% loss ($lost of $exp lost)" \
		test "${exp:-0}" -ge 1900 -a "${lost:-0}" -ge $((exp * 40 / 100)) -a "${lost:-0}" -le $((exp * 60 / 100))
	is "$res" 0 "run $r: no neighbour resolution crosses the lossy link"
done
no_uml_left
done_testing
