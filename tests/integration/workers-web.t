#!/bin/sh
# tb-web client against tb-web --serve between two namespaces: TLS 1.2 and
# 1.3 as a capture shows them, the key log decrypting HTTP/2, session
# tickets, 0-RTT early data, TCP Fast Open (a SYN that carries the request),
# HTTP/1.1 and HTTP/2 request counts, and bad options. The host kernel has
# no netem: counts are asserted, not times.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip python3 tshark dumpcap
. "$(dirname "$0")/lib-workers.sh"
need_workers tb-web
plan 23

workers_setup web 198.18.9
IFC=tbwc$$
CERT="--cert $T/cert.pem --key $T/key.pem"

# websrv PORT ARGS...: a tb-web server on PORT in $S (result $T/srv.PORT.json)
websrv() {
	_p=$1; shift
	ip netns exec $S "$W/tb-web" --serve --host 198.18.9.2 --port $_p --deadline 60s $CERT \
		--ready "$T/ready.$_p" --result "$T/srv.$_p.json" "$@" >/dev/null &
	SPID=$!
	defer kill $SPID 2>/dev/null
	wait_for test -f "$T/ready.$_p" || bail "tb-web --serve on $_p did not start"
}
# web OUT PORT ARGS...: the client in $C, result $T/OUT.json (its stderr
# printed when it fails)
web() {
	_o=$1 _p=$2; shift 2
	ip netns exec $C "$W/tb-web" --host 198.18.9.2 --port $_p --result "$T/$_o.json" "$@" 2>"$T/$_o.err"
	_rc=$?
	[ $_rc -eq 0 ] || { diag "tb-web $_o exited $_rc:"; sed 's/^/#   /' "$T/$_o.err"; }
}
# cap_start NAME / cap_stop: a capture on the client's veth into $T/NAME.pcap
# (dumpcap, bounded with -a duration)
cap_start() {
	ip netns exec $C dumpcap -q -i $IFC -f tcp -a duration:15 -w "$T/$1.pcap" 2>"$T/$1.dumpcap" &
	CPID=$!
	defer kill $CPID 2>/dev/null
	wait_for grep -qs Capturing "$T/$1.dumpcap" || bail "dumpcap did not start"
}
cap_stop() { sleep 0.2; kill $CPID; wait $CPID 2>/dev/null; }
ts() { _f=$1; shift; tshark -r "$T/$_f.pcap" "$@" 2>/dev/null; }
r() { jget "$T/$1.json" "$2"; }
clean() { test "$(r "$1" "r['complete'] and not r['errors'] and r['requests'] > 0")" = True; }

# 1. TLS 1.2 and 1.3: the handshakes complete and the capture says which.
for v in 1.2 1.3; do
	p=$((9400 + ${v#1.}))
	websrv $p --tls $v
	cap_start tls$v
	web tls$v $p --tls $v --ca "$T/cert.pem" --conn per-request --rate 100 --duration 1s
	cap_stop
	n=$(r tls$v "r['requests']"); h=$(r tls$v "r['handshakes']"); tv=$(r tls$v "r['tls_version']")
	sv=$(ts tls$v -d tcp.port==$p,tls -Y 'tls.handshake.type==2' -T fields \
		-e tls.handshake.extensions.supported_version -e tls.handshake.version | sort | uniq -c | tr '\n' ';')
	diag "TLS $v: $n requests, $h handshakes, tls_version $tv, hs p50 $(r tls$v "r['handshake_us']['p50']") us; ServerHello (supported_version, version): $sv"
	ok "TLS $v: $h handshakes, $n requests, no errors" clean tls$v
	case $v in
	1.2) ok "TLS 1.2: the ServerHellos say 0x0303 and never 0x0304 ($sv)" \
		sh -c "echo '$sv' | grep -q 0x0303 && ! echo '$sv' | grep -q 0x0304" ;;
	1.3) ok "TLS 1.3: the ServerHellos carry supported_version 0x0304 ($sv)" \
		sh -c "echo '$sv' | grep -q 0x0304" ;;
	esac
	ok "TLS $v: the result says $tv" test "$tv" = "TLS$v"
done

# 2. The key log decrypts HTTP/2 in the capture.
websrv 9410 --tls 1.3 --http 2
cap_start h2
web h2tls 9410 --tls 1.3 --http 2 --ca "$T/cert.pem" --keylog "$T/keys" --pool 2 --streams 4 --rate 200 --duration 1s
cap_stop
n=$(r h2tls "r['requests']")
paths=$(ts h2 -o "tls.keylog_file:$T/keys" -d tcp.port==9410,tls -Y 'http2.type==1' -T fields -e http2.headers.path | sort | uniq -c | tr '\n' ';')
diag "HTTP/2 over TLS 1.3: $n requests, alpn $(r h2tls "r['alpn']"), key log $(wc -l <"$T/keys") lines; decrypted :path values: $paths"
ok "HTTP/2 over TLS: $n requests at 200/s, no errors, alpn h2" \
	sh -c "test '$(r h2tls "r['alpn'] == 'h2' and 150 <= r['requests'] <= 210 and not r['errors']")' = True"
ok "tshark with the key log decrypts HTTP/2 HEADERS (:path /64)" sh -c "echo '$paths' | grep -q '/64'"

# 3. Session tickets: every connection after the first resumes.
for v in 1.2 1.3; do
	p=$((9420 + ${v#1.}))
	websrv $p --tls $v
	web tick$v $p --tls $v --ca "$T/cert.pem" --resume ticket --conn per-request --rate 200 --duration 1s
	kill $SPID; wait_for pid_gone $SPID
	h=$(r tick$v "r['handshakes']"); res=$(r tick$v "r['resumed']"); sres=$(r srv.$p "r['resumed']")
	diag "--resume ticket, TLS $v: $h handshakes, resumed $res (server $sres)"
	ok "TLS $v tickets: resumed $res of $h handshakes (all but the first), server agrees ($sres)" \
		python3 -c "import sys; h=$h; r=$res; s=$sres; sys.exit(not (h >= 150 and r >= h - 2 and abs(s - r) <= 1))"
done

# --no-tickets: the server issues none, so a client that would resume cannot
websrv 9425 --tls 1.3 --no-tickets
web notick 9425 --tls 1.3 --ca "$T/cert.pem" --resume ticket --conn per-request --rate 200 --duration 1s
kill $SPID; wait_for pid_gone $SPID
h=$(r notick "r['handshakes']"); res=$(r notick "r['resumed']"); sres=$(r srv.9425 "r['resumed']")
diag "--no-tickets server, --resume ticket client: $h handshakes, resumed $res (server $sres)"
ok "--no-tickets: none of $h handshakes resumed (client $res, server $sres)" \
	python3 -c "import sys; sys.exit(not ($h >= 150 and $res == 0 and $sres == 0))"
ok "--no-tickets: no errors" clean notick

# 4. 0-RTT: the request rides in the ClientHello and the server takes it.
websrv 9430 --tls 1.3
web early 9430 --tls 1.3 --ca "$T/cert.pem" --resume early --conn per-request --rate 200 --duration 1s
kill $SPID; wait_for pid_gone $SPID
h=$(r early "r['handshakes']"); ea=$(r early "r['early_accepted']"); er=$(r early "r['early_rejected']")
sea=$(r srv.9430 "r['early_accepted']"); sreq=$(r srv.9430 "r['requests']"); n=$(r early "r['requests']")
diag "--resume early: $h handshakes, early_accepted $ea, rejected $er; server early_accepted $sea, requests $sreq (client $n); ttfb p50 $(r early "r['ttfb_us']['p50']") us"
ok "0-RTT accepted on $ea of $h handshakes, the server counts $sea" \
	python3 -c "import sys; h=$h; e=$ea; s=$sea; sys.exit(not (e > 0 and e >= h - 2 and abs(s - e) <= 1))"
ok "0-RTT: each request answered once ($sreq server, $n client), no errors" \
	python3 -c "import sys; sys.exit(not ($sreq - $n <= 1 and $n >= 150 and '$(r early "bool(r['errors'])")' == 'False'))"

# A server restarted mid-run has a new ticket key: it rejects the 0-RTT
# data of the next connection, which sends its request again after the
# handshake, so every request is answered once.
websrv 9431 --tls 1.3
web rej 9431 --tls 1.3 --ca "$T/cert.pem" --resume early --conn per-request --rate 100 --duration 2s &
WPID=$!
sleep 0.7
kill $SPID; wait_for pid_gone $SPID
mv "$T/srv.9431.json" "$T/srv.9431a.json"; rm -f "$T/ready.9431"
websrv 9431 --tls 1.3
wait $WPID
kill $SPID; wait_for pid_gone $SPID
n=$(r rej "r['requests']"); rj=$(r rej "r['early_rejected']"); ea=$(r rej "r['early_accepted']")
sa=$(r srv.9431a "r['requests']"); sb=$(r srv.9431 "r['requests']")
diag "server restarted mid-run: $n requests, early_accepted $ea, early_rejected $rj, errors $(r rej "r['errors']"); servers answered $sa + $sb"
ok "0-RTT rejected by a restarted server ($rj) is sent again: $n requests, $sa + $sb answered" \
	python3 -c "import sys; sys.exit(not ($rj >= 1 and $n >= 150 and $sa + $sb - $n <= 1 and $sa + $sb >= $n))"

# 5. TCP Fast Open: cleartext HTTP/1.1, then TLS 1.3 with 0-RTT.
websrv 9440 --tfo
cap_start tfo
web tfo 9440 --tfo --conn per-request --rate 200 --duration 1s
cap_stop
kill $SPID; wait_for pid_gone $SPID
h=$(r tfo "r['handshakes']"); t=$(r tfo "r['tfo_syn_data']"); sys=$(r srv.9440 "r['tcp_fastopen_sysctl']")
syn=$(ts tfo -Y 'tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.len>0' | wc -l)
get=$(ts tfo -Y 'tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.len>0' -d tcp.port==9440,http -T fields -e http.request.uri | sort | uniq -c | tr '\n' ';')
diag "--tfo: $h handshakes, tfo_syn_data $t; server sysctl $sys; SYNs with payload in the capture: $syn ($get)"
ok "TFO: $t of $h handshakes had data on the SYN (all but the first)" \
	python3 -c "import sys; h=$h; t=$t; sys.exit(not (h >= 150 and t >= h - 2))"
ok "TFO: the capture shows $syn SYNs with payload, carrying GET /64" \
	sh -c "test $syn -ge $((t - 2)) -a $syn -gt 0 && echo '$get' | grep -q '/64'"
ok "TFO: the server set net.ipv4.tcp_fastopen's server bit ($sys)" \
	python3 -c "import sys; d=$sys; sys.exit(not (d['new'] & 2))"
ok "TFO: no errors" clean tfo

websrv 9441 --tfo --tls 1.3
web tfotls 9441 --tfo --tls 1.3 --ca "$T/cert.pem" --resume early --conn per-request --rate 200 --duration 1s
h=$(r tfotls "r['handshakes']"); t=$(r tfotls "r['tfo_syn_data']"); ea=$(r tfotls "r['early_accepted']")
diag "--tfo --tls 1.3 --resume early: $h handshakes, tfo_syn_data $t, early_accepted $ea, ttfb p50 $(r tfotls "r['ttfb_us']['p50']") us"
ok "TFO + TLS 1.3 + 0-RTT: $t SYNs with data and $ea early accepted of $h" \
	python3 -c "import sys; h=$h; t=$t; e=$ea; sys.exit(not (h >= 150 and t >= h - 2 and e >= h - 2))"

# 6. HTTP/1.1 and HTTP/2 in the clear, closed loop: the counts agree.
for h in 1.1 2; do
	p=$((9450 + ${h%.*}))
	websrv $p --http $h
	case $h in 2) extra="--pool 2 --streams 8" ;; *) extra="--pool 2" ;; esac
	web clear$h $p --http $h $extra --duration 1s --nodelay
	kill $SPID; wait_for pid_gone $SPID
	n=$(r clear$h "r['requests']"); sn=$(r srv.$p "r['requests']"); sp=$(r clear$h "r['stream_p99_us']")
	diag "HTTP/$h cleartext closed loop ($extra): $n requests (server $sn), p50 $(r clear$h "r['latency_us']['p50']") us, stream_p99_us $sp"
	ok "HTTP/$h: $n requests, no errors, the server answered as many ($sn)" \
		sh -c "clean() { test \"\$(python3 -c \"import json; r=json.load(open('$T/clear$h.json')); print(r['complete'] and not r['errors'] and r['requests'] > 100)\")\" = True; }; clean && test $sn -ge $n -a $sn -le $((n + 16))"
done

# 7. Bad option values are usage errors (exit 2).
bad=
for a in "--tls 1.4" "--http 4" "--resume early --tls 1.2" "--resume ticket" "--streams 4 --http 1.1" "--conn sometimes" "--rate -1" "--no-tickets --tls 1.3"; do
	"$W/tb-web" --host 127.0.0.1 --duration 1s $a >/dev/null 2>&1
	rc=$?; [ $rc -eq 2 ] || bad="$bad [$a: $rc]"
done
ok "bad option values exit 2${bad:+:$bad}" test -z "$bad"
done_testing
