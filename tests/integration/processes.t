#!/bin/sh
# [process NAME] sections, as a user sees them: how each process ended
# (processes/NAME/status.json), the run's verdict (run.json, the exit code),
# report.md's Processes table; exit() and runtime() expectations that excuse
# a process; a timed-out process stopped after the duration; node names and
# {addr:NODE} inside a process; a real HTTP server and client on the host and
# the UML tier (value() from curl's JSON, the server's port in the sampler's
# rows); Ctrl-C and kill -9 + cleanup leave no process or namespace; sweeps
# and cases that set a process's env and cmd. Every process that could
# outlive testbed sleeps for a unique time (100.<pid><n>) so ours are told
# from anyone else's.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd jq ping
need_testbed
scratch TMP tbt-proc
cd "$TMP" || bail "cd $TMP"
TOPO="$TOP/tests/integration/chain3.conf"
U=$$

# sleepers N: PIDs of our processes sleeping 100.$U$N (pgrep leaves itself out)
sleepers() { pgrep -f "sleep 100\\.$U$1( |\$|')"; }
defer 'for n in 1 2 3 4 5; do pkill -KILL -f "sleep 100\\.$U$n"; done'
# status P: processes/P/status.json of run 1 of output directory $O
st() { jq -r "$2" "$O/runs/c1-r1/processes/$1/status.json" 2>/dev/null; }
runj() { jq -r "$1" "$O/runs/c1-r1/run.json" 2>/dev/null; }
# report_row P: the cells "ended" of P's row in report.md's Processes table
report_row() { sed -n '/^## Processes/,/^## /p' "$O/report.md" | awk -F' *[|] *' -v p="$1" '$3 == p {print $5}'; }
# run_tb NAME ARGS...: testbed run NAME.conf ARGS --out NAME.out (stderr in
# NAME.err); its exit status in RC, the directory in O. ARGS are --quiet
# unless given (--quiet also hides the run's error message)
run_tb() { _n=$1; shift; O="$TMP/$_n.out"
	[ $# -gt 0 ] || set -- --quiet
	"$TESTBED" run "$TMP/$_n.conf" "$@" --out "$O" >"$TMP/$_n.stdout" 2>"$TMP/$_n.err"
	RC=$?; }
# ours_gone RUN_ID: no namespace, no run directory, no `testbed list` line
ours_gone() {
	! ip netns list | grep -q "^$1-" && [ ! -e "/run/testbed/$1" ] &&
		! "$TESTBED" list 2>/dev/null | grep -q "^$1 "
}
wait_tries() { n=$1; shift; while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.05; n=$((n - 1)); done; return 1; }
matches() { printf '%s\n' "$1" | grep -Eq "$2"; }
jqe() { jq -e "$@" >/dev/null; }
in_range() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v != "null" && v >= lo && v <= hi) }'; }

plan 57

# --- 1. every way a process fails the run -----------------------------------
cat >fail.conf <<EOF
[experiment]
topology = $TOPO
duration = 2s
[process bad]
node = c1
cmd = sh -c 'echo oops >&2; exit 1'
[process missing]
node = c1
cmd = no-such-program --flag
[process deaf]
node = s1
cmd = sh -c 'trap "" TERM; sleep 100.${U}1'
stop = end
ready = port 9
[process waiter]
node = c1
after = deaf
cmd = true
[process slow]
node = s1
cmd = sleep 100.${U}2
EOF
t0=$(date +%s%N)
run_tb fail --repeat 1
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
diag "failing processes: exit $RC after $ms ms; $(grep -v warning fail.err | tail -n 1)"
is "$RC" 1 "a run whose processes fail: testbed run exits 1"
is "$(runj .status)" failed "run.json: status failed"
is "$(runj .error)" "process bad: exited with status 1 (see processes/bad/stderr)" \
	"run.json: the error is the first failing process's (bad, exit 1)"
ok "stderr says the same" grep -q '^testbed: process bad: exited with status 1' fail.err
is "$(st bad '[.state, .exit] | join(" ")')" "exited 1" "bad: state exited, exit 1"
is "$(cat "$O/runs/c1-r1/processes/bad/stderr")" oops "bad: its stderr is in processes/bad/stderr"
is "$(st missing '[.state, .exit] | join(" ")')" "failed to start 127" "missing: state failed to start, exit 127"
is "$(st missing .error)" 'cannot run "no-such-program": No such file or directory' "missing: error says which command and why"
is "$(st deaf '[.state, .signal, .exit, .ready] | join(" ")')" "killed KILL 137 false" \
	"deaf (ignores SIGTERM, never listens on port 9): killed by SIGKILL, exit 137, never ready"
ended=$(st deaf .ended_s)
diag "deaf: started $(st deaf .started_s) s, ended $ended s (duration 2 s, SIGKILL 2 s after SIGTERM)"
ok "deaf: SIGKILL came at least 2 s after the duration (SIGTERM, then 2 s)" in_range "$ended" 4.0 9
is "$(st waiter '[.state, (.started_s|tostring), (.exit|tostring)] | join(" ")')" "not started null null" \
	"waiter (after deaf): not started, no start time, no exit"
rt=$(st slow .runtime_s)
diag "slow (sleep past the 2 s duration): $(st slow '[.state, .signal] | join(" ")'), runtime $rt s"
is "$(st slow '[.state, .signal] | join(" ")')" "timed out TERM" "slow: timed out, stopped with SIGTERM"
ok "slow: ran at least the duration and was stopped within 3 s of it" in_range "$rt" 2.0 5.0
for p in bad missing deaf waiter slow; do
	row=$(report_row $p)
	diag "report.md: $p | $row"
	want=$(case $p in bad) echo 'exit 1 ×1' ;; missing) echo 'failed to start ×1' ;;
		deaf) echo 'killed ×1' ;; waiter) echo 'not started ×1' ;; slow) echo 'timed out ×1' ;; esac)
	is "$row" "$want" "report.md's Processes table: $p ended \"$want\""
done
id=$(runj .run_id)
ok "no namespace, run directory or testbed list entry of run $id remains" ours_gone "$id"
is "$(sleepers 1)$(sleepers 2)" "" "no sleep 100.${U}1 / 100.${U}2 process remains"

# --- 2. expectations excuse what they judge -----------------------------------
cat >excuse.conf <<EOF
[experiment]
topology = $TOPO
duration = 1s
[process bad]
node = c1
cmd = sh -c 'exit 1'
[process slow]
node = c1
cmd = sleep 100.${U}3
[expect]
bad_exits_1 = exit(bad) == 1
slow_runs_on = runtime(slow) >= 1s
EOF
run_tb excuse
diag "exit(bad) == 1 and runtime(slow) >= 1s: exit $RC; $(jq -r '.expectations[] | "\(.name): \(.held) (\(.combinations[0].lhs))"' "$O/summary.json" 2>/dev/null | tr '\n' ' ')"
is "$RC" 0 "exit(bad) == 1 and runtime(slow) >= 1s hold: exit 0"
is "$(runj .status)" complete "a process judged by exit() / runtime() does not fail the run"
is "$(jq -r '[.expectations[].held] | join(" ")' "$O/summary.json")" "true true" "summary.json: both expectations held"
is "$(st slow .state)" "timed out" "slow is still marked timed out"
is "$(sleepers 3)" "" "no sleep 100.${U}3 process remains"

# --- 3. node names and {addr:NODE} inside processes ---------------------------
cat >names.conf <<EOF
[experiment]
topology = $TOPO
duration = 2s
[process ping]
node = c1
cmd = ping -4 -n -c1 -W2 s1
[process addr]
node = c1
cmd = echo {addr:s1} {addr6:s1} node=\$TB_NODE
[process look]
node = r1
cmd = getent hosts c1
EOF
run_tb names
a4=$(st addr '.argv[1]')
a6=$(st addr '.argv[2]')
diag "ping: $(head -n 2 "$O/runs/c1-r1/processes/ping/stdout" | tail -n 1)"
diag "{addr:s1} -> $a4, {addr6:s1} -> $a6; getent hosts c1 in r1: $(cat "$O/runs/c1-r1/processes/look/stdout")"
is "$RC" 0 "ping s1 / getent inside nodes: exit 0"
is "$(st ping '[.state, .exit] | join(" ")')" "exited 0" "ping -c1 s1 from c1: exited 0 (s1 resolves inside c1)"
ok "{addr:s1} is expanded to an IPv4 address in status.json argv" matches "$a4" '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$'
ok "{addr6:s1} is expanded to an IPv6 address" matches "$a6" '^[0-9a-f:]+:[0-9a-f:]+$'
ok "ping reached the address {addr:s1} names" grep -q "from $a4: icmp_seq=1" "$O/runs/c1-r1/processes/ping/stdout"
ok "\$TB_NODE was not expanded by a shell (no shell runs): argv has it verbatim" \
	grep -qx "$a4 $a6 node=\\\$TB_NODE" "$O/runs/c1-r1/processes/addr/stdout"
ok "getent hosts c1 inside r1 finds c1" grep -q ' c1$' "$O/runs/c1-r1/processes/look/stdout"

# --- 4. an HTTP server and its client, host and guest -------------------------
cat >web.conf <<EOF
[experiment]
topology = $TOPO
duration = 3s
[process web]
node = s1
cmd = python3 -m http.server 8080 --directory {out}
stop = end
ready = port 8080
ports = 8080
[process fetch]
node = c1
after = web
cmd = curl -s -o /dev/null -w '%{json}' http://s1:8080/
output = json
[process hold]
node = c1
after = fetch
cmd = sleep 1
[expect]
ok = value(fetch, http_code) == 200
EOF
# web_checks TIER: what the user sees of the pair
web_checks() {
	diag "$1: exit $RC; web $(st web '[.state, .ready_s] | join(" ready at ")') s; fetch $(st fetch '[.state, .exit, .started_s] | join(" ")'); http_code $(jq -r .http_code "$O/runs/c1-r1/processes/fetch/stdout" 2>/dev/null)"
	[ $RC -eq 0 ] || tail -n 5 "$TMP/$_n.err" | sed 's/^/# /'
	is "$RC" 0 "$1: value(fetch, http_code) == 200 holds (exit 0)"
	is "$(jq -r '.expectations[0].combinations[0].lhs' "$O/summary.json")" 200 "$1: summary.json: value(fetch, http_code) is 200"
	is "$(st web '[.state, .ready] | join(" ")')" "stopped true" "$1: web (stop = end) was ready and stopped at the end"
	ok "$1: fetch started only once web was ready" \
		jqe --slurpfile w "$O/runs/c1-r1/processes/web/status.json" '.started_s >= $w[0].ready_s' \
		"$O/runs/c1-r1/processes/fetch/status.json"
	ok "$1: report.md's Processes table shows http_code = 200 for fetch" \
		sh -c "sed -n '/^## Processes/,/^## /p' '$O/report.md' | grep -q '| fetch |.*http_code = 200'"
	csv="$O/runs/c1-r1/sockets/s1-tcp.csv"
	col=$(head -n 1 "$csv" 2>/dev/null | tr ',' '\n' | grep -n -x flow | cut -d: -f1)
	rows=$(awk -F, -v c="$col" 'NR > 1 && $c == "web"' "$csv" 2>/dev/null | wc -l)
	diag "$1: sockets/s1-tcp.csv: label column $col (flow), $rows rows labelled web"
	ok "$1: ports = 8080: the sampler's rows of s1 carry the label web" test "$rows" -ge 1
}
run_tb web
web_checks host
if [ -n "$(uml_unavailable)" ]; then
	for _ in 1 2 3 4 5 6; do skip "$(uml_unavailable)"; done
else
	t0=$(date +%s%N)
	cp web.conf webuml.conf
	run_tb webuml --quiet --kernel uml
	diag "guest run took $(( ($(date +%s%N) - t0) / 1000000 )) ms; kernel $(jq -r '.kernel | "\(.tier) \(.release)"' "$O/summary.json")"
	web_checks uml
fi

# --- 5. a sweep over env.N and a case that sets cmd ---------------------------
cat >sweep.conf <<EOF
[experiment]
topology = $TOPO
duration = 1s
[process show]
node = c1
cmd = sh -c 'echo "n=\$N"'
env.N = 1
metric.n = n=([0-9]+)
[sweep]
process.show.env.N = 5, 7
[case semi]
process.show.cmd = sh -c 'echo "n=\$N" ; echo n=99'
[case plain]
note = plain
EOF
run_tb sweep
got=$(jq -r '.cases[] | "\(.params.case)/\(.params["process.show.env.N"])=\(.processes.show.values.n.median)"' "$O/summary.json" 2>/dev/null | sort | tr '\n' ' ')
diag "value(show, n) per case: $got"
is "$RC" 0 "sweep and cases over a process: exit 0"
is "$got" "plain/5=5 plain/7=7 semi/5=99 semi/7=99 " "value(show, n): env.N per sweep value, the case's cmd (last match) in semi"
semi=$(for d in "$O"/runs/*; do jq -e '.params.case == "semi" and .params["process.show.env.N"] == "5"' "$d/run.json" >/dev/null 2>&1 && echo "$d"; done | head -n 1)
is "$(tr '\n' ' ' <"$semi/processes/show/stdout" 2>/dev/null)" "n=5 n=99 " "case semi: \" ; \" inside sh -c's argument is part of the command (both echos ran)"
is "$(jq -r '.argv | length' "$semi/processes/show/status.json" 2>/dev/null)" 3 "case semi: argv is sh, -c and one script"

# --- 6. Ctrl-C during a run, then kill -9 and cleanup -------------------------
svc() { # svc N: a file whose one service sleeps 100.$U$N for 30 s
	cat >"svc$1.conf" <<EOF
[experiment]
topology = $TOPO
duration = 30s
[process svc]
node = s1
cmd = sh -c 'sleep 100.$U$1; true'
stop = end
EOF
}
svc 4
"$TESTBED" run --quiet "$TMP/svc4.conf" --out "$TMP/svc4.out" >/dev/null 2>"$TMP/svc4.err" &
tb=$!
defer kill -9 "$tb"
if wait_tries 200 sh -c "[ -n \"\$(pgrep -f 'sleep 100\\.${U}4')\" ]"; then
	t0=$(date +%s%N)
	kill -INT "$tb"
	wait "$tb"
	rc=$?
	O="$TMP/svc4.out"
	diag "SIGINT: exit $rc after $(( ($(date +%s%N) - t0) / 1000000 )) ms: $(tail -n 1 "$TMP/svc4.err")"
	is "$rc" 130 "Ctrl-C during a run with a service: exit 130"
	is "$(jq -r '[.complete, .interrupted] | join(" ")' "$O/manifest.json")" "false Interrupt" "manifest.json: complete false, interrupted"
	is "$(runj .status)" incomplete "run.json: status incomplete"
	diag "svc after Ctrl-C: $(st svc '[.state, .signal] | join(" ")')"
	is "$(st svc .state)" stopped "svc: stopped"
	is "$(sleepers 4)" "" "no sleep 100.${U}4 process remains"
	ok "no namespace or run of it remains" ours_gone "$(runj .run_id)"
else
	fail "the service never started ($(tail -n 1 "$TMP/svc4.err"))"
	for _ in 1 2 3 4 5; do skip "no service"; done
fi

svc 5
"$TESTBED" run --quiet "$TMP/svc5.conf" --out "$TMP/svc5.out" >/dev/null 2>"$TMP/svc5.err" &
tb=$!
defer kill -9 "$tb"
if wait_tries 200 sh -c "[ -n \"\$(pgrep -f 'sleep 100\\.${U}5')\" ]"; then
	id=$("$TESTBED" list 2>/dev/null | awk -v p="$tb" '$3 == p {print $1}')
	kill -9 "$tb"
	wait "$tb" 2>/dev/null
	diag "kill -9 of testbed (run $id): left $(sleepers 5 | wc -l) sleep process(es), $(ip netns list | grep -c "^$id-") namespaces; list: $("$TESTBED" list 2>/dev/null | grep "^$id ")"
	"$TESTBED" cleanup >"$TMP/cleanup.out" 2>&1
	rc=$?
	diag "cleanup: exit $rc: $(tr '\n' ' ' <"$TMP/cleanup.out")"
	is "$rc" 0 "testbed cleanup after kill -9 exits 0"
	ok "after cleanup no sleep 100.${U}5 process remains" wait_tries 40 sh -c "[ -z \"\$(pgrep -f 'sleep 100\\.${U}5')\" ]"
	ok "after cleanup nothing of run $id remains" ours_gone "${id:-none}"
else
	fail "the service never started ($(tail -n 1 "$TMP/svc5.err"))"
	skip "no service"; skip "no service"
fi
done_testing
