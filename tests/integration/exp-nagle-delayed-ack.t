#!/bin/bash
# The shipped experiment nagle_delayed_ack at a short duration: p99 of about
# 40 ms with Nagle on and split writes (the delayed ACK), a few ms with
# TCP_NODELAY.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd jq
[ -x "$TESTBED" ] || skip_all "build ./testbed first (make)"
TMP=$(mktemp -d /tmp/tb8-ng.XXXXXX)
defer rm -rf "$TMP"

"$TESTBED" run --quiet "$TOP/experiments/nagle_delayed_ack.conf" --duration 3s --repeat 1 \
	--out "$TMP/o" >"$TMP/out" 2>"$TMP/err"
rc=$?
is "$rc" 0 "every expectation held (exit 0)"
[ $rc -ne 0 ] && { sed 's/^/# /' "$TMP/err"; grep -A2 'NOT HELD' "$TMP/o/report.md" | sed 's/^/# /'; }
S="$TMP/o/summary.json"
for k in 0 1; do
	jq -r ".cases[$k] | \"\(.label): p50=\(.flows.rr.metrics.p50.median) p99=\(.flows.rr.metrics.p99.median) rps=\(.flows.rr.metrics.rps.median) DelayedACKs(s1)=\(.nodes.s1.counters.TcpExtDelayedACKs.median // 0)\"" "$S" |
		while read -r l; do diag "$l"; done
done
done_testing
