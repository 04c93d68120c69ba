#!/bin/bash
# Trace fidelity: how closely the bytes a traced bottleneck delivers follow
# its trace's capacity, per 100 ms, while the link is saturated. Prints
# markdown table rows; bench/shaping/run puts them in RESULTS.md.
#   sudo bench/shaping/trace.sh "host $(uname -r)"   [--kernel uml for the guest]
# Each trace shapes r1 -> r2 of the dumbbell (testbed run, so the code a run
# uses); a UDP flow of 1472-byte datagrams at 1.5 x the trace's peak keeps
# the queue full; a capture on r2's side of the link (the oracle: frames as
# they arrive, independent of the qdisc's counters) is binned by 100 ms from
# the trace's time 0 (run.json traces[].t0_unix). The first second and the
# last half second are left out (the sender starting and stopping).
set -eu
cd "$(dirname "$0")/../.."
tier=${1:-host $(uname -r)}
shift || true
extra=("$@") # e.g. --kernel uml
tmp=$(mktemp -d /tmp/tb-trace-bench.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
T=./testbed
$T trace gen step 20mbit 5mbit 3s -d 6s -o "$tmp/step.trace"
$T trace gen square 20mbit 5mbit 2s -d 6s -o "$tmp/square.trace"
$T trace gen walk 10mbit 3mbit 1 -d 6s -o "$tmp/walk.trace"

row() { # NAME TRACE PEAK_BPS
	local name=$1 trace=$2 peak=$3 pps
	pps=$((peak * 3 / 2 / 12000))
	cat >"$tmp/$name.conf" <<EOC
[experiment]
topology = $PWD/topologies/dumbbell.conf
duration = 6s
[link r1-r2]
r1.trace = $trace
[capture rx]
node = r2
iface = eth0
snaplen = 64
filter = udp
[flow load]
worker = udp
from = c1
to = s1
rate = $pps
size = 1472
EOC
	$T run --quiet ${extra[@]+"${extra[@]}"} "$tmp/$name.conf" --out "$tmp/$name" >/dev/null 2>"$tmp/$name.err" ||
		{ echo "| $tier | $name | run failed: $(tail -1 "$tmp/$name.err") | | | |"; return; }
	python3 bench/shaping/trace_bins.py "$tier" "$name" "$trace" \
		"$tmp/$name/runs/c1-r1/run.json" "$(find "$tmp/$name" -name '*.pcap' | head -1)"
}
row step "$tmp/step.trace" 20000000
row "square 2s" "$tmp/square.trace" 20000000
row "walk 10+-3mbit" "$tmp/walk.trace" $(($($T trace rates "$tmp/walk.trace" 10ms | sort -k2n | tail -1 | cut -d' ' -f2)))
