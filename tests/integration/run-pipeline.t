#!/bin/bash
# testbed run end to end on the host kernel, with a small experiment of its
# own: a sweep of two values x 3 repeats gives 6 runs in a shuffled,
# seed-determined order; summary.json's statistics match the per-run worker
# files; a failed expectation exits 1 and names the numbers; SIGINT tears
# everything down and leaves the run directory marked incomplete.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip jq
need_testbed
scratch TMP tb-run
cat >"$TMP/sweep.conf" <<CONF
[experiment]
topology = $TOP/topologies/pair.conf
duration = 1s
repeat = 3
seed = 7
[flow rr]
worker = rr
from = c1
to = s1
conn = pool
nodelay = yes
[sweep]
flow.rr.request = 100, 2000
[expect]
served = rps(rr) > 10
absurd = rps(rr, request=100) > 1000000000
CONF

# under umask 000, as a careless caller may run it: modes are testbed's own
(umask 000; "$TESTBED" run --quiet "$TMP/sweep.conf" --out "$TMP/a" >"$TMP/a.out" 2>"$TMP/a.err")
rc=$?
is "$rc" 1 "a run whose expectation 'absurd' fails exits 1"
last=$(tail -n 1 "$TMP/a.out")
is "$last" "$TMP/a" "the run directory is the last line of stdout"
grep -q 'absurd' "$TMP/a.err" && grep -q 'rps(rr, request=100)' "$TMP/a.err"
ok "stderr names the failed expectation and its metric" [ $? -eq 0 ]
diag "$(grep absurd "$TMP/a.err" | head -n 2)"
is "$(jq '.runs | length' "$TMP/a/manifest.json")" 6 "2 values x 3 repeats = 6 runs"
ww=$(find "$TMP/a" -perm -o+w | head -3)
is "$ww" "" "under umask 000 no file or directory of the run is world-writable"
order=$(jq -r '[.runs[] | "\(.case)/\(.repeat)"] | join(" ")' "$TMP/a/manifest.json")
diag "run order: $order"
ok "the order is shuffled (not case by case)" [ "$order" != "0/0 0/1 0/2 1/0 1/1 1/2" ]
is "$(jq -r '[.runs[] | .status] | unique | join(",")' "$TMP/a/manifest.json")" complete "every run complete"
is "$(jq -r '.expectations[] | select(.name=="served") | .held' "$TMP/a/summary.json")" true "expectation 'served' held"
is "$(jq -r '.expectations[] | select(.name=="absurd") | .held' "$TMP/a/summary.json")" false "expectation 'absurd' not held"

# the summary's median/min/max equal those of the per-run worker results
for k in 0 1; do
	vals=$(for r in 1 2 3; do jq '.rps' "$TMP/a/runs/c$((k + 1))-r$r/flows/rr.json"; done | sort -g)
	min=$(echo "$vals" | head -n 1); med=$(echo "$vals" | sed -n 2p); max=$(echo "$vals" | tail -n 1)
	got=$(jq -r ".cases[$k].flows.rr.metrics.rps | \"\(.min) \(.median) \(.max) \(.n)\"" "$TMP/a/summary.json")
	want=$(jq -rn "\"\($min) \($med) \($max) 3\"")
	is "$got" "$want" "case $k: summary rps min/median/max/n match the run files"
done

# the run directory is the source of truth: with the experiment edited (its
# 'absurd' expectation made easy) and then moved away, `testbed report` gives
# the run's own verdict from manifest.json; --file applies the new one
cp "$TMP/sweep.conf" "$TMP/sweep.orig"
sed -i 's/> 1000000000/> 1/' "$TMP/sweep.conf"
"$TESTBED" report "$TMP/a" >/dev/null 2>"$TMP/r1.err"
is "$?:$(jq -r '.expectations[] | select(.name=="absurd") | .held' "$TMP/a/summary.json")" "1:false" \
	"report after the file was edited: the run's own verdict (exit 1, 'absurd' not held)"
mv "$TMP/sweep.conf" "$TMP/sweep.moved"
"$TESTBED" report "$TMP/a" >/dev/null 2>"$TMP/r2.err"
is "$?:$(jq -r '.expectations[] | select(.name=="absurd") | .held' "$TMP/a/summary.json")" "1:false" \
	"... and after it was moved away"
"$TESTBED" report "$TMP/a" --file "$TMP/sweep.moved" >/dev/null 2>"$TMP/r3.err"
is "$?:$(jq -r '.expectations[] | select(.name=="absurd") | .held' "$TMP/a/summary.json")" "0:true" \
	"--file applies the edited expectations to the old data"
cp "$TMP/sweep.orig" "$TMP/sweep.conf"
"$TESTBED" report "$TMP/a" >/dev/null 2>&1

# the same seed gives the same order
"$TESTBED" run --quiet "$TMP/sweep.conf" --out "$TMP/b" >/dev/null 2>&1
order2=$(jq -r '[.runs[] | "\(.case)/\(.repeat)"] | join(" ")' "$TMP/b/manifest.json")
is "$order2" "$order" "the same seed gives the same order"

# SIGINT in the middle: torn down, directory marked incomplete
sed 's/duration = 1s/duration = 20s/; s/repeat = 3/repeat = 1/' "$TMP/sweep.conf" >"$TMP/long.conf"
"$TESTBED" run --quiet "$TMP/long.conf" --out "$TMP/c" >"$TMP/c.out" 2>"$TMP/c.err" &
pid=$!
defer kill -9 $pid
n=0
while [ $n -lt 500 ] && ! ls "$TMP"/c/runs/*/flows/rr.series.jsonl >/dev/null 2>&1; do sleep 0.02; n=$((n + 1)); done
kill -INT $pid
wait $pid
rc=$?
is "$rc" 130 "SIGINT: exit 130 (128 + SIGINT), not 1 (a failed expectation)"
diag "stderr: $(cat "$TMP/c.err")"
is "$(grep -c . "$TMP/c.err")" 1 "... and one line on stderr"
is "$(jq -r .complete "$TMP/c/manifest.json")" false "manifest marked incomplete"
is "$(jq -r '.runs[0].status' "$TMP/c/manifest.json")" incomplete "the interrupted run is marked incomplete"
ok "report.md was still written" [ -s "$TMP/c/report.md" ]
diag "interrupted: $(jq -c '[.all_held, (.expectations[] | .why_not)]' "$TMP/c/summary.json")"
ok "no expectation of the interrupted experiment is held, each says why" sh -c "jq -e \
	'.all_held == false and (.expectations | length) > 0 and
	 ([.expectations[] | select(.held)] | length) == 0 and
	 ([.expectations[] | .why_not // \"\" | test(\"did not complete\")] | all)' \
	'$TMP/c/summary.json' >/dev/null"
ok "report.md says it did not complete" grep -q 'not held: the experiment did not complete' "$TMP/c/report.md"
# SIGINT during a run in a User-Mode Linux guest: the guest is stopped, the
# host marks the directory interrupted and writes the report of what completed
why_no_uml=$(uml_unavailable)
if [ -z "$why_no_uml" ]; then
	"$TESTBED" run --kernel uml "$TMP/long.conf" --out "$TMP/g" >"$TMP/g.out" 2>"$TMP/g.err" &
	pid=$!
	defer kill -9 $pid
	n=0
	while [ $n -lt 1500 ] && ! ls "$TMP"/g/runs/*/flows/rr.series.jsonl >/dev/null 2>&1; do sleep 0.02; n=$((n + 1)); done
	kill -INT $pid
	wait $pid
	rc=$?
	is "$rc" 130 "SIGINT in a guest run: exit 130"
	diag "stderr: $(grep -v '^testbed: the host kernel lacks\|^\[' "$TMP/g.err")"
	ok "... one line about it, no guest console log" sh -c "[ \$(grep -c 'interrupted by Interrupt' '$TMP/g.err') -eq 1 ] &&
		! grep -q 'last lines of the guest console' '$TMP/g.err'"
	is "$(jq -c '[.complete, .interrupted]' "$TMP/g/manifest.json" 2>/dev/null)" '[false,"Interrupt"]' \
		"the manifest says incomplete and interrupted"
	ok "report.md is written and says it did not complete" grep -q 'did not complete' "$TMP/g/report.md"
else
	skip "$why_no_uml"
fi
# SIGKILL: no chance to write anything at the end; the directory says it is
# incomplete from the start, and testbed report reads it
sed 's/duration = 1s/duration = 2s/' "$TMP/sweep.conf" >"$TMP/k.conf"
"$TESTBED" run --quiet "$TMP/k.conf" --out "$TMP/k" >/dev/null 2>&1 &
pid=$!
defer kill -9 $pid
n=0
while [ $n -lt 1000 ] && ! ls "$TMP"/k/runs/*/run.json >/dev/null 2>&1; do sleep 0.02; n=$((n + 1)); done
kill -9 $pid
wait $pid 2>/dev/null
"$TESTBED" cleanup >/dev/null 2>&1
is "$(jq -c '.complete' "$TMP/k/manifest.json" 2>/dev/null)" false "killed with SIGKILL: manifest.json says incomplete"
"$TESTBED" report "$TMP/k" >"$TMP/k.out" 2>"$TMP/k.err"
rc=$?
diag "$(tail -n 2 "$TMP/k.err")"
is "$rc" 1 "testbed report reads the killed run's directory (exit 1: nothing held)"
ok "... and says the experiment did not complete" grep -q 'did not complete' "$TMP/k/report.md"
# run_on_fs NAME MOUNT-OPTIONS WHAT PATTERN: the run's output on a tmpfs
# mounted with MOUNT-OPTIONS: exit 3 and one message matching PATTERN
run_on_fs() {
	mkdir "$TMP/$1"
	if ! mount -t tmpfs -o "$2" tmpfs "$TMP/$1" 2>/dev/null; then
		skip "cannot mount a tmpfs ($2) here"
		return 1
	fi
	defer umount "$TMP/$1"
	"$TESTBED" run --quiet "$TMP/sweep.conf" --out "$TMP/$1/o" >/dev/null 2>"$TMP/$1.err"
	rc=$?
	diag "$(cat "$TMP/$1.err")"
	is "$rc" 3 "output on $3: exit 3 (environment)"
	ok "one message naming the cause ($4)" sh -c "[ \$(grep -c . '$TMP/$1.err') -eq 1 ] &&
		grep -q '$4' '$TMP/$1.err'"
}
# A full disk: one message naming the cause, exit 3, a readable manifest
run_on_fs full size=4m "a nearly full file system" 'No space left on device' &&
	is "$(jq -c .complete "$TMP/full/o/manifest.json" 2>/dev/null)" false "manifest.json is whole and says incomplete"
# A read-only one: the directory and the error, before anything is built
run_on_fs ro ro,size=1m "a read-only file system" "$TMP/ro/o.*Read-only file system"
id=$(jq -r '.run_id' "$TMP"/c/runs/*/run.json)
diag "run id $id"
no_ns() { ! ip netns list | grep -q "^$id-"; }
no_workers() { ! pgrep -f "$TMP/c/runs" >/dev/null; }
ok "no namespace of the run ($id) is left" no_ns
ok "no journal of the run is left" [ ! -e "/run/testbed/$id" ]
ok "no worker of the run is left" no_workers
done_testing
