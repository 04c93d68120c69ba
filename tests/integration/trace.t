#!/bin/bash
# trace = FILE: a bulk flow over a bottleneck that follows a step trace
# (20 Mbit/s, then 5 Mbit/s from 4 s; made by `testbed trace gen`). The
# flow's goodput each second follows the trace's capacity (x 1448/1500:
# TCP/IP headers of an MTU-sized packet) within 10% once saturated;
# run.json records the rate changes, none failed; nothing is left behind.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd jq
need_testbed
scratch TMP tb-trace

"$TESTBED" trace gen step 20mbit 5mbit 4s -o "$TMP/step.trace"
is "$?" 0 "trace gen writes a step trace"
cat >"$TMP/tr.conf" <<EOC
[experiment]
topology = $TOP/topologies/dumbbell.conf
duration = 8s
capture = no
[link r1-r2]
r1.trace = step.trace
[flow bulk]
worker = bulk
from = c1
to = s1
EOC
"$TESTBED" check "$TMP/tr.conf"
is "$?" 0 "the file with a trace (relative to it) checks"
"$TESTBED" run --quiet "$TMP/tr.conf" --out "$TMP/o" >"$TMP/out" 2>"$TMP/err"
is "$?" 0 "the run completes (exit 0)"
R="$TMP/o/runs/c1-r1/run.json"
diag "traces: $(jq -c '.traces' "$R")"
ok "run.json: the rate changed in place, no change failed" \
	sh -c "jq -e '.traces[0].changes > 10 and .traces[0].failures == 0' '$R' >/dev/null"
S="$TMP/o/runs/c1-r1/flows/bulk.series.jsonl"
diag "goodput per second (Mbit/s): $(jq -r '.goodput_bps / 1e6 | . * 100 | round / 100' "$S" | paste -sd' ')"
# seconds 2-4 at 20 Mbit/s (the first is slow start), 6-8 at 5 (the
# second after the step drains the queue of 100 ms at the mean rate)
hi=$(jq -s '[.[] | select(.t > 1.5 and .t < 4.5) | .goodput_bps] | add / length / 1e6' "$S")
lo=$(jq -s '[.[] | select(.t > 5.5 and .t < 8.5) | .goodput_bps] | add / length / 1e6' "$S")
diag "mean goodput: $hi Mbit/s before the step (trace 19.31), $lo after (trace 4.83)"
ok "before the step: within 10% of 19.31 Mbit/s ($hi)" awk "BEGIN{exit !($hi > 17.4 && $hi < 21.2)}"
ok "after the step: within 10% of 4.83 Mbit/s ($lo)" awk "BEGIN{exit !($lo > 4.35 && $lo < 5.31)}"
id=$(jq -r .run_id "$R")
left=$(ip netns list | grep -c "^$id-")
ok "nothing left behind: no namespace of run $id ($left)" [ "$left" -eq 0 ]
done_testing
