#!/bin/sh
# tb-churn with a narrowed ephemeral port range: TIME-WAIT holds every port
# and connect() fails with EADDRNOTAVAIL, which the worker counts.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip ss python3
. "$(dirname "$0")/lib-workers.sh"
need_workers tb-churn tb-server
plan 5

workers_setup churn 198.18.1
# 200 ports, no TIME-WAIT reuse: the client runs dry after 200 connections.
ip netns exec $C sysctl -qw net.ipv4.ip_local_port_range="40000 40199" net.ipv4.tcp_tw_reuse=0 ||
	bail "sysctl in $C"

server rr --mode rr --host 198.18.1.2 --port 9000 --deadline 30s

ip netns exec $C "$W/tb-churn" --host 198.18.1.2 --port 9000 --rate 500 --concurrency 8 \
	--duration 2s --result "$T/churn.json" --series "$T/churn.jsonl" --interval 500ms
rc=$?
is "$rc" 0 "tb-churn exits 0"
con=$(jget "$T/churn.json" "r['connects']")
att=$(jget "$T/churn.json" "r['attempts']")
ean=$(jget "$T/churn.json" "r['failures'].get('EADDRNOTAVAIL', 0)")
ff=$(jget "$T/churn.json" "r['first_failure_s']")
twc=$(ip netns exec $C ss -Htan state time-wait | wc -l)
diag "churn at 500/s with 200 ports: $con connects of $att attempts, EADDRNOTAVAIL $ean, first failure at ${ff}s"
diag "TIME-WAIT in the client namespace (ss): $twc"
ok "connect() fails with EADDRNOTAVAIL once the ports are used up ($ean)" test "$ean" -gt 100
# The client's count against an oracle of its own: the connections the
# server accepted (it may not have taken the last concurrency=8 yet). On a
# busy CI host 3 of 203 connects once ended without TIME-WAIT (a reset frees
# the port early), so "at most 200" is not the physics; the server's count is.
stop
acc=$(jget "$T/server.rr.json" "r['accepted']")
diag "server accepted $acc; client connects $con; ended without TIME-WAIT $((con - twc)); ListenOverflows $(tcpext ListenOverflows)"
ok "about as many connects as ports (${con}, 200 ports), each one the server accepted ($acc)" \
	test "$con" -ge 190 -a "$acc" -le "$con" -a "$con" -le $((acc + 8))
ok "first failure near 200/500 s = 0.4 s (got ${ff}s)" \
	python3 -c "import sys; sys.exit(not (0.3 <= $ff <= 0.7))"
ok "ss confirms the ports sit in TIME-WAIT ($twc)" test "$twc" -ge 190 -a "$twc" -le 200
done_testing
