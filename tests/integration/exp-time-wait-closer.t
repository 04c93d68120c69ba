#!/bin/bash
# The shipped experiment time_wait_closer at a short duration: its
# expectations hold (exit 0): TIME-WAIT lands on whichever side closes
# first, and the client's 2,000 ports run out only when the client closes.
. "$(dirname "$0")/../tap.sh"
run_experiment time_wait_closer --duration 8s --repeat 1
is "$(jq '.runs_complete' "$S")" 2 "2 runs complete"
diag_cases "\"\(.label): TIME-WAIT c1=\(.nodes.c1.peaks.TIME_WAIT.median) s1=\(.nodes.s1.peaks.TIME_WAIT.median) EADDRNOTAVAIL=\(.flows.rr.metrics.eaddrnotavail.median) rps=\(.flows.rr.metrics.rps.median) success=\(.flows.rr.metrics.success.median)%\""
done_testing
