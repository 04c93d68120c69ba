#!/bin/bash
# cellular_trace at 20 s, one repeat (delay needs netem: the UML guest on a
# host without it): the bottleneck follows the shipped generated trace, its
# rate changed in place without a failure; TCP CUBIC and BBR each deliver
# more than 80% of the trace's capacity; BBR's 95th-percentile queueing
# delay is below CUBIC's, which fills the 300-packet drop-tail buffer. The
# same over HTTP/3 (ngtcp2's QUIC, one connection downloading 4 MB
# responses): QUIC with CUBIC uses more than 0.7 x TCP CUBIC's share of the
# capacity, and ngtcp2's BBR keeps a shorter queue than its CUBIC (the
# median of the client's smoothed RTT in the qlog: QUIC BBR's p95 is set
# by its overshoot after the trace's steepest drops and reached 404 ms in
# one run, QUIC CUBIC's fell to 405 ms in another; the medians were
# 103-123 against 218-262 ms in every run); the QUIC numbers are printed
# beside TCP's.
. "$(dirname "$0")/../tap.sh"
need_cmd python3
run_experiment --needs netem cellular_trace --duration 20s --repeat 1
is "$(jq '.runs_complete' "$S")" 4 "4 runs complete (cubic, bbr, quic_cubic, quic_bbr)"
diag "kernel: $(jq -r '.kernel.tier + " " + .kernel.release' "$S")"
for r in "$TMP"/o/runs/*/run.json; do
	diag "$(basename "$(dirname "$r")"): trace $(jq -c '.traces[0] | {changes, failures, late_max_ms}' "$r")"
	ok "$(basename "$(dirname "$r")"): the trace's rate changed in place, no change failed" \
		sh -c "jq -e '.traces[0].changes > 100 and .traces[0].failures == 0' '$r' >/dev/null"
done
python3 "$TOP/tests/integration/lib-cellular.py" "$TMP/o" >"$TMP/stats"
while read -r run case g cap util q95 q50; do
	diag "$case ($run): goodput $g Mbit/s of $cap (payload) = $util %; queueing delay p95 $q95 ms, p50 $q50 ms"
	case $case in
	cubic | bbr)
		ok "$case uses more than 80% of the trace's capacity ($util %)" awk "BEGIN{exit !($util > 80)}" ;;
	esac
done <"$TMP/stats"
col() { awk -v c="$1" -v n="$2" '$2 == c {print $n}' "$TMP/stats"; }
qc=$(col cubic 6) qb=$(col bbr 6)
ok "BBR's p95 queueing delay ($qb ms) is below CUBIC's ($qc ms)" [ "${qb:-9999}" -lt "${qc:-0}" ]
uc=$(col cubic 5) uq=$(col quic_cubic 5)
ok "QUIC CUBIC's utilisation ($uq %) is more than 0.7 x TCP CUBIC's ($uc %)" \
	awk "BEGIN{exit !(${uq:-0} > 0.7 * ${uc:-1000})}"
qqc=$(col quic_cubic 7) qqb=$(col quic_bbr 7)
ok "over QUIC too, BBR's median queueing delay ($qqb ms) is below CUBIC's ($qqc ms)" \
	[ "${qqb:-9999}" -lt "${qqc:-0}" ]
no_uml_left
done_testing
