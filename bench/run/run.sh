#!/bin/bash
# Overhead of `testbed run` per run beyond the measured time, on the host
# kernel, for the dumbbell: wall time of `testbed run` with R repeats of a
# D-second flow, minus R x D, divided by R. Beside it, in the same run, the
# same work done by a shell script with iproute2 (ip netns add, ip link add
# veth ... netns, ip addr, ip route, sysctl forwarding, the same tb-server
# and tb-rr for D seconds, a readiness poll, teardown), as a reference for
# what orchestration without testbed costs. Root. Usage: bench/run/run.sh [R]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
R=${1:-5}
D=2
tb=$top/testbed
W=$top/workers
tmp=$(mktemp -d /tmp/tbbench-run.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

now() { date +%s.%N; }

# --- testbed run ------------------------------------------------------------
t0=$(now)
"$tb" run --quiet "$top/bench/run/dumbbell_rr.conf" --repeat "$R" --out "$tmp/tb" >/dev/null 2>"$tmp/tb.err" ||
	{ echo "testbed run failed:"; cat "$tmp/tb.err"; exit 1; }
t1=$(now)
tb_over=$(echo "($t1 - $t0 - $R * $D) / $R" | bc -l)

# --- the same with iproute2 + the same workers --------------------------------
P=tbbr$$
links="c1:r1 c2:r1 r1:r2 r2:s1 r2:s2"
script() {
	for n in c1 c2 r1 r2 s1 s2; do ip netns add $P-$n; ip -n $P-$n link set lo up; done
	i=0
	declare -A idx
	for l in $links; do
		a=${l%:*}; b=${l#*:}
		ia=${idx[$a]:-0}; ib=${idx[$b]:-0}
		ip link add eth$ia netns $P-$a type veth peer name eth$ib netns $P-$b
		ip -n $P-$a addr add 198.18.$i.1/24 dev eth$ia
		ip -n $P-$b addr add 198.18.$i.2/24 dev eth$ib
		ip -n $P-$a link set eth$ia up; ip -n $P-$b link set eth$ib up
		idx[$a]=$((ia + 1)); idx[$b]=$((ib + 1)); i=$((i + 1))
	done
	for r in r1 r2; do ip netns exec $P-$r sysctl -qw net.ipv4.ip_forward=1; done
	ip -n $P-c1 route add default via 198.18.0.2; ip -n $P-c2 route add default via 198.18.1.2
	ip -n $P-s1 route add default via 198.18.3.1; ip -n $P-s2 route add default via 198.18.4.1
	ip -n $P-r1 route add default via 198.18.2.2; ip -n $P-r2 route add default via 198.18.2.1
	ip netns exec $P-s1 "$W/tb-server" --mode rr --host 0.0.0.0 --port 5001 --ready "$tmp/ready" \
		--result "$tmp/srv.json" --deadline 60s >/dev/null 2>&1 &
	srv=$!
	while [ ! -e "$tmp/ready" ]; do sleep 0.01; done
	ip netns exec $P-c1 "$W/tb-rr" --host 198.18.3.2 --port 5001 --conn pool --pool 4 \
		--concurrency 4 --duration ${D}s --result "$tmp/rr.json" >/dev/null 2>&1
	kill $srv; wait $srv 2>/dev/null
	rm -f "$tmp/ready"
	for n in c1 c2 r1 r2 s1 s2; do ip netns del $P-$n; done
}
t0=$(now)
for _ in $(seq "$R"); do script; done
t1=$(now)
sh_over=$(echo "($t1 - $t0 - $R * $D) / $R" | bc -l)

printf '| what | overhead per run (s) |\n|---|---:|\n'
printf '| testbed run (build, samplers, readiness, collect, teardown, report) | %.3f |\n' "$tb_over"
printf '| iproute2 shell script, same workers, no sampling or report | %.3f |\n' "$sh_over"
printf '\nratio testbed / script: %.2f; runs: %s x %s s; target: testbed under 1 s per run\n' \
	"$(echo "$tb_over / $sh_over" | bc -l)" "$R" "$D"
