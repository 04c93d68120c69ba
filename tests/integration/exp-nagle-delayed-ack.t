#!/bin/bash
# The shipped experiment nagle_delayed_ack at a short duration: p99 of about
# 40 ms with Nagle on and split writes (the delayed ACK), a few ms with
# TCP_NODELAY.
. "$(dirname "$0")/../tap.sh"
run_experiment nagle_delayed_ack --duration 3s --repeat 1
diag_cases "\"\(.label): p50=\(.flows.rr.metrics.p50.median) p99=\(.flows.rr.metrics.p99.median) rps=\(.flows.rr.metrics.rps.median) DelayedACKs(s1)=\(.nodes.s1.counters.TcpExtDelayedACKs.median // 0)\""
done_testing
