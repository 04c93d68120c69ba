#!/bin/bash
# What it costs to start a command inside a node (root). Prints Markdown;
# RESULTS.md keeps the last recorded output.
#
#   bench/processes/run.sh            (N=50 KERNELS="host uml")
#   N=100 KERNELS=host bench/processes/run.sh
#
# The command is always `date +%s.%N`: it prints its own reading of
# CLOCK_REALTIME once it runs, so "latency" below is the time from the
# moment a command was asked for to the moment it ran, read on one clock.
#
# 1. Outside a run (host): while `testbed up` keeps the chain3 topology up, a
#    Python timer starts the command N times each way, one at a time:
#      plain        date, in the host's namespace (the cost of fork+exec
#                   from Python itself: the baseline)
#      ip netns     ip netns exec RUN-c1 date
#      testbed exec testbed exec RUN c1 -- date
#    For each: latency (Python's clock before Popen -> date's reading) and
#    wall time (before Popen -> after wait), medians and p90.
# 2. Inside a run: an experiment with N [process] sections `date +%s.%N`,
#    all at start = 0 on c1 (no flows; the run ends once they have exited).
#    For process k: latency = its reading - (run.json load.start_unix +
#    status.json started_s), i.e. from testbed deciding to start it to the
#    command running (fork, entering the node, exec); from the start of the
#    measured time = reading - start_unix. testbed starts them one after
#    the other in one pass (each spawn waits for its exec), so the slope of
#    started_s over k is the per-process start cost. runtime_s (started ->
#    reaped) is also shown: it includes how late testbed's loop notices the
#    exit. Done on the host and (KERNELS) in a UML guest, where both the
#    readings and start_unix are the guest's clock.
# Every step that builds namespaces or boots a guest is short and takes
# /tmp/tb-heavy.lock (set NOLOCK=1 when the caller holds it).
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD
TB=$TOP/testbed
N=${N:-50}
KERNELS=${KERNELS:-host uml}
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 3; }
[ -x "$TB" ] || { echo "build first: make" >&2; exit 2; }
command -v jq >/dev/null && command -v python3 >/dev/null || { echo "needs jq and python3" >&2; exit 3; }
# locked CMD...: CMD holding /tmp/tb-heavy.lock (unless NOLOCK is set)
locked() { ( [ -n "${NOLOCK:-}" ] || flock 9; "$@" ) 9>>/tmp/tb-heavy.lock; }

TMP=$(mktemp -d /tmp/tbp-bench.XXXXXX)
ID=tbpb$$
cleanup() {
	"$TB" down "$ID" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT; [ -n "${KEEP:-}" ] && trap '"$TB" down "$ID" >/dev/null 2>&1; echo "kept $TMP" >&2' EXIT
trap 'exit 130' INT TERM

# stats: "median p90 mean" (ms) of the numbers (s) on stdin
stats() { python3 -c '
import sys, statistics as s
v = sorted(float(x) * 1e3 for x in sys.stdin.read().split())
if not v: print("- - -"); sys.exit()
p90 = v[min(len(v) - 1, int(round(0.9 * (len(v) - 1))))]
print("%.3f %.3f %.3f" % (s.median(v), p90, s.mean(v)))'; }

cat >"$TMP/timer.py" <<'EOF'
# timer.py N CMD...: start CMD N times, one at a time; prints per run
# "latency wall" in seconds (latency: before Popen -> CMD's own reading).
import subprocess, sys, time
n, cmd = int(sys.argv[1]), sys.argv[2:]
for _ in range(n):
    t0 = time.time()
    out = subprocess.run(cmd, stdout=subprocess.PIPE, check=True).stdout
    t1 = time.time()
    print("%.9f %.9f" % (float(out.split()[-1]) - t0, t1 - t0))
EOF

echo "# Starting a command inside a node: testbed's [process] vs ip netns exec and testbed exec"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs, N=$N, testbed $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null)"
echo

# --- 1. outside a run --------------------------------------------------------
outside() {
	"$TB" up --run-id "$ID" "$TOP/tests/integration/chain3.conf" >"$TMP/up.out" 2>"$TMP/up.err" ||
		{ echo "testbed up failed: $(tail -n 1 "$TMP/up.err")" >&2; return 1; }
	python3 "$TMP/timer.py" "$N" date +%s.%N >"$TMP/plain"
	python3 "$TMP/timer.py" "$N" ip netns exec "$ID-c1" date +%s.%N >"$TMP/netns"
	python3 "$TMP/timer.py" "$N" "$TB" exec "$ID" c1 -- date +%s.%N >"$TMP/tbexec"
	"$TB" down "$ID" >/dev/null 2>&1
}
locked outside || exit 1

echo "## 1. Outside a run (host, topology up), one command at a time"
echo
echo "| how | latency median ms | p90 | wall median ms | p90 | latency over plain | ratio to ip netns exec (latency) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
read -r pl_m _ < <(cut -d' ' -f1 "$TMP/plain" | stats)
read -r ns_m _ < <(cut -d' ' -f1 "$TMP/netns" | stats)
for w in plain netns tbexec; do
	read -r lm lp _ < <(cut -d' ' -f1 "$TMP/$w" | stats)
	read -r wm wp _ < <(cut -d' ' -f2 "$TMP/$w" | stats)
	name=$(case $w in plain) echo "date (host namespace)" ;; netns) echo "ip netns exec NS date" ;;
		tbexec) echo "testbed exec RUN c1 -- date" ;; esac)
	printf '| %s | %s | %s | %s | %s | %+.3f | %.2f× |\n' "$name" "$lm" "$lp" "$wm" "$wp" \
		"$(echo "$lm - $pl_m" | bc -l)" "$(echo "$lm / $ns_m" | bc -l)"
done
echo

# --- 2. inside a run ---------------------------------------------------------
{
	printf '[experiment]\nname = procbench\ntopology = %s\nduration = 3s\n' "$TOP/tests/integration/chain3.conf"
	for i in $(seq 1 "$N"); do printf '[process p%d]\nnode = c1\ncmd = date +%%s.%%N\n' "$i"; done
} >"$TMP/many.conf"

echo "## 2. Inside a run: $N [process] sections \`date +%s.%N\` at start = 0 on c1"
echo
echo "| tier | started_s of p1 / p$N ms | p1: decided -> running ms | per process (slope of readings) ms | ratio to ip netns exec (host, latency) | p$N running after measured start ms | runtime_s median ms | run wall s |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for k in $KERNELS; do
	t0=$(date +%s.%N)
	if ! locked "$TB" run --quiet --kernel "$k" "$TMP/many.conf" --out "$TMP/o-$k" >/dev/null 2>"$TMP/err-$k"; then
		echo "| $k | run failed: $(tail -n 1 "$TMP/err-$k") |"
		continue
	fi
	wall=$(echo "$(date +%s.%N) - $t0" | bc -l)
	r=$TMP/o-$k/runs/c1-r1
	su=$(jq -r .load.start_unix "$r/run.json")
	for i in $(seq 1 "$N"); do # k started_s runtime_s reading-start_unix
		printf '%s %s %s\n' "$i" "$(jq -r '[.started_s, .runtime_s] | join(" ")' "$r/processes/p$i/status.json")" \
			"$(echo "$(cat "$r/processes/p$i/stdout") - $su" | bc -l)"
	done >"$TMP/rows-$k"
	# testbed starts them in file order in one pass: the readings' slope over k
	slope=$(awk '{ n++; sx += $1; sy += $4; sxx += $1 * $1; sxy += $1 * $4 }
		END { printf "%.3f", (n * sxy - sx * sy) / (n * sxx - sx * sx) * 1e3 }' "$TMP/rows-$k")
	s1=$(awk 'NR == 1 { printf "%.3f", $2 * 1e3 }' "$TMP/rows-$k")
	sN=$(awk 'END { printf "%.3f", $2 * 1e3 }' "$TMP/rows-$k")
	l1=$(awk 'NR == 1 { printf "%.3f", ($4 - $2) * 1e3 }' "$TMP/rows-$k")
	lN=$(awk 'END { printf "%.3f", $4 * 1e3 }' "$TMP/rows-$k")
	read -r rtm _ < <(awk '{ print $3 }' "$TMP/rows-$k" | stats)
	printf '| %s | %s / %s | %s | %s | %.2f× / %.2f× | %s | %s | %.1f |\n' "$k" "$s1" "$sN" "$l1" "$slope" \
		"$(echo "$l1 / $ns_m" | bc -l)" "$(echo "$slope / $ns_m" | bc -l)" "$lN" "$rtm" "$wall"
done
echo
echo "Reproduce: \`bench/processes/run.sh\` (N=$N KERNELS=\"$KERNELS\"), as root, from the top directory."
