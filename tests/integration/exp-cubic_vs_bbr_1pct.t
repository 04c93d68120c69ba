#!/bin/bash
# The flagship cubic_vs_bbr_1pct at 15 s, one repeat (netem: in the UML
# guest on a host without it): its expectations hold (BBR >= 5x CUBIC and
# > 70 Mbit/s, CUBIC within 0.5x-3x of Mathis), and the report carries the
# ss-style evidence the issue asks for: the Mathis column beside CUBIC's
# goodput, retransmits, and per-case cwnd/ssthresh/retransmission series
# from the sampler. 15 s, not less: CUBIC's slow start before the first
# loss inflates a shorter average past 3x Mathis.
. "$(dirname "$0")/../tap.sh"
run_experiment --needs netem cubic_vs_bbr_1pct --duration 15s --repeat 1
is "$(jq '.runs_complete' "$S")" 2 "2 runs complete (cubic, bbr)"
diag "kernel: $(jq -r '.kernel.tier + " " + .kernel.release' "$S")"
m() { jq -r ".cases[] | select(.label==\"cc=$1\") | .flows.bulk.metrics.$2.median // \"-\"" "$S"; }
for cc in cubic bbr; do
	diag "$cc: goodput=$(m $cc goodput) bit/s retrans=$(m $cc retrans) mathis=$(m $cc mathis) bit/s"
done
# the Mathis prediction from the measured MSS and RTT at 1% loss: ~3.5 Mbit/s at 40 ms
mc=$(m cubic mathis)
ok "Mathis from the measured mss/rtt is 3-4 Mbit/s ($mc)" \
	awk -v v="$mc" 'BEGIN { exit !(v > 3e6 && v < 4e6) }'
ok "report.md prints the Mathis column beside the goodput" grep -q 'bulk goodput | bulk retrans | bulk Mathis' "$TMP/o/report.md"
ok "testbed run writes report.html too, with the same Results table" \
	grep -q '<th class="num">bulk goodput</th><th class="num">bulk retrans</th><th class="num">bulk Mathis</th>' "$TMP/o/report.html"
# the sampler's ss -tin evidence: cwnd, ssthresh and total_retrans of the flow
csv="$TMP/o/runs/c1-r1/sockets/c1-tcp.csv"
cols=$(head -1 "$csv" | tr ',' '\n' | grep -c -x -E 'snd_cwnd|snd_ssthresh|total_retrans')
is "$cols" 3 "the sampler recorded snd_cwnd, snd_ssthresh and total_retrans"
for k in 1 2; do
	d="$TMP/o/plots/bulk_tcp_c$k.dat"
	n=$(wc -l <"$d" 2>/dev/null || echo 0)
	ok "case $k: cwnd/ssthresh/retrans series plotted ($n samples)" [ "$n" -gt 50 ]
done
# CUBIC's ssthresh falls to its cwnd's scale after losses: finite values exist
fin=$(awk '$3 != "?" { n++ } END { print n + 0 }' "$TMP/o/plots/bulk_tcp_c1.dat")
ok "CUBIC's series has a finite ssthresh after the first loss ($fin samples)" [ "$fin" -gt 10 ]
if command -v gnuplot >/dev/null; then
	ok "the per-case plots are rendered" test -s "$TMP/o/plots/bulk_tcp_c1.svg" -a -s "$TMP/o/plots/bulk_tcp_c2.svg"
else
	skip "gnuplot not installed"
fi
no_uml_left
done_testing
