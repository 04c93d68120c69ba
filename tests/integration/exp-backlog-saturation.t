#!/bin/bash
# The shipped experiment backlog_saturation at a short duration: a small
# accept backlog overflows (ListenOverflows, client SYN retransmits), a deep
# one queues instead (accept-queue depth from the sampler's LISTEN rows),
# and a fast reject fails fast.
. "$(dirname "$0")/../tap.sh"
run_experiment backlog_saturation --duration 6s --repeat 1
is "$(jq '.runs_complete' "$S")" 3 "3 runs complete"
for k in 0 1 2; do
	d="$TMP/o/runs/c$((k + 1))-r1"
	q=$(awk -F, '$10 == "LISTEN" && $11 > m { m = $11 } END { print m + 0 }' "$d/sockets/s1-tcp.csv")
	jq -r --arg q "$q" ".cases[$k] | \"\(.label): ListenOverflows=\(.nodes.s1.counters.TcpExtListenOverflows.median // 0) SynRetrans(c1)=$(jq '.TcpExtTCPSynRetrans' "$d/counters/c1.json") accept-queue peak=\(\$q) p50=\(.flows.rr.metrics.p50.median) connect_p99=\(.flows.rr.metrics.connect_p99.median) requests=\(.flows.rr.metrics.requests.median) errors=\(.flows.rr.metrics.errors.median)\"" "$S" |
		while read -r l; do diag "$l"; done
	[ $k -eq 1 ] && deep=$q
done
ok "the deep backlog's accept queue held more than 100 connections (peak $deep)" [ "${deep:-0}" -gt 100 ]
done_testing
