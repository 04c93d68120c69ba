#!/bin/bash
# bbr_cubic_share at 20 s, one repeat (netem's delay: the UML guest on a host
# without it): its expectations hold (exit 0): BBR gets more than CUBIC with
# a 0.5 BDP buffer, CUBIC more than BBR with an 8 BDP buffer. Prints the
# shares, each flow's retransmissions and the sampler's RTT (base 40 ms +
# queueing delay: the deep buffer's queue is the larger), and asserts that
# the deep buffer's median RTT is above the shallow one's.
. "$(dirname "$0")/../tap.sh"
run_experiment --needs netem bbr_cubic_share --duration 20s --repeat 1
is "$(jq '.runs_complete' "$S")" 2 "2 runs complete (shallow, deep)"
diag "kernel: $(jq -r '.kernel.tier + " " + .kernel.release' "$S")"
m() { jq -r ".cases[] | select(.label==\"$1\") | .flows.$2.metrics.$3.median // \"-\"" "$S"; }
# rtt CASE NODE FLOW: median sampler rtt_us (ms) of the flow's ESTAB samples after 5 s
rtt() {
	local k
	k=$(jq -r "[.cases[].label] | index(\"$1\") + 1" "$S")
	awk -F, -v f="$3" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$c["flow"] == f && $c["state"] == "ESTAB" && $c["t_s"] > 5 { print $c["rtt_us"] / 1000 }' \
		"$TMP/o/runs/c$k-r1/sockets/$2-tcp.csv" | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", NR ? v[int((NR + 1) / 2)] : 0 }'
}
for c in shallow deep; do
	b=$(m $c bbr goodput) u=$(m $c cubic goodput)
	diag "$c: bbr $(awk -v v="$b" 'BEGIN { printf "%.2f", v / 1e6 }') Mbit/s" \
		"($(awk -v a="$b" -v b="$u" 'BEGIN { printf "%.0f", 100 * a / (a + b) }')%)," \
		"cubic $(awk -v v="$u" 'BEGIN { printf "%.2f", v / 1e6 }') Mbit/s;" \
		"retrans bbr $(m $c bbr retrans) cubic $(m $c cubic retrans);" \
		"sampler rtt (median after 5 s) bbr $(rtt $c c1 bbr) ms cubic $(rtt $c c2 cubic) ms"
done
ok "the deep buffer's queue shows in CUBIC's RTT ($(rtt deep c2 cubic) ms > $(rtt shallow c2 cubic) ms)" \
	awk -v a="$(rtt deep c2 cubic)" -v b="$(rtt shallow c2 cubic)" 'BEGIN { exit !(a > b) }'
no_uml_left
done_testing
