#!/bin/bash
# The shipped experiment conn_storm at a short duration (host kernel): its
# expectations hold (exit 0): after the server's stop and start, a fixed
# reconnect delay (and plain backoff) sends the 400 clients back in
# synchronised waves that overflow the accept queue, full jitter spreads
# them (no overflow, no SYN retransmission, fewer attempts, all back); with
# too few descriptors the server sees EMFILE and pauses its accept loop
# instead of spinning. Prints the numbers per case.
. "$(dirname "$0")/../tap.sh"
run_experiment conn_storm --duration 8s --repeat 1
is "$(jq '.runs_complete' "$S")" 7 "7 runs complete"
for c in fixed backoff backoff_jitter fixed_cookies backoff_cookies backoff_jitter_cookies nofile; do
	q=".cases[] | select(.label==\"$c\")"
	f() { jq -r "$q | .flows.storm.metrics.$1.median // \"-\"" "$S"; }
	n() { jq -r "$q | .nodes.$1.counters.$2.median // \"-\"" "$S"; }
	p() { jq -r "$q | .nodes.$1.peaks.$2.median // \"-\"" "$S"; }
	diag "$c: held=$(f held) reconnect_99=$(f reconnect_99)s attempts=$(f attempts)" \
		"ListenOverflows=$(n s1 TcpExtListenOverflows) ListenDrops=$(n s1 TcpExtListenDrops)" \
		"SynRetrans=$(n c1 TcpExtTCPSynRetrans) cookies=$(n s1 TcpExtSyncookiesSent)" \
		"peak SYN_RECV=$(p s1 SYN_RECV) | server emfile=$(f server_emfile)" \
		"pauses=$(f server_accept_pauses) cpu=$(f server_cpu)s | client etimedout=$(f etimedout)" \
		"econnrefused=$(f econnrefused)"
done
ok "run.json records the stop and the start" grep -q '"action": *"start"' "$TMP"/o/runs/c1-r1/run.json
done_testing
