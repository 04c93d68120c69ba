#!/bin/bash
# Rate-change fidelity: an [event] with action = set changes a bottleneck's
# rate in place (50 -> 10 Mbit/s at 2 s, back to 50 at 4 s). Prints markdown
# rows; bench/shaping/run puts them in RESULTS.md.
#   sudo bench/shaping/step.sh "host $(uname -r)"            [--kernel uml]
# r1 -> r2 of the dumbbell, 100-packet pfifo; each shaper (htb, what a
# changing rate gets; tbf, named in the file) is run twice:
# - tcp: one bulk TCP flow, whose sampled srtt just before each change (c1's
#   socket series at 10 ms) is "the RTT at the change";
# - udp: a UDP flow at 1.2 x the higher rate keeps the queue non-empty
#   throughout, so the frames the link delivers are the shaper's rate and
#   nothing else: this is the row that judges the shaper.
# A capture on r2's side of the link (the oracle: data frames as they arrive
# (greater 200: not the ACKs going the other way),
# independent of the qdisc's counters) is binned from the measured time's
# start (run.json load.start_unix); the changes' times are run.json
# events[].at_s. step_bins.py says what is judged and how.
set -eu
cd "$(dirname "$0")/../.."
tier=${1:-host $(uname -r)}
shift || true
extra=("$@")
tmp=$(mktemp -d /tmp/tb-step-bench.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
[ -z "${KEEP:-}" ] || echo "kept: $tmp" >&2
flow() { # tcp|udp
	if [ "$1" = tcp ]; then
		printf '[flow bulk]\nworker = bulk\nfrom = c1\nto = s1\ncc = cubic\n'
	else # 1.2 x 50 Mbit/s of 1514-byte frames
		printf '[flow load]\nworker = udp\nfrom = c1\nto = s1\nrate = %d\nsize = 1472\n' \
			$((50000000 * 12 / 10 / 12112))
	fi
}
run() { # SHAPER LOAD
	local name=$1-$2
	cat >"$tmp/$name.conf" <<EOC
[experiment]
topology = $PWD/topologies/dumbbell.conf
duration = 6s
sample_interval = 10ms
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
filter = $2 and greater 200
$(flow "$2")
EOC
	if [ "$1" = htb ]; then # the default for a changing rate: say so by leaving it out
		sed -i '/^r1.shaper = htb$/d' "$tmp/$name.conf"
	fi
	./testbed run --quiet ${extra[@]+"${extra[@]}"} "$tmp/$name.conf" --out "$tmp/$name" >/dev/null 2>"$tmp/$name.err" ||
		{ echo "| $tier | $1 | $2 | run failed: $(tail -1 "$tmp/$name.err") | | | | |"; return 1; }
}
for sh in ${SHAPERS:-htb tbf}; do
	run "$sh" tcp && run "$sh" udp || continue
	python3 bench/shaping/step_bins.py "$tier" "$sh" "$tmp/$sh-tcp" "$tmp/$sh-udp"
done
