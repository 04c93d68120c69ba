#!/bin/bash
# The shipped experiment udp_metrics_loss at a short duration (netem: runs in
# the UML guest on a host without it): its expectations hold (exit 0), the
# UDP loss tracks netem's, TCP loses nothing, and the report carries the gap
# counts and one-way delay percentiles. Prints the table a person would read.
. "$(dirname "$0")/../tap.sh"
run_experiment --needs netem udp_metrics_loss --duration 5s --repeat 1
is "$(jq '.runs_complete' "$S")" 5 "5 runs complete"
m() { jq -r ".cases[] | select(.label==\"$1\") | .flows.metrics.metrics.$2.median // \"-\"" "$S"; }
for c in udp_loss1 udp_loss5 tcp_loss5 udp_congested tcp_congested; do
	diag "$c: sent=$(m $c sent) skipped=$(m $c skipped) received=$(m $c received) lost=$(m $c lost) gaps=$(m $c gaps)" \
		"loss=$(m $c loss)% owd_p50=$(m $c owd_p50)s owd_p99=$(m $c owd_p99)s"
done
g=$(m udp_loss5 gaps)
ok "gap counts in summary.json (udp_loss5: $g)" [ "${g%.*}" -gt 0 ] 2>/dev/null
ok "report.md has the lost and gaps columns" grep -q 'metrics gaps' "$TMP/o/report.md"
no_uml_left
done_testing
