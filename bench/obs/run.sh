#!/bin/bash
# Observability benchmarks (root). Prints a Markdown table; RESULTS.md keeps
# the last recorded one.
#
#   bench/obs/run.sh [sampling|capture|all]     (default all)
#   DUR=30 SOCKETS=1000 IPERF_DUR=10 bench/obs/run.sh
#
# Sampling cost: SOCKETS established TCP sockets in one namespace, sampled
# every 10 ms for DUR seconds, (1) by the in-process sock_diag sampler and
# (2) by forking `ss -tin` into the namespace at the same interval and
# reading its output through a pipe (what Flent does), one after the other in
# the same run, on the same sockets. Three comparisons: tcp_info of every
# socket against `ss -tin`; what `testbed run` samples (one flow's tcp_info
# and the count of every socket by state) against the ss runs that give the
# same information (`ss -tan` for the states, `ss -tin 'dport = :5002'` for
# the flow); and the same sampler against the filtered ss alone, which does
# less (the strictest reading). Done twice:
# namespaces sharing the host's TCP established hash (the kernel default) and
# namespaces with their own (net.ipv4.tcp_child_ehash_entries).
#
# Capture cost: iperf3 goodput over a veth pair shaped by tbf at 100 Mbit/s
# (the shipped experiments' rate; offloads off as on shaped links), capture
# off vs on at the receiver, alternated; then unshaped (offloads off) as a
# stress case.
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD
DRV=$TOP/tests/unit/obs_driver.t
WHAT=${1:-all}
DUR=${DUR:-30}
SOCKETS=${SOCKETS:-1000}
IPERF_DUR=${IPERF_DUR:-10}
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 3; }
[ -x "$DRV" ] || { echo "build first: make tests/unit/obs_driver.t" >&2; exit 2; }

PIDS=""
NSS=""
TMP=$(mktemp -d /tmp/tbo-bench.XXXXXX)
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for n in $NSS; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# mkns NAME [CHILD_EHASH]: a namespace; with CHILD_EHASH it is created from a
# throwaway parent namespace whose tcp_child_ehash_entries is set, so it gets
# its own established hash without touching the host's sysctl.
mkns() {
	if [ -n "${2:-}" ]; then
		ip netns add "$1-p" && ip netns exec "$1-p" sysctl -qw net.ipv4.tcp_child_ehash_entries="$2"
		nsenter --net=/run/netns/"$1-p" ip netns add "$1"
		ip netns del "$1-p"
	else
		ip netns add "$1"
	fi
	NSS="$NSS $1"
	ip -n "$1" link set lo up
}
pair() { # pair A B SUBNET
	ip -n "$1" link add eth0 type veth peer name eth0 netns "$2"
	ip -n "$1" addr add "$3.1/24" dev eth0
	ip -n "$2" addr add "$3.2/24" dev eth0
	ip -n "$1" link set eth0 up
	ip -n "$2" link set eth0 up
}
kv() { sed -n "s/.*[ ^]$2=\([0-9.]*\).*/\1/p; s/^$2=\([0-9.]*\).*/\1/p" "$1" | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "inf" }'; }

sampling() { # sampling LABEL CHILD_EHASH|"" NSOCKETS
	local A=tbo-$$-a$2 B=tbo-$$-b$2 label=$1 out=$TMP/csv SOCKETS=$3
	mkns $A "${2:-}"
	mkns $B "${2:-}"
	pair $A $B 198.18.7
	ip netns exec $B "$DRV" serve 198.18.7.2 5001 & PIDS="$PIDS $!"
	ip netns exec $B "$DRV" serve 198.18.7.2 5002 & PIDS="$PIDS $!"
	sleep 0.3
	local hold=$(( (DUR * 4 + 30) * 1000 ))
	ip netns exec $A "$DRV" client 198.18.7.2 5001 100 $hold $((SOCKETS - 1)) > "$TMP/c1" & PIDS="$PIDS $!"
	ip netns exec $A "$DRV" client 198.18.7.2 5002 100000 $hold 1 > "$TMP/c2" & PIDS="$PIDS $!"
	for _ in $(seq 200); do grep -q connected "$TMP/c1" && grep -q connected "$TMP/c2" && break; sleep 0.1; done
	local est
	est=$(ip netns exec $A ss -Htan state established | wc -l)
	mkdir -p "$out"
	"$DRV" sample $A "$out" 10 $((DUR * 1000)) all > "$TMP/s_all"
	local csv_mb
	csv_mb=$(du -sm "$out" | cut -f1)
	rm -rf "$out"; mkdir -p "$out"
	"$DRV" forkss $A 10 $((DUR * 1000)) -tin > "$TMP/f_all"
	"$DRV" sample $A "$out" 10 $((DUR * 1000)) rport=5002 > "$TMP/s_one"
	"$DRV" forkss $A 10 $((DUR * 1000)) -tan + -tin "dport = :5002" > "$TMP/f_one"
	"$DRV" forkss $A 10 $((DUR * 1000)) -tin "dport = :5002" > "$TMP/f_flow"
	rm -rf "$out"
	local ticks=$((DUR * 100))
	for m in all one flow; do
		local s=$m sc fc ss sm fr fm what ref verdict
		[ $m = flow ] && s=one
		sc=$(kv "$TMP/s_$s" proc_cpu_s); ss=$(kv "$TMP/s_$s" samples); sm=$(kv "$TMP/s_$s" missed)
		fc=$(kv "$TMP/f_$m" cpu_s); fr=$(kv "$TMP/f_$m" runs); fm=$(kv "$TMP/f_$m" missed)
		case $m in
		all) what="every socket's tcp_info ($est rows) + the state counts"
		     ref="\`ss -tin\` (every socket's tcp_info)" ;;
		one) what="the flow's tcp_info + the state counts of every socket (what \`testbed run\` does)"
		     ref="\`ss -tan\` + \`ss -tin 'dport = :5002'\` (the same information)" ;;
		flow) what="the same as above"
		     ref="\`ss -tin 'dport = :5002'\` alone (less: the flow only, no states)" ;;
		esac
		verdict=$(awk -v a="$fc" -v b="$sc" -v m="$sm" 'BEGIN { r = b > 0 ? a / b : 0;
			print (r >= 20 && m == 0) ? "met" : (r >= 20 ? "not met (missed samples)" : "not met") }')
		printf '| %s | %s | %s | %s | %.3f s, %s/%s samples, %s missed (%.0f us/sample) | %s s, %s/%s ticks, %s missed (%.2f ms/tick) | %sx | %sx | %s |\n' \
			"$label" "$SOCKETS" "$what" "$ref" "$sc" "$ss" "$ticks" "$sm" \
			"$(awk -v a="$sc" -v b="$ss" 'BEGIN { print (b > 0 ? a / b * 1e6 : 0) }')" \
			"$fc" "$fr" "$ticks" "$fm" \
			"$(awk -v a="$fc" -v b="$fr" 'BEGIN { print (b > 0 ? a / b * 1e3 : 0) }')" \
			"$(ratio "$fc" "$sc")" \
			"$(awk -v a="$fc" -v b="$fr" -v c="$sc" -v d="$ss" 'BEGIN { if (b > 0 && c > 0) printf "%.1f", (a / b) / (c / d); else print "-" }')" \
			"$verdict"
	done
	echo "    $label, $SOCKETS sockets: sampler all: $(tr '\n' ' ' < "$TMP/s_all") CSV ${csv_mb} MB; ss -tin: $(cat "$TMP/f_all"); sampler one: $(tr '\n' ' ' < "$TMP/s_one"); ss -tan + ss -tin dport: $(cat "$TMP/f_one"); ss -tin dport: $(cat "$TMP/f_flow")" >> "$TMP/raw"
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	PIDS=""
	ip netns del $A; ip netns del $B
	NSS=""
}

goodput() { perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); printf "%.2f", $j->{end}{sum_received}{bits_per_second} / 1e6' < "$1"; }

capture() { # capture LABEL RATE|- RUNS
	local A=tbo-$$-ca B=tbo-$$-cb label=$1 rate=$2 runs=$3 out=$TMP/pcap
	mkns $A; mkns $B
	pair $A $B 198.18.8
	for n in $A $B; do ip netns exec $n ethtool -K eth0 tso off gso off gro off > /dev/null 2>&1; done
	[ "$rate" != - ] && tc -n $A qdisc add dev eth0 root tbf rate "$rate" burst 16k limit 150k
	ip netns exec $B iperf3 -s -B 198.18.8.2 > /dev/null 2>&1 & PIDS="$PIDS $!"
	sleep 0.5
	mkdir -p "$out"
	local off="" on="" drops=0 pk=0 i
	for i in $(seq "$runs"); do
		ip netns exec $A iperf3 -c 198.18.8.2 -t "$IPERF_DUR" -J > "$TMP/off.json" 2>/dev/null
		off="$off $(goodput "$TMP/off.json")"
		"$DRV" capture $B eth0 "$out" b 0 0 - -- sh -c "ip netns exec $A iperf3 -c 198.18.8.2 -t $IPERF_DUR -J > $TMP/on.json 2>/dev/null" > "$TMP/cap" 2> "$TMP/cap.err"
		on="$on $(goodput "$TMP/on.json")"
		drops=$((drops + $(kv "$TMP/cap" drop) + $(kv "$TMP/cap" ifdrop)))
		pk=$((pk + $(kv "$TMP/cap" packets)))
		rm -f "$out"/*.pcap
	done
	local mo mn
	mo=$(echo $off | tr ' ' '\n' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	mn=$(echo $on | tr ' ' '\n' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$off" "$on" \
		"$(awk -v a="$mn" -v b="$mo" 'BEGIN { printf "%.3f", a / b }')x" "$pk" "$drops"
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	PIDS=""
	ip netns del $A; ip netns del $B
	NSS=""
}

echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
if [ "$WHAT" = all ] || [ "$WHAT" = sampling ]; then
	echo "### Sampling cost: $SOCKETS (and 10) sockets, every 10 ms for $DUR s"
	echo
	echo "| namespaces | sockets | the sampler writes, per tick | forked per tick (reference) | in-process sampler (CPU) | fork \`ss\` (CPU) | CPU ratio | per-sample ratio | 20x, 0 missed |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for n in $SOCKETS 10; do
		sampling "shared host ehash (plain \`ip netns add\`)" "" $n
		sampling "own ehash, 4096 buckets (as \`testbed up\` nodes)" 4096 $n
	done
	echo
	echo "Raw driver lines:"
	echo
	cat "$TMP/raw"
	echo
fi
if [ "$WHAT" = all ] || [ "$WHAT" = capture ]; then
	echo "### Capture cost: iperf3 goodput (Mbit/s), $IPERF_DUR s runs, capture at the receiver, snaplen 128"
	echo
	echo "| link | capture off | capture on | on/off (medians) | packets captured | drops |"
	echo "|---|---|---|---|---|---|"
	capture "veth, tbf 100 Mbit/s, offloads off" 100mbit 3
	capture "veth unshaped, offloads off (stress)" - 2
	echo
fi
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
