#!/bin/bash
# [event] action = set: shape keys changed in place while traffic runs.
# 1. host tier (htb, what a rate that events change gets): a bulk flow
#    through r1 whose rate drops from 50 to 10 Mbit/s at 3 s: its goodput
#    before and after, from the flow's series, is within 5% of each rate's
#    payload share; the htb class at the end is the one built (its byte
#    counter covers the whole run: never re-added); a
#    ramp (3 steps) and a repeating event are in run.json at their times.
# 2. UML guest (netem): a delay raised from 10 to 50 ms at 2 s, seen by
#    ping; a loss set to 20% at 2 s on the way back, which had no netem (it
#    is built up front, at loss 0), seen in ping's replies and netem's drop
#    counter.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd jq
need_testbed
scratch TMP tb-evset

cat >"$TMP/rate.conf" <<EOC
[topology]
name = line
[node c1]
[node r1]
forward = yes
[node s1]
[link c1-r1]
r1.rate = 1gbit
[link r1-s1]
r1.rate = 50mbit
[experiment]
duration = 6s
kernel = host
capture = no
[flow bulk]
worker = bulk
from = c1
to = s1
[event slow]
at = 3s
link = r1-s1
action = set
r1.rate = 10mbit
# the ack path: a ramp and a repeat that the flow does not notice
[event ramp]
at = 1s
link = c1-r1
action = set
r1.rate = 1gbit..500mbit over 1s
steps = 3
[event again]
at = 4s
every = 500ms
until = 5s
link = c1-r1
action = set
r1.rate = 900mbit
EOC
"$TESTBED" check "$TMP/rate.conf"
is "$?" 0 "the file with a set, a ramp and a repeat checks"
"$TESTBED" run --quiet "$TMP/rate.conf" --out "$TMP/o" >"$TMP/out" 2>"$TMP/err"
is "$?" 0 "the host-tier run completes (exit 0)"
R="$TMP/o/runs/c1-r1/run.json"
S="$TMP/o/runs/c1-r1/flows/bulk.series.jsonl"
diag "goodput per second (Mbit/s): $(jq -r '.goodput_bps / 1e6 | floor' "$S" | paste -sd' ')"
# payload per Ethernet frame of a 1500-byte MTU with timestamps: 1448 / 1514
before=$(jq -s '[.[] | select(.t > 1.5 and .t < 3.05) | .goodput_bps] | add / length' "$S")
after=$(jq -s '[.[] | select(.t > 4.5) | .goodput_bps] | add / length' "$S")
within() { awk -v g="$1" -v r="$2" 'BEGIN { want = r * 1448 / 1514; d = (g - want) / want;
	printf "%.1f Mbit/s (%.1f%% from %.1f)", g / 1e6, d * 100, want / 1e6; exit (d < -0.05 || d > 0.05) }'; }
in5() { within "$@" >/dev/null; }
ok "goodput before the change: $(within "$before" 50e6)" in5 "$before" 50e6
ok "goodput after the change: $(within "$after" 10e6)" in5 "$after" 10e6
htb=$(jq -c '[.r1[] | select(.kind == "htb" and .class and .dev == "eth1")][0] | {handle, bytes, rate: .options.rate_bps}' "$TMP/o/runs/c1-r1/qdisc.json")
diag "r1's htb class toward s1 at the end: $htb"
ok "the htb class ends at 10 Mbit/s" sh -c "echo '$htb' | jq -e '.rate == 10000000' >/dev/null"
# 6 s at 10 Mbit/s is 7.5 MB: more means it counted the 50 Mbit/s seconds too
ok "it is the class built before the run (its bytes cover the 50 Mbit/s seconds)" \
	sh -c "echo '$htb' | jq -e '.bytes > 15000000' >/dev/null"
diag "events: $(jq -c '[.events[] | {name, at_s: (.at_s * 100 | round / 100), due_s, set}]' "$R")"
ok "the rate change is in run.json at 3 s, without error" \
	sh -c "jq -e '[.events[] | select(.name == \"slow\")] | length == 1 and .[0].at_s >= 3 and .[0].at_s < 3.2 and .[0].error == null and (.[0].set | test(\"r1->s1: rate=10Mbit\"))' '$R' >/dev/null"
ok "the ramp: 3 steps at 1, 1.5 and 2 s (1000, 750, 500 Mbit/s)" \
	sh -c "jq -e '[.events[] | select(.name == \"ramp\") | [.due_s, .set]] == [[1, \"r1->c1: rate=1Gbit\"], [1.5, \"r1->c1: rate=750Mbit\"], [2, \"r1->c1: rate=500Mbit\"]]' '$R' >/dev/null"
ok "the repeat: at 4, 4.5 and 5 s" \
	sh -c "jq -e '[.events[] | select(.name == \"again\") | .due_s] == [4, 4.5, 5]' '$R' >/dev/null"
G="$TMP/o/plots/plots.gp"
ok "report's goodput plot marks the change at 3 s, the ramp's and the repeat's steps" \
	sh -c "grep -c 'set arrow from 3.000, graph 0' '$G' >/dev/null && grep -q 'set label \"slow\" at 3.000' '$G' && grep -q 'set arrow from 1.500, graph 0' '$G' && grep -q 'set arrow from 4.500, graph 0' '$G'"

# --- 2. netem in the UML guest ------------------------------------------------
why=$(uml_unavailable)
if [ -n "$why" ]; then
	skip 8 "netem changes need the UML tier: $why"
	done_testing
	exit 0
fi
# ping alone (a bulk flow would queue its probes behind its own window)
cat >"$TMP/netem.conf" <<EOC
[topology]
name = line
[node c1]
[node r1]
forward = yes
[node s1]
[link c1-r1]
[link r1-s1]
r1.delay = 10ms
[experiment]
duration = 5s
kernel = uml
capture = no
[process ping]
node = c1
cmd = ping -4 -n -i 0.1 -w 6 s1
[event slower]
at = 2s
link = r1-s1
action = set
r1.delay = 50ms
[event lossy]
at = 2s
link = s1-r1
action = set
s1.loss = 20%
EOC
"$TESTBED" run --quiet "$TMP/netem.conf" --out "$TMP/g" >"$TMP/g.out" 2>"$TMP/g.err"
rc=$?
is "$rc" 0 "the UML run with a delay and a loss change completes (exit 0)"
[ "$rc" -eq 0 ] || tail -n 20 "$TMP/g.err" | sed 's/^/# /'
P="$TMP/g/runs/c1-r1/processes/ping/stdout"
seqs() { sed -n 's/.*icmp_seq=\([0-9]*\).*time=\([0-9.]*\) ms.*/\1 \2/p' "$P"; }
rtt() { seqs | awk -v lo="$1" -v hi="$2" '$1 >= lo && $1 <= hi { s += $2; n++ }
	END { if (n) printf "%.1f", s / n; else print 0 }'; }
lost() { seqs | awk -v lo="$1" -v hi="$2" '$1 >= lo && $1 <= hi { n++ } END { print hi - lo + 1 - n }'; }
# which probes went before the change and which after: by their rtt (the
# process may start before the measured time), one switch from 10 to 50 ms
diag "ping rtt (ms) by seq: $(seqs | awk '{ printf "%s:%.0f ", $1, $2 }')"
last10=$(seqs | awk '$2 < 30 { s = $1 } END { print s + 0 }')
first50=$(seqs | awk '$2 >= 50 && !f { f = $1 } END { print f + 0 }')
last=$(seqs | awk 'END { print $1 + 0 }')
early=$(rtt 1 "$last10") late=$(rtt "$first50" "$last")
between=$(rtt $((last10 + 1)) $((first50 - 1)))
ok "one switch: probes 1..$last10 at 10 ms, $first50..$last at 50 ms (none between: $between)" \
	sh -c "[ $last10 -ge 5 ] && [ $first50 -gt $last10 ] && [ $((last - first50)) -ge 10 ] && [ $between = 0 ]"
ok "ping's rtt before the change is about 10 ms ($early ms)" awk -v r="$early" 'BEGIN { exit !(r >= 10 && r < 20) }'
ok "ping's rtt after the change is about 50 ms ($late ms)" awk -v r="$late" 'BEGIN { exit !(r >= 50 && r < 60) }'
lost_early=$(lost 1 "$last10") lost_late=$(lost "$first50" "$last")
ok "no reply lost before the loss (lost $lost_early of $last10)" [ "$lost_early" -eq 0 ]
ok "replies lost after it, about 20% (lost $lost_late of $((last - first50 + 1)))" [ "$lost_late" -ge 2 ]
Q="$TMP/g/runs/c1-r1/qdisc.json"
ne=$(jq -c '[.s1[] | select(.kind == "netem")][0] | {handle, drops, loss: .options.loss_pct}' "$Q")
diag "s1's netem toward r1 at the end (built up front for the event, loss 0 until 2 s): $ne"
ok "its drop counter counts the lost replies" sh -c "echo '$ne' | jq -e '.drops >= $lost_late' >/dev/null"
ok "both changes in run.json at 2 s" \
	sh -c "jq -e '[.events[] | select(.error == null and .at_s >= 2 and .at_s < 2.5)] | length == 2' '$TMP/g/runs/c1-r1/run.json' >/dev/null"
no_uml_left
done_testing
