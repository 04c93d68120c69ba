#!/bin/bash
# The shipped experiment hol_blocking at a short duration (netem: runs in the
# UML guest on a host without it): its expectations hold (exit 0): eight
# request streams over one TCP connection have a worse p99 under loss than
# the same streams over eight connections, and the gap grows with the loss.
# Prints per-case latency percentiles and the spread of the per-stream p99.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd jq
[ -x "$TESTBED" ] || skip_all "build ./testbed first (make)"
TMP=$(mktemp -d /tmp/tb-hol.XXXXXX)
defer rm -rf "$TMP"

"$TESTBED" run --quiet "$TOP/experiments/hol_blocking.conf" --duration 8s --repeat 1 \
	--out "$TMP/o" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 3 ] && skip_all "no kernel with netem here: $(tail -1 "$TMP/err")"
is "$rc" 0 "every expectation held (exit 0)"
[ $rc -ne 0 ] && sed 's/^/# /' "$TMP/err" | tail -20
[ $rc -ne 0 ] && grep -A4 'NOT HELD' "$TMP/o/report.md" | sed 's/^/# /'
S="$TMP/o/summary.json"
n=$(jq '.cases | length' "$S")
is "$(jq '.runs_complete' "$S")" "$n" "every run complete ($n)"
for k in $(seq 0 $((n - 1))); do
	f() { jq -r ".cases[$k].flows.rr.metrics.$1.median // \"-\"" "$S"; }
	d="$TMP/o/runs/c$((k + 1))-r1/flows/rr.json"
	diag "$(jq -r ".cases[$k].label" "$S"): p50=$(f p50)s p90=$(f p90)s p99=$(f p99)s" \
		"rps=$(f rps) errors=$(f errors) per-stream p99 min/median/max (us)=$(jq -c \
		'[.stream_p99_us.min, .stream_p99_us.median, .stream_p99_us.max]' "$d")"
done
ok "every stream reported its own histogram" \
	[ "$(jq '.per_stream | length' "$TMP/o/runs/c1-r1/flows/rr.json")" = 8 ]
done_testing
