#!/bin/bash
# Compare two sets of experiment runs (bench/reshape/run-all.sh OLD and NEW):
# for every experiment, each expectation's verdict, and the metrics that
# summary.json lists for each case and flow. A verdict that differs, or a
# metric that the new runs lost, is a difference (exit 1); metrics the new
# runs gained are listed. Needs jq. Usage: bench/reshape/compare.sh OLD NEW
set -u
old=${1:?usage: compare.sh OLD NEW}
new=${2:?usage: compare.sh OLD NEW}
diffs=0
verdicts() { jq -r '.expectations[] | "\(.name) \(.held)"' "$1" | sort; }
metrics() { jq -r '.cases[] | .index as $k | (.flows // {}) | to_entries[] | .key as $f |
	(.value.metrics // {}) | keys[] | "c\($k) \($f) \(.)"' "$1" | sort; }
for d in "$old"/*/; do
	name=$(basename "$d")
	o="$old/$name/summary.json" n="$new/$name/summary.json"
	if [ ! -f "$o" ] || [ ! -f "$n" ]; then
		echo "$name: summary.json missing ($( [ -f "$o" ] || echo old)$( [ -f "$n" ] || echo ' new'))"
		diffs=$((diffs + 1)); continue
	fi
	vd=$(diff <(verdicts "$o") <(verdicts "$n"))
	lost=$(comm -23 <(metrics "$o") <(metrics "$n"))
	gained=$(comm -13 <(metrics "$o") <(metrics "$n") | awk '{print $3}' | sort -u | tr '\n' ' ')
	held="$(verdicts "$n" | grep -c ' true$')/$(verdicts "$n" | wc -l)"
	if [ -z "$vd" ] && [ -z "$lost" ]; then
		echo "$name: same verdicts (held $held), no metric lost${gained:+; gained: $gained}"
	else
		diffs=$((diffs + 1))
		echo "$name: DIFFERENT"
		[ -n "$vd" ] && echo "$vd" | sed 's/^/  verdict /'
		[ -n "$lost" ] && echo "$lost" | sed 's/^/  lost metric /'
	fi
done
echo "$diffs experiment(s) differ"
[ $diffs -eq 0 ]
