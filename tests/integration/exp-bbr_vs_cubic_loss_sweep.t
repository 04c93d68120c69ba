#!/bin/bash
# bbr_vs_cubic_loss_sweep, shortened: the shipped file's path (100 Mbit/s,
# 100 ms RTT, loss on the data direction), both congestion controls, at the
# five loss rates its expectations name (0.001%, 0.1%, 1%, 5%, 20%) instead
# of nine, 20 s per run instead of 60 (10 runs in one UML guest boot). The
# shipped expectations hold: CUBIC falls >3x by 0.1% and stalls near Mathis at 1%, BBR is flat to 1%, holds > 70 Mbit/s
# at 5% and beats CUBIC 10x at 1%, and breaks near 20%. The goodput-vs-loss
# plot (log x, with the Mathis line) is written. The 60 s, nine-point run is
# in docs/experiments/bbr_vs_cubic_loss_sweep.md.
. "$(dirname "$0")/../tap.sh"
exp_init sweep
DUR=${TB_SWEEP_DURATION:-20s}
F="$TMP/bbr_vs_cubic_loss_sweep.conf"
sed -e "s#^topology = \.\./#topology = $TOP/#" \
	-e 's#^link\.r1-r2\.r1\.loss = .*#link.r1-r2.r1.loss = 0.001%, 0.1%, 1%, 5%, 20%#' \
	"$TOP/experiments/bbr_vs_cubic_loss_sweep.conf" >"$F"
is "$(grep -c '^link.r1-r2.r1.loss = 0.001%, 0.1%, 1%, 5%, 20%$' "$F")" 1 "the sweep is cut to the five points the expectations name"
run_experiment --needs "netem and bbr" "$F" --duration "$DUR" --repeat 1
is "$(jq '.runs_complete' "$S")" 10 "10 runs complete"
diag "kernel: $(jq -r '.kernel.tier + " " + .kernel.release' "$S"), $DUR per run"
for l in 0.001% 0.1% 1% 5% 20%; do
	row=""
	for cc in cubic bbr; do
		v=$(jq -r ".cases[] | select(.label==\"cc=$cc, loss=$l\") | .flows.bulk.metrics.goodput.median // \"-\"" "$S")
		row="$row $cc=$(awk -v v="$v" 'BEGIN { printf "%.2f", v / 1e6 }')"
	done
	m=$(jq -r ".cases[] | select(.label==\"cc=cubic, loss=$l\") | .flows.bulk.metrics.mathis.median // \"-\"" "$S")
	diag "loss $l: goodput (Mbit/s)$row mathis(cubic)=$(awk -v v="$m" 'BEGIN { printf "%.2f", v / 1e6 }')"
done
dat="$TMP/o/plots/bulk_goodput_vs_loss.dat"
ok "goodput against loss written, two lines of five points" \
	[ "$(grep -c -E '^[0-9]' "$dat" 2>/dev/null)" -eq 10 ]
ok "the plot has a log x axis" grep -q 'set logscale x' "$TMP/o/plots/plots.gp"
ok "the Mathis line is written beside it" [ -s "$TMP/o/plots/bulk_mathis_vs_loss.dat" ]
if command -v gnuplot >/dev/null; then
	ok "the plot is rendered" test -s "$TMP/o/plots/bulk_goodput_vs_loss.svg"
else
	skip "gnuplot not installed"
fi
no_uml_left
done_testing
