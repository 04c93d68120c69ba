#!/bin/sh
# tb-bulk against tb-server --mode sink, checked against independent
# counters: the veth's rx_bytes, a tbf rate limit, and an exact byte count.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip tc python3
. "$(dirname "$0")/lib-workers.sh"
need_workers tb-bulk tb-server
plan 8

workers_setup bulk 198.18.6

rxb() { ip netns exec $S cat /sys/class/net/tbws$$/statistics/rx_bytes; }
# sink PORT: a sink server until stopped
sink() { server $1 --mode sink --host 198.18.6.2 --port $1 --deadline 60s; }

# 1. An exact byte count: every byte arrives, the sink agrees.
sink 9001
ip netns exec $C "$W/tb-bulk" --host 198.18.6.2 --port 9001 --bytes 50m --result "$T/bytes.json"
is "$?" 0 "tb-bulk --bytes 50m exits 0"
stop
b=$(jget "$T/bytes.json" "r['bytes']"); sb=$(jget "$T/server.9001.json" "r['bytes']")
diag "--bytes 50m: tb-bulk reports $b, the sink read $sb ($(jget "$T/bytes.json" "round(r['goodput_bps']/1e6)") Mbit/s)"
is "$b" 52428800 "tb-bulk reports exactly 50 MiB delivered"
is "$sb" 52428800 "the sink read exactly 50 MiB"

# 2. Unshaped, CUBIC, 2 s: goodput vs the bytes the receiving veth counted.
sink 9002
r0=$(rxb)
ip netns exec $C "$W/tb-bulk" --host 198.18.6.2 --port 9002 --cc cubic --duration 2s --result "$T/free.json"
stop
r1=$(rxb)
b=$(jget "$T/free.json" "r['bytes']"); g=$(jget "$T/free.json" "round(r['goodput_bps']/1e6)")
diag "cubic unshaped: $b bytes acked ($g Mbit/s); veth rx_bytes +$((r1 - r0)) (headers included)"
ok "goodput bytes match the veth counter within 5% (headers are < 5% with GSO)" \
	python3 -c "import sys; b=$b; r=$((r1 - r0)); sys.exit(not (0.95 * r <= b <= r))"
is "$(jget "$T/free.json" "r['cc']")" cubic "the kernel reports the requested congestion control"

# 3. tbf at 100 Mbit/s on the client's egress, BBR: goodput sits just under it.
ip netns exec $C ethtool -K tbwc$$ tso off gso off >/dev/null 2>&1
tc -n $C qdisc add dev tbwc$$ root tbf rate 100mbit burst 32k latency 50ms || bail "tc tbf"
sink 9003
ip netns exec $C "$W/tb-bulk" --host 198.18.6.2 --port 9003 --cc bbr --duration 3s \
	--result "$T/tbf.json" --interval 500ms
stop
g=$(jget "$T/tbf.json" "round(r['goodput_bps']/1e6, 1)")
last=$(jget "$T/tbf.json" "round(r['intervals'][-1]['goodput_bps']/1e6, 1)")
diag "bbr through tbf 100mbit: goodput $g Mbit/s over 3 s, last interval $last Mbit/s"
ok "goodput under a 100 Mbit/s tbf is 85..100 Mbit/s ($g)" python3 -c "import sys; sys.exit(not (85 <= $g <= 100))"
ok "intervals are reported ($(jget "$T/tbf.json" "len(r['intervals'])") of 500 ms)" \
	test "$(jget "$T/tbf.json" "len(r['intervals'])")" -ge 5

# 4. A stall: the sender stopped 500 ms. The line written on waking covers the
# whole stall; the next ones come an interval apart again (they came
# microseconds apart, one per missed interval, with goodputs over those
# microseconds).
sink 9004
ip netns exec $C "$W/tb-bulk" --host 198.18.6.2 --port 9004 --duration 2s --interval 100ms \
	--series "$T/stall.series" --result "$T/stall.json" >/dev/null &
_p=$!
sleep 1; kill -STOP $_p; sleep 0.5; kill -CONT $_p
wait $_p
stop
gaps=$(python3 -c "import json,sys; t=[json.loads(l)['t'] for l in open(sys.argv[1])]; print(' '.join('%.3f' % (b - a) for a, b in zip(t, t[1:])))" "$T/stall.series")
diag "stopped 500 ms: seconds between series lines: $gaps"
ok "no two series lines less than half an interval apart" \
	python3 -c "import sys; g=[float(x) for x in '$gaps'.split()]; sys.exit(not (len(g) >= 10 and min(g) >= 0.05 and max(g) >= 0.5))"
done_testing
