#!/bin/sh
# Every malformed file under tests/malformed/ must make `testbed check` exit 2
# and print exactly the messages recorded beside it in NAME.expected (file,
# line, column, text); a file whose messages are warnings alone (warn-*)
# must exit 0. The shipped topologies and experiments must pass silently,
# but for the warnings about this machine's kernel tiers ("the run will
# fail": a host without bbr and without the UML tier), which are true of
# the machine, not of the file. No root needed.
. "$(dirname "$0")/../tap.sh"
cd "$TOP" || bail "no top directory"
[ -x ./testbed ] || bail "./testbed is not built (run make)"

for f in tests/malformed/*.conf; do
	want=${f%.conf}.expected
	got=$(./testbed check "$f" 2>&1 >/dev/null)
	rc=$?
	want_rc=2
	grep -q ': error: ' "$want" || want_rc=0
	if [ $rc -eq $want_rc ] && [ "$got" = "$(cat "$want")" ]; then
		pass "$f"
	else
		fail "$f (exit $rc)"
		diag "expected:"; sed 's/^/#   /' "$want"
		diag "got:"; printf '%s\n' "$got" | sed 's/^/#   /'
	fi
done
n=$(ls tests/malformed/*.conf | wc -l)
diag "$n malformed files checked"
ok "at least 40 malformed files" [ "$n" -ge 40 ]

# the warnings that depend on this machine, not on the file
machine() { grep -v ': the run will fail$'; }
for f in topologies/*.conf experiments/*.conf; do
	all=$(./testbed check "$f" 2>&1)
	rc=$?
	out=$(printf '%s\n' "$all" | machine)
	[ "$out" = "$all" ] || diag "$f: this machine lacks a kernel tier: $(printf '%s\n' "$all" | grep ': the run will fail$')"
	if [ $rc -eq 0 ] && [ -z "$out" ]; then pass "good file $f is silent"; else
		fail "good file $f (exit $rc)"; printf '%s\n' "$out" | sed 's/^/#   /'; fi
done

out=$(./testbed check topologies/*.conf experiments/*.conf 2>&1)
rc=$?
is "$rc:$(printf '%s\n' "$out" | machine)" "0:" "check of every shipped file at once exits 0 and prints nothing"
done_testing
