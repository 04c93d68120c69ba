#!/bin/bash
# The shipped experiment hol_blocking at a short duration (netem: runs in the
# UML guest on a host without it): its expectations hold (exit 0): eight
# request streams over one TCP connection have a worse p99 under loss than
# the same streams over eight connections, the gap is the loss's; with the
# real stacks HTTP/3's median and p99 under loss are below HTTP/2's. Prints per-case latency percentiles and the spread of the
# per-stream p99, and from each real stack's request log at 2% loss the
# stalls (requests over 1.5 RTT) grouped by the instant they completed
# (scripts/hol-timeline): on HTTP/2 one repaired loss releases several
# streams at once, on HTTP/1.1 x6 never more than one.
. "$(dirname "$0")/../tap.sh"
# 16 s, not less: `success` counts the requests answered within the run, and
# at 2% loss a pooled connection can sit in a retransmission timeout (>= 1 s)
# when the run ends, holding its 1/8 of the schedule: 1/8 x 1 s / 16 s = 0.8%
# per such connection against conns_serve_all's 2% slack (at 8 s two of them
# are 3.1%: CI saw 97.9% served). The shipped 20 s run served 99.7%.
run_experiment --needs netem hol_blocking --duration 16s --repeat 1
n=$(jq '.cases | length' "$S")
is "$(jq '.runs_complete' "$S")" "$n" "every run complete ($n)"
for k in $(seq 0 $((n - 1))); do
	f() { jq -r ".cases[$k].flows.rr.metrics.$1.median // \"-\"" "$S"; }
	d="$TMP/o/runs/c$((k + 1))-r1/flows/rr.json"
	diag "$(jq -r ".cases[$k].label" "$S"): p50=$(f p50)s p90=$(f p90)s p99=$(f p99)s" \
		"rps=$(f rps) served=$(f success)% errors=$(f errors) per-stream p99 min/median/max (us)=$(jq -c \
		'[.stream_p99_us.min, .stream_p99_us.median, .stream_p99_us.max]' "$d")"
done
ok "every stream reported its own histogram" \
	[ "$(jq '.per_stream | length' "$TMP/o/runs/c1-r1/flows/rr.json")" = 8 ]
# the real stacks at 2% loss: streams released together per stall event
stalls() { # CASE: hol-timeline's line for that case's run at loss=2%
	_k=$(jq -r --arg c "$1" '[.cases[].label] | index(map(select(test("^" + $c + ", loss=2%$")))[0]) + 1' "$S")
	"$TOP/scripts/hol-timeline" "$TMP/o/runs/c$_k-r1/flows/rr.requests.csv" --rtt 0.05
}
spe() { sed 's/.*streams_per_event \([0-9.]*\).*/\1/'; }
l1=$(stalls h1x6); l2=$(stalls h2); l3=$(stalls h3)
diag "h1x6 at 2% loss: $l1"; diag "h2 at 2% loss: $l2"; diag "h3 at 2% loss: $l3"
h1=$(printf '%s\n' "$l1" | spe); h2=$(printf '%s\n' "$l2" | spe); h3=$(printf '%s\n' "$l3" | spe)
ok "HTTP/1.1 x6: each stall holds one stream ($h1 per event)" test "$h1" = 1.00
ok "HTTP/2: a stall holds more streams than on HTTP/3 ($h2 vs $h3 per event)" \
	python3 -c "import sys; sys.exit(not $h2 > $h3)"
no_uml_left
done_testing
