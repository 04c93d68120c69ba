#!/bin/bash
# The shipped experiment bdp_window at a short duration (netem: runs in the
# UML guest on a host without it): its expectations hold (exit 0): the capped
# cases sit at window / RTT, autotuning fills the 100 Mbit/s x 100 ms pipe.
# Prints goodput beside window / RTT and the sampler's rcv_space / snd_wnd.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd jq
[ -x "$TESTBED" ] || skip_all "build ./testbed first (make)"
TMP=$(mktemp -d /tmp/tb-bdp.XXXXXX)
defer rm -rf "$TMP"

"$TESTBED" run --quiet "$TOP/experiments/bdp_window.conf" --duration 10s --repeat 1 \
	--out "$TMP/o" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 3 ] && skip_all "no kernel with netem here: $(tail -1 "$TMP/err")"
is "$rc" 0 "every expectation held (exit 0)"
[ $rc -ne 0 ] && sed 's/^/# /' "$TMP/err" | tail -20
[ $rc -ne 0 ] && grep -A4 'NOT HELD' "$TMP/o/report.md" | sed 's/^/# /'
S="$TMP/o/summary.json"
is "$(jq '.runs_complete' "$S")" 4 "4 runs complete"
# the largest value of a column of the flow's sockets in a sampler CSV
col_max() {
	awk -F, -v c="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==c) k=i; next}
		$0 ~ /,bulk,/ && k && $k+0 > m {m=$k+0} END{print m+0}' "$1"
}
for k in 0 1 2 3; do
	label=$(jq -r ".cases[$k].label" "$S")
	g=$(jq -r ".cases[$k].flows.bulk.metrics.goodput.median // \"-\"" "$S")
	d="$TMP/o/runs/c$((k + 1))-r1/sockets"
	diag "$label: goodput=$g bit/s snd_wnd(c1) max=$(col_max "$d/c1-tcp.csv" snd_wnd)" \
		"rcv_space(s1) max=$(col_max "$d/s1-tcp.csv" rcv_space)"
done
done_testing
