#!/bin/bash
# Shaping fidelity: configured against measured, for qdiscs installed by
# `testbed shape` (the same code as `testbed run`). Prints Markdown table rows
# on stdout. Run by bench/shaping/run on the host and inside a UML guest.
#
#   fidelity.sh TIER     TIER is a label for the rows ("host 6.18", "uml 6.1")
#
# Two namespaces joined by a veth pair, offloads off. Oracles: ping (RTT),
# iperf3's receiver (goodput, UDP datagrams lost), tc -s (queue drops).
set -u
TIER=${1:-$(uname -r)}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TB="$TOP/testbed"
A=tbq-bench-$$-a
B=tbq-bench-$$-b
SRV=

cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add $A && ip netns add $B || exit 1
ip -n $A link add eth0 type veth peer name eth0 netns $B || exit 1
ip -n $A addr add 198.18.9.1/24 dev eth0
ip -n $B addr add 198.18.9.2/24 dev eth0
for n in $A $B; do
	ip -n $n link set lo up
	ip -n $n link set eth0 up
	ip netns exec $n ethtool -K eth0 tso off gso off gro off >/dev/null 2>&1
done
has_kind() { ip netns exec $A tc qdisc add dev lo root handle 9: "$@" >/dev/null 2>&1 &&
	ip netns exec $A tc qdisc del dev lo root; }
NETEM=0
has_kind netem delay 1ms && NETEM=1

ip netns exec $B iperf3 -s -B 198.18.9.2 >/dev/null 2>&1 &
SRV=$!
for _ in $(seq 100); do
	ip netns exec $B ss -Hltn "sport = :5201" | grep -q LISTEN && break
	sleep 0.05
done

shape() { "$TB" shape "$@" >/dev/null || echo "shape $* failed" >&2; }
clear() { "$TB" shape $A eth0; "$TB" shape $B eth0; }
# median and p99 of 200 pings, 10 ms apart, after 20 warm-up pings
rtt() {
	ip netns exec $A ping -c 20 -i 0.01 -q 198.18.9.2 >/dev/null
	ip netns exec $A ping -c 200 -i 0.01 198.18.9.2 | sed -n 's/.*time=\([0-9.]*\) ms/\1/p' |
		sort -n | awk '{ a[NR] = $1 } END { printf "%.3f %.3f", a[int((NR + 1) / 2)], a[int(NR * 0.99)] }'
}
# TCP goodput (bit/s) over SECS seconds, first second omitted
tcp() { ip netns exec $A timeout 60 iperf3 -c 198.18.9.2 -t "${1:-5}" -O 1 -J |
	jq -r '.end.sum_received.bits_per_second'; }
# UDP: "lost total rcvbuf" seen by the receiver; rcvbuf counts datagrams the
# receiving socket itself dropped (a busy guest CPU), which are not path loss
rcvbuf() { ip netns exec $B nstat -asz UdpRcvbufErrors | awk '/UdpRcvbufErrors/ { print $2 }'; }
# iperf3 starts a UDP test with one datagram the server answers; when the
# lossy link drops it, iperf3 waits until killed and reports nothing: try
# again (up to 3 times), with a timeout a little over the test's length.
udp() {
	local r0 r1 out try
	for try in 1 2 3; do
		r0=$(rcvbuf)
		out=$(ip netns exec $A timeout $(($2 + 10)) iperf3 -c 198.18.9.2 -u -b "$1" -l 100 -t "$2" -J |
			jq -r '.end.sum | "\(.lost_packets) \(.packets)"' 2>/dev/null)
		r1=$(rcvbuf)
		case $out in [0-9]*) break ;; esac
		echo "iperf3 -u got no answer to its start datagram (try $try)" >&2
	done
	echo "$out $((r1 - r0))"
}
qdrops() { "$TB" qstats $A | jq -r "[.[] | select(.kind==\"$1\") | .drops] | first"; }
row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$TIER" "$@"; }

clear
read -r base50 base99 <<<"$(rtt)"
raw=$(tcp 4)
row "none (reference)" "-" "RTT p50 $base50 ms, p99 $base99 ms" "-" "fixed overhead"
row "none (reference)" "-" "$(awk -v b="$raw" 'BEGIN { printf "%.0f Mbit/s goodput", b / 1e6 }')" \
	"-" "unshaped veth"

# --- delay: netem on the receiver's egress (the reply direction) -------------
if [ $NETEM = 1 ]; then
	for d in 10 50; do
		shape $B eth0 delay=${d}ms
		read -r m p <<<"$(rtt)"
		row "netem delay=${d}ms" "RTT $d ms + overhead" "p50 $m ms, p99 $p ms" \
			"$(awk -v m="$m" -v b="$base50" -v d="$d" 'BEGIN { printf "%+.3f ms", m - b - d }')" \
			"$(awk -v m="$m" -v b="$base50" -v d="$d" 'BEGIN { x = m - b - d; print (x > -1 && x < 1) ? "ok (< 1 ms)" : "OFF" }')"
	done
	shape $B eth0 delay=20ms jitter=5ms distribution=normal
	read -r m p <<<"$(rtt)"
	row "netem delay=20ms jitter=5ms normal" "RTT p50 20 ms + overhead" "p50 $m ms, p99 $p ms" \
		"$(awk -v m="$m" -v b="$base50" 'BEGIN { printf "%+.3f ms", m - b - 20 }')" \
		"$(awk -v m="$m" -v b="$base50" 'BEGIN { x = m - b - 20; print (x > -1 && x < 1) ? "ok (< 1 ms)" : "OFF" }')"
	"$TB" shape $B eth0

	# --- loss: >= 10,000 datagrams; 99% binomial interval ---------------------
	for l in 0.1 1 5; do
		shape $A eth0 loss=${l}%
		read -r lost total rb <<<"$(udp 2M 6)"
		nd=$(qdrops netem)
		lost=$((lost - rb))
		row "netem loss=${l}%" "$l %" \
			"$(awk -v l="$lost" -v n="$total" -v rb="$rb" -v nd="$nd" 'BEGIN {
				printf "%d of %d lost (%.3f %%); netem counted %d; receiver socket dropped %d more", l, n, 100 * l / n, nd, rb }')" \
			"$(awk -v n="$total" -v p="$l" 'BEGIN { p /= 100; s = sqrt(n * p * (1 - p)); printf "99%%: [%.0f, %.0f]", n * p - 2.576 * s, n * p + 2.576 * s }')" \
			"$(awk -v l="$lost" -v n="$total" -v p="$l" 'BEGIN { p /= 100; s = sqrt(n * p * (1 - p));
				print (n >= 10000 && l >= n * p - 2.576 * s && l <= n * p + 2.576 * s) ? "ok" : "OFF" }')"
	done
	shape $A eth0 loss_model=gemodel ge_p=1% ge_r=25%
	read -r lost total rb <<<"$(udp 2M 6)"
	lost=$((lost - rb))
	# stationary loss of the simple Gilbert model: p / (p + r) = 1 / 26
	row "netem gemodel p=1% r=25%" "3.846 % (p/(p+r))" \
		"$(awk -v l="$lost" -v n="$total" 'BEGIN { printf "%d of %d lost (%.3f %%)", l, n, 100 * l / n }')" \
		"bursty: no binomial interval" \
		"$(awk -v l="$lost" -v n="$total" 'BEGIN { x = 100 * l / n; print (x > 2.5 && x < 5.5) ? "plausible" : "OFF" }')"
	"$TB" shape $A eth0
fi

# --- rate: tbf/htb with a bulk TCP transfer; wire rate vs configured ----------
rate_row() {
	local label=$1 r=$2 b w
	shift 2
	shape $A eth0 "$@"
	b=$(tcp 5)
	# tbf counts frames: payload 1448 + 66 bytes of headers
	w=$(awk -v b="$b" 'BEGIN { printf "%.0f", b * 1514 / 1448 }')
	row "$label" "$r Mbit/s" \
		"$(awk -v b="$b" -v w="$w" 'BEGIN { printf "goodput %.2f, wire %.2f Mbit/s", b / 1e6, w / 1e6 }')" \
		"$(awk -v w="$w" -v r="$r" 'BEGIN { printf "%+.2f %%", 100 * (w / (r * 1e6) - 1) }')" \
		"$(awk -v w="$w" -v r="$r" 'BEGIN { x = w / (r * 1e6) - 1; print (x > -0.03 && x < 0.03) ? "ok (< 3 %)" : "OFF" }')"
}
for r in 10 50 100 200 500 1000; do
	rate_row "tbf rate=${r}mbit" $r rate=${r}mbit queue=pfifo limit=1000
done
rate_row "htb rate=100mbit" 100 rate=100mbit shaper=htb queue=pfifo limit=1000
if [ $NETEM = 1 ]; then
	rate_row "netem 20ms + tbf 100mbit + fq_codel" 100 delay=20ms rate=100mbit queue=fq_codel
fi
exit 0
