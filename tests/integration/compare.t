#!/bin/bash
# testbed compare on real host-kernel runs: a bulk flow over c1 - r1 - s1
# with the router's egress to s1 rate-limited (tbf only, no netem), 1 s x 3
# repeats, at 50 Mbit/s and at a worse 10 Mbit/s (a copy of the file).
# Against itself nothing is significant and the --fail-if gate exits 0;
# against the worse run goodput is flagged significant and the gate exits 1;
# another experiment is refused (exit 2) unless --force. run --junit writes
# a file that validates against tests/junit.xsd.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip jq
need_testbed
scratch TMP tb-cmp
exp() { # exp NAME RATE
	cat <<CONF
[experiment]
name = $1
topology = $TOP/tests/integration/chain3.conf
duration = 1s
repeat = 3
seed = 5
[link r1-s1]
r1.rate = $2
[flow bulk]
worker = bulk
from = c1
to = s1
[expect]
moves = goodput(bulk) > 20mbit
CONF
}
exp cmp_chain 50mbit >"$TMP/good.conf"
exp cmp_chain 10mbit >"$TMP/worse.conf"
exp cmp_other 50mbit >"$TMP/other.conf"

"$TESTBED" run --quiet "$TMP/good.conf" --out "$TMP/good" --junit "$TMP/good.xml" >/dev/null 2>"$TMP/good.err"
is "$?" 0 "the 50 Mbit/s run: exit 0"
"$TESTBED" run --quiet "$TMP/worse.conf" --out "$TMP/worse" --junit "$TMP/worse.xml" >/dev/null 2>"$TMP/worse.err"
is "$?" 1 "the 10 Mbit/s run: exit 1 (its expectation 'moves' fails)"
"$TESTBED" run --quiet "$TMP/other.conf" --out "$TMP/other" --repeat 1 >/dev/null 2>&1
g() { jq -r '.cases[0].flows.bulk.metrics.goodput | "\(.median) [\(.ci95_low), \(.ci95_high)] n=\(.n)"' "$1/summary.json"; }
diag "goodput 50mbit: $(g "$TMP/good")"
diag "goodput 10mbit: $(g "$TMP/worse")"

gate='goodput(bulk) < 0.9 * base(goodput(bulk))'
"$TESTBED" compare "$TMP/good" "$TMP/good" --fail-if "$gate" --json >"$TMP/self.json" 2>"$TMP/self.err"
is "$?" 0 "compare of a run against itself with --fail-if '$gate': exit 0"
is "$(jq '.significant' "$TMP/self.json")" 0 "... no significant change ($(jq .rows "$TMP/self.json") statistics)"

"$TESTBED" compare "$TMP/good" "$TMP/worse" --fail-if "$gate" --junit "$TMP/cmp.xml" >"$TMP/worse.md" 2>"$TMP/cmp.err"
is "$?" 1 "against the 10 Mbit/s run: the --fail-if holds, exit 1"
diag "$(grep '| bulk | goodput |' "$TMP/worse.md")"
diag "$(cat "$TMP/cmp.err")"
ok "goodput is flagged significant" grep -q '| bulk | goodput | .* | \*\*yes\*\* |' "$TMP/worse.md"
ok "the rate that differs is listed" grep -q 'links\[r1-s1\].ends\[r1\].egress.rate | 50Mbit | 10Mbit' "$TMP/worse.md"
ok "stderr names the gate with the numbers" grep -q "holds: .* Mbit/s < .* Mbit/s" "$TMP/cmp.err"

"$TESTBED" compare "$TMP/good" "$TMP/other" >/dev/null 2>"$TMP/other.err"
is "$?" 2 "another experiment: exit 2"
diag "$(cat "$TMP/other.err")"
"$TESTBED" compare "$TMP/good" "$TMP/other" --force >/dev/null 2>&1
is "$?" 0 "... compared with --force"

if command -v xmllint >/dev/null; then
	for f in good worse cmp; do
		xmllint --noout --schema "$TOP/tests/junit.xsd" "$TMP/$f.xml" 2>"$TMP/x.err"
		is "$?" 0 "$f.xml validates against tests/junit.xsd"
	done
	ok "run --junit of the good run: 1 testcase, 0 failures" grep -q 'tests="1" failures="0"' "$TMP/good.xml"
	ok "run --junit of the worse run: 1 testcase, 1 failure" grep -q 'tests="1" failures="1"' "$TMP/worse.xml"
	diag "$(grep -o 'message="[^"]*"' "$TMP/worse.xml")"
else
	skip_all "needs xmllint (libxml2-utils) to validate the JUnit files"
fi
ids=$(jq -r '.run_id' "$TMP"/*/runs/*/run.json | sort -u | tr '\n' ' ')
diag "run ids: $ids"
left=$(for id in $ids; do ip netns list | grep "^$id-"; done)
is "$left" "" "no namespace of the $(echo $ids | wc -w) runs is left"
done_testing
