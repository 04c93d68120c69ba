#!/bin/bash
# The qdiscs this host kernel lacks (netem, fq_codel, codel, fq, cake),
# installed over netlink inside a User-Mode Linux guest, against
# `tc -s qdisc show` run in the same guest; netem's limit sized from the BDP;
# qstats' extended statistics against tc's; loss over >= 10,000 packets
# within the binomial interval (99.9% asserted, 99% printed); RTT median within 1 ms of the configured
# delay plus the unshaped baseline.
#
# Run on the host, it boots a guest with `testbed guest` (which loads the
# modules) and runs itself there with the argument guest-tests.
if [ "${1:-}" != guest-tests ]; then
	# host side: the same file runs inside a guest, which streams its TAP
	. "$(dirname "$0")/../tap.sh"
	need_root
	[ -x "$TESTBED" ] || skip_all "build first: make"
	"$TESTBED" help guest >/dev/null 2>&1 || skip_all "this testbed has no guest command"
	[ -x /usr/bin/linux.uml ] || skip_all "no User-Mode Linux (apt-get install user-mode-linux)"
	trap - EXIT
	why=$("$TESTBED" probe --kernel uml 2>&1 >/dev/null) || skip_all "UML tier unavailable: $why"
	exec "$TESTBED" guest --quiet --mem 384M --timeout 280s -- "$TOP/tests/integration/qdisc-uml.t" guest-tests
fi

# --- inside the guest -----------------------------------------------------
. "$(dirname "$0")/../tap.sh"
A=tbq-a
B=tbq-b
netns_new $A $B
veth_join $A eth0 $B eth0 198.18.7
diag "guest kernel $(uname -r)"

tcs() { tc -n $A -s qdisc show dev eth0; }
shape() { "$TESTBED" shape $A eth0 "$@"; }
qs() { "$TESTBED" qstats $A; }
has() { grep -Eq -- "$1" <<<"$2"; }

# --- netem: every knob, against tc -------------------------------------------
o=$(shape delay=20ms jitter=5ms distribution=normal delay_correlation=10% loss=1% \
	loss_correlation=25% duplicate=0.5% reorder=10% reorder_correlation=5% reorder_gap=5 \
	corrupt=0.1% netem_limit=5000 2>&1)
ok "shape netem with every knob ($o)" test $? -eq 0
out=$(tcs)
diag "$(grep qdisc <<<"$out")"
ok "tc: netem 1: root limit 5000" has 'qdisc netem 1: root .*limit 5000 ' "$out"
ok "tc: delay 20ms 5ms 10%" has 'delay 20ms  5ms 10%' "$out"
ok "tc: loss 1% 25%" has 'loss 1% 25%' "$out"
ok "tc: duplicate 0.5%" has 'duplicate 0.5%' "$out"
ok "tc: reorder 10% 5%" has 'reorder 10% 5%' "$out"
ok "tc: corrupt 0.1%" has 'corrupt 0.1%' "$out"
ok "tc: gap 5" has 'gap 5' "$out"
j=$(qs)
is "$(jq -r '.[0].options.delay_us' <<<"$j")" 20000 "qstats: netem delay_us"
is "$(jq -r '.[0].options.jitter_us' <<<"$j")" 5000 "qstats: netem jitter_us"
is "$(jq -r '.[0].options.limit' <<<"$j")" 5000 "qstats: netem limit"

o=$(shape delay=10ms jitter=2ms distribution=pareto 2>&1)
ok "shape jitter with the pareto table ($o)" test $? -eq 0
ok "tc: delay 10ms 2ms (pareto table sent)" has 'delay 10ms  2ms' "$(tcs)"

# --- Gilbert-Elliott (libnl cannot send it) --------------------------------
o=$(shape loss_model=gemodel ge_p=1% ge_r=10% ge_h=70% ge_k=0.1% 2>&1)
ok "shape loss_model=gemodel ($o)" test $? -eq 0
out=$(tcs)
diag "$(grep qdisc <<<"$out")"
ok "tc: loss gemodel p 1% r 10% 1-h 70% 1-k 0.1%" has 'loss gemodel p 1% r 10% 1-h 70% 1-k 0.1%' "$out"
is "$(qs | jq -c '.[0].options.gemodel | map_values(. * 1000 | round / 1000)')" \
	'{"p":1,"r":10,"1-h":70,"1-k":0.1}' "qstats: gemodel as tc's p r 1-h 1-k"
o=$(shape loss_model=gemodel ge_p=2% 2>&1)
ok "tc: gemodel p 2% alone gets tc's defaults r 100% 1-h 100% 1-k 0%" \
	has 'loss gemodel p 2% r 100% 1-h 100% 1-k 0%' "$(tcs)"

# --- netem + tbf + fq_codel on one interface; netem's limit from the BDP -------
o=$(shape delay=40ms rate=100mbit queue=fq_codel target=5ms interval=100ms limit=2000 \
	flows=256 ecn=on 2>&1)
ok "shape netem + tbf + fq_codel ($o)" test $? -eq 0
out=$(tcs)
diag "$(grep qdisc <<<"$out")"
want=$(sed -n 's/^netem limit //p' <<<"$o")
# 2 x BDP (100 Mbit/s x 40 ms / 1514 B = 331 packets) + the fq_codel limit
is "$want" 2662 "netem limit = 2 x BDP + fq_codel's 2000"
ok "tc: netem 1: root limit $want delay 40ms" has "qdisc netem 1: root .*limit $want delay 40ms" "$out"
ok "tc: tbf 2: parent 1:1 rate 100Mbit" has 'qdisc tbf 2: parent 1:1 .*rate 100Mbit' "$out"
ok "tc: fq_codel 3: parent 2:1 limit 2000p flows 256 target 5ms interval 100ms ecn" \
	has 'qdisc fq_codel 3: parent 2:1 .*limit 2000p flows 256 .*target 5ms interval 100ms .*ecn' "$out"
o=$(shape delay=100ms rate=1gbit parts=netem 2>&1)
want=$(sed -n 's/^netem limit //p' <<<"$o")
is "$want" 16514 "netem alone at 1 Gbit/s, 100 ms: limit 2 x 8257 (never the default 1000)"
ok "tc: netem limit $want, no child" has "qdisc netem 1: root .*limit $want " "$(tcs)"
o=$(shape delay=100ms rate=50mbit queue=fq_codel parts=rate,queue 2>&1)
out=$(tcs)
ok "parts=rate,queue: tbf root and fq_codel, no netem" \
	test "$(grep -c '^qdisc' <<<"$out")" = 2 -a -z "$(grep netem <<<"$out")"
ok "  the tbf is the root" has 'qdisc tbf 1: root .*rate 50Mbit' "$out"
o=$(shape delay=100ms rate=50mbit queue=fq_codel parts=netem path_rate=50mbit 2>&1)
out=$(tcs)
# BDP at the 50 Mbit/s path rate: 413 packets, x 2, below the 1000 floor
ok "parts=netem with path_rate=50mbit: netem alone, limit 1000" \
	test "$(grep -c '^qdisc' <<<"$out")" = 1 -a -n "$(grep 'qdisc netem 1: root .*limit 1000 delay 100ms' <<<"$out")"
o=$(shape delay=300ms parts=netem path_rate=100mbit 2>&1)
ok "parts=netem, 100 Mbit/s x 300 ms: limit 2 x 2477" has 'qdisc netem 1: root .*limit 4954 ' "$(tcs)"

# --- the other AQMs ---------------------------------------------------------
for q in codel fq cake; do
	o=$(shape queue=$q 2>&1)
	ok "shape queue=$q ($o)" test $? -eq 0
	ok "tc: $q 1: root" has "qdisc $q 1: root" "$(tcs)"
done
ok "shape queue=codel target=3ms interval=60ms ecn=on" shape queue=codel target=3ms interval=60ms ecn=on
ok "tc: codel target 3ms interval 60ms ecn" has 'codel 1: root .*target 3ms interval 60ms ecn' "$(tcs)"
ok "shape rate=20mbit queue=cake (cake shapes)" shape rate=20mbit queue=cake
ok "tc: cake bandwidth 20Mbit, no tbf" has 'qdisc cake 1: root .*bandwidth 20Mbit' "$(tcs)"
ok "shape rate=20mbit shaper=htb queue=fq_codel" shape rate=20mbit shaper=htb queue=fq_codel
out=$(tcs)
ok "tc: htb 1: root, fq_codel 2: parent 1:1" has 'qdisc fq_codel 2: parent 1:1' "$out"
ok "shape loss=1% ecn=on queue=pfifo (netem marks)" shape loss=1% ecn=on queue=pfifo
ok "tc: netem ecn" has 'loss 1% ecn' "$(tcs)"

# --- fq_codel statistics against tc, after a queue built up ---------------------
ip netns exec $B iperf3 -s -B 198.18.7.2 >/dev/null 2>&1 &
SRV=$!
defer kill $SRV
wait_for listening $B 5201 || bail "iperf3 server did not listen"
shape rate=10mbit queue=fq_codel limit=50 >/dev/null
ip netns exec $A timeout 30 iperf3 -c 198.18.7.2 -u -b 30M -l 1200 -t 2 -P 2 >/dev/null 2>&1
out=$(tcs)
j=$(qs)
diag "$(grep -A4 fq_codel <<<"$out")"
f() { jq -r ".[] | select(.kind==\"fq_codel\") | $1" <<<"$j"; }
tcv() { grep -A4 'qdisc fq_codel' <<<"$out" | grep -o "$1 [0-9]*" | head -1 | awk '{print $2}'; }
is "$(f .xstats.drop_overlimit)" "$(tcv drop_overlimit)" "fq_codel drop_overlimit = tc's"
is "$(f .xstats.new_flow_count)" "$(tcv new_flow_count)" "fq_codel new_flow_count = tc's"
is "$(f .xstats.ecn_mark)" "$(tcv ecn_mark)" "fq_codel ecn_mark = tc's"
is "$(f .xstats.maxpacket)" "$(tcv maxpacket)" "fq_codel maxpacket = tc's"
tcd=$(grep -A1 'qdisc fq_codel' <<<"$out" | grep -o 'dropped [0-9]*' | awk '{print $2}')
is "$(f .drops)" "$tcd" "fq_codel drops = tc's"
ok "fq_codel dropped under 30 Mbit/s into 10 Mbit/s ($tcd)" test "${tcd:-0}" -gt 0

# --- fidelity: loss over >= 10,000 packets ---------------------------------------
# A modest packet rate, so that the one-CPU guest never queues (a limit
# overflow would count as a drop too). The 99% interval is what the fidelity
# table reports; the assertion uses 99.9% so that chance alone fails it once
# in a thousand runs, not once in a hundred.
# The sender is the bundled tb-udp, not iperf3: an iperf3 UDP test starts
# with one datagram to the server and waits for its answer, and when netem
# drops that datagram (2 runs in 100 here) iperf3 waits forever and sends
# nothing (CI once counted 12 packets). tb-udp needs no answer.
shape loss=2% >/dev/null
. "$(dirname "$0")/lib-workers.sh"
S=$B
scratch T tbq-udp
server udp --mode udp --host 198.18.7.2 --port 9000 --deadline 30s
ip netns exec $A "$W/tb-udp" --host 198.18.7.2 --port 9000 --rate 2500 --size 200 \
	--duration 6s --result "$T/udp.json"
ok "tb-udp sent at 2,500/s for 6 s (exit $?)" test $? -eq 0
j=$(qs)
sent=$(jq -r '.[0].packets' <<<"$j")
drop=$(jq -r '.[0].drops' <<<"$j")
read -r n lo hi lo3 hi3 got <<<"$(awk -v s="$sent" -v d="$drop" -v p=0.02 'BEGIN {
	n = s + d; sd = sqrt(n * p * (1 - p));
	printf "%d %.0f %.0f %.0f %.0f %.5f", n, n * p - 2.576 * sd, n * p + 2.576 * sd,
		n * p - 3.291 * sd, n * p + 3.291 * sd, d / n }')"
in99=no; [ "$drop" -ge "$lo" ] && [ "$drop" -le "$hi" ] && in99=yes
diag "loss 2%: $drop of $n packets dropped ($got); 99% interval [$lo, $hi]: $in99; 99.9% [$lo3, $hi3]"
ok "at least 10,000 packets ($n)" test "$n" -ge 10000
ok "netem loss within the 99.9% binomial interval" test "$drop" -ge "$lo3" -a "$drop" -le "$hi3"

# --- fidelity: RTT median with delay on the receiver side ------------------------
med() { ip netns exec $A ping -c 60 -i 0.02 -q 198.18.7.2 >/dev/null; \
	ip netns exec $A ping -c 100 -i 0.02 198.18.7.2 | sed -n 's/.*time=\([0-9.]*\) ms/\1/p' |
	sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
"$TESTBED" shape $A eth0 >/dev/null
base=$(med)
"$TESTBED" shape $B eth0 delay=20ms >/dev/null
got=$(med)
diag "RTT median unshaped $base ms, with 20 ms netem on the receiver's egress $got ms"
ok "RTT median within 1 ms of 20 ms + baseline" \
	awk -v g="$got" -v b="$base" 'BEGIN { d = g - b - 20; exit !(d > -1 && d < 1) }'
done_testing
