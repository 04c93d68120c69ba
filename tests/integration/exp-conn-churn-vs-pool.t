#!/bin/bash
# The shipped experiment conn_churn_vs_pool at a short duration (it needs
# netem, so it runs in a User-Mode Linux guest on a host without it): the
# pool's p99 is well below per-request p99, and the pool leaves no TIME-WAIT
# and no EADDRNOTAVAIL. The report carries the two ladders: a handshake
# before the request, and requests on an open connection.
. "$(dirname "$0")/../tap.sh"
run_experiment --needs netem conn_churn_vs_pool --duration 8s --repeat 1
is "$(jq '.runs_complete' "$S")" 4 "4 runs complete"
diag_cases "\"\(.label): p50=\(.flows.rr.metrics.p50.median) p99=\(.flows.rr.metrics.p99.median) hps=\(.flows.rr.metrics.hps.median // 0) TIME-WAIT(c1)=\(.nodes.c1.peaks.TIME_WAIT.median) EADDRNOTAVAIL=\(.flows.rr.metrics.eaddrnotavail.median) requests=\(.flows.rr.metrics.requests.median)\""
R="$TMP/o/report.md"
ok "report.md has a Ladders section" grep -q '^## Ladders' "$R"
# per_request: the ladder of a request under load starts with the handshake
ok "a per-request ladder shows SYN, SYN/ACK, then data" \
	sh -c "sed -n '/^### per_request/,/^### /p' '$R' | grep -q 'handshake done'"
ok "the pool ladder shows requests on the open connection (data segments after the first request)" \
	sh -c "sed -n '/^### pool/,/^## /p' '$R' | grep -c ' P\\. ' | awk '{ exit !(\$1 >= 4) }'"
no_uml_left
done_testing
