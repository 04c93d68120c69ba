#!/bin/bash
# The shipped experiment time_wait_closer at a short duration: its
# expectations hold (exit 0): TIME-WAIT lands on whichever side closes
# first, and the client's 2,000 ports run out only when the client closes.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd jq
[ -x "$TESTBED" ] || skip_all "build ./testbed first (make)"
TMP=$(mktemp -d /tmp/tb8-tw.XXXXXX)
defer rm -rf "$TMP"

"$TESTBED" run --quiet "$TOP/experiments/time_wait_closer.conf" --duration 8s --repeat 1 \
	--out "$TMP/o" >"$TMP/out" 2>"$TMP/err"
rc=$?
is "$rc" 0 "every expectation held (exit 0)"
[ $rc -ne 0 ] && { sed 's/^/# /' "$TMP/err"; grep -A2 'NOT HELD' "$TMP/o/report.md" | sed 's/^/# /'; }
S="$TMP/o/summary.json"
is "$(jq '.runs_complete' "$S")" 2 "2 runs complete"
for k in 0 1; do
	jq -r ".cases[$k] | \"\(.label): TIME-WAIT c1=\(.nodes.c1.peaks.TIME_WAIT.median) s1=\(.nodes.s1.peaks.TIME_WAIT.median) EADDRNOTAVAIL=\(.flows.rr.metrics.eaddrnotavail.median) rps=\(.flows.rr.metrics.rps.median) success=\(.flows.rr.metrics.success.median)%\"" "$S" |
		while read -r l; do diag "$l"; done
done
done_testing
