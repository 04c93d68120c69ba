#!/bin/bash
# ecn_fq_codel at 15 s, one repeat (fq_codel: the UML guest on a host
# without it): its expectations hold (exit 0): CE marks reach the receiver
# and come back to the sender with ECN, none without; the upload
# retransmits without ECN and not with it. From qdisc.json: fq_codel
# marked (ecn_mark > 0) and dropped nothing with ECN; dropped and marked
# nothing without. Prints the counters and the probe's latency.
. "$(dirname "$0")/../tap.sh"
run_experiment --needs fq_codel ecn_fq_codel --duration 15s --repeat 1
is "$(jq '.runs_complete' "$S")" 2 "2 runs complete (drop, ecn)"
diag "kernel: $(jq -r '.kernel.tier + " " + .kernel.release' "$S")"
m() { jq -r ".cases[] | select(.label==\"$1\") | .flows.$2.metrics.$3.median // \"-\"" "$S"; }
k() { jq -r "[.cases[].label] | index(\"$1\") + 1" "$S"; }
# q CASE FIELD: r1's fq_codel's FIELD (drops, xstats.ecn_mark) in the case's run (qdisc.json)
q() { jq -r "[.r1[] | select(.kind == \"fq_codel\")][0].$2 // \"-\"" "$TMP/o/runs/c$(k "$1")-r1/qdisc.json"; }
cnt() { jq -r ".$3 // 0" "$TMP/o/runs/c$(k "$1")-r1/counters/$2.json"; }
for c in drop ecn; do
	diag "$c: upload $(m $c upload goodput) bit/s retrans $(m $c upload retrans);" \
		"fq_codel drops $(q $c drops) ecn_mark $(q $c xstats.ecn_mark);" \
		"s1 IpExtInCEPkts $(cnt $c s1 IpExtInCEPkts) c1 TcpExtTCPDeliveredCE $(cnt $c c1 TcpExtTCPDeliveredCE)" \
		"c1 TcpRetransSegs $(cnt $c c1 TcpRetransSegs);" \
		"probe p50 $(m $c probe p50) s p99 $(m $c probe p99) s"
done
em=$(q ecn xstats.ecn_mark) ed=$(q ecn drops) dm=$(q drop xstats.ecn_mark) dd=$(q drop drops)
ok "with ECN fq_codel marked ($em)" [ "${em%.*}" -gt 0 ]
ok "with ECN fq_codel dropped nothing ($ed)" [ "${ed%.*}" -eq 0 ]
ok "without ECN fq_codel dropped ($dd)" [ "${dd%.*}" -gt 0 ]
ok "without ECN fq_codel marked nothing ($dm)" [ "${dm%.*}" -eq 0 ]
no_uml_left
done_testing
