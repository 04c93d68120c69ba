#!/bin/sh
# Every malformed file under tests/malformed/ must make `testbed check` exit 2
# and print exactly the messages recorded beside it in NAME.expected (file,
# line, column, text). The shipped topologies and experiments must pass
# silently. No root needed.
. "$(dirname "$0")/../tap.sh"
cd "$TOP" || bail "no top directory"
[ -x ./testbed ] || bail "./testbed is not built (run make)"

for f in tests/malformed/*.conf; do
	want=${f%.conf}.expected
	got=$(./testbed check "$f" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 2 ] && [ "$got" = "$(cat "$want")" ]; then
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

for f in topologies/*.conf experiments/*.conf; do
	out=$(./testbed check "$f" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then pass "good file $f is silent"; else
		fail "good file $f (exit $rc)"; printf '%s\n' "$out" | sed 's/^/#   /'; fi
done

out=$(./testbed check topologies/*.conf experiments/*.conf 2>&1)
is "$?:$out" "0:" "check of every shipped file at once exits 0 and prints nothing"
done_testing
