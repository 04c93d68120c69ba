#!/bin/sh
# tb-rr against tb-server --mode rr between two namespaces: the Nagle +
# delayed-ACK stall of split writes, and TIME-WAIT per request vs a pool.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip ss python3
. "$(dirname "$0")/lib-workers.sh"
need_workers tb-rr tb-server
plan 11

workers_setup rr 198.18.0
ip -n $C addr add fd74:6200:0:1::1/64 dev tbwc$$ nodad; ip -n $S addr add fd74:6200:0:1::2/64 dev tbws$$ nodad

# rr_server PORT: an rr server on PORT
rr_server() { server $1 --mode rr --host 198.18.0.2 --port $1 --deadline 60s; }
rr() { out=$1; shift; ip netns exec $C "$W/tb-rr" --host 198.18.0.2 --result "$T/$out.json" "$@"; }
tw() { ip netns exec $1 ss -Htan state time-wait "( sport = :$2 or dport = :$2 )" | wc -l; }

# 1. Nagle + delayed ACK: header and body as two writes, one connection.
rr_server 9001
rr split --port 9001 --conn pool --concurrency 1 --write split --request 200 --duration 3s
p50=$(jget "$T/split.json" "r['latency_us']['p50']"); n=$(jget "$T/split.json" "r['requests']")
diag "split writes, Nagle on: $n requests, p50 ${p50} us"
ok "split writes with Nagle: p50 near the 40 ms delayed ACK (got ${p50} us)" \
	test "$p50" -ge 30000 -a "$p50" -le 60000
rr nodelay --port 9001 --conn pool --concurrency 1 --write split --request 200 --nodelay --duration 2s
p50n=$(jget "$T/nodelay.json" "r['latency_us']['p50']"); nn=$(jget "$T/nodelay.json" "r['requests']")
diag "split writes, TCP_NODELAY: $nn requests, p50 ${p50n} us"
ok "split writes with TCP_NODELAY: p50 under 3 ms (got ${p50n} us)" test "$p50n" -lt 3000
ok "both runs complete without errors" test "$(jget "$T/split.json" "r['complete'] and not r['errors']")" = True \
	-a "$(jget "$T/nodelay.json" "r['complete'] and not r['errors']")" = True

# 2. Per-request connections: one TIME-WAIT per request on the side that closes first.
rr_server 9002
rr perreq --port 9002 --conn per-request --concurrency 1 --rate 300 --duration 2s
n=$(jget "$T/perreq.json" "r['requests']"); h=$(jget "$T/perreq.json" "r['handshakes']")
twc=$(tw $C 9002); tws=$(tw $S 9002)
diag "per-request, client closes: $n requests, $h handshakes; TIME-WAIT client $twc, server $tws"
ok "per-request (client closes): ~1 TIME-WAIT per request on the client ($twc for $n)" \
	python3 -c "import sys; n=$n; t=$twc; sys.exit(not (n > 400 and abs(t - n) <= 0.05 * n + 3))"
ok "per-request (client closes): the server holds none ($tws)" test "$tws" -le 2

rr_server 9003
rr perreq-s --port 9003 --conn per-request --close server --concurrency 1 --rate 300 --duration 2s
n=$(jget "$T/perreq-s.json" "r['requests']")
# the last closes may still be finishing (FIN-WAIT-2 -> TIME-WAIT): poll
for _ in $(seq 100); do tws=$(tw $S 9003); [ "$tws" -ge "$n" ] && break; sleep 0.02; done
twc=$(tw $C 9003); tws=$(tw $S 9003)
diag "per-request, server closes: $n requests; TIME-WAIT client $twc, server $tws"
ok "per-request (server closes): ~1 TIME-WAIT per request on the server ($tws for $n)" \
	python3 -c "import sys; n=$n; t=$tws; sys.exit(not (n > 400 and abs(t - n) <= 0.05 * n + 3))"
ok "per-request (server closes): the client holds none ($twc)" test "$twc" -le 2

# 3. A pool of 4 keep-alive connections: only the pool's own closes at the end.
rr_server 9004
rr pool --port 9004 --conn pool --pool 4 --concurrency 4 --rate 300 --duration 2s
n=$(jget "$T/pool.json" "r['requests']"); h=$(jget "$T/pool.json" "r['handshakes']")
twc=$(tw $C 9004); tws=$(tw $S 9004)
diag "pool of 4: $n requests, $h handshakes; TIME-WAIT client $twc, server $tws"
ok "pool: $n requests over $h connections" test "$n" -gt 400 -a "$h" -eq 4
ok "pool: no TIME-WAIT per request (client $twc + server $tws <= 4)" test $((twc + tws)) -le 4

# 5. Open loop keeps its schedule however long the pool took to open: 1,000
# connections are opened after the schedule starts, and requests at 10/s are
# still sent when due (latency counts from the intended send time, so a
# request timer running late by the opening time counted it in every request:
# 3-10 ms here, 3 ms more per pooled request in the guest).
rr_server 9006
rr phase --port 9006 --conn pool --pool 1000 --concurrency 1000 --rate 10 --duration 3s
n=$(jget "$T/phase.json" "r['requests']"); p50=$(jget "$T/phase.json" "r['latency_us']['p50']")
h=$(jget "$T/phase.json" "r['handshakes']")
diag "pool of 1000 at 10/s: $n requests over $h connections, p50 ${p50} us"
ok "a pool of 1000 at 10/s: p50 is a veth round trip, not the opening time (${p50} us < 2 ms)" \
	test "$n" -ge 25 -a "$p50" -lt 2000

# 4. IPv6: the same worker pair over fd74:6200::/48 (the server listens on ::).
server 9005 --mode rr --port 9005 --deadline 30s
ip netns exec $C "$W/tb-rr" --host fd74:6200:0:1::2 --port 9005 --conn pool --concurrency 2 --nodelay \
	--duration 1s --result "$T/v6.json"
n=$(jget "$T/v6.json" "r['requests']"); e=$(jget "$T/v6.json" "r['errors']")
diag "IPv6 pool of 2: $n requests, errors $e"
ok "rr over IPv6 ($n requests, no errors)" test "$n" -gt 1000 -a "$e" = "{}"
done_testing
