#!/bin/sh
# tb-udp to tb-server --mode udp with an nftables rule in the receiver's
# namespace that drops N% of the datagrams at random: the receiver reports a
# loss close to N%. The same records over TCP lose nothing. A sender stopped
# for 500 ms (a stall of its host) skips what it missed instead of bursting
# it into the path; with --max-lag 0 it bursts.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip nft python3
. "$(dirname "$0")/lib-workers.sh"
need_workers tb-udp tb-server
plan 13

workers_setup udp 198.18.3
PCT=10
ip netns exec $S nft -f - <<NFT || bail "nft"
table inet tbw {
	chain input {
		type filter hook input priority 0;
		udp dport 9000 numgen random mod 100 < $PCT counter drop
	}
}
NFT

# udp_server TAG: the receiver on port 9000 (UDP and TCP), results in $T/server.TAG.json
udp_server() { server $1 --mode udp --host 198.18.3.2 --port 9000 --deadline 30s; }

udp_server udp
ip netns exec $C "$W/tb-udp" --host 198.18.3.2 --port 9000 --rate 10000 --size 200 \
	--duration 2s --result "$T/udp.json"
is "$?" 0 "tb-udp exits 0"
stop
sent=$(jget "$T/udp.json" "r['sent']")
recv=$(jget "$T/server.udp.json" "r['received']"); lost=$(jget "$T/server.udp.json" "r['lost']")
pct=$(jget "$T/server.udp.json" "round(r['loss_pct'], 2)")
dups=$(jget "$T/server.udp.json" "r['duplicated']"); reord=$(jget "$T/server.udp.json" "r['reordered']")
owd=$(jget "$T/server.udp.json" "r['owd_us']['p50']")
drops=$(ip netns exec $S nft list ruleset | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | head -1)
diag "sent $sent, received $recv, lost $lost ($pct%), duplicated $dups, reordered $reord, owd p50 ${owd} us"
diag "nft counter (oracle): $drops dropped"
ok "about 20000 datagrams sent ($sent)" test "$sent" -ge 19000 -a "$sent" -le 20001
ok "loss close to the rule's $PCT% (got $pct%)" python3 -c "import sys; sys.exit(not (8.5 <= $pct <= 11.5))"
ok "received + lost = sent (the END datagrams carry the count)" test $((recv + lost)) -eq "$sent"
ok "lost matches the nft drop counter within the 3 END datagrams ($lost vs $drops)" \
	python3 -c "import sys; sys.exit(not (0 <= $drops - $lost <= 3))"
ok "no duplicates or reordering on a plain veth" test "$dups" -eq 0 -a "$reord" -eq 0

# The same records over TCP: the drop rule does not match, TCP would retransmit anyway.
udp_server tcp
ip netns exec $C "$W/tb-udp" --host 198.18.3.2 --port 9000 --transport tcp --rate 5000 --size 200 \
	--duration 1s --result "$T/tcp.json"
stop
sent=$(jget "$T/tcp.json" "r['sent']"); recv=$(jget "$T/server.tcp.json" "r['received']")
lost=$(jget "$T/server.tcp.json" "r['lost']")
diag "tcp transport: sent $sent, received $recv, lost $lost"
ok "tcp transport: every record arrives" test "$recv" -eq "$sent" -a "$lost" -eq 0
ok "tcp transport: about 5000 records sent ($sent)" test "$sent" -ge 4750 -a "$sent" -le 5001

# A stall: SIGSTOP the sender for 500 ms at 2,000 datagrams/s, no drop rule.
ip netns exec $S nft flush ruleset
# stalled TAG ARGS...: run tb-udp with ARGS, stopped from 1 s to 1.5 s
stalled() {
	_tag=$1; shift
	udp_server $_tag
	ip netns exec $C "$W/tb-udp" --host 198.18.3.2 --port 9000 --rate 2000 --size 200 \
		--duration 3s --interval 100ms --series "$T/$_tag.series" --result "$T/$_tag.json" "$@" &
	_p=$!
	sleep 1; kill -STOP $_p; sleep 0.5; kill -CONT $_p
	wait $_p
	stop
}
# burst FILE [N]: the most datagrams sent in N consecutive 100 ms intervals (1)
burst() { python3 -c "import json,sys; s=[json.loads(l)['sent'] for l in open(sys.argv[1])]; n=int(sys.argv[2]); print(max(sum(s[i:i + n]) for i in range(len(s) - n + 1)))" "$1" "${2:-1}"; }
stalled skip
sent=$(jget "$T/skip.json" "r['sent']"); skipped=$(jget "$T/skip.json" "r['skipped']")
stalls=$(jget "$T/skip.json" "r['stalls']"); lag=$(jget "$T/skip.json" "r['lag_max_us']")
lost=$(jget "$T/server.skip.json" "r['lost']"); b=$(burst "$T/skip.series")
diag "stopped 500 ms: sent $sent, skipped $skipped in $stalls stall(s), longest lag ${lag} us, lost $lost, most in 100 ms: $b"
# at least the 500 ms stop (1000 at 2000/s, less the 20 ms allowance); more
# when the host itself stalls the sender too: then about rate x longest lag
want=$(( lag / 500 - 40 )); [ "$want" -lt 960 ] && want=960
ok "the missed 500 ms are skipped, not sent ($skipped; want >= $want from 2000/s x the longest lag less 20 ms)" \
	test "$skipped" -ge $((want - 10))
ok "sent + skipped = the schedule's 6000 ($((sent + skipped)))" test $((sent + skipped)) -ge 5900 -a $((sent + skipped)) -le 6001
ok "no burst after the stall: at most 300 in any 100 ms interval ($b; the rate gives 200)" test "$b" -le 300
ok "nothing lost, no sequence number spent on skipped datagrams (lost $lost)" test "$lost" -eq 0
stalled burst --max-lag 0
sent=$(jget "$T/burst.json" "r['sent']"); skipped=$(jget "$T/burst.json" "r['skipped']")
b=$(burst "$T/burst.series"); b2=$(burst "$T/burst.series" 2)
diag "--max-lag 0: sent $sent, skipped $skipped, most in 100 ms: $b, in 200 ms: $b2"
# two intervals: the catch-up may straddle an interval's end (the rate gives
# 400 in 200 ms)
ok "--max-lag 0 catches up: nothing skipped, the 1000 missed go out at once ($b2 in 200 ms)" \
	test "$skipped" -eq 0 -a "$b2" -ge 900
done_testing
