#!/bin/bash
# The shipped experiment bdp_window at a short duration (netem: runs in the
# UML guest on a host without it): its expectations hold (exit 0): the capped
# cases sit at window / RTT, autotuning fills the 100 Mbit/s x 100 ms pipe.
# Prints goodput beside window / RTT and the sampler's rcv_space / snd_wnd.
. "$(dirname "$0")/../tap.sh"
run_experiment --needs netem bdp_window --duration 10s --repeat 1
is "$(jq '.runs_complete' "$S")" 4 "4 runs complete"
# the largest value of a column of the flow's sockets in a sampler CSV
col_max() {
	awk -F, -v c="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==c) k=i; next}
		$0 ~ /,bulk,/ && k && $k+0 > m {m=$k+0} END{print m+0}' "$1"
}
for k in 0 1 2 3; do
	label=$(jq -r ".cases[$k].label" "$S")
	g=$(jq -r ".cases[$k].flows.bulk.metrics.goodput.median // \"-\"" "$S")
	d="$TMP/o/runs/c$((k + 1))-r1/sockets"
	diag "$label: goodput=$g bit/s snd_wnd(c1) max=$(col_max "$d/c1-tcp.csv" snd_wnd)" \
		"rcv_space(s1) max=$(col_max "$d/s1-tcp.csv" rcv_space)"
done
no_uml_left
done_testing
