#!/bin/sh
# tb-web --http 3 (QUIC: ngtcp2 + nghttp3 + GnuTLS) against tb-web --serve
# --http 3 between two namespaces: a pool of connections with 8 streams
# each, a connection per request resuming with session tickets, and 0-RTT
# (the capture shows 0-RTT long-header packets, and the key log decrypts
# the HTTP/3 frames). No loss on the veth: no QUIC packet is declared lost;
# with an nftables rule dropping 5% of what the client sends, ngtcp2
# declares packets lost and the requests still complete. The host kernel
# has no netem: counts are asserted, not times.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip python3 tshark dumpcap nft
. "$(dirname "$0")/lib-workers.sh"
need_workers tb-web
plan 17

workers_setup h3 198.18.10
CERT="--cert $T/cert.pem --key $T/key.pem"

# h3srv PORT ARGS...: an HTTP/3 server on UDP PORT in $S (result $T/srv.PORT.json)
h3srv() {
	_p=$1; shift
	ip netns exec $S "$W/tb-web" --serve --http 3 --host 198.18.10.2 --port $_p --deadline 60s $CERT \
		--ready "$T/ready.$_p" --result "$T/srv.$_p.json" "$@" >/dev/null &
	SPID=$!
	defer kill $SPID 2>/dev/null
	wait_for test -f "$T/ready.$_p" || bail "tb-web --serve --http 3 on $_p did not start"
}
# h3 OUT PORT ARGS...: the client in $C, result $T/OUT.json
h3() {
	_o=$1 _p=$2; shift 2
	ip netns exec $C timeout 20 "$W/tb-web" --http 3 --host 198.18.10.2 --port $_p --ca "$T/cert.pem" \
		--result "$T/$_o.json" "$@"
}
r() { jget "$T/$1.json" "$2"; }
clean() { test "$(r "$1" "r['complete'] and not r['errors'] and r['requests'] > 0")" = True; }
quic() { r "$1" "' '.join('%s %s' % kv for kv in r['quic'].items())"; }

# 1. A pool of 2 connections, 8 streams each.
h3srv 9501
h3 pool 9501 --pool 2 --streams 8 --response 1k --duration 2s
n=$(r pool "r['requests']"); hs=$(r pool "r['handshakes']")
diag "pool 2 x 8 streams: $n requests, $hs handshakes, errors $(r pool "r['errors']"), $(r pool "r['tls_version']")/$(r pool "r['alpn']")"
diag "pool: latency p50 $(r pool "r['latency_us']['p50']") us, p99 $(r pool "r['latency_us']['p99']") us; quic: $(quic pool)"
ok "pool: requests complete, no errors" clean pool
ok "pool: one handshake per pool connection ($hs)" test "$hs" -eq 2
ok "pool: 16 streams in use ($(r pool "r['stream_count']"))" \
	test "$(r pool "sum(1 for s in r['per_stream'] if s['requests'] > 0)")" -eq 16
ok "pool: TLS 1.3 and ALPN h3" test "$(r pool "r['tls_version'] + ' ' + r['alpn']")" = "TLS1.3 h3"
stop
sn=$(r srv.9501 "r['requests']")
ok "pool: the server answered at least the client's count ($sn >= $n)" test "$sn" -ge "$n"

# 2. A connection per request, resumed with the session ticket of an earlier one.
h3srv 9502
h3 ticket 9502 --conn per-request --concurrency 2 --resume ticket --duration 2s --qlog "$T/qlog.d"
hs=$(r ticket "r['handshakes']"); res=$(r ticket "r['resumed']")
diag "per-request, --resume ticket: $(r ticket "r['requests']") requests, $hs handshakes, $res resumed, errors $(r ticket "r['errors']")"
diag "per-request: handshake p50 $(r ticket "r['handshake_us']['p50']") us, ttfb p50 $(r ticket "r['ttfb_us']['p50']") us; quic: $(quic ticket)"
ok "per-request: requests complete, no errors" clean ticket
ok "per-request: a handshake per request, all but the first few resumed ($res of $hs)" \
	python3 -c "import sys; sys.exit(not ($hs > 100 and $res >= $hs - 2))"
ok "per-request: no 0-RTT without --resume early ($(r ticket "r['early_accepted']"))" \
	test "$(r ticket "r['early_accepted']")" -eq 0
stop
sres=$(r srv.9502 "r['resumed']")
ok "per-request: the server counted the resumptions ($sres, client $res)" \
	python3 -c "import sys; sys.exit(not abs($sres - $res) <= 2)"
nq=$(ls "$T/qlog.d" 2>/dev/null | wc -l)
diag "qlog: $nq files for $(r ticket "r['quic']['connections']") client connections"
ok "qlog: one file per connection" test "$nq" -eq "$(r ticket "r['quic']['connections']")"
rm -rf "$T/qlog.d"

# 3. 0-RTT: the request rides in 0-RTT packets; the key log decrypts HTTP/3.
h3srv 9503
ip netns exec $C dumpcap -q -i tbwc$$ -f "udp port 9503" -w "$T/early.pcap" -a duration:20 2>/dev/null &
CPID=$!
defer kill $CPID 2>/dev/null
wait_for test -s "$T/early.pcap" || bail "dumpcap did not start"
h3 early 9503 --conn per-request --resume early --rate 50 --duration 1s --keylog "$T/keys.log"
sleep 0.2; kill $CPID; wait $CPID 2>/dev/null
ea=$(r early "r['early_accepted']"); hs=$(r early "r['handshakes']")
diag "per-request, --resume early: $(r early "r['requests']") requests, $hs handshakes, $ea with 0-RTT accepted, $(r early "r['early_rejected']") rejected"
diag "0-RTT: ttfb p50 $(r early "r['ttfb_us']['p50']") us (ticket only: $(r ticket "r['ttfb_us']['p50']") us); quic: $(quic early)"
ok "0-RTT: requests complete, no errors" clean early
ok "0-RTT: accepted on all but the first connections ($ea of $hs)" \
	python3 -c "import sys; sys.exit(not ($hs >= 40 and $ea >= $hs - 2))"
ts() { tshark -r "$T/early.pcap" -d udp.port==9503,quic "$@" 2>/dev/null; }
z=$(ts -Y "quic.long.packet_type == 1" -T fields -e frame.number | wc -l)
hd=$(ts -o "tls.keylog_file:$T/keys.log" -Y "http3.frame_type == 1" -T fields -e frame.number | wc -l)
hd0=$(ts -Y "http3.frame_type == 1" -T fields -e frame.number | wc -l)
diag "capture: $z datagrams with a 0-RTT packet; HTTP/3 HEADERS frames seen in $hd (without the key log: $hd0)"
ok "0-RTT: the capture shows 0-RTT long-header packets ($z)" test "$z" -ge "$ea" -a "$ea" -gt 0
ok "key log: tshark decrypts the HTTP/3 HEADERS frames ($hd, none without it)" test "$hd" -gt 0 -a "$hd0" -eq 0
stop
diag "server: $(r srv.9503 "'handshakes %d resumed %d early_accepted %d requests %d' % (r['handshakes'], r['resumed'], r['early_accepted'], r['requests'])")"

# No loss on the veth: ngtcp2 declared no packet lost in any run.
lost=$(($(r pool "r['quic']['pkts_lost']") + $(r ticket "r['quic']['pkts_lost']") + $(r early "r['quic']['pkts_lost']")))
ok "no loss: pkts_lost is 0 in every run ($lost)" test "$lost" -eq 0

# 4. 5% of the client's datagrams dropped at the server's input (POST
# bodies, so the client sends data): losses are declared and recovered.
ip netns exec $S nft -f - <<NFT || bail "nft"
table inet tbw {
	chain input {
		type filter hook input priority 0;
		udp dport 9504 numgen random mod 100 < 5 counter drop
	}
}
NFT
h3srv 9504
h3 loss 9504 --pool 1 --streams 4 --request 20k --response 1k --duration 2s
stop
drops=$(ip netns exec $S nft list ruleset | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | head -1)
ip netns exec $S nft delete table inet tbw
lost=$(r loss "r['quic']['pkts_lost']")
diag "5% drop: $(r loss "r['requests']") requests, errors $(r loss "r['errors']"), p99 $(r loss "r['latency_us']['p99']") us; quic: $(quic loss); nft dropped $drops"
ok "5% drop: requests complete, no errors" clean loss
ok "5% drop: ngtcp2 declared packets lost ($lost; nft dropped $drops of the client's datagrams)" \
	test "$lost" -gt 0 -a "$lost" -le "$drops"
done_testing
