#!/bin/sh
# UML tier: a guest boots with the host filesystem as root, loads netem and
# friends itself, runs a command with stdout/stderr passed through, and its
# exit status comes back. Nothing is left behind.
. "$(dirname "$0")/../tap.sh"
need_cmd tc
need_uml
# A private TMPDIR: the state directories of our guests live there, so we can
# tell ours apart from other users' and check that none is left behind.
scratch T tbu-vmbasic

plan 19

start=$(date +%s%N)
out=$("$TESTBED" guest --timeout 60s -- /bin/sh -c 'echo to-stdout; echo to-stderr >&2; exit 7' 2>"$T/err")
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
diag "guest with all modules, /bin/sh: ${ms} ms wall; $(grep -o 'boot.*' "$T/err")"
is "$rc" 7 "the command's exit status (7) comes back as testbed's"
is "$out" "to-stdout" "stdout passes through, alone"
ok "stderr passes through" grep -qx 'to-stderr' "$T/err"
ok "kernel version reported" grep -q 'kernel 6\.' "$T/err"

out=$("$TESTBED" guest --quiet --timeout 60s -- /bin/sh -c '
	tc qdisc add dev lo root netem delay 10ms loss 1% &&
	tc qdisc show dev lo && uname -r && cat /proc/sys/net/ipv4/tcp_available_congestion_control' 2>&1)
rc=$?
diag "$out"
is "$rc" 0 "tc qdisc add dev lo root netem succeeds inside the guest"
ok "tc shows netem with our delay inside the guest" sh -c 'echo "$1" | grep -q "qdisc netem .*delay 10ms"' - "$out"
ok "bbr is available inside the guest" sh -c 'echo "$1" | grep -qw bbr' - "$out"

out=$("$TESTBED" guest --quiet --timeout 60s -- probe 2>&1)
diag "$(echo "$out" | grep -E 'kernel|qdiscs')"
ok "a testbed subcommand runs in the guest and its probe sees netem, fq_codel, cake" \
	sh -c 'echo "$1" | grep -E "^qdiscs:" | grep -w netem | grep -w fq_codel | grep -qw cake' - "$out"

"$TESTBED" guest --quiet --modules sch_netem --timeout 60s -- /nonexistent/cmd 2>/dev/null
is "$?" 127 "a command that does not exist in the guest: 127"

"$TESTBED" guest --quiet --modules sch_netem --timeout 60s -- /bin/sh -c 'kill -TERM $$'
is "$?" 143 "a command killed by a signal in the guest: 128+signal"

# --mem sizes the guest; --log keeps its kernel log.
kb=$("$TESTBED" guest --quiet --modules '' --mem 128M --log "$T/console.log" --timeout 60s -- \
	/bin/sh -c "sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo")
diag "guest with --mem 128M: MemTotal $kb kB"
# MemTotal is 128M less the kernel's own (99-104 MB seen; UML's exec-shield
# gap adjustment varies with the host's address-space layout); the default is 512M
ok "--mem 128M gives the guest 64-128 MB" test "${kb:-0}" -gt 65536 -a "${kb:-0}" -le 131072
ok "--log FILE holds the guest's kernel log" grep -q 'Linux version 6\.' "$T/console.log"
rm -f "$T/console.log"

# Binary output comes back byte for byte (raw consoles, no CR/LF mangling).
"$TESTBED" guest --quiet --modules '' --timeout 60s -- /bin/sh -c \
	"head -c 1000000 /dev/urandom | tee $T/rand.guest" >"$T/rand.host"
ok "1 MB of binary stdout arrives byte-exact" cmp -s "$T/rand.guest" "$T/rand.host"
rm -f "$T/rand.guest" "$T/rand.host"

# A reader that goes away early (| head -1) does not kill testbed mid-guest.
first=$("$TESTBED" guest --quiet --modules '' --timeout 60s -- /bin/sh -c 'seq 1 200000; exit 5' | head -1)
left=$(ls -A "$T" | grep -v '^err$')
ok "stdout closed early: the guest still finishes and is cleaned up" test "$first" = 1 -a -z "$left"

# The whole guest stays on one host CPU: UML's kernel and user processes
# stopping and resuming each other across two CPUs made the guest fall
# behind (docs/kernel-tiers.md, "Guest stalls").
guest_cpus() { # TESTBED_PID: the CPUs each linux.uml process of that testbed may use
	i=0
	until pgrep -f "umid=tb$1-" >/dev/null || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 1 # its helper and user processes
	for p in $(pgrep -f "umid=tb$1-"); do
		sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$p/status"
	done | sort -u | tr '\n' ' '
}
"$TESTBED" guest --modules '' --timeout 60s -- /bin/sleep 3 2>"$T/err" &
cpus=$(guest_cpus $!)
wait
said=$(sed -n 's/.*host CPU \([0-9]*\),.*/\1/p' "$T/err")
diag "guest processes' CPUs: $cpus; testbed said: $(grep -o 'host CPU [0-9]*' "$T/err")"
is "$cpus" "$said " "every process of the guest is kept on the one host CPU testbed names"
TB_UML_CPU=any "$TESTBED" guest --modules '' --timeout 60s -- /bin/sleep 3 2>"$T/err" &
cpus=$(guest_cpus $!)
wait
mine=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
diag "TB_UML_CPU=any: guest processes' CPUs: $cpus (ours: $mine)"
is "$cpus" "$mine " "TB_UML_CPU=any leaves the guest on every CPU we may use"
ok "... and testbed says so" grep -q 'any host CPU' "$T/err"
rm -f "$T/err"

is "$(uml_procs "$T")" "" "no UML process of ours is left"
left=$(ls -A "$T" | grep -v '^err$')
is "$left" "" "no state directory is left in TMPDIR"
done_testing
