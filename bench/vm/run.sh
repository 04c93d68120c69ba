#!/bin/sh
# Cost of the UML kernel tier: boot, module loading, and the data plane inside
# the guest, each beside the same thing on the host kernel, measured in the
# same run. Prints a Markdown table (paste it into RESULTS.md).
#   sudo bench/vm/run.sh [N]      N boots per row (default 5)
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TB="$TOP/testbed"
N=${1:-5}
T=$(mktemp -d /tmp/tbu-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
export TMPDIR=$T

now() { date +%s%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# row NAME CMD...: median wall ms over N runs; also keep the guest's own
# boot/modules numbers when it prints them.
row() {
	name=$1; shift
	: >"$T/ms"; : >"$T/boot"; : >"$T/mods"
	i=0
	while [ $i -lt "$N" ]; do
		s=$(now); "$@" >/dev/null 2>"$T/err"; e=$(now)
		echo $(( (e - s) / 1000000 )) >>"$T/ms"
		sed -n 's/.*boot \([0-9]*\) ms, \([0-9]*\) modules in \([0-9]*\) ms.*/\1 \3/p' "$T/err" | \
			while read -r b m; do echo "$b" >>"$T/boot"; echo "$m" >>"$T/mods"; done
		i=$((i + 1))
	done
	ms=$(median <"$T/ms")
	b=$( [ -s "$T/boot" ] && median <"$T/boot" || echo -)
	m=$( [ -s "$T/mods" ] && median <"$T/mods" || echo -)
	printf '| %s | %s | %s | %s |\n' "$name" "$ms" "$b" "$m"
	echo "$ms" >"$T/last"
}

echo "Machine: $(nproc) cores, host kernel $(uname -r), UML $(/usr/bin/linux.uml --version 2>/dev/null)"
echo "Load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| what (median of $N) | wall ms | guest boot ms | modules ms |"
echo "|---|---|---|---|"
row "host: /bin/true (reference)" /bin/true
row "host: testbed probe" "$TB" probe
row "guest, no modules: /bin/true" "$TB" guest --modules '' -- /bin/true
noboot=$(cat "$T/last")
row "guest, netem+tbf+htb+fq_codel+veth+bbr (vm_modules_for)" "$TB" guest \
	--modules veth,ipv6,dummy,ifb,sch_ingress,udp_diag,raw_diag,sch_netem,sch_tbf,sch_htb,sch_fq_codel,tcp_bbr -- /bin/true
row "guest, all default modules (testbed guest)" "$TB" guest -- /bin/true
row "guest, no modules: testbed probe" "$TB" guest --modules '' -- probe
echo

# Data plane: two namespaces joined by a veth pair, no shaping; RTT and one
# CUBIC flow, on the host and in a guest, with the same script.
cat >"$T/plane.sh" <<'EOS'
#!/bin/sh
a=tbu-bench-a-$$; b=tbu-bench-b-$$
ip netns add $a; ip netns add $b
ip link add va netns $a type veth peer name vb netns $b
ip -n $a addr add 10.99.0.1/24 dev va; ip -n $b addr add 10.99.0.2/24 dev vb
ip -n $a link set va up; ip -n $b link set vb up
ip -n $a link set lo up; ip -n $b link set lo up
rtt=$(ip netns exec $a ping -q -c 20 -i 0.05 10.99.0.2 | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
ip netns exec $b iperf3 -s -1 -D -p 5299 >/dev/null 2>&1
i=0; while ! ip netns exec $b ss -ltn | grep -q 5299 && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
bw=$(ip netns exec $a iperf3 -c 10.99.0.2 -p 5299 -t 3 -J 2>/dev/null | \
	sed -n "s/.*\"bits_per_second\":[[:space:]]*\([0-9.e+]*\).*/\1/p" | tail -1)
# netem 10 ms on the receiver's side: RTT should be base + 10 ms
ip netns exec $b tc qdisc add dev vb root netem delay 10ms 2>/dev/null && \
	nrtt=$(ip netns exec $a ping -q -c 20 -i 0.05 10.99.0.2 | sed -n 's|.*= \([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\)/.*|\1 \2 \3|p')
ip netns del $a; ip netns del $b
echo "RESULT ${rtt:-?} ${bw:-0} ${nrtt:-- - -}"
EOS
chmod +x "$T/plane.sh"
echo "| data plane, veth between two netns | host kernel | UML guest | guest/host |"
echo "|---|---|---|---|"
set -- $(sh "$T/plane.sh" | sed -n 's/^RESULT //p')
h_rtt=$1 h_bw=$2
set -- $("$TB" guest --quiet --timeout 60s -- "$T/plane.sh" 2>/dev/null | sed -n 's/^RESULT //p')
g_rtt=$1 g_bw=$2 g_min=$3 g_avg=$4 g_max=$5
printf '| ping RTT avg, ms | %s | %s | %s |\n' "$h_rtt" "$g_rtt" \
	"$(awk -v a="$g_rtt" -v b="$h_rtt" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }')"
printf '| one CUBIC flow (iperf3 3 s), Mbit/s | %.0f | %.0f | %s |\n' \
	"$(awk -v x="$h_bw" 'BEGIN { print x / 1e6 }')" "$(awk -v x="$g_bw" 'BEGIN { print x / 1e6 }')" \
	"$(awk -v a="$g_bw" -v b="$h_bw" 'BEGIN { if (b > 0) printf "%.3fx", a / b; else print "-" }')"
printf '| guest: ping RTT with netem delay 10ms on the receiver, min/avg/max ms | - | %s / %s / %s | - |\n' \
	"$g_min" "$g_avg" "$g_max"
echo
echo "Command: sudo bench/vm/run.sh $N"
