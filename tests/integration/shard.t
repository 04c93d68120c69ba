#!/bin/bash
# testbed run --shard and testbed merge on the host kernel: an experiment of
# 2 cases x 3 repeats (shard.conf) run whole, and as 3 shards run in
# parallel by the Slurm recipe itself (examples/slurm-shards.sh as three
# array tasks, then its merge); the merged directory holds the same runs
# (case, repeat, order, seed), the same metrics and the same verdicts as the
# whole run. merge refuses two files, two seeds, a shard given twice and a
# missing shard, each with its own message; --partial merges what there is
# and the report says so.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip jq
need_testbed
scratch TMP tb-shard
EXP=$TOP/tests/integration/shard.conf
R=$TMP/results

"$TESTBED" run --quiet "$EXP" --out "$TMP/whole" >/dev/null 2>"$TMP/whole.err"
is "$?" 0 "the whole experiment: every expectation held"

for k in 1 2 3; do
	(SLURM_ARRAY_TASK_ID=$k SLURM_ARRAY_TASK_COUNT=3 SLURM_ARRAY_TASK_MIN=1 TESTBED=$TESTBED \
		EXPERIMENT=$EXP RESULTS=$R bash "$TOP/examples/slurm-shards.sh" >"$TMP/s$k.out" 2>"$TMP/s$k.err"
	 echo $? >"$TMP/s$k.rc") &
done
wait
is "$(cat "$TMP"/s[123].rc | tr '\n' ' ')" "0 0 0 " "3 shards in parallel (the Slurm script as 3 array tasks): each exits 0"
runs_of() { jq -r '[.runs[] | select(.status != "missing") | "c\(.case + 1)-r\(.repeat + 1)"] | sort | join(" ")' "$1/manifest.json"; }
for k in 1 2 3; do
	diag "shard $k/3: $(jq -c .shard.runs "$R/shard-$k/manifest.json"), $(runs_of "$R/shard-$k" | wc -w) runs"
	is "$(jq -r '.shard.runs | sort | join(" ")' "$R/shard-$k/manifest.json")" "$(runs_of "$R/shard-$k")" \
		"shard $k: manifest.json shard.runs are the runs it holds"
done
is "$(cat "$R"/shard-*/manifest.json | jq -r '.fingerprint' | sort -u)" "$(jq -r .fingerprint "$TMP/whole/manifest.json")" \
	"the shards and the whole run have one fingerprint"
is "$(for k in 1 2 3; do runs_of "$R/shard-$k"; done | tr ' ' '\n' | sort | uniq -d)" "" "no run is in two shards"
is "$(for k in 1 2 3; do runs_of "$R/shard-$k"; done | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')" \
	"$(runs_of "$TMP/whole")" "together they are the whole run's runs"

SLURM_ARRAY_TASK_ID= TESTBED=$TESTBED RESULTS=$R bash "$TOP/examples/slurm-shards.sh" merge >"$TMP/m.out" 2>"$TMP/m.err"
is "$?" 0 "merge (the Slurm script's merge job): every expectation held, exit 0"
M=$R/merged
diag "$(grep merged "$TMP/m.err")"
is "$(tail -n 1 "$TMP/m.out")" "$M" "merge prints the merged directory last"
triple() { jq -r '[.runs[] | "c\(.case + 1)-r\(.repeat + 1)@\(.order)/\(.status)"] | join(" ")' "$1/manifest.json"; }
is "$(triple "$M")" "$(triple "$TMP/whole")" "the merged manifest lists the same runs, in the same order, as the whole run"
diag "runs: $(triple "$M")"
is "$(jq -r '"\(.seed) \(.complete) \(.repeat) \(.cases | length)"' "$M/manifest.json")" \
	"$(jq -r '"\(.seed) \(.complete) \(.repeat) \(.cases | length)"' "$TMP/whole/manifest.json")" "same seed, complete, repeats, cases"
is "$(cd "$M" && ls -d runs/*/ | tr '\n' ' ')" "$(cd "$TMP/whole" && ls -d runs/*/ | tr '\n' ' ')" "the same runs/ directories"
ok "each run keeps its files (run.json, flows/rr.json)" test "$(ls "$M"/runs/*/run.json "$M"/runs/*/flows/rr.json | wc -l)" -eq 12
metrics() { jq -cS '[.cases[] | {params, flows: (.flows | map_values(.metrics | keys)), n: .runs_complete}]' "$1/summary.json"; }
is "$(metrics "$M")" "$(metrics "$TMP/whole")" "summary.json: the same cases, metrics and complete runs per case"
verdicts() { jq -c '[.expectations[] | {name, held}]' "$1/summary.json"; }
is "$(verdicts "$M")" "$(verdicts "$TMP/whole")" "the same verdicts: $(verdicts "$M")"
for k in 1 2; do
	diag "case $k rps median: whole $(jq ".cases[$((k - 1))].flows.rr.metrics.rps.median" "$TMP/whole/summary.json"), merged $(jq ".cases[$((k - 1))].flows.rr.metrics.rps.median" "$M/summary.json")"
done
ok "report.md says which directories were merged" grep -q '^| Merged | 3 directories:' "$M/report.md"
ok "a shard's report.md says it is a shard" grep -q '^| Shard | 2 of 3:' "$R/shard-2/report.md"
"$TESTBED" report "$M" >/dev/null 2>&1
is "$?" 0 "testbed report works on the merged directory (exit 0)"

# refusals: each with its own message, and nothing written
refuse() { # NAME PATTERN DIR...
	name=$1 pat=$2; shift 2
	err=$("$TESTBED" merge "$@" --out "$TMP/refused" 2>&1); rc=$?
	diag "$name: $(printf '%s' "$err" | head -n 1)"
	case $rc:$err in 2:*$pat*) pass "$name: refused, exit 2, its own message" ;; *) fail "$name: exit $rc: $err" ;; esac
	ok "$name: nothing written" test ! -e "$TMP/refused"
}
sed 's/^conn = pool/conn = pool\nnodelay = yes/' "$EXP" >"$TMP/other.conf"
sed -i "s|^topology = .*|topology = $TOP/topologies/pair.conf|" "$TMP/other.conf"
sed 's/^seed = 7/seed = 8/' "$TMP/other.conf" >"$TMP/seed8.conf"
"$TESTBED" run --quiet "$TMP/other.conf" --shard 3/3 --out "$TMP/other-3" >/dev/null 2>&1
"$TESTBED" run --quiet "$TMP/seed8.conf" --shard 3/3 --out "$TMP/seed8-3" >/dev/null 2>&1
refuse "two different files" "are runs of different experiments" "$R/shard-1" "$R/shard-2" "$TMP/other-3"
refuse "two seeds" "were run with different seeds (7 and 8)" "$R/shard-1" "$R/shard-2" "$TMP/seed8-3"
cp -a "$R/shard-1" "$TMP/shard-1-again"
twice=$(jq -r '.shard.runs | .[]' "$R/shard-1/manifest.json" | paste -sd, | sed 's/,/, /g')
refuse "a shard given twice" "runs $twice are in both $R/shard-1 and $TMP/shard-1-again (the same shard twice?)" \
	"$R/shard-1" "$TMP/shard-1-again" "$R/shard-2" "$R/shard-3"
missing=$(jq -r '.shard.runs | .[]' "$R/shard-3/manifest.json" | sort -V | paste -sd, | sed 's/,/, /g')
refuse "a missing shard" "runs $missing of 6 are in no shard" "$R/shard-1" "$R/shard-2"

"$TESTBED" merge "$R/shard-1" "$R/shard-2" --out "$TMP/partial" --partial >/dev/null 2>"$TMP/p.err"
is "$?" 1 "--partial merges the 2 shards; the experiment is incomplete: no expectation held, exit 1"
diag "$(grep partial "$TMP/p.err" | head -n 1)"
ok "--partial: report.md names the runs in no shard" \
	grep -qF "a partial merge (\`testbed merge --partial\`): run(s) $missing of 6 are in no shard" "$TMP/partial/report.md"
is "$(jq -r '[.runs[] | select(.status == "missing")] | length' "$TMP/partial/manifest.json")" 2 \
	"--partial: the manifest lists the 2 runs in no shard as missing"
"$TESTBED" merge "$TMP/partial" "$R/shard-3" --out "$TMP/completed" >/dev/null 2>&1
is "$?:$(verdicts "$TMP/completed")" "0:$(verdicts "$TMP/whole")" "the partial merge and the missing shard merge into the whole"
done_testing
