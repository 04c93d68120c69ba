#!/bin/bash
# tuning_tradeoffs at 20 s, one repeat (fq_codel: the UML guest on a host
# without it; the interactive flow's start scales to 6.7 s): its expectations hold (exit
# 0): throughput tuning's deep pfifo puts the interactive p99 above half
# the pfifo's drain time (303 ms), latency tuning keeps it within three base
# RTTs (120 ms), and the bulk flow fills the link in every column. Prints the decision table with the
# numbers: bulk goodput, interactive p50 / p99, retransmissions per case.
. "$(dirname "$0")/../tap.sh"
run_experiment --needs fq_codel tuning_tradeoffs --duration 20s --repeat 1
is "$(jq '.runs_complete' "$S")" 3 "3 runs complete (default, throughput, latency)"
diag "kernel: $(jq -r '.kernel.tier + " " + .kernel.release' "$S")"
m() { jq -r ".cases[] | select(.label==\"$1\") | .flows.$2.metrics.$3.median // \"-\"" "$S"; }
diag "| tuning | bulk goodput (Mbit/s) | bulk retrans | interactive p50 (ms) | interactive p99 (ms) | requests |"
for c in default throughput latency; do
	diag "| $c | $(m $c bulk goodput | awk '{ printf "%.2f", $1 / 1e6 }') | $(m $c bulk retrans) |" \
		"$(m $c interactive p50 | awk '{ printf "%.1f", $1 * 1e3 }') |" \
		"$(m $c interactive p99 | awk '{ printf "%.1f", $1 * 1e3 }') | $(m $c interactive requests) |"
done
no_uml_left
done_testing
