#!/bin/bash
# The shipped experiment bandwidth_step at 15 s (the step down at 5 s, back
# up at 10 s: events keep their share of a scaled run), in the UML guest
# (netem's delay): its expectations hold (exit 0), and from each case's
# series: goodput before the drop near 50 Mbit/s, after it no more than
# 5 Mbit/s' payload share, after the recovery within 10% of 50 Mbit/s';
# the sampler's RTT shows the queue the drop builds. Prints the numbers.
. "$(dirname "$0")/../tap.sh"
run_experiment --needs netem bandwidth_step --duration 15s --repeat 1
is "$(jq '.runs_complete' "$S")" 2 "2 runs complete (cubic, bbr)"
share() { awk -v r="$1" 'BEGIN { printf "%.0f", r * 1448 / 1514 }'; }
hi=$(share 50e6) lo=$(share 5e6)
for k in 1 2; do
	label=$(jq -r ".cases[$((k - 1))].label" "$S")
	F="$TMP/o/runs/c$k-r1/flows/bulk.series.jsonl"
	R="$TMP/o/runs/c$k-r1/run.json"
	mean() { jq -s "[.[] | select(.t > $1 and .t <= $2) | .$3] | if length > 0 then add / length else 0 end" "$F"; }
	pre=$(mean 2 5 goodput_bps) drop=$(mean 6 10 goodput_bps) post=$(mean 12 15 goodput_bps)
	rtt_pre=$(mean 2 5 rtt_us) rtt_drop=$(mean 6 10 rtt_us)
	diag "$label: goodput (Mbit/s) per second: $(jq -r '.goodput_bps / 1e6 * 10 | round / 10' "$F" | paste -sd' ')"
	diag "$label: before $(awk -v v="$pre" 'BEGIN{printf "%.1f", v/1e6}'), after the drop" \
		"$(awk -v v="$drop" 'BEGIN{printf "%.2f", v/1e6}'), after the recovery" \
		"$(awk -v v="$post" 'BEGIN{printf "%.1f", v/1e6}') Mbit/s; rtt $(awk -v v="$rtt_pre" 'BEGIN{printf "%.0f", v/1e3}')" \
		"-> $(awk -v v="$rtt_drop" 'BEGIN{printf "%.0f", v/1e3}') ms"
	diag "$label: events $(jq -c '[.events[] | {name, at_s: (.at_s * 1000 | round / 1000), set}]' "$R")"
	ok "$label: both steps in run.json at 5 s and 10 s without error" \
		sh -c "jq -e '[.events[] | select(.error == null)] | length == 2 and (.[0].at_s | . >= 5 and . < 5.2) and (.[1].at_s | . >= 10 and . < 10.2)' '$R' >/dev/null"
	ok "$label: before the drop within 10% of 50 Mbit/s' payload share" \
		awk -v v="$pre" -v r="$hi" 'BEGIN { exit !(v > 0.9 * r && v < 1.02 * r) }'
	ok "$label: after the drop no more than 5 Mbit/s' payload share (+2%)" \
		awk -v v="$drop" -v r="$lo" 'BEGIN { exit !(v > 0 && v < 1.02 * r) }'
	ok "$label: after the recovery within 10% of 50 Mbit/s' payload share" \
		awk -v v="$post" -v r="$hi" 'BEGIN { exit !(v > 0.9 * r && v < 1.02 * r) }'
done
no_uml_left
done_testing
