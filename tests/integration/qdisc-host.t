#!/bin/bash
# Netlink-installed qdiscs on the host kernel (tbf, htb, pfifo, bfifo) against
# `tc -s qdisc show` as the oracle; qstats counters against tc's; a tbf rate
# measured with iperf3 within 3%; the kernel's own error text in failures.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip tc jq iperf3 ss ethtool
[ -x "$TESTBED" ] || skip_all "build first: make"
A=tbq-$$-a
B=tbq-$$-b
netns_new $A $B
veth_join $A eth0 $B eth0 198.18.7
# shaped links run without offloads (DESIGN.md): packets are wire-sized
for n in $A $B; do ip netns exec $n ethtool -K eth0 tso off gso off gro off >/dev/null 2>&1; done
ip netns exec $A tc qdisc add dev eth0 root tbf rate 1mbit burst 10k limit 10k 2>/dev/null ||
	skip_all "the kernel has no tbf"
ip netns exec $A tc qdisc del dev eth0 root

tcs() { tc -n $A -s qdisc show dev eth0; }
shape() { "$TESTBED" shape $A eth0 "$@" >/dev/null; }
qs() { "$TESTBED" qstats $A; }

# --- tbf + pfifo -------------------------------------------------------------
ok "shape rate=50mbit queue=pfifo limit=200" shape rate=50mbit queue=pfifo limit=200 burst=16k
out=$(tcs)
diag "$(echo "$out" | grep qdisc)"
ok "tc: tbf 1: root rate 50Mbit burst 16Kb" grep -q 'qdisc tbf 1: root .*rate 50Mbit burst 16Kb' <<<"$out"
ok "tc: pfifo 2: parent 1:1 limit 200p" grep -q 'qdisc pfifo 2: parent 1:1 limit 200p' <<<"$out"
j=$(qs)
is "$(jq -r '[.[] | select(.kind=="tbf") | .options.rate_bps] | first' <<<"$j")" 50000000 "qstats: tbf rate_bps"
b=$(jq -r '[.[] | select(.kind=="tbf") | .options.burst] | first' <<<"$j")
ok "qstats: tbf burst 16384 +- 8 ($b; the kernel keeps it in 64 ns ticks)" test "$b" -ge 16376 -a "$b" -le 16392
is "$(jq -r '[.[] | select(.kind=="pfifo") | .options.limit] | first' <<<"$j")" 200 "qstats: pfifo limit"

# a bulk transfer: rate within 3%, and qstats counters equal tc's
ip netns exec $B iperf3 -s -B 198.18.7.2 >/dev/null 2>&1 &
SRV=$!
defer kill $SRV
wait_for listening $B 5201 || bail "iperf3 server did not listen"
res=$(ip netns exec $A timeout 30 iperf3 -c 198.18.7.2 -t 6 -O 1 -J)
bps=$(jq -r '.end.sum_received.bits_per_second' <<<"$res")
mss=$(jq -r '.start.tcp_mss_default // 1448' <<<"$res")
# tbf counts whole frames: payload + 66 bytes of headers (eth 14, ip 20, tcp 32)
wire=$(awk -v b="$bps" -v m="$mss" 'BEGIN { printf "%.0f", b * (m + 66) / m }')
diag "iperf3 goodput $bps bit/s, mss $mss, on the wire $wire bit/s, configured 50000000"
ok "tbf 50mbit: wire rate within 3% ($wire)" awk -v w="$wire" 'BEGIN { exit !(w > 48500000 && w < 51500000) }'
# TCP small queues keep a local sender from overflowing its own queue, and a
# UDP socket's send buffer holds fewer than 200 datagrams: a 10-packet pfifo
# under a bounded 80 Mbit/s, 2 s UDP stream overflows
ok "shape rate=50mbit queue=pfifo limit=10" shape rate=50mbit queue=pfifo limit=10
ip netns exec $A timeout 20 iperf3 -c 198.18.7.2 -u -b 80M -l 1400 -t 2 >/dev/null 2>&1
out=$(tcs)
j=$(qs)
tc_bytes=$(awk '/qdisc tbf/ { f = 1 } f && /Sent/ { print $2; exit }' <<<"$out")
tc_pkts=$(awk '/qdisc tbf/ { f = 1 } f && /Sent/ { print $4; exit }' <<<"$out")
tc_drops=$(awk '/qdisc pfifo/ { f = 1 } f && /Sent/ { gsub(",", "", $7); print $7; exit }' <<<"$out")
tc_ovl=$(awk '/qdisc tbf/ { f = 1 } f && /Sent/ { gsub(",", "", $9); print $9; exit }' <<<"$out")
diag "tc: tbf sent $tc_bytes bytes $tc_pkts pkt overlimits $tc_ovl; pfifo dropped $tc_drops"
is "$(jq -r '.[] | select(.kind=="tbf") | .bytes' <<<"$j")" "$tc_bytes" "qstats tbf bytes = tc's"
is "$(jq -r '.[] | select(.kind=="tbf") | .packets' <<<"$j")" "$tc_pkts" "qstats tbf packets = tc's"
is "$(jq -r '.[] | select(.kind=="tbf") | .overlimits' <<<"$j")" "$tc_ovl" "qstats tbf overlimits = tc's"
is "$(jq -r '.[] | select(.kind=="pfifo") | .drops' <<<"$j")" "$tc_drops" "qstats pfifo drops = tc's"
ok "80 Mbit/s of UDP overflowed the 10-packet pfifo" test "${tc_drops:-0}" -gt 0

# --- htb + bfifo -------------------------------------------------------------
ok "shape rate=20mbit shaper=htb queue=bfifo limit=64k" shape rate=20mbit shaper=htb queue=bfifo limit=64k
out=$(tcs)
diag "$(echo "$out" | grep qdisc)"
ok "tc: htb 1: root default 0x1" grep -q 'qdisc htb 1: root .*default 0x1' <<<"$out"
ok "tc: bfifo 2: parent 1:1 limit 64Kb" grep -q 'qdisc bfifo 2: parent 1:1 limit 64Kb' <<<"$out"
ok "tc: class htb 1:1 rate 20Mbit ceil 20Mbit" \
	grep -q 'class htb 1:1 root leaf 2: .*rate 20Mbit ceil 20Mbit' <<<"$(tc -n $A class show dev eth0)"
j=$(qs)
is "$(jq -r '.[] | select(.kind=="htb" and .class) | .options.rate_bps' <<<"$j")" 20000000 "qstats: htb class rate"
is "$(jq -r '.[] | select(.kind=="htb" and (.class|not)) | .parent' <<<"$j")" root "qstats: htb is the root"

# --- a 64-bit rate through htb, and the queue alone ---------------------------
ok "shape rate=40gbit shaper=htb" shape rate=40gbit shaper=htb
ok "tc: class htb rate 40Gbit" grep -q 'rate 40Gbit' <<<"$(tc -n $A class show dev eth0)"
ok "shape rate=40gbit (tbf over libmnl: TCA_TBF_RATE64)" shape rate=40gbit queue=pfifo
ok "tc: tbf 1: root rate 40Gbit" grep -q 'qdisc tbf 1: root .*rate 40Gbit' <<<"$(tcs)"
is "$(qs | jq -r '.[] | select(.kind=="tbf") | .options.rate_bps')" 40000000000 "qstats: tbf rate_bps 4e10"
ok "shape queue=bfifo limit=30000 (queue only)" shape queue=bfifo limit=30000
ok "tc: bfifo 1: root limit 30000b" grep -Eq 'qdisc bfifo 1: root .*limit 30000b' <<<"$(tcs)"
ok "shape queue=pfifo (default limit)" shape queue=pfifo
ok "tc: pfifo 1: root limit 1000p" grep -q 'qdisc pfifo 1: root .*limit 1000p' <<<"$(tcs)"
ok "shape with no keys clears" "$TESTBED" shape $A eth0
ok "tc: back to noqueue" grep -q 'qdisc noqueue 0: root' <<<"$(tcs)"
is "$(qs | jq length)" 0 "qstats lists no installed qdisc after clearing"

# --- errors carry the kernel's text ------------------------------------------
if ! ip netns exec $A tc qdisc add dev eth0 root fq_codel 2>/dev/null; then
	err=$("$TESTBED" shape $A eth0 queue=fq_codel 2>&1)
	diag "$err"
	ok "missing kind: error names the qdisc, node and interface" \
		grep -q "add qdisc fq_codel on $A/eth0: No such file or directory" <<<"$err"
	ok "missing kind: error quotes the kernel" grep -q '(kernel: Specified qdisc kind is unknown)' <<<"$err"
	ok "a failed shape leaves no qdisc behind" grep -q 'qdisc noqueue 0: root' <<<"$(tcs)"
	# the tbf is created, then its fq_codel child fails: the tbf goes too
	err=$("$TESTBED" shape $A eth0 rate=10mbit queue=fq_codel 2>&1)
	ok "tbf + missing child kind fails" grep -q 'add qdisc fq_codel' <<<"$err"
	ok "  and the half-built tbf is removed" grep -q 'qdisc noqueue 0: root' <<<"$(tcs)"
else
	ip netns exec $A tc qdisc del dev eth0 root
	err=$("$TESTBED" shape $A eth0 rate=10mbit burst=10 2>&1)
	diag "$err"
	ok "impossible burst: error quotes the kernel" grep -q '(kernel: ' <<<"$err"
	skip "fq_codel exists here"
	skip "fq_codel exists here"
	skip "fq_codel exists here"
	skip "fq_codel exists here"
fi
done_testing
