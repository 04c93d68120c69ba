#!/bin/bash
# The shipped experiment conn_storm at a short duration (host kernel): its
# expectations hold (exit 0): after the server's stop and start, a fixed
# reconnect delay (and plain backoff) sends the 400 clients back in
# synchronised waves that overflow the accept queue, full jitter spreads
# them (no overflow, no SYN retransmission, fewer attempts, all back); with
# too few descriptors the server sees EMFILE and pauses its accept loop
# instead of spinning. Prints the numbers per case. Then the same file with
# 200 clients and a backlog of 32: its expectations hold against those.
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
# other parameters: 200 clients and a backlog of 32; the expectations read
# the backlog from the file (cfg()): the SYN queue's bound is now 33
run_variant conn_storm \
	's/^count = 400$/count = 200/; s/^concurrency = 400$/concurrency = 200/; s/^rate = 400$/rate = 200/; s/^server.backlog = 16$/server.backlog = 32/' \
	--duration 8s --repeat 1
p=$(jq -r '[.cases[] | .nodes.s1.peaks.SYN_RECV.median // 0] | max' "$VS")
o=$(jq -r '.cases[] | select(.label=="fixed") | .nodes.s1.counters.TcpExtListenOverflows.median // 0' "$VS")
diag "variant: peak SYN_RECV $p (backlog 32), fixed ListenOverflows $o"
ok "the variant's herd still overflows its larger queue with a fixed delay ($o)" [ "${o%.*}" -gt 0 ]
done_testing
