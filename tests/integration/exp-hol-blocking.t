#!/bin/bash
# The shipped experiment hol_blocking at a short duration (netem: runs in the
# UML guest on a host without it): its expectations hold (exit 0): eight
# request streams over one TCP connection have a worse p99 under loss than
# the same streams over eight connections, and the gap grows with the loss.
# Prints per-case latency percentiles and the spread of the per-stream p99.
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
no_uml_left
done_testing
