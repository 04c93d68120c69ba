#!/bin/sh
# Guest stalls, before and after, in one session: for the flagship and the
# loss sweep's BBR cases, run in the User-Mode Linux guest by a reference
# testbed binary and by this checkout's, count the runs whose samplers woke
# more than 50 ms late, the latest wake-up, the host CPU the whole run took,
# the guest's own CPU use (where the binary records it) and BBR's goodput.
# Prints a Markdown table (paste it into RESULTS.md).
#
#   sudo bench/vm/stalls.sh REF [N] [DUR]
#
# REF: a testbed binary to compare with, e.g. one built from an older
# commit (git worktree add /tmp/ref <commit> && make -C /tmp/ref), or "-"
# for this checkout alone. N: runs per set (default 10). DUR: seconds per
# run (default 20; the flagship ships 30, the sweep 60).
# Extra environment (TB_UML_CPU=any, say) reaches both binaries.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
REF=${1:--}
N=${2:-10}
DUR=${3:-20}
T=$(mktemp -d /tmp/tb-stalls.XXXXXX)
trap 'rm -rf "$T"' EXIT

# The loss sweep cut to BBR at one loss rate, without expectations (they
# name values this cut does not have).
bbr_at() {
	sed -e "s#^topology = \.\./#topology = $TOP/#" \
		-e "s#^flow\.bulk\.cc = .*#flow.bulk.cc = bbr#" \
		-e "s#^link\.r1-r2\.r1\.loss = .*#link.r1-r2.r1.loss = $1#" \
		-e '/^\[expect\]/,$d' "$TOP/experiments/bbr_vs_cubic_loss_sweep.conf" >"$T/bbr-$1.conf"
	echo "$T/bbr-$1.conf"
}

# set NAME BINARY CONF REPEAT: run it, print one table row
set_row() {
	name=$1 bin=$2 conf=$3 rep=$4 out="$T/out-$$-$(date +%s%N)"
	/usr/bin/time -f '%e %U %S' -o "$T/time" "$bin" run "$conf" --kernel uml \
		--duration "${DUR}s" --repeat "$rep" --out "$out" --quiet >/dev/null 2>"$T/err"
	set -- $(cat "$T/time" | tail -1)
	cpu=$(awk -v u="$2" -v s="$3" -v n="$(ls "$out/runs" | wc -l)" 'BEGIN { printf "%.1f", (u + s) / n }')
	for r in "$out"/runs/*; do
		jq -r '[([.sampler[] | .late_max_ms] | max),
			(.load.cpu_busy_pct // "-"), (.load.cpu_busiest_pct // "-")] | @tsv' "$r/run.json"
	done >"$T/runs"
	for r in "$out"/runs/*; do
		jq -r '(.cc // "") + " " + (.goodput_bps | tostring)' "$r/flows/bulk.json"
	done >"$T/gp"
	awk -v name="$name" -v cpu="$cpu" -v lim=50 '
		FILENAME == ARGV[1] { n++; if ($1 > lim) s++; if ($1 > w) w = $1
			if ($2 != "-") { b += $2; nb++ } if ($3 != "-" && $3 > bx) bx = $3; next }
		{ g[$1] = g[$1] (g[$1] ? "," : "") sprintf("%.1f", $2 / 1e6) }
		END {
			gp = ""; for (k in g) gp = gp (gp ? "; " : "") k " " g[k]
			printf "| %s | %d | %d | %.0f | %s | %s | %s | %s |\n", name, n, s, w, cpu,
				nb ? sprintf("%.0f%%", b / nb) : "-", nb ? sprintf("%.0f%%", bx) : "-", gp
		}' "$T/runs" "$T/gp"
	rm -rf "$out"
}

echo "Machine: $(nproc) cores, host kernel $(uname -r), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Runs of $DUR s in the UML guest; a stall is a sampler wake-up more than 50 ms late."
echo
echo "| set | runs | runs stalled | latest wake-up ms | host CPU s per run | guest CPU busy (mean) | guest CPU busiest second | goodput Mbit/s per run |"
echo "|---|---|---|---|---|---|---|---|"
flag="$TOP/experiments/cubic_vs_bbr_1pct.conf"
b5=$(bbr_at 5%)
b1=$(bbr_at 1%)
for who in ref new; do
	if [ "$who" = ref ]; then bin=$REF; else bin="$TOP/testbed"; fi
	[ "$bin" = - ] && continue
	set_row "$who: cubic_vs_bbr_1pct" "$bin" "$flag" $(((N + 1) / 2))
	set_row "$who: BBR, 5% loss" "$bin" "$b5" "$N"
	set_row "$who: BBR, 1% loss" "$bin" "$b1" 3
done
