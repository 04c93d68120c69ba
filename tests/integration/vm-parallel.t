#!/bin/sh
# UML tier: guests started at the same time get distinct ids, run side by
# side (each sees its own kernel: a qdisc added in one is not in the other),
# and each one's exit status comes back to its own caller.
. "$(dirname "$0")/../tap.sh"
need_cmd tc
need_uml
scratch T tbu-vmpar

plan 7

# Guest 1 adds netem and waits until guest 2 is up too, so they overlap;
# guest 2 checks that its lo has no netem (separate kernels), then each
# exits with its own status.
"$TESTBED" guest --modules sch_netem --timeout 60s -- /bin/sh -c "
	tc qdisc add dev lo root netem delay 5ms || exit 99
	touch $T/g1; i=0
	while [ ! -e $T/g2 ] && [ \$i -lt 300 ]; do sleep 0.1; i=\$((i+1)); done
	[ -e $T/g2 ] && exit 3 || exit 98" >"$T/out1" 2>"$T/err1" &
p1=$!
"$TESTBED" guest --modules sch_netem --timeout 60s -- /bin/sh -c "
	touch $T/g2; i=0
	while [ ! -e $T/g1 ] && [ \$i -lt 300 ]; do sleep 0.1; i=\$((i+1)); done
	[ -e $T/g1 ] || exit 98
	tc qdisc show dev lo | grep -q netem && exit 97
	exit 4" >"$T/out2" 2>"$T/err2" &
p2=$!
wait $p1; rc1=$?
wait $p2; rc2=$?
id1=$(sed -n 's/^testbed: guest \([^:]*\):.*/\1/p' "$T/err1")
id2=$(sed -n 's/^testbed: guest \([^:]*\):.*/\1/p' "$T/err2")
diag "guest 1: $(cat "$T/err1")"
diag "guest 2: $(cat "$T/err2")"
is "$rc1" 3 "guest 1's status (3) comes back to its caller"
is "$rc2" 4 "guest 2's status (4) comes back to its caller (and it saw no netem of guest 1)"
ok "both guests report an id" test -n "$id1" -a -n "$id2"
ok "the ids differ" [ "$id1" != "$id2" ]
ok "no ~/.uml state was created" test ! -e "$HOME/.uml/$id1" -a ! -e "$HOME/.uml/$id2"
left=$(ls -d "$T"/testbed-vm-* 2>/dev/null)
is "$left" "" "no state directory left behind"
is "$(uml_procs "$T")" "" "no linux.uml process of ours is left"
done_testing
