#!/bin/sh
# tb-server's knobs, each checked by what a user would see: thread and
# iterative architectures, --leak (CLOSE-WAIT), --reject, a small backlog
# that is not accepted (ListenOverflows), --accept-rate, a slow reader
# (zero window).
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip ss python3
W="$TOP/workers"
for w in tb-server tb-rr tb-idle tb-bulk; do [ -x "$W/$w" ] || skip_all "workers not built (run make)"; done
plan 11

C=tbw-c-$$ S=tbw-s-$$ T=/tmp/tbw-srv-$$
mkdir -p "$T"; defer rm -rf "$T"
ip netns add $C || bail "ip netns add"; defer ip netns del $C
ip netns add $S || bail "ip netns add"; defer ip netns del $S
ip link add tbwc$$ netns $C type veth peer name tbws$$ netns $S || bail "veth"
ip -n $C addr add 198.18.5.1/24 dev tbwc$$; ip -n $S addr add 198.18.5.2/24 dev tbws$$
for n in $C $S; do ip -n $n link set lo up; done
ip -n $C link set tbwc$$ up; ip -n $S link set tbws$$ up

jget() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"; }
tcpext() {
	ip netns exec $S cat /proc/net/netstat | awk -v k="$1" '
		/^TcpExt:/ { if (!h) { for (i = 2; i <= NF; i++) n[i] = $i; h = 1 } else
			for (i = 2; i <= NF; i++) if (n[i] == k) print $i }'
}
# server PORT ARGS...: start in $S; SPID is its pid
server() {
	port=$1; shift
	ip netns exec $S "$W/tb-server" --host 198.18.5.2 --port $port --deadline 60s \
		--ready "$T/ready.$port" --result "$T/server.$port.json" "$@" >/dev/null &
	SPID=$!
	defer kill $SPID 2>/dev/null
	i=0; while [ ! -f "$T/ready.$port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -f "$T/ready.$port" ] || bail "tb-server on port $port did not start"
}
stop() {
	kill "$SPID"
	i=0; while kill -0 "$SPID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}
rr() { out=$1; shift; ip netns exec $C "$W/tb-rr" --host 198.18.5.2 --result "$T/$out.json" "$@"; }

# Thread per connection: a pool of 8 is served in parallel.
server 9001 --mode rr --arch thread
rr thread --port 9001 --conn pool --concurrency 8 --duration 1s
n=$(jget "$T/thread.json" "r['requests']"); e=$(jget "$T/thread.json" "r['errors']")
diag "arch thread: $n requests with 8 connections, errors $e"
ok "arch thread serves 8 concurrent connections" test "$n" -gt 1000 -a "$e" = "{}"

# Iterative: one connection at a time, so the second pooled connection starves.
server 9002 --mode rr --arch iterative
rr iter1 --port 9002 --conn per-request --rate 200 --duration 1s
n1=$(jget "$T/iter1.json" "r['requests']")
rr iter2 --port 9002 --conn pool --pool 2 --concurrency 2 --timeout 300ms --duration 1500ms
n2=$(jget "$T/iter2.json" "r['requests']"); to=$(jget "$T/iter2.json" "r['errors'].get('ETIMEDOUT', 0)")
diag "arch iterative: per-request $n1 requests; pool of 2: $n2 requests, $to timeouts"
ok "arch iterative serves per-request connections one by one ($n1)" test "$n1" -ge 190
ok "arch iterative starves the second of two pooled connections (ETIMEDOUT $to)" test "$to" -ge 1
stop

# --leak: the server never closes, so every client close leaves a CLOSE-WAIT.
server 9003 --mode rr --leak
rr leak --port 9003 --conn per-request --rate 200 --duration 1s
n=$(jget "$T/leak.json" "r['requests']")
cw=$(ip netns exec $S ss -Htan state close-wait "( sport = :9003 )" | wc -l)
diag "--leak: $n requests, $cw sockets in CLOSE-WAIT on the server"
ok "--leak leaves one CLOSE-WAIT per connection ($cw for $n)" test "$cw" -ge $((n - 2)) -a "$cw" -le "$n"
stop
ok "--leak: the server result counts them as leaked" test "$(jget "$T/server.9003.json" "r['leaked']")" -ge $((n - 2))

# --reject: accepted and closed at once; no request gets an answer.
server 9004 --mode rr --reject
rr reject --port 9004 --conn per-request --rate 100 --duration 1s
n=$(jget "$T/reject.json" "r['requests']"); e=$(jget "$T/reject.json" "sum(r['errors'].values())")
diag "--reject: $n answered, $e failed ($(jget "$T/reject.json" "r['errors']"))"
ok "--reject: every request fails, none is answered" test "$n" -eq 0 -a "$e" -ge 90
stop

# Backlog 4, nothing accepted: the accept queue holds 5, the rest overflow.
o0=$(tcpext ListenOverflows)
server 9005 --mode rr --backlog 4 --accept-delay 30s
ip netns exec $C "$W/tb-idle" --host 198.18.5.2 --port 9005 --count 20 --duration 1500ms \
	--timeout 10s --result "$T/idle.json"
q=$(ip netns exec $S ss -Htln "( sport = :9005 )" | awk '{print $2}')
o1=$(tcpext ListenOverflows)
diag "backlog 4, no accept: listener Recv-Q $q, ListenOverflows +$((o1 - o0)), client held $(jget "$T/idle.json" "r['held']") of 20"
is "$q" 5 "the accept queue fills to backlog + 1"
ok "further handshakes overflow the listen queue" test $((o1 - o0)) -gt 0
stop

# --accept-rate 50/s for 2 s while 200 connections wait.
server 9006 --mode rr --accept-rate 50 --duration 2s
ip netns exec $C "$W/tb-idle" --host 198.18.5.2 --port 9006 --count 200 --duration 2500ms \
	--result "$T/idle2.json" >/dev/null
i=0; while kill -0 "$SPID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
a=$(jget "$T/server.9006.json" "r['accepted']")
diag "--accept-rate 50 for 2 s: $a accepted"
ok "--accept-rate paces accept() ($a in 2 s, want ~100)" test "$a" -ge 85 -a "$a" -le 115

# Slow reader: 64 KiB/s; the sender sees a zero window.
z0=$(tcpext TCPToZeroWindowAdv)
server 9007 --mode sink --read-rate 64k --rcvbuf 64k
ip netns exec $C "$W/tb-bulk" --host 198.18.5.2 --port 9007 --duration 3s --result "$T/bulk.json"
stop
z1=$(tcpext TCPToZeroWindowAdv)
b=$(jget "$T/server.9007.json" "r['bytes']"); s=$(jget "$T/server.9007.json" "round(r['seconds'], 2)")
rate=$(jget "$T/server.9007.json" "round(r['bytes'] / r['seconds'])")
diag "--read-rate 64k: read $b bytes in $s s = $rate B/s; TCPToZeroWindowAdv +$((z1 - z0))"
ok "the slow reader reads at ~65536 B/s ($rate)" python3 -c "import sys; sys.exit(not (52000 <= $rate <= 80000))"
ok "the receiver advertises a zero window" test $((z1 - z0)) -gt 0
done_testing
