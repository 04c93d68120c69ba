#!/bin/bash
# Run every shipped experiment once with one testbed binary, for comparing
# two builds (bench/reshape/compare.sh): OUT/<experiment>/ per experiment.
# The same --repeat 1 and --duration (the file's, at most MAX_S seconds)
# for every build, so only the code differs. Root. One experiment at a time.
# Usage: bench/reshape/run-all.sh OUT [TESTBED] [MAX_S]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: run-all.sh OUT [TESTBED] [MAX_S]}
tb=${2:-$top/testbed}
max=${3:-20}
mkdir -p "$out"
for f in "$top"/experiments/*.conf; do
	name=$(basename "$f" .conf)
	d=$(sed -n 's/^duration *= *\([0-9]*\)s$/\1/p' "$f" | head -n 1)
	d=${d:-10}
	[ "$d" -gt "$max" ] && d=$max
	s=$(date +%s)
	"$tb" run --quiet "$f" --repeat 1 --duration "${d}s" --out "$out/$name" >/dev/null 2>"$out/$name.err"
	rc=$?
	echo "$name: exit $rc, ${d}s runs, $(( $(date +%s) - s )) s"
done
