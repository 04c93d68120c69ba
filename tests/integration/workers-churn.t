#!/bin/sh
# tb-churn with a narrowed ephemeral port range: TIME-WAIT holds every port
# and connect() fails with EADDRNOTAVAIL, which the worker counts.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip ss python3
W="$TOP/workers"
[ -x "$W/tb-churn" ] && [ -x "$W/tb-server" ] || skip_all "workers not built (run make)"
plan 5

C=tbw-c-$$ S=tbw-s-$$ T=/tmp/tbw-churn-$$
mkdir -p "$T"; defer rm -rf "$T"
ip netns add $C || bail "ip netns add"; defer ip netns del $C
ip netns add $S || bail "ip netns add"; defer ip netns del $S
ip link add tbwc$$ netns $C type veth peer name tbws$$ netns $S || bail "veth"
ip -n $C addr add 198.18.1.1/24 dev tbwc$$; ip -n $S addr add 198.18.1.2/24 dev tbws$$
for n in $C $S; do ip -n $n link set lo up; done
ip -n $C link set tbwc$$ up; ip -n $S link set tbws$$ up
# 200 ports, no TIME-WAIT reuse: the client runs dry after 200 connections.
ip netns exec $C sysctl -qw net.ipv4.ip_local_port_range="40000 40199" net.ipv4.tcp_tw_reuse=0 ||
	bail "sysctl in $C"

jget() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"; }

ip netns exec $S "$W/tb-server" --mode rr --host 198.18.1.2 --port 9000 --deadline 30s \
	--ready "$T/ready" --result "$T/server.json" >/dev/null &
defer kill $! 2>/dev/null
i=0; while [ ! -f "$T/ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -f "$T/ready" ] || bail "tb-server did not start"

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
ok "about as many connects as ports (${con}, 200 ports)" test "$con" -ge 190 -a "$con" -le 200
ok "first failure near 200/500 s = 0.4 s (got ${ff}s)" \
	python3 -c "import sys; sys.exit(not (0.3 <= $ff <= 0.7))"
ok "ss confirms the ports sit in TIME-WAIT ($twc)" test "$twc" -ge 190 -a "$twc" -le 200
done_testing
