#!/bin/bash
# The shipped experiment half_open_keepalive (slightly shortened): after the
# link is cut (an [event]), a reader without keep-alive never notices, tuned
# keep-alive notices after its probes, an application heartbeat first.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd jq
[ -x "$TESTBED" ] || skip_all "build ./testbed first (make)"
TMP=$(mktemp -d /tmp/tb8-ho.XXXXXX)
defer rm -rf "$TMP"

"$TESTBED" run --quiet "$TOP/experiments/half_open_keepalive.conf" --duration 11s --repeat 1 \
	--out "$TMP/o" >"$TMP/out" 2>"$TMP/err"
rc=$?
is "$rc" 0 "every expectation held (exit 0)"
[ $rc -ne 0 ] && { sed 's/^/# /' "$TMP/err"; grep -A2 'NOT HELD' "$TMP/o/report.md" | sed 's/^/# /'; }
S="$TMP/o/summary.json"
is "$(jq '.runs_complete' "$S")" 3 "3 runs complete"
for k in 0 1 2; do
	jq -r ".cases[$k] | \"\(.label): noticed after \(if .flows.idle.metrics.notice then \"\(.flows.idle.metrics.notice.median) s\" else \"never\" end), dropped=\(.flows.idle.metrics.dropped.median) held at end=\(.flows.idle.metrics.held.median)\"" "$S" |
		while read -r l; do diag "$l"; done
done
ev=$(jq -r '.events[0] | "\(.name) \(.action) \(.link) at \(.at_s) s"' "$TMP/o/runs/c1-r1/run.json")
diag "event: $ev"
ok "run.json records the link cut" sh -c "jq -e '.events[0].action == \"down\" and (.events[0].error == null)' '$TMP/o/runs/c1-r1/run.json' >/dev/null"
done_testing
