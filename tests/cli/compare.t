#!/bin/bash
# testbed compare on fixture run directories with known numbers (no root):
# the table, the significance rule (95% intervals that do not overlap; n/a
# with one repeat), the settings that differ, --fail-if with base() and its
# exit codes, --force for another experiment, --json, and JUnit XML from
# report --junit and compare --junit validated against tests/junit.xsd.
. "$(dirname "$0")/../tap.sh"
need_cmd jq
need_testbed
scratch TMP tb-compare

# fixture DIR NAME RATE CUBIC... -- RENO...: a run directory of experiment
# NAME (link rate setting RATE) whose bulk goodputs per repeat are given
fixture() {
	local dir=$1 name=$2 rate=$3 k=1 r=1 text
	shift 3
	text=$(printf '[experiment]\nname = %s\nduration = 10s\nrepeat = 3\n[node c1]\n[node s1]\n[link c1-s1]\n[flow bulk]\nworker = bulk\nfrom = c1\nto = s1\n[sweep]\nflow.bulk.cc = cubic, reno\n[expect]\nfast = goodput(bulk) > 20mbit\n' "$name")
	for g in "$@"; do
		if [ "$g" = -- ]; then k=2; r=1; continue; fi
		mkdir -p "$dir/runs/c$k-r$r/flows"
		echo "{\"case\": $((k - 1)), \"repeat\": $r, \"status\": \"complete\", \"error\": null}" \
			>"$dir/runs/c$k-r$r/run.json"
		echo "{\"worker\": \"bulk\", \"complete\": true, \"error\": null, \"seconds\": 10, \"bytes\": $((g * 10 / 8)), \"goodput_bps\": $g, \"retransmits\": 0}" \
			>"$dir/runs/c$k-r$r/flows/bulk.json"
		r=$((r + 1))
	done
	jq -n --arg name "$name" --arg text "$text" --arg rate "$rate" --argjson rep $((r - 1)) \
		'{experiment: $name, file: "fx.conf", seed: 1, duration_s: 10, repeat: $rep, complete: true,
		  sources: [{path: "fx.conf", text: $text}],
		  config: {file: "fx.conf", experiment: {name: $name, repeat: $rep},
		           links: [{name: "c1-s1", ends: [{node: "c1", egress: {rate: $rate}}]}]}}' \
		>"$dir/manifest.json"
	"$TESTBED" report "$dir" >/dev/null 2>&1
}
fixture "$TMP/good" fx 50Mbit 50000000 49000000 51000000 -- 48000000 47000000 49000000
fixture "$TMP/good2" fx 50Mbit 50500000 49500000 50000000 -- 48500000 47500000 48000000
fixture "$TMP/worse" fx 10Mbit 10000000 10200000 9800000 -- 48000000 47500000 48500000
fixture "$TMP/one" fx 50Mbit 50000000 -- 48000000
fixture "$TMP/other" fy 50Mbit 50000000 49000000 51000000 -- 48000000 47000000 49000000

XSD="$TOP/tests/junit.xsd"
valid() {
	if command -v xmllint >/dev/null; then
		xmllint --noout --schema "$XSD" "$1" 2>"$TMP/xmllint.err"
	else
		echo "xmllint missing" >"$TMP/xmllint.err"; return 2
	fi
}

# a run against itself and against a repetition of itself: nothing significant
gate='goodput(bulk) < 0.9 * base(goodput(bulk))'
"$TESTBED" compare "$TMP/good" "$TMP/good2" --json --fail-if "$gate" >"$TMP/same.json" 2>"$TMP/same.err"
is "$?" 0 "compare of two runs alike with --fail-if '$gate': exit 0"
is "$(jq '.significant' "$TMP/same.json")" 0 "no statistic changed significantly"
row() { jq -r --arg l "$2" --arg m "$3" '.cases[] | select(.label == $l) | .rows[] | select(.subject == "bulk" and .metric == $m) | '"$4" "$1"; }
diag "cubic goodput: $(row "$TMP/same.json" cc=cubic goodput '"\(.base.median) -> \(.new.median), \(.change_pct)%, \(.verdict)"')"
is "$(row "$TMP/same.json" cc=cubic goodput .verdict)" no "cc=cubic goodput: the intervals overlap (not significant)"
is "$(jq '.settings | length' "$TMP/same.json")" 0 "no setting differs"
is "$(jq -r '.fail_if[0].fired' "$TMP/same.json")" false "the --fail-if does not hold"

# against the worse run: the metric that moved is significant, the one that
# did not is not, the --fail-if holds at cc=cubic (exit 1) and says so
"$TESTBED" compare "$TMP/good" "$TMP/worse" --fail-if "$gate" --junit "$TMP/cmp.xml" >"$TMP/worse.md" 2>"$TMP/worse.err"
is "$?" 1 "compare against the worse run with --fail-if: exit 1"
grep '| bulk | goodput |' "$TMP/worse.md" | while read -r l; do diag "$l"; done
ok "the markdown flags cc=cubic's goodput (-80%) as significant" \
	grep -q '| bulk | goodput | 50.0 Mbit/s .* | 10.0 Mbit/s .* | -80.0% | \*\*yes\*\* |' "$TMP/worse.md"
ok "... and cc=reno's unchanged goodput as not" grep -q '| bulk | goodput | 48.0 Mbit/s .* | 48.0 Mbit/s .* | +0.0% | no |' "$TMP/worse.md"
ok "the settings that differ are listed" grep -q '| links\[c1-s1\].ends\[c1\].egress.rate | 50Mbit | 10Mbit |' "$TMP/worse.md"
diag "$(cat "$TMP/worse.err")"
ok "stderr names the --fail-if that held, with the numbers and where" \
	grep -q "holds: 10.0 Mbit/s < 45.0 Mbit/s at cc=cubic" "$TMP/worse.err"
ok "... and not cc=reno, where it did not hold" sh -c "! grep -q 'at cc=reno' '$TMP/worse.err'"
valid "$TMP/cmp.xml"
is "$?" 0 "compare --junit validates against tests/junit.xsd $(cat "$TMP/xmllint.err")"
ok "compare --junit: 1 testcase, 1 failure with the numbers" \
	grep -q 'tests="1" failures="1"' "$TMP/cmp.xml"
ok "... its failure message holds the numbers" grep -q 'message="holds: 10.0 Mbit/s &lt; 45.0 Mbit/s at cc=cubic"' "$TMP/cmp.xml"

# a metric with no data in NEW: the gate cannot be decided, which fails it
cp -r "$TMP/worse" "$TMP/holes" && rm "$TMP/holes"/runs/c2-r*/flows/bulk.json
"$TESTBED" compare "$TMP/good" "$TMP/holes" --json --fail-if 'goodput(bulk, cc=reno) < 0.9 * base(goodput(bulk, cc=reno))' >"$TMP/holes.json" 2>/dev/null
is "$?" 1 "a --fail-if over a metric with no data: exit 1"
diag "$(jq -r '.fail_if[0].message' "$TMP/holes.json")"
is "$(jq -r '.fail_if[0] | "\(.fired) \(.undecided)"' "$TMP/holes.json")" "false true" "... undecided, not held"

# one repeat: no interval
"$TESTBED" compare "$TMP/one" "$TMP/one" --json >"$TMP/one.json"
is "$(row "$TMP/one.json" cc=cubic goodput .verdict)" "n/a (1 run)" "one repeat on each side: n/a (1 run)"
"$TESTBED" compare "$TMP/good" "$TMP/one" --json >"$TMP/one2.json"
is "$(row "$TMP/one2.json" cc=cubic goodput .verdict)" "n/a (1 run on one side)" "one repeat on one side: n/a"

# a summary.json alone: the table works; --fail-if needs the runs
mkdir "$TMP/lone" && cp "$TMP/worse/summary.json" "$TMP/lone/"
"$TESTBED" compare "$TMP/good/summary.json" "$TMP/lone/summary.json" >/dev/null 2>&1
is "$?" 0 "compare of two summary.json files: exit 0"
"$TESTBED" compare "$TMP/good" "$TMP/lone/summary.json" --fail-if "$gate" >/dev/null 2>"$TMP/lone.err"
is "$?" 2 "--fail-if on a summary.json without its run directory: exit 2"
diag "$(cat "$TMP/lone.err")"

# another experiment: refused unless --force
"$TESTBED" compare "$TMP/good" "$TMP/other" >/dev/null 2>"$TMP/other.err"
is "$?" 2 "runs of different experiments: exit 2"
diag "$(cat "$TMP/other.err")"
ok "... saying why" grep -q 'not runs of the same experiment: experiment "fx" vs "fy"' "$TMP/other.err"
"$TESTBED" compare "$TMP/good" "$TMP/other" --force >"$TMP/force.md" 2>/dev/null
is "$?" 0 "--force compares them"
ok "... and the table says so" grep -q 'Not the same experiment' "$TMP/force.md"

# bad expressions and usage
"$TESTBED" compare "$TMP/good" "$TMP/worse" --fail-if 'goodput(bulk) < base(5)' >/dev/null 2>"$TMP/bad.err"
is "$?" 2 "a --fail-if that does not parse: exit 2"
diag "$(cat "$TMP/bad.err")"
"$TESTBED" compare "$TMP/good" >/dev/null 2>&1
is "$?" 2 "one run only: exit 2"

# report --junit: one testcase per expectation and combination
"$TESTBED" report "$TMP/worse" --junit "$TMP/rep.xml" >/dev/null 2>&1
is "$?" 1 "report of the worse run: exit 1 ('fast' not held at cc=cubic)"
valid "$TMP/rep.xml"
is "$?" 0 "report --junit validates against tests/junit.xsd $(cat "$TMP/xmllint.err")"
ok "report --junit: 2 testcases (fast cc=cubic, fast cc=reno), 1 failure" \
	grep -q 'tests="2" failures="1"' "$TMP/rep.xml"
ok "... the failure names the combination and the numbers" \
	grep -q 'name="fast cc=cubic" classname="fx".*' "$TMP/rep.xml"
ok "... with the numbers" grep -q 'message="not held at cc=cubic: 10.0 Mbit/s &gt; 20.0 Mbit/s is false"' "$TMP/rep.xml"
# the schema is not a rubber stamp
sed 's/ tests="2"//' "$TMP/rep.xml" >"$TMP/broken.xml"
valid "$TMP/broken.xml"
ok "a testsuite without tests= does not validate" [ $? -ne 0 ]
done_testing
