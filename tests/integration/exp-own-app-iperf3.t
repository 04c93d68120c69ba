#!/bin/bash
# own_app_iperf3 at 10 s, one repeat (the shipped file sends for 20 s, three
# repeats): Debian's iperf3 measures the flagship's claim with its own JSON:
# BBR >= 5x CUBIC and > 70 Mbit/s at 1% loss, CUBIC within 0.5x-3x of Mathis.
# iperf3 is told the run's duration ({duration}); the run's 10% grace lets it
# report. The sweep sets the client's environment per case (CC).
. "$(dirname "$0")/../tap.sh"
need_cmd iperf3
run_experiment --needs netem own_app_iperf3 --duration 10s --repeat 1
is "$(jq '.runs_complete' "$S")" 2 "2 runs complete (cubic, bbr)"
diag "kernel: $(jq -r '.kernel.tier + " " + .kernel.release' "$S")"
for cc in cubic bbr; do
	g=$(jq -r ".cases[] | select(.label==\"CC=$cc\") | .processes.client.values[\"end.sum_received.bits_per_second\"].median" "$S")
	t=$(jq -r ".cases[] | select(.label==\"CC=$cc\") | .processes.client.runtime.median" "$S")
	diag "$cc: iperf3 received $g bit/s, client ran $t s"
	ok "$cc: the client ran its 10 s and ended within the grace ($t s)" \
		awk -v t="$t" 'BEGIN { exit !(t >= 10 && t < 11) }'
done
for k in 1 2; do
	is "$(jq -r .state "$TMP/o/runs/c$k-r1/processes/client/status.json")" exited "case $k: iperf3's client exited on its own"
done
ok "the report's Processes table names the case's CC" grep -q '^| 2 | bbr | client | 1/1 | exit 0' "$TMP/o/report.md"
no_uml_left
done_testing
