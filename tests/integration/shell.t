#!/bin/sh
# testbed shell: the network of a file built on this kernel (or in a UML
# guest when it needs what this kernel lacks), a command beside it with
# TB_RUN and TB_NODES, its exit status as testbed's, and nothing left once it
# ends; node names resolve inside the nodes (each node's /etc/hosts is the
# run's), in `shell` and after `up`; `up` of a file that needs netem on a
# kernel without it exits 3 with a hint; an interactive shell on a
# terminal (a pty) edits lines and takes Ctrl-C, on the host and in a guest.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip ping python3
need_testbed
scratch T tbt-shell
PTY="$TOP/tests/integration/lib-pty.py"

cat >"$T/ab.conf" <<'EOF'
[topology]
name = ab
[node a]
[node b]
[link a-b]
EOF
cat >"$T/ab-netem.conf" <<'EOF'
[topology]
name = abnetem
[node a]
[node b]
[link a-b]
delay = 20ms
EOF

# diags TEXT: a diag line per line of TEXT
diags() { printf '%s\n' "$1" | while IFS= read -r _l; do diag "$_l"; done; }
# run_id FILE: the run id in testbed's "run ID is up" line in FILE
run_id() { sed -n 's/^testbed: run \([a-z0-9]*\) is up.*/\1/p' "$1" | head -n 1; }
# gone ID: nothing of run ID remains (namespaces, mounts, state, `testbed list`)
gone() {
	[ -n "$1" ] && ! ip netns list | grep -q "^$1-" && [ ! -e "/run/testbed/$1" ] &&
		! grep -q " /run/netns/$1-" /proc/self/mountinfo &&
		! "$TESTBED" list | grep -q "^$1 "
}

# the command's exit status; a process left in a node goes with the run
"$TESTBED" shell "$T/ab.conf" -- sh -c \
	'echo "$TB_RUN|$TB_NODES"; testbed exec $TB_RUN a -- sleep 3131 & sleep 0.3; exit 7' \
	>"$T/out" 2>"$T/err"
rc=$?
id=$(run_id "$T/err")
diag "shell -- sh -c 'exit 7': exit $rc, run $id, TB_RUN|TB_NODES: $(cat "$T/out")"
is "$rc" 7 "the command's exit status (7) is testbed's"
is "$(cat "$T/out")" "$id|a b" "TB_RUN is the run id, TB_NODES the node names"
ok "nothing of run $id remains: namespaces, mounts, /run/testbed/$id, testbed list" gone "$id"
ok "the sleep started inside node a was ended" wait_for sh -c '! pgrep -f "^sleep 3131$" >/dev/null'

# names resolve inside the nodes, on the host kernel
out=$("$TESTBED" shell --kernel host "$T/ab.conf" -- sh -c \
	'testbed exec $TB_RUN b -- ping -4 -c1 -W2 a && testbed exec $TB_RUN a -- ping -6 -c1 -W2 b' 2>&1)
rc=$?
diags "$(echo "$out" | grep -E 'bytes from|is up')"
is "$rc" 0 "shell: testbed exec \$TB_RUN b -- ping a (IPv4) and a -- ping b (IPv6) by name"
ok "shell: the name resolved to the node's address" sh -c 'echo "$1" | grep -q "bytes from a (198\."' - "$out"

# after `testbed up`: exec resolves names; down removes the hosts files
id=$("$TESTBED" up "$T/ab.conf" 2>"$T/err" | tail -n 1)
defer "$TESTBED" down "$id"
out=$("$TESTBED" exec "$id" b -- ping -c1 -W2 a 2>&1)
rc=$?
diag "up $id; exec b -- ping a: $(echo "$out" | grep 'bytes from')"
is "$rc" 0 "up, then testbed exec RUN b -- ping a: resolved and answered"
is "$("$TESTBED" exec "$id" a -- getent ahosts b | awk '{print $1}' | sort -u | tr '\n' ' ')" \
	"198.18.0.2 fd74:6200::2 " "getent ahosts b inside node a: b's first IPv4 and IPv6 addresses"
ok "the host's /etc/hosts is untouched" sh -c '! grep -qw "198.18.0.2" /etc/hosts'
ok "a hosts file per node under /run/testbed/$id/hosts" test -f "/run/testbed/$id/hosts/a" -a -f "/run/testbed/$id/hosts/b"
"$TESTBED" down "$id" >/dev/null 2>&1
ok "down removes the run's directory with its hosts files" gone "$id"

# --set and --case; a bad file, a bad key
out=$("$TESTBED" shell "$T/ab.conf" --set link.a-b.rate=10mbit -- sh -c 'tc -n $TB_RUN-a qdisc show' 2>&1)
rc=$?
diag "--set link.a-b.rate=10mbit: $(echo "$out" | grep -E 'qdisc (tbf|htb)' | head -n 1)"
ok "--set link.a-b.rate=10mbit shapes the link (exit $rc)" sh -c 'echo "$1" | grep -qE "rate 10Mbit"' - "$out"
"$TESTBED" shell "$T/ab.conf" --set link.a-b.nosuchkey=1 -- true 2>"$T/err"
rc=$?
diag "bad --set: exit $rc: $(head -n 1 "$T/err")"
is "$rc" 2 "--set with an unknown key: exit 2"
printf '[topology]\nname = bad\n[node a]\n[link a-c]\n' >"$T/bad.conf"
"$TESTBED" shell "$T/bad.conf" -- true 2>"$T/err"
rc=$?
diag "bad file: exit $rc: $(head -n 1 "$T/err")"
ok "a bad file: exit 2 with check's FILE:LINE error" sh -c '[ "$1" = 2 ] && grep -q "bad.conf:[0-9]" "$2"' - "$rc" "$T/err"

# an experiment with named cases: the base values by default, --case NAME's
cat >"$T/cases.conf" <<EOF
[experiment]
topology = $T/ab.conf
duration = 1s
[flow rr]
worker = rr
from = a
to = b
[node a]
sysctl.net.ipv4.tcp_tw_reuse = 0
[case reuse]
node.a.sysctl.net.ipv4.tcp_tw_reuse = 1
EOF
reuse() { "$TESTBED" shell "$T/cases.conf" "$@" -- sh -c \
	'testbed exec $TB_RUN a -- cat /proc/sys/net/ipv4/tcp_tw_reuse' 2>>"$T/err"; }
base=$(reuse) case=$(reuse --case reuse)
"$TESTBED" shell "$T/cases.conf" --case nosuch -- true 2>"$T/err"
rc=$?
diag "tcp_tw_reuse in node a: base $base, --case reuse $case; --case nosuch: exit $rc: $(tail -n 1 "$T/err")"
is "$base/$case" "0/1" "the base case by default, --case reuse applies its settings"
ok "--case with an unknown name: exit 2, the cases listed" \
	sh -c '[ "$1" = 2 ] && grep -q "its cases: reuse" "$2"' - "$rc" "$T/err"

# SIGTERM to testbed while the command runs: torn down, 128+15
"$TESTBED" shell "$T/ab.conf" -- sleep 300 >/dev/null 2>"$T/err" &
pid=$!
defer kill -9 "$pid"
wait_for sh -c "grep -q 'is up' '$T/err'"
id=$(run_id "$T/err")
kill -TERM "$pid"
wait "$pid"
rc=$?
diag "SIGTERM while the command runs: exit $rc; $(tail -n 1 "$T/err")"
is "$rc" 143 "SIGTERM to testbed: the command ended, exit 143"
ok "SIGTERM: nothing of run $id remains" gone "$id"

# an interactive shell on a terminal, on the host kernel
printf "PS1='tb-prompt\$ '\n" >"$T/.bashrc"
HOME=$T SHELL=/bin/bash python3 "$PTY" 'tb-prompt$ ' -- "$TESTBED" shell --kernel host "$T/ab.conf" \
	>"$T/pty" 2>"$T/pty.screen"
diag "pty, host kernel: $(tr '\n' ' ' <"$T/pty")"
ok "pty, host: line editing (backspaces) works" grep -q '^line-editing ok' "$T/pty"
ok "pty, host: Ctrl-C interrupts sleep 30 and the shell stays" grep -q '^ctrl-c ok' "$T/pty"
ok "pty, host: 'echo hi; exit 3' prints hi" grep -q '^echo ok' "$T/pty"
ok "pty, host: exit 3 is testbed's status" grep -qx 'status 3' "$T/pty"

# up of a file that needs netem on a kernel without it
if "$TESTBED" probe 2>/dev/null | grep -E '^qdiscs:' | grep -qw netem; then
	skip "this host kernel has netem: up builds the file here"
	skip "this host kernel has netem"
else
	"$TESTBED" up "$T/ab-netem.conf" >"$T/out" 2>"$T/err"
	rc=$?
	diag "up of a netem file: exit $rc: $(cat "$T/err")"
	ok "up of a file that needs netem (missing here): exit 3, hint names testbed shell" \
		sh -c '[ "$1" = 3 ] && grep -q "testbed shell" "$2"' - "$rc" "$T/err"
	ok "up refused before building: no run id printed, no run of the file in testbed list" \
		sh -c '[ ! -s "$1" ] && ! "$2" list | grep -q "ab-netem.conf"' - "$T/out" "$TESTBED"
fi

# in a User-Mode Linux guest
why=$(uml_unavailable)
if [ -z "$why" ]; then
	# `testbed probe` can say yes where a guest cannot boot: try one
	"$TESTBED" guest --quiet --modules '' --log "$T/boot.log" --timeout 60s -- /bin/true 2>/dev/null ||
		why="a UML guest does not boot here (testbed guest -- /bin/true fails): $(grep -E 'failed, errno|Kernel panic' "$T/boot.log" | sed 's/^\[[ 0-9.]*\] //' | head -n 2 | tr '\n' ' ')"
fi
if [ -n "$why" ]; then
	skip_all "$why"
fi
start=$(date +%s%N)
out=$("$TESTBED" shell --kernel uml "$T/ab-netem.conf" -- sh -c \
	'testbed exec $TB_RUN b -- ping -c1 -W2 a && tc -n $TB_RUN-a qdisc show | grep netem; exit 5' 2>&1)
rc=$?
diag "guest: $(( ($(date +%s%N) - start) / 1000000 )) ms"
diags "$(echo "$out" | grep -E 'bytes from|netem|is up')"
is "$rc" 5 "guest (--kernel uml): the command's exit status (5) comes back"
ok "guest: ping a by name from b across the netem link, whose qdisc is netem" \
	sh -c 'echo "$1" | grep -q "bytes from a" && echo "$1" | grep -q "qdisc netem"' - "$out"
out=$("$TESTBED" shell "$T/ab-netem.conf" -- sh -c 'testbed exec $TB_RUN b -- ping -4 -c1 -W2 a' 2>&1)
rc=$?
ms=$(echo "$out" | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p')
diag "auto: exit $rc, RTT $ms ms; $(echo "$out" | grep -m1 'guest')"
ok "auto picks the guest for netem; ping by name sees the 20 ms delay (RTT $ms ms)" \
	sh -c '[ "$1" = 0 ] && [ "${2%.*}" -ge 20 ]' - "$rc" "${ms:-0}"
HOME=$T SHELL=/bin/bash python3 "$PTY" 'tb-prompt$ ' -- "$TESTBED" shell "$T/ab-netem.conf" \
	>"$T/pty" 2>"$T/pty.screen"
diag "pty, guest: $(tr '\n' ' ' <"$T/pty")"
ok "pty, guest: line editing and Ctrl-C to sleep 30 (the shell stays)" \
	sh -c 'grep -q "^line-editing ok" "$1" && grep -q "^ctrl-c ok" "$1"' - "$T/pty"
ok "pty, guest: 'echo hi; exit 3' prints hi, exit 3" \
	sh -c 'grep -q "^echo ok" "$1" && grep -qx "status 3" "$1"' - "$T/pty"
is "$(uml_procs "$T")" "" "no linux.uml process of ours remains"
done_testing
