#!/bin/bash
# [event] sections: a link goes down at 1 s and up at 2.5 s during a run.
# run.json records both at their times without error; a pooled rr client
# stops completing requests while the link is down (no packet crosses) and
# completes them again after it comes up (a directly connected pair gets
# its routes back with the interfaces).
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd jq
need_testbed
scratch TMP tb-ev

# 6 s: TCP resumes at its next retransmission, not at the up; backed off
# while the link was down, that comes up to ~1.7 s after it (4.3 s), and a
# 4 s run could end before it.

cat >"$TMP/ev.conf" <<EOC
[experiment]
topology = $TOP/topologies/pair.conf
duration = 6s
capture = no
[flow rr]
worker = rr
from = c1
to = s1
conn = pool
pool = 1
rate = 100
concurrency = 4
timeout = 3s
[event cut]
at = 1s
link = c1-s1
action = down
[event heal]
at = 2500ms
link = s1-c1
action = up
EOC
"$TESTBED" check "$TMP/ev.conf"
is "$?" 0 "the file with two events checks"
"$TESTBED" run --quiet "$TMP/ev.conf" --out "$TMP/o" >"$TMP/out" 2>"$TMP/err"
is "$?" 0 "the run completes (exit 0)"
R="$TMP/o/runs/c1-r1/run.json"
diag "events: $(jq -c '[.events[] | {name, action, at_s}]' "$R")"
ok "two events, in order, without error" \
	sh -c "jq -e '(.events | length) == 2 and .events[0].action == \"down\" and .events[1].action == \"up\" and .events[0].error == null and .events[1].error == null and .events[0].at_s >= 1 and .events[1].at_s >= 2.5' '$R' >/dev/null"
S="$TMP/o/runs/c1-r1/flows/rr.series.jsonl"
diag "requests per second: $(jq -r '.requests' "$S" | paste -sd' ')"
dead=$(jq -s '[.[] | select(.t > 1.5 and .t < 2.6) | .requests] | add // 0' "$S")
alive=$(jq -s '[.[] | select(.t > 2.6) | .requests] | add // 0' "$S")
# the second ending at 2 s may still catch a request sent just before 1 s
ok "(almost) no request completes while the link is down ($dead in the second ending at 2 s)" [ "$dead" -le 5 ]
ok "requests complete again after the link comes up ($alive after 2.6 s, the queued ones included)" [ "$alive" -gt 100 ]
# --duration halves the run: the events keep their share of it (at 0.5 s and
# 1.25 s), as the flows do; they used to stay at 1 s and 2.5 s, past a short run
"$TESTBED" run --quiet "$TMP/ev.conf" --duration 3s --out "$TMP/half" >/dev/null 2>"$TMP/err2"
is "$?" 0 "the run at --duration 3s completes"
R="$TMP/half/runs/c1-r1/run.json"
diag "events at --duration 3s: $(jq -c '[.events[] | {name, at_s}]' "$R")"
ok "both events happen, at half their times" \
	sh -c "jq -e '(.events | length) == 2 and .events[0].at_s >= 0.5 and .events[0].at_s < 0.9 and .events[1].at_s >= 1.25 and .events[1].at_s < 1.65' '$R' >/dev/null"
done_testing
