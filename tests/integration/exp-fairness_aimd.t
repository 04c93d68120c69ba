#!/bin/bash
# fairness_aimd at 20 s, one repeat (netem's delay: the UML guest on a host
# without it; --duration scales the flows' starts to 0, 2.5, 5, 7.5 s): its
# expectations hold (exit 0: equal-RTT flows share with Jain's index above
# 0.9 over their lives); and from each flow's series over the last 8 s
# (12..20 s of the run, every flow started): with 2x and 4x the RTT the
# short-RTT flow gets more, less than the square of the RTT ratio times the
# long one's (Reno's synchronised drop-tail bound; CUBIC aims at linear).
# The equal-RTT cases' J over those 8 s is printed, not judged: a loss
# epoch here is about a second (CUBIC's Reno-friendly growth, 0.53 packets
# per RTT of 20-40 ms, back over the 20 of its 66-packet share it gave up),
# and a drop at the full pfifo hits one flow, not both, so 8 s hold a few
# unsynchronised epochs whose split can pass 2:1 (a CI run: 11.3 / 26.3
# Mbit/s, J 0.86, where the flows' lives were 20.4 / 20.3). The
# ratio against the RTT ratio itself is printed
# (docs/experiments/fairness_aimd.md).
. "$(dirname "$0")/../tap.sh"
run_experiment --needs netem fairness_aimd --duration 20s --repeat 1
is "$(jq '.runs_complete' "$S")" 4 "4 runs complete (two, four, rtt2x, rtt4x)"
# window RUN: per flow "NAME MEAN_BPS" over run time (12, 20], from the series
window() {
	local d="$TMP/o/runs/$1" t0 j off
	t0=$(jq -s 'map(.started_unix) | min' "$d"/flows/f?.json)
	for j in "$d"/flows/f?.json; do
		off=$(jq --argjson t0 "$t0" '.started_unix - $t0' "$j")
		printf '%s %s\n' "$(basename "$j" .json)" "$(jq -s --argjson o "$off" \
			'[.[] | select(.t + $o > 12 and .t + $o <= 20) | .goodput_bps] | if length > 0 then add / length else 0 end' \
			"${j%.json}.series.jsonl")"
	done
}
jain() { awk '{ s += $2; q += $2 * $2; n++ } END { printf "%.4f", q ? s * s / (n * q) : 0 }'; }
mbit() { awk '{ printf "%s=%.1f ", $1, $2 / 1e6 }'; }
k=0
for c in two four rtt2x rtt4x; do
	k=$((k + 1))
	is "$(jq -r ".cases[$((k - 1))].label" "$S")" "$c" "case $k is $c"
	w=$(window "c$k-r1")
	j=$(printf '%s\n' "$w" | jain)
	diag "$c: whole life (Mbit/s) $(jq -r ".cases[$((k - 1))].flows | to_entries | map(select(.value.metrics.goodput.median != null) | \"\(.key)=\(.value.metrics.goodput.median / 1e5 | round / 10)\") | join(\" \")" "$S")"
	diag "$c: 12..20 s (Mbit/s) $(printf '%s\n' "$w" | mbit)J=$j"
	case $c in
	rtt*x)
		r=${c#rtt}; r=${r%x}
		a=$(printf '%s\n' "$w" | awk '$1 == "f1" { print $2 }')
		b=$(printf '%s\n' "$w" | awk '$1 == "f2" { print $2 }')
		q=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
		diag "$c: short / long = $q over 12..20 s (RTT ratio $r, its square $((r * r)))"
		ok "$c: the short RTT gets more" awk -v a="$a" -v b="$b" 'BEGIN { exit !(a > b) }'
		ok "$c: less than ${r}^2 times the long RTT's ($q)" \
			awk -v a="$a" -v b="$b" -v r="$r" 'BEGIN { exit !(a < r * r * b) }' ;;
	esac
done
no_uml_left
done_testing
