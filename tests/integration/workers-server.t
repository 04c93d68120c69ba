#!/bin/sh
# tb-server's knobs, each checked by what a user would see: thread and
# iterative architectures, --leak (CLOSE-WAIT), --reject, a small backlog
# that is not accepted (ListenOverflows), --accept-rate, a slow reader
# (zero window); fork, pool and epoll_pool with --work; --nofile (EMFILE
# and an accept loop that pauses); a stop and a start (SIGUSR1, SIGUSR2).
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip ss python3
. "$(dirname "$0")/lib-workers.sh"
need_workers tb-server tb-rr tb-idle tb-bulk
plan 19

workers_setup srv 198.18.5

# serve PORT ARGS...: a server on PORT; SPID is its pid, $T/server.PORT.json its result
serve() { _p=$1; shift; server $_p --host 198.18.5.2 --port $_p --deadline 60s "$@"; }
rr() { out=$1; shift; ip netns exec $C "$W/tb-rr" --host 198.18.5.2 --result "$T/$out.json" "$@"; }

# Thread per connection: a pool of 8 is served in parallel.
serve 9001 --mode rr --arch thread
rr thread --port 9001 --conn pool --concurrency 8 --duration 1s
n=$(jget "$T/thread.json" "r['requests']"); e=$(jget "$T/thread.json" "r['errors']")
diag "arch thread: $n requests with 8 connections, errors $e"
ok "arch thread serves 8 concurrent connections" test "$n" -gt 1000 -a "$e" = "{}"

# Iterative: one connection at a time, so the second pooled connection starves.
serve 9002 --mode rr --arch iterative
rr iter1 --port 9002 --conn per-request --rate 200 --duration 1s
n1=$(jget "$T/iter1.json" "r['requests']")
rr iter2 --port 9002 --conn pool --pool 2 --concurrency 2 --timeout 300ms --duration 1500ms
n2=$(jget "$T/iter2.json" "r['requests']"); to=$(jget "$T/iter2.json" "r['errors'].get('ETIMEDOUT', 0)")
diag "arch iterative: per-request $n1 requests; pool of 2: $n2 requests, $to timeouts"
ok "arch iterative serves per-request connections one by one ($n1)" test "$n1" -ge 190
ok "arch iterative starves the second of two pooled connections (ETIMEDOUT $to)" test "$to" -ge 1
stop

# --leak: the server never closes, so every client close leaves a CLOSE-WAIT.
serve 9003 --mode rr --leak
rr leak --port 9003 --conn per-request --rate 200 --duration 1s
n=$(jget "$T/leak.json" "r['requests']")
cw=$(ip netns exec $S ss -Htan state close-wait "( sport = :9003 )" | wc -l)
diag "--leak: $n requests, $cw sockets in CLOSE-WAIT on the server"
ok "--leak leaves one CLOSE-WAIT per connection ($cw for $n)" test "$cw" -ge $((n - 2)) -a "$cw" -le "$n"
stop
ok "--leak: the server result counts them as leaked" test "$(jget "$T/server.9003.json" "r['leaked']")" -ge $((n - 2))

# --reject: accepted and closed at once; no request gets an answer.
serve 9004 --mode rr --reject
rr reject --port 9004 --conn per-request --rate 100 --duration 1s
n=$(jget "$T/reject.json" "r['requests']"); e=$(jget "$T/reject.json" "sum(r['errors'].values())")
diag "--reject: $n answered, $e failed ($(jget "$T/reject.json" "r['errors']"))"
ok "--reject: every request fails, none is answered" test "$n" -eq 0 -a "$e" -ge 90
stop

# Backlog 4, nothing accepted: the accept queue holds 5, the rest overflow.
o0=$(tcpext ListenOverflows)
serve 9005 --mode rr --backlog 4 --accept-delay 30s
ip netns exec $C "$W/tb-idle" --host 198.18.5.2 --port 9005 --count 20 --duration 1500ms \
	--timeout 10s --result "$T/idle.json"
q=$(ip netns exec $S ss -Htln "( sport = :9005 )" | awk '{print $2}')
o1=$(tcpext ListenOverflows)
diag "backlog 4, no accept: listener Recv-Q $q, ListenOverflows +$((o1 - o0)), client held $(jget "$T/idle.json" "r['held']") of 20"
is "$q" 5 "the accept queue fills to backlog + 1"
ok "further handshakes overflow the listen queue" test $((o1 - o0)) -gt 0
stop

# --accept-rate 50/s for 2 s while 200 connections wait.
serve 9006 --mode rr --accept-rate 50 --duration 2s
ip netns exec $C "$W/tb-idle" --host 198.18.5.2 --port 9006 --count 200 --duration 2500ms \
	--result "$T/idle2.json" >/dev/null
wait_for pid_gone "$SPID"
a=$(jget "$T/server.9006.json" "r['accepted']")
diag "--accept-rate 50 for 2 s: $a accepted"
ok "--accept-rate paces accept() ($a in 2 s, want ~100)" test "$a" -ge 85 -a "$a" -le 115

# Slow reader: 64 KiB/s; the sender sees a zero window.
z0=$(tcpext TCPToZeroWindowAdv)
serve 9007 --mode sink --read-rate 64k --rcvbuf 64k
ip netns exec $C "$W/tb-bulk" --host 198.18.5.2 --port 9007 --duration 3s --result "$T/bulk.json"
stop
z1=$(tcpext TCPToZeroWindowAdv)
b=$(jget "$T/server.9007.json" "r['bytes']"); s=$(jget "$T/server.9007.json" "round(r['seconds'], 2)")
rate=$(jget "$T/server.9007.json" "round(r['bytes'] / r['seconds'])")
diag "--read-rate 64k: read $b bytes in $s s = $rate B/s; TCPToZeroWindowAdv +$((z1 - z0))"
ok "the slow reader reads at ~65536 B/s ($rate)" python3 -c "import sys; sys.exit(not (52000 <= $rate <= 80000))"
ok "the receiver advertises a zero window" test $((z1 - z0)) -gt 0
# fork, pool, epoll_pool: 20 clients, 1 ms of CPU per request, no errors.
for a in fork pool epoll_pool; do
	serve 9008 --mode rr --arch $a --work 1ms
	rr $a --port 9008 --conn per-request --concurrency 20 --duration 1s
	stop
	n=$(jget "$T/$a.json" "r['requests']"); e=$(jget "$T/$a.json" "r['errors']")
	diag "arch $a: $n requests, errors $e; server $(jget "$T/server.9008.json" \
		"{k: r[k] for k in ('requests', 'work_s', 'cpu_s', 'threads_max', 'procs_max', 'mem_peak_bytes')}")"
	ok "arch $a serves 20 clients with --work 1ms ($n requests)" test "$n" -gt 100 -a "$e" = "{}"
done
cp "$T/server.9008.json" "$T/server.epoll_pool.json"
ok "the work is burnt: work_s >= 1 ms x requests" python3 -c "
import json; r = json.load(open('$T/server.epoll_pool.json'))
exit(not (r['work_s'] >= 0.001 * r['requests'] * 0.99 and r['cpu_s'] >= r['work_s']))"

# --nofile 32, 100 clients: EMFILE, and the accept loop pauses (no spin).
serve 9009 --mode rr --nofile 32 --duration 2s
ip netns exec $C "$W/tb-idle" --host 198.18.5.2 --port 9009 --count 100 --concurrency 100 \
	--duration 2500ms --timeout 1s --result "$T/nofile.json" >/dev/null
wait_for pid_gone "$SPID"
em=$(jget "$T/server.9009.json" "r['emfile']"); pa=$(jget "$T/server.9009.json" "r['accept_pauses']")
cpu=$(jget "$T/server.9009.json" "r['cpu_s']")
diag "--nofile 32, 100 clients: accepted $(jget "$T/server.9009.json" "r['accepted']"), EMFILE $em, pauses $pa, cpu $cpu s"
ok "accept() fails with EMFILE ($em)" test "$em" -gt 0
ok "the accept loop pauses, ~20 times a second, not spins ($em EMFILE in 2 s, cpu $cpu s)" \
	python3 -c "exit(not ($em <= 100 and $pa >= 1 and $cpu < 0.5))"

# SIGUSR1 stops (every connection closed, connects refused), SIGUSR2 starts.
serve 9010 --mode rr
ip netns exec $C "$W/tb-idle" --host 198.18.5.2 --port 9010 --count 20 --concurrency 20 \
	--reconnect fixed --reconnect-base 50ms --duration 3s --result "$T/restart.json" >/dev/null &
IPID=$!
sleep 1
kill -USR1 "$SPID"
sleep 0.5
down=$(ip netns exec $S ss -Htln "( sport = :9010 )" | wc -l)
kill -USR2 "$SPID"
wait "$IPID"
stop
d=$(jget "$T/restart.json" "r['dropped']"); h=$(jget "$T/restart.json" "r['held']")
rf=$(jget "$T/restart.json" "r['errors'].get('ECONNREFUSED', 0)")
diag "stop/start: listeners while stopped $down; client dropped $d, refused $rf, held $h at the end; server stops $(jget "$T/server.9010.json" "r['stops']") starts $(jget "$T/server.9010.json" "r['starts']")"
ok "a stop closes every connection and the listener" test "$d" -ge 20 -a "$down" -eq 0 -a "$rf" -gt 0
ok "after the start every client is back ($h)" test "$h" -eq 20
done_testing
