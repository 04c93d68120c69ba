#!/bin/bash
# The sampler's UDP sockets (<node>-udp.csv), as a user sees them: a short
# `testbed run` of udp-worker flows (IPv4 and IPv6) on the host kernel and,
# when the UML tier works here, in the guest: rows for the sender's connected
# socket and the receiver's bound one, labelled with the flow, every column
# filled (drops among them), run.json's count and report.md's "UDP sockets"
# table; no file on a node no UDP flow touches. Then the sampler against
# `ss -uaem` on a receiver whose buffer is far too small for what it is sent:
# the same drops and Recv-Q.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip ss jq python3
need_testbed
. "$(dirname "$0")/lib-obs.sh"
obs_setup sampler-udp

plan 27

cat >"$OUT/u.conf" <<EOF
[experiment]
topology = $TOP/tests/integration/chain3.conf
duration = 1s
[flow m]
worker = udp
from = c1
to = s1
rate = 2000
size = 1000
[flow m6]
worker = udp
from = c1
to = s1
family = ipv6
rate = 200
[flow t]
worker = bulk
from = c1
to = s1
EOF

# col FILE NAME: the index of column NAME in FILE's header
col() { head -1 "$1" | tr , '\n' | grep -nx "$2" | cut -d: -f1; }
# rows FILE FLOW STATE PORTCOL PORT: rows of FLOW in STATE whose PORTCOL is PORT
rows() {
	awk -F, -v f="$(col "$1" flow)" -v s="$(col "$1" state)" -v p="$(col "$1" "$4")" \
		-v fl="$2" -v st="$3" -v port="$5" \
		'NR > 1 && $f == fl && $s == st && $p == port { n++ } END { print n + 0 }' "$1"
}
# colmax FILE FLOW NAME: the largest NAME of FLOW's rows
colmax() {
	awk -F, -v f="$(col "$1" flow)" -v c="$(col "$1" "$3")" -v fl="$2" \
		'NR > 1 && $f == fl && $c > m { m = $c } END { print m + 0 }' "$1"
}
# filled FILE: every row has every column of the header, none empty
filled() {
	awk -F, 'NR == 1 { n = NF; next } NF != n { exit 1 } { for (i = 1; i <= NF; i++) if ($i == "") exit 1 }' "$1"
}

# check_tier TIER: `testbed run --kernel TIER` of u.conf, and what it wrote (11
# tests; 10 of them skipped with the reason when the tier's kernel has no UDP
# sock_diag)
check_tier() {
	local o="$OUT/$1" s c
	"$TESTBED" run --quiet --kernel "$1" "$OUT/u.conf" --out "$o" >"$OUT/$1.out" 2>"$OUT/$1.err"
	is "$?" 0 "$1: testbed run of two UDP flows and a bulk flow exits 0"
	s="$o/runs/c1-r1/sockets/s1-udp.csv" c="$o/runs/c1-r1/sockets/c1-udp.csv"
	why=$(jq -r '.sampler.s1.udp_diag // empty' "$o/runs/c1-r1/run.json" 2>/dev/null)
	if [ -n "$why" ]; then # the tier's kernel has no UDP sock_diag: the run said so
		for _ in $(seq 10); do skip "$1: UDP sock_diag $why"; done
		return
	fi
	diag "$1: s1-udp.csv: $(rows "$s" m UNCONN sport 5001) rows of m, max drops $(colmax "$s" m drops)," \
		"max rqueue $(colmax "$s" m rqueue) B, rcvbuf $(colmax "$s" m rcvbuf) B;" \
		"c1-udp.csv: $(rows "$c" m ESTAB dport 5001) rows of m, $(rows "$c" m6 ESTAB dport 5002) of m6;" \
		"sampler: $(jq -c '.sampler | map_values({samples, udp_rows, udp_diag, sample_max_ms})' \
			"$o/runs/c1-r1/run.json" 2>/dev/null)"
	ok "$1: the receiver's bound socket has a row per sample (UNCONN, port 5001, flow m)" \
		test "$(rows "$s" m UNCONN sport 5001)" -ge 8
	ok "$1: the sender's connected socket too (ESTAB, to port 5001)" \
		test "$(rows "$c" m ESTAB dport 5001)" -ge 8
	ok "$1: IPv6 flow m6: its sender's socket, family 6" \
		test "$(awk -F, -v f="$(col "$c" flow)" -v fam="$(col "$c" family)" \
			'NR > 1 && $f == "m6" && $fam == 6 { n++ } END { print n + 0 }' "$c")" -ge 8
	ok "$1: the receiver's rcvbuf column is tb-server's 8 MiB buffer (the kernel doubles it)" \
		test "$(colmax "$s" m rcvbuf)" -ge 8388608
	ok "$1: every row has every column, drops included" eval 'filled "$s" && filled "$c"'
	ok "$1: the header names drops, rqueue and the skmem fields" \
		grep -q '^t_s,node,flow,.*,rqueue,.*,rmem_alloc,rcvbuf,wmem_alloc,sndbuf,.*,drops$' "$s"
	is "$(jq -r '.sampler.s1.udp_rows, .sampler.s1.udp_diag' "$o/runs/c1-r1/run.json" | tr '\n' ' ')" \
		"$(($(wc -l <"$s") - 1)) null " "$1: run.json counts s1's rows; UDP sock_diag worked"
	ok "$1: no udp.csv on the router, which no UDP flow touches" test ! -e "$o/runs/c1-r1/sockets/r1-udp.csv"
	ok "$1: the TCP flow still has its rows in tcp.csv, the UDP flows none" \
		awk -F, 'NR > 1 && $3 == "t" { t++ } NR > 1 && $3 ~ /^m/ { u++ } END { exit !(t > 0 && !u) }' \
		"$o/runs/c1-r1/sockets/c1-tcp.csv"
	ok "$1: report.md has a UDP sockets table with both flows' drops" \
		eval "sed -n '/^### UDP sockets/,/^###* [^U]/p' '$o/report.md' | grep -q '| m drops | m max rqueue (B) | m6 drops |'"
}

check_tier host
why_no_uml=$(uml_unavailable)
if [ -z "$why_no_uml" ]; then
	check_tier uml
else
	for _ in $(seq 11); do skip "$why_no_uml"; done
fi

# The sampler against ss: a receiver with the smallest buffer that never
# reads, 300 datagrams of 1000 bytes sent to it.
veth_join $A eth0 $B eth0 198.18.0
ip netns exec $B python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
s.bind(("198.18.0.2", 5009))
print("bound", flush=True)
time.sleep(60)' >"$OUT/sink" & SINK=$!
defer kill $SINK
wait_for grep -q bound "$OUT/sink"
ip netns exec $A python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("198.18.0.2", 5009))
for _ in range(300):
    s.send(b"x" * 1000)
print("sent", flush=True)
time.sleep(60)' >"$OUT/flood" & FLOOD=$!
defer kill $FLOOD
# ss_d: the receiver's drops as ss -m shows them (d in skmem)
ss_d() { ip netns exec $B ss -Huam "sport = :5009" | sed -n 's/.*skmem:(.*,d\([0-9]*\)).*/\1/p'; }
ok "the receiver dropped datagrams" wait_for eval 'grep -q sent "$OUT/flood" && [ "$(ss_d)" -gt 0 ] 2>/dev/null'
# settled: two reads of ss 100 ms apart agree
d0=; until [ "$d0" = "$(ss_d)" ]; do d0=$(ss_d); sleep 0.1; done
diag "ss says the receiver dropped $d0"
"$DRV" sample $B "$OUT" 10 100 udp-lport=5009 >"$OUT/stats"
ip netns exec $B ss -Huam "sport = :5009" >"$OUT/ss.after"
diag "sampler: $(tr '\n' ' ' <"$OUT/stats")"
diag "ss: $(tr '\n\t' '  ' <"$OUT/ss.after")"
U="$OUT/$B-udp.csv"
last() { awk -F, -v c="$(col "$U" "$1")" 'NR > 1 { v = $c } END { print v }' "$U"; }
diag "sampler's last row: drops $(last drops), rqueue $(last rqueue), rcvbuf $(last rcvbuf), rmem_alloc $(last rmem_alloc)"
ok "a row per sample, labelled with the match ($(grep -c udp-lport=5009 "$U"))" test "$(grep -c ',udp-lport=5009,' "$U")" -ge 8
is "$(last drops)" "$(ss_d)" "drops agree with ss -m's d"
is "$(last rqueue)" "$(awk '{ print $2 }' "$OUT/ss.after")" "rqueue agrees with ss's Recv-Q"
is "$(last rcvbuf)" "$(sed -n 's/.*skmem:(r[0-9]*,rb\([0-9]*\),.*/\1/p' "$OUT/ss.after")" "rcvbuf agrees with ss -m's rb"
done_testing
