#!/bin/bash
# Rate-change fidelity: an [event] with action = set changes a bottleneck's
# rate in place while a bulk TCP flow keeps it saturated. Prints markdown
# rows; bench/shaping/run puts them in RESULTS.md.
#   sudo bench/shaping/step.sh "host $(uname -r)"            [--kernel uml]
# r1 -> r2 of the dumbbell: tbf (or htb) 50 Mbit/s with a 100-packet pfifo,
# set to 10 Mbit/s at 2 s and back to 50 at 4 s. A capture on r2's side of
# the link (the oracle: frames as they arrive, independent of the qdisc's
# counters) is binned from the measured time's start (run.json
# load.start_unix); the changes' times are run.json events[].at_s.
set -eu
cd "$(dirname "$0")/../.."
tier=${1:-host $(uname -r)}
shift || true
extra=("$@")
tmp=$(mktemp -d /tmp/tb-step-bench.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
row() { # SHAPER
	cat >"$tmp/$1.conf" <<EOC
[experiment]
topology = $PWD/topologies/dumbbell.conf
duration = 6s
[link r1-r2]
r1.rate = 50mbit
r1.shaper = $1
r1.queue = pfifo
r1.limit = 100
[event down]
at = 2s
link = r1-r2
action = set
r1.rate = 10mbit
[event up]
at = 4s
link = r1-r2
action = set
r1.rate = 50mbit
[capture rx]
node = r2
iface = eth0
snaplen = 64
filter = tcp
[flow bulk]
worker = bulk
from = c1
to = s1
EOC
	./testbed run --quiet ${extra[@]+"${extra[@]}"} "$tmp/$1.conf" --out "$tmp/$1" >/dev/null 2>"$tmp/$1.err" ||
		{ echo "| $tier | $1 50->10->50 Mbit/s | run failed: $(tail -1 "$tmp/$1.err") | | | |"; return; }
	python3 bench/shaping/step_bins.py "$tier" "$1" "$tmp/$1/runs/c1-r1" \
		"$(find "$tmp/$1" -name 'r2-eth0.pcap' | head -1)"
}
row tbf
row htb
