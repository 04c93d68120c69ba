#!/bin/sh
# tb-synflood against a small-backlog listener that never accepts, with
# tcp_syncookies=1: the SYN queue fills and the kernel answers with cookies
# (TcpExtSyncookiesSent in the server namespace's /proc/net/netstat rises).
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip python3
W="$TOP/workers"
[ -x "$W/tb-synflood" ] && [ -x "$W/tb-server" ] || skip_all "workers not built (run make)"
plan 7

C=tbw-c-$$ S=tbw-s-$$ T=/tmp/tbw-syn-$$
mkdir -p "$T"; defer rm -rf "$T"
ip netns add $C || bail "ip netns add"; defer ip netns del $C
ip netns add $S || bail "ip netns add"; defer ip netns del $S
ip link add tbwc$$ netns $C type veth peer name tbws$$ netns $S || bail "veth"
ip -n $C addr add 198.18.2.1/24 dev tbwc$$; ip -n $S addr add 198.18.2.2/24 dev tbws$$
for n in $C $S; do ip -n $n link set lo up; done
ip -n $C link set tbwc$$ up; ip -n $S link set tbws$$ up
# The SYN-ACKs to the spoofed sources need a route: send them to the client
# namespace, which does not forward and drops them (a black hole inside the test).
ip -n $S route add 198.19.128.0/17 via 198.18.2.1 || bail "route"
ip netns exec $S sysctl -qw net.ipv4.tcp_syncookies=1 || bail "sysctl"

jget() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"; }
# tcpext NAME: a TcpExt counter of the server namespace
tcpext() {
	ip netns exec $S cat /proc/net/netstat | awk -v k="$1" '
		/^TcpExt:/ { if (!h) { for (i = 2; i <= NF; i++) n[i] = $i; h = 1 } else
			for (i = 2; i <= NF; i++) if (n[i] == k) print $i }'
}

# Backlog 8, and no accept for longer than the test.
ip netns exec $S "$W/tb-server" --mode rr --host 198.18.2.2 --port 9000 --backlog 8 \
	--accept-delay 50s --deadline 30s --ready "$T/ready" --result "$T/server.json" >/dev/null &
defer kill $! 2>/dev/null
i=0; while [ ! -f "$T/ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -f "$T/ready" ] || bail "tb-server did not start"

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
