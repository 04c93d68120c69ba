#!/bin/sh
# tb-synflood against a small-backlog listener that never accepts, with
# tcp_syncookies=1: the SYN queue fills and the kernel answers with cookies
# (TcpExtSyncookiesSent in the server namespace's /proc/net/netstat rises).
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip python3
. "$(dirname "$0")/lib-workers.sh"
need_workers tb-synflood tb-server
plan 7

workers_setup syn 198.18.2
# The SYN-ACKs to the spoofed sources need a route: send them to the client
# namespace, which does not forward and drops them (a black hole inside the test).
ip -n $S route add 198.19.128.0/17 via 198.18.2.1 || bail "route"
ip netns exec $S sysctl -qw net.ipv4.tcp_syncookies=1 || bail "sysctl"


# Backlog 8, and no accept for longer than the test.
server rr --mode rr --host 198.18.2.2 --port 9000 --backlog 8 --accept-delay 50s --deadline 30s

c0=$(tcpext SyncookiesSent); q0=$(tcpext TCPReqQFullDoCookies)
ip netns exec $C "$W/tb-synflood" --host 198.18.2.2 --port 9000 --spoof 198.19.128.0/17 \
	--rate 20000 --duration 2s --result "$T/flood.json"
rc=$?
c1=$(tcpext SyncookiesSent); q1=$(tcpext TCPReqQFullDoCookies)
is "$rc" 0 "tb-synflood exits 0"
sent=$(jget "$T/flood.json" "r['sent']"); pps=$(jget "$T/flood.json" "round(r['pps'])")
diag "flood: $sent SYNs in 2 s ($pps/s); SyncookiesSent +$((c1 - c0)), TCPReqQFullDoCookies +$((q1 - q0))"
ok "the worker sent about rate x duration SYNs ($sent, want 40000 +-5%)" test "$sent" -ge 38000 -a "$sent" -le 42000
ok "TcpExtSyncookiesSent rises ($c0 -> $c1)" test $((c1 - c0)) -gt 1000
ok "most SYNs were answered with a cookie" test $((c1 - c0)) -ge $((sent / 2))

# Refusals: a source prefix outside private/benchmark space, a rate above the cap.
ip netns exec $C "$W/tb-synflood" --host 198.18.2.2 --port 9000 --spoof 8.8.0.0/16 --duration 1s 2>"$T/err"
is "$?" 2 "a public --spoof prefix is refused with exit 2"
ip netns exec $C "$W/tb-synflood" --host 198.18.2.2 --port 9000 --spoof 198.19.0.0/16 --rate 300000 2>>"$T/err"
is "$?" 2 "a rate above the hard cap is refused"
ip netns exec $C "$W/tb-synflood" --host 198.18.2.2 --port 9000 --spoof 198.19.0.0/16 --duration 61s 2>>"$T/err"
is "$?" 2 "a duration above the 60 s cap is refused"
while read -r l; do diag "$l"; done <"$T/err"
done_testing
