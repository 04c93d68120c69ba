#!/bin/bash
# udp_metrics_loss on a busy host: scripts/stall-host takes every CPU for
# 400 ms every 2 s while the experiment runs (as a shared CI runner can).
# The sender must not turn a stall into path loss: it skips what it missed
# (counted), every datagram the collector lost is one netem dropped (tbf and
# pfifo behind it drop nothing), and the expectations still hold. The
# stalls are seen by the host's own clock check beside the guest, and named
# the host's, not the guest's: summary.json, report.md and stderr say so.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd chrt taskset perl jq
"$TOP/scripts/stall-host" 400 2 120 &
STALL=$!
defer kill $STALL
run_experiment --needs netem udp_metrics_loss --duration 5s --repeat 1
kill $STALL
m() { jq -r ".cases[] | select(.label==\"$1\") | .flows.metrics.metrics.$2.median // \"-\"" "$S"; }
# drops CASE KIND: drops of r1's qdisc of that kind in the case's run
drops() { jq "[.r1[] | select(.kind==\"$2\") | .drops] | add" "$TMP/o/runs/c$1-r1/qdisc.json"; }
i=0
for c in udp_loss1 udp_loss5; do
	i=$((i + 1))
	sk=$(m $c skipped) lost=$(m $c lost) ne=$(drops $i netem) tb=$(drops $i tbf) pf=$(drops $i pfifo)
	diag "$c under stalls: sent=$(m $c sent) skipped=$sk lost=$lost loss=$(m $c loss)%" \
		"owd_p99=$(m $c owd_p99)s | r1 drops: netem $ne, tbf $tb, pfifo $pf"
	ok "$c: the stalls were felt (datagrams skipped: $sk)" [ "${sk%.*}" -gt 0 ] 2>/dev/null
	ok "$c: no queue drops behind netem (tbf $tb, pfifo $pf)" test "$tb" = 0 -a "$pf" = 0
	# netem's drops count its child tbf's too: its own random drops are the difference
	rd=$((ne - tb))
	ok "$c: every datagram lost is one of netem's random drops ($lost lost, $rd random drops)" \
		test "${lost%.*}" -le "$rd" -a "$rd" -le $((${lost%.*} + 3))
done
hs=$(jq -c '.host_stalls' "$S")
diag "summary.json host_stalls: $hs"
ok "the stalls are reported: every run saw one, the worst at least 250 ms ($hs)" \
	sh -c "jq -e '.host_stalls.runs_stalled == .runs_total and .host_stalls.late_max_ms >= 250' '$S' >/dev/null"
ok "report.md flags them in its header" grep -q '^| Host stalls | \*\*5 of 5 runs\*\*' "$TMP/o/report.md"
ok "testbed run warned on stderr that the host stalled" grep -q 'the host stalled for up to' "$TMP/err"
gs=$(jq -c '.guest_stalls' "$S")
diag "summary.json guest_stalls: $gs"
ok "the host's stalls are not blamed on the guest ($gs)" \
	sh -c "jq -e '.guest_stalls.runs_stalled == 0' '$S' >/dev/null"
ok "report.md has a Guest stalls row that does not blame the guest" \
	sh -c "grep '^| Guest stalls |' '$TMP/o/report.md' | grep -qv '\*\*'"
ok "no guest-stall warning" sh -c "! grep -q 'guest fell behind' '$TMP/err'"
ok "the host's clock check was kept (host-clock.json lists wake-ups >= 250 ms late)" \
	sh -c "jq -e '[.late[][1]] | max >= 250' '$TMP/o/host-clock.json' >/dev/null"
no_uml_left
done_testing
