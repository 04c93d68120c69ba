#!/bin/sh
# Every worker: --help, bad usage (exit 2, the option named), stops by itself
# at --deadline with a result marked incomplete, and dies with its parent.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip python3
. "$(dirname "$0")/lib-workers.sh"
ALL="tb-server tb-bulk tb-rr tb-churn tb-idle tb-udp tb-synflood"
need_workers $ALL
plan 35

workers_setup life 198.18.4
ip -n $S route add 198.19.128.0/17 via 198.18.4.1

# alive PID: running (a zombie waiting for init to reap it counts as gone)
alive() { [ -r /proc/$1/status ] && ! grep -q '^State:.*Z' /proc/$1/status 2>/dev/null; }
for m in "rr 9000" "sink 9001" "udp 9002"; do
	set -- $m
	server $1 --mode $1 --host 198.18.4.2 --port $2 --deadline 60s
done

# args WORKER: a command line that would run for a long time
args() {
	H="--host 198.18.4.2"
	case $1 in
	tb-server) echo "--mode rr --host 198.18.4.1 --port 9100" ;;
	tb-bulk) echo "$H --port 9001 --cc cubic" ;;
	tb-rr) echo "$H --port 9000 --concurrency 2" ;;
	tb-churn) echo "$H --port 9000 --rate 50" ;;
	tb-idle) echo "$H --port 9000 --count 20" ;;
	tb-udp) echo "$H --port 9002 --rate 200" ;;
	tb-synflood) echo "$H --port 9000 --spoof 198.19.128.0/17 --rate 200" ;;
	esac
}

for w in $ALL; do
	"$W/$w" --help >"$T/help" 2>&1
	ok "$w --help exits 0 and lists --deadline" test $? -eq 0 -a -n "$(grep -e --deadline "$T/help")"
	"$W/$w" $(args $w) --duraton 1s >/dev/null 2>"$T/err"
	rc=$?
	ok "$w: a misspelt option exits 2 and names it" \
		test $rc -eq 2 -a -n "$(grep -e '--duraton (did you mean --duration' "$T/err")"
	"$W/$w" $(args $w) --duration 10 >/dev/null 2>"$T/err"
	rc=$?
	diag "$(head -1 "$T/err")"
	ok "$w: a time without unit exits 2 naming --duration" test $rc -eq 2 -a -n "$(grep -e '--duration' "$T/err")"

	# Deadline: asked to run 30 s, capped at 1 s.
	t0=$(date +%s%N)
	ip netns exec $C "$W/$w" $(args $w) --duration 30s --deadline 1s --result "$T/$w.dl.json" \
		>/dev/null 2>"$T/err"
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	st=$(jget "$T/$w.dl.json" "r['stopped'] + ' ' + str(r['complete']).lower()" 2>/dev/null)
	diag "$w: exited after $ms ms at a 1 s deadline; result: stopped $st"
	ok "$w stops at its deadline (${ms} ms) and writes an incomplete result" \
		test "$ms" -ge 900 -a "$ms" -le 3500 -a "$st" = "deadline false"

	# Parent death: the parent shell is SIGKILLed; the worker must follow.
	rm -f "$T/pid"
	ip netns exec $C sh -c '"$@" & echo $! >"'"$T/pid"'"; wait' sh \
		"$W/$w" $(args $w) --duration 30s --result "$T/$w.pd.json" >/dev/null 2>&1 &
	parent=$!
	i=0; while [ ! -s "$T/pid" ] && [ $i -lt 100 ]; do sleep 0.02; i=$((i + 1)); done
	child=$(cat "$T/pid")
	sleep 0.3
	kill -9 $parent
	i=0; while alive "$child" && [ $i -lt 60 ]; do sleep 0.05; i=$((i + 1)); done
	if alive "$child"; then
		fail "$w dies with its parent"; kill -9 "$child"
	else
		st=$(jget "$T/$w.pd.json" "r['stopped'] + ' ' + str(r['complete']).lower()" 2>/dev/null)
		diag "$w: gone $((i * 50)) ms after its parent was killed; result: stopped $st"
		ok "$w dies with its parent and still writes its result" test "$st" = "signal false"
	fi
done
done_testing
