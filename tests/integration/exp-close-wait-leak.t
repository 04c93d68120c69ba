#!/bin/bash
# The shipped experiment close_wait_leak at a short duration: CLOSE-WAIT on
# the leaking server grows with every client close (the sampler's curve),
# and stays at zero when the server closes.
. "$(dirname "$0")/../tap.sh"
run_experiment close_wait_leak --duration 8s --repeat 1
diag_cases "\"\(.label): peak s1 CLOSE-WAIT=\(.nodes.s1.peaks.CLOSE_WAIT.median) c1 FIN-WAIT-2=\(.nodes.c1.peaks.FIN_WAIT2.median) rps=\(.flows.rr.metrics.rps.median)\""
# the curve: CLOSE-WAIT on s1 at 2 s, 4 s, 6 s of the leaking case
leak=$(jq -r '.cases[] | select(.label=="case=leak" or .label=="leak") | .index' "$S")
csv="$TMP/o/runs/c$((leak + 1))-r1/sockets/s1-states.csv"
curve=$(awk -F, 'NR > 1 { t = int($1); if (t % 2 == 0 && t > 0 && !(t in seen)) { seen[t] = 1; printf "%ds:%s ", t, $8 } }' "$csv")
diag "CLOSE-WAIT on s1 over time (leak): $curve"
a=$(awk -F, 'NR > 1 && $1 >= 2 && !x { print $8; x = 1 }' "$csv")
b=$(awk -F, 'NR > 1 && $1 >= 6 && !x { print $8; x = 1 }' "$csv")
ok "CLOSE-WAIT rises over the run ($a at 2 s, $b at 6 s)" [ "${b:-0}" -gt "$((${a:-0} + 100))" ]
done_testing
