#!/bin/bash
# fairness_aimd at 20 s, one repeat (netem's delay: the UML guest on a host
# without it), from a copy whose flows start 2 s apart instead of 5 s (so
# that every flow has converged in the second half of a 20 s run): its
# expectations hold (exit 0); and from each flow's series over the second
# half (10..20 s of the run, every flow started): equal-RTT flows share
# with Jain's index above 0.9, and with 2x and 4x the RTT the short-RTT
# flow gets more, but less than the RTT ratio times the long one's
# (CUBIC's linear RTT fairness; Reno's would be up to the square).
. "$(dirname "$0")/../tap.sh"
exp_init fairness_aimd
sed -e 's/^start = 5s/start = 2s/' -e 's/^start = 10s/start = 4s/' -e 's/^start = 15s/start = 6s/' \
	"$TOP/experiments/fairness_aimd.conf" >"$TMP/fairness_aimd.conf"
run_experiment --needs netem "$TMP/fairness_aimd.conf" --duration 20s --repeat 1
is "$(jq '.runs_complete' "$S")" 4 "4 runs complete (two, four, rtt2x, rtt4x)"
# window RUN: per flow "NAME MEAN_BPS" over run time (10, 20], from the series
window() {
	local d="$TMP/o/runs/$1" t0 j off
	t0=$(jq -s 'map(.started_unix) | min' "$d"/flows/f?.json)
	for j in "$d"/flows/f?.json; do
		off=$(jq --argjson t0 "$t0" '.started_unix - $t0' "$j")
		printf '%s %s\n' "$(basename "$j" .json)" "$(jq -s --argjson o "$off" \
			'[.[] | select(.t + $o > 10 and .t + $o <= 20) | .goodput_bps] | if length > 0 then add / length else 0 end' \
			"${j%.json}.series.jsonl")"
	done
}
jain() { awk '{ s += $2; q += $2 * $2; n++ } END { printf "%.4f", q ? s * s / (n * q) : 0 }'; }
mbit() { awk '{ printf "%s=%.1f ", $1, $2 / 1e6 }'; }
k=0
for c in two four rtt2x rtt4x; do
	k=$((k + 1))
	is "$(jq -r ".cases[$((k - 1))].label" "$S")" "case=$c" "case $k is $c"
	w=$(window "c$k-r1")
	j=$(printf '%s\n' "$w" | jain)
	diag "$c: whole life (Mbit/s) $(jq -r ".cases[$((k - 1))].flows | to_entries | map(\"\(.key)=\(.value.metrics.goodput.median / 1e5 | round / 10)\") | join(\" \")" "$S")"
	diag "$c: 10..20 s (Mbit/s) $(printf '%s\n' "$w" | mbit)J=$j"
	case $c in
	two | four) ok "$c: equal RTTs share fairly after convergence (J $j > 0.9)" \
		awk -v j="$j" 'BEGIN { exit !(j > 0.9) }' ;;
	rtt*x)
		r=${c#rtt}; r=${r%x}
		a=$(printf '%s\n' "$w" | awk '$1 == "f1" { print $2 }')
		b=$(printf '%s\n' "$w" | awk '$1 == "f2" { print $2 }')
		ok "$c: the short RTT gets more after convergence" awk -v a="$a" -v b="$b" 'BEGIN { exit !(a > b) }'
		ok "$c: but less than ${r}x the long RTT's (ratio $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b ? a / b : 0 }'))" \
			awk -v a="$a" -v b="$b" -v r="$r" 'BEGIN { exit !(a < r * b) }' ;;
	esac
done
no_uml_left
done_testing
