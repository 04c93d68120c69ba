#!/bin/bash
# The scale-out recipes of docs/scale-out.md, as far as this machine allows
# without a cluster: each example file is valid (YAML through a small
# parser of the subset they use, tests/cli/lib-yaml.py, since PyYAML and
# ruby may be absent; bash -n for the Slurm script); each runs exactly the
# two command lines the doc gives; run with a stand-in testbed that prints
# its arguments, each recipe's own shell gives shard K of N the arguments
# --shard K/N. Also --shard's and merge's usage errors. No root.
. "$(dirname "$0")/../tap.sh"
cd "$TOP" || bail "no top directory"
need_cmd python3 jq
need_testbed
scratch TMP tb-scale
YAML="python3 $TOP/tests/cli/lib-yaml.py"

# the doc's two lines, between its <!-- commands --> markers
sed -n '/<!-- commands -->/,/<!-- \/commands -->/p' docs/scale-out.md | grep '"\$TESTBED"' >"$TMP/cmds"
is "$(wc -l <"$TMP/cmds")" 2 "docs/scale-out.md gives two command lines (run --shard, merge)"
RUN_LINE=$(sed -n 1p "$TMP/cmds"); MERGE_LINE=$(sed -n 2p "$TMP/cmds")
diag "run:   $RUN_LINE"
diag "merge: $MERGE_LINE"
for f in examples/github-actions.yml examples/slurm-shards.sh examples/k8s-indexed-job.yaml; do
	ok "$f runs the doc's shard line exactly" grep -qF -- "$RUN_LINE" "$f"
	ok "$f runs the doc's merge line exactly" grep -qF -- "$MERGE_LINE" "$f"
	n=$(grep -c '"\$TESTBED" \(run\|merge\)' "$f")
	is "$n" 2 "$f runs testbed in no other way"
	ok "docs/scale-out.md links $f" grep -qF "(../$f)" docs/scale-out.md
done

# --- GitHub Actions ---------------------------------------------------------
if $YAML examples/github-actions.yml >"$TMP/gh.json" 2>"$TMP/gh.err"; then
	pass "github-actions.yml parses as YAML"
else
	fail "github-actions.yml parses as YAML: $(cat "$TMP/gh.err")"
fi
gh() { jq -r "$1" "$TMP/gh.json"; }
is "$(gh '.jobs.shard.strategy.matrix.shard | length')" "$(gh '.env.N')" \
	"the matrix has N entries (N = $(gh '.env.N'))"
is "$(gh '.jobs.shard.strategy.matrix.shard | join(",")')" "$(seq -s, 1 "$(gh '.env.N')")" "... numbered 1..N"
is "$(gh '.jobs.shard.env.K')" '${{ matrix.shard }}' "K is the matrix entry"
is "$(gh '.jobs.merge.needs')" shard "the merge job needs the shard jobs"
is "$(gh '[.jobs.shard.steps[] | select(.uses // "" | startswith("actions/upload-artifact")) | .with.path] | .[0]')" \
	'results/shard-${{ matrix.shard }}' "each shard uploads its directory (RESULTS=$(gh .env.RESULTS))"
is "$(gh '[.jobs.merge.steps[] | select(.uses // "" | startswith("actions/download-artifact")) | .with.pattern + " " + .with.path] | .[0]')" \
	"shard-* $(gh .env.RESULTS)" "the merge job downloads every shard-* artifact into RESULTS"
# each job's run steps in bash, testbed a stand-in that prints its arguments
cat >"$TMP/testbed" <<'STUB'
#!/bin/sh
echo "$*"
STUB
chmod +x "$TMP/testbed"
sudo() { "$@"; }; export -f sudo
got=$(cd "$TMP" && K=2 N=4 TESTBED=./testbed EXPERIMENT=x.conf RESULTS=results \
	bash -c "$(gh '.jobs.shard.steps[] | select(.name == "run shard K of N") | .run')")
is "$got" "run x.conf --shard 2/4 --out results/shard-2" "matrix job 2: testbed run x.conf --shard 2/4"

# --- Slurm --------------------------------------------------------------------
ok "slurm-shards.sh: bash -n" bash -n examples/slurm-shards.sh
ok "docs give the array submission sbatch --array=1-N" \
	grep -qF 'sbatch --parsable --array=1-4 examples/slurm-shards.sh' docs/scale-out.md
got=$(cd "$TMP" && SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=4 SLURM_ARRAY_TASK_MIN=1 \
	TESTBED=./testbed EXPERIMENT=x.conf RESULTS=results bash "$TOP/examples/slurm-shards.sh")
is "$got" "run x.conf --shard 3/4 --out results/shard-3" "array task 3 of 4: testbed run x.conf --shard 3/4"
got=$(cd "$TMP" && TESTBED=./testbed RESULTS=results bash "$TOP/examples/slurm-shards.sh" merge)
is "$got" "merge results/shard-* --out results/merged" "the merge job: testbed merge results/shard-*"
(cd "$TMP" && SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_TASK_COUNT=4 SLURM_ARRAY_TASK_MIN=0 TESTBED=./testbed \
	RESULTS=results bash "$TOP/examples/slurm-shards.sh" >/dev/null 2>&1)
is "$?" 2 "an array from 0 (--array=0-3) is refused"

# --- Kubernetes ----------------------------------------------------------------
if $YAML examples/k8s-indexed-job.yaml >"$TMP/k8s.json" 2>"$TMP/k8s.err"; then
	pass "k8s-indexed-job.yaml parses as YAML ($(wc -l <"$TMP/k8s.json") documents)"
else
	fail "k8s-indexed-job.yaml parses as YAML: $(cat "$TMP/k8s.err")"
fi
k8s() { jq -rs "$1" "$TMP/k8s.json"; }
is "$(k8s '[.[] | .kind] | join(",")')" "Job,Job" "two Jobs: the shards and the merge"
is "$(k8s '.[0].spec.completionMode')" Indexed "the shards are an Indexed Job"
N=$(k8s '.[0].spec.template.spec.containers[0].env[] | select(.name == "N") | .value')
is "$(k8s '.[0].spec.completions')" "$N" "completions = N = $N"
is "$(k8s '.[0].spec.template.spec.containers[0].securityContext.privileged')" true "the shard pods are privileged"
is "$(k8s '[.[] | .spec.template.spec.volumes[0].persistentVolumeClaim.claimName] | unique | length')" 1 \
	"both Jobs mount the same volume"
got=$(cd "$TMP" && JOB_COMPLETION_INDEX=0 N=$N TESTBED=./testbed EXPERIMENT=x.conf RESULTS=results \
	sh -c "$(k8s '.[0].spec.template.spec.containers[0].args[0]')")
is "$got" "run x.conf --shard 1/$N --out results/shard-1" "completion index 0 runs shard 1/$N"
mkdir -p "$TMP/results"
for k in $(seq 1 "$N"); do mkdir -p "$TMP/results/shard-$k"; : >"$TMP/results/shard-$k/summary.json"; done
got=$(cd "$TMP" && N=$N TESTBED=./testbed RESULTS=results timeout 10 \
	sh -c "$(k8s '.[1].spec.template.spec.containers[0].args[0]')")
is "$got" "merge results/shard-1 results/shard-2 results/shard-3 results/shard-4 --out results/merged" \
	"the merge Job merges once every shard's summary.json is there"

# --- the commands' usage errors -------------------------------------------------
for s in 0/3 4/3 3 a/b 1/0 1/3x; do
	err=$(./testbed run experiments/cubic_vs_bbr_1pct.conf --shard "$s" 2>&1); rc=$?
	case $rc:$err in 2:*"--shard \"$s\": "*) pass "--shard $s: exit 2, named" ;; *) fail "--shard $s: $rc: $err" ;; esac
done
diag "$(./testbed run experiments/cubic_vs_bbr_1pct.conf --shard 4/3 2>&1)"
ok "run --help documents --shard" sh -c './testbed run --help | grep -q -- "--shard K/N"'
err=$(./testbed merge "$TMP/nowhere" --out "$TMP/m" 2>&1); rc=$?
case $rc:$err in 2:*"$TMP/nowhere: no readable manifest.json"*) pass "merge of a directory that is no run: exit 2, named" ;;
*) fail "merge of nothing: $rc: $err" ;; esac
./testbed merge "$TMP/nowhere" 2>/dev/null; is "$?" 2 "merge without --out: exit 2"
done_testing
