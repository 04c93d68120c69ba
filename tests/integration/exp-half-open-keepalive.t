#!/bin/bash
# The shipped experiment half_open_keepalive (slightly shortened): after the
# link is cut (an [event]), a reader without keep-alive never notices, tuned
# keep-alive notices after its probes, an application heartbeat first.
. "$(dirname "$0")/../tap.sh"
run_experiment half_open_keepalive --duration 11s --repeat 1
is "$(jq '.runs_complete' "$S")" 3 "3 runs complete"
diag_cases "\"\(.label): noticed after \(if .flows.idle.metrics.notice then \"\(.flows.idle.metrics.notice.median) s\" else \"never\" end), dropped=\(.flows.idle.metrics.dropped.median) held at end=\(.flows.idle.metrics.held.median)\""
ev=$(jq -r '.events[0] | "\(.name) \(.action) \(.link) at \(.at_s) s"' "$TMP/o/runs/c1-r1/run.json")
diag "event: $ev"
ok "run.json records the link cut" sh -c "jq -e '.events[0].action == \"down\" and (.events[0].error == null)' '$TMP/o/runs/c1-r1/run.json' >/dev/null"
done_testing
