#!/bin/bash
# cellular_trace at 20 s, one repeat (delay needs netem: the UML guest on a
# host without it): the bottleneck follows the shipped generated trace, its
# rate changed in place without a failure; CUBIC and BBR each deliver more
# than 80% of the trace's capacity; BBR's 95th-percentile queueing delay is
# below CUBIC's, which fills the 300-packet drop-tail buffer.
. "$(dirname "$0")/../tap.sh"
need_cmd python3
run_experiment --needs netem cellular_trace --duration 20s --repeat 1
is "$(jq '.runs_complete' "$S")" 2 "2 runs complete (cubic, bbr)"
diag "kernel: $(jq -r '.kernel.tier + " " + .kernel.release' "$S")"
for r in "$TMP"/o/runs/*/run.json; do
	diag "$(basename "$(dirname "$r")"): trace $(jq -c '.traces[0] | {changes, failures, late_max_ms}' "$r")"
	ok "$(basename "$(dirname "$r")"): the trace's rate changed in place, no change failed" \
		sh -c "jq -e '.traces[0].changes > 100 and .traces[0].failures == 0' '$r' >/dev/null"
done
python3 "$TOP/tests/integration/lib-cellular.py" "$TMP/o" >"$TMP/stats"
while read -r run cc g cap util q95; do
	diag "$cc ($run): goodput $g Mbit/s of $cap (payload) = $util %; queueing delay p95 $q95 ms"
	ok "$cc uses more than 80% of the trace's capacity ($util %)" awk "BEGIN{exit !($util > 80)}"
done <"$TMP/stats"
qc=$(awk '$2 == "cubic" {print $6}' "$TMP/stats")
qb=$(awk '$2 == "bbr" {print $6}' "$TMP/stats")
ok "BBR's p95 queueing delay ($qb ms) is below CUBIC's ($qc ms)" [ "${qb:-9999}" -lt "${qc:-0}" ]
no_uml_left
done_testing
