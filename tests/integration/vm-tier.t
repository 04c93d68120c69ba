#!/bin/sh
# Kernel feature probe and tier choice (no guest is booted). The probe's
# verdict for each qdisc kind is checked against tc in a scratch netns.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd tc ip
[ -x "$TESTBED" ] || skip_all "build testbed first (make)"

NS=tbu-tier-$$
ip netns add "$NS" || bail "cannot create netns $NS"
defer ip netns del "$NS"

plan 9

out=$("$TESTBED" probe)
is "$?" 0 "testbed probe succeeds"
diag "$(echo "$out" | grep -E 'kernel|qdiscs|cc:|took')"
took=$(echo "$out" | sed -n 's/^probe took: *\([0-9.]*\) ms/\1/p')
# its speed is bench/vm's business (tests do not assert timings); here: it says
ok "the probe reports how long it took (${took} ms)" awk -v t="$took" 'BEGIN { exit !(t > 0) }'

# Oracle: tc in a namespace of our own. A kind tc can add is present.
agree=0; disagree=""
for k in netem tbf htb fq_codel codel fq cake sfq prio pie; do
	args=""
	[ $k = tbf ] && args="rate 1mbit burst 10k latency 10ms"
	if ip netns exec "$NS" tc qdisc replace dev lo root $k $args 2>/dev/null; then tc_has=1; else tc_has=0; fi
	if echo "$out" | grep -E '^qdiscs:' | grep -qw "$k"; then p_has=1; else p_has=0; fi
	if [ $tc_has = $p_has ]; then agree=$((agree + 1)); else disagree="$disagree $k(tc=$tc_has,probe=$p_has)"; fi
done
is "$disagree" "" "the probe agrees with tc on all 10 qdisc kinds ($agree agree)"
avail=$(cat /proc/sys/net/ipv4/tcp_available_congestion_control)
ok "congestion controls are the kernel's" sh -c 'echo "$1" | grep -qx "cc: *$2"' - "$out" "$avail"

# Tier choice. Something the host lacks (if anything) goes to UML.
missing=$(echo "$out" | sed -n 's/^no qdiscs: *//p' | tr -d ' ' | cut -d, -f1)
if [ -n "$missing" ] && [ "$missing" != "-" ] && ! echo "$out" | grep -q '^uml tier: *unavailable'; then
	t=$("$TESTBED" probe --qdiscs "$missing" | sed -n 's/^tier: *//p')
	is "$t" uml "auto picks uml for $missing, which the host lacks"
	"$TESTBED" probe --kernel host --qdiscs "$missing" >/dev/null 2>/dev/null || rc=$?
	is "${rc:-0}" 3 "--kernel host exits 3 when the host lacks $missing"
else
	skip "the host has every probed qdisc or the UML tier is unavailable"
	skip "the host has every probed qdisc or the UML tier is unavailable"
fi
t=$("$TESTBED" probe --qdiscs htb,tbf --ccs cubic | sed -n 's/^tier: *//p')
is "$t" host "auto picks the host for htb, tbf, cubic"
err=$(TB_UML_KERNEL=/nonexistent "$TESTBED" probe --qdiscs fq_pie,netem 2>&1 >/dev/null)
rc=$?
is "$rc" 3 "nothing provides fq_pie without UML: exit 3"
ok "the message names the missing pieces and the package" \
	sh -c 'echo "$1" | grep -q "fq_pie" && echo "$1" | grep -q "apt-get install user-mode-linux"' - "$err"
diag "$err"
done_testing
