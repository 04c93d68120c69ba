#!/bin/bash
# bufferbloat_fq_codel at 25 s, one repeat (fq_codel: in the UML guest on a
# host without it): the probe starts at 15 s, when the upload has filled the
# 1000-packet pfifo; its p99 under load is >= 10x fq_codel's, and the report
# has the queue statistics (qdisc.json: drops, backlog, fq_codel's
# drop_overlimit, ecn_mark, new_flow_count).
. "$(dirname "$0")/../tap.sh"
run_experiment --needs fq_codel bufferbloat_fq_codel --duration 25s --repeat 1
is "$(jq '.runs_complete' "$S")" 2 "2 runs complete (pfifo, fq_codel)"
diag "kernel: $(jq -r '.kernel.tier + " " + .kernel.release' "$S")"
m() { jq -r ".cases[] | select(.label==\"$1\") | .flows.$2.metrics.$3.median // \"-\"" "$S"; }
q() { jq -r ".cases[] | select(.label==\"$1\") | .qdiscs[] | select(.kind==\"$2\") | .$3.median // \"-\"" "$S"; }
for c in pfifo fq_codel; do
	diag "$c: upload=$(m $c upload goodput) bit/s probe p50=$(m $c probe p50) s p99=$(m $c probe p99) s" \
		"rps=$(m $c probe rps) queue drops=$(q $c "$c" stats.drops) backlog_end=$(q $c "$c" stats.backlog)"
done
diag "fq_codel: drop_overlimit=$(q fq_codel fq_codel xstats.drop_overlimit)" \
	"ecn_mark=$(q fq_codel fq_codel xstats.ecn_mark) new_flow_count=$(q fq_codel fq_codel xstats.new_flow_count)" \
	"maxpacket=$(q fq_codel fq_codel xstats.maxpacket)"
# offloads are off on the path, so the queue holds wire-sized packets
is "$(q fq_codel fq_codel xstats.maxpacket)" 1514 "fq_codel's largest packet is one Ethernet frame (no GRO super-packets)"
nf=$(q fq_codel fq_codel xstats.new_flow_count)
ok "fq_codel saw the probe's sparse flows come and go (new_flow_count $nf)" [ "${nf%.*}" -gt 16 ]
pd=$(q pfifo pfifo stats.drops)
ok "the pfifo overflowed: drop-tail drops ($pd)" [ "${pd%.*}" -gt 0 ]
ok "report.md has the Queues table with fq_codel's statistics" grep -q 'new_flow_count' "$TMP/o/report.md"
no_uml_left
done_testing
