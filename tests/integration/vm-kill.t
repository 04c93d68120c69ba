#!/bin/sh
# UML tier: a guest that hangs is killed at its deadline; a guest whose UML
# process is killed on the host, or whose testbed is killed or interrupted,
# leaves no linux.uml process behind.
. "$(dirname "$0")/../tap.sh"
need_uml
scratch T tbu-vmkill

# PIDs of the linux.uml processes whose command line names our TMPDIR.
ours() { uml_procs "$T"; }
# Poll (up to $1 tenths of a second) until no process of ours is left.
gone_within() {
	i=0
	while [ -n "$(ours)" ] && [ $i -lt "$1" ]; do sleep 0.1; i=$((i + 1)); done
	[ -z "$(ours)" ]
}
# Poll until the guest's command runs (it creates $1 on hostfs).
wait_file() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	[ -e "$1" ]
}
# sleeper N [WRAPPER...]: a guest (started through WRAPPER) whose command
# creates $T/upN and sleeps; tb is testbed's PID, $T/errN its stderr. True
# once the command runs.
sleeper() {
	_n=$1; shift
	"$@" "$TESTBED" guest --quiet --modules '' --timeout 60s -- /bin/sh -c "touch $T/up$_n; exec sleep 1000" \
		2>"$T/err$_n" &
	tb=$!
	wait_file "$T/up$_n"
}
# owner_killed N WHO [WRAPPER...]: testbed killed with SIGKILL takes its guest with it
owner_killed() {
	_n=$1 _who=$2; shift 2
	if sleeper "$_n" "$@"; then
		kill -KILL "$tb"
		wait "$tb" 2>/dev/null
		ok "$_who killed with SIGKILL: its guest is gone within 2 s" gone_within 20
		# The state directory stays (nobody ran the cleanup); testbed cleanup reaps it.
		rm -rf "$T"/testbed-vm-*
	else
		fail "guest $_n did not start"; kill -KILL "$tb"
	fi
}
# Kill what a failed test left, by PID (newest-first cleanup).
defer 'for p in $(ours); do kill -KILL "$p"; done'

plan 12

# 1. A command that never ends: killed at the deadline.
start=$(date +%s%N)
"$TESTBED" guest --quiet --modules '' --timeout 4s -- /bin/sleep 1000 2>"$T/err1"
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
diag "hung guest with --timeout 4s returned after ${ms} ms: $(head -1 "$T/err1")"
is "$rc" 1 "a hung guest fails (exit 1)"
ok "it is reported as killed at the deadline" grep -q 'did not finish within 4s' "$T/err1"
# not before the deadline, and not hung (the guest is killed, not waited for);
# 3 s of slack for a busy host
ok "it returned after the deadline, within 3 s of it" test "$ms" -ge 4000 -a "$ms" -lt 7000
ok "no linux.uml process of the hung guest remains" gone_within 0

# 2. The UML process is killed with SIGKILL on the host side.
if sleeper 2; then
	n=$(ours | wc -l)
	main=$(for p in $(ours); do echo "$p $(ps -o ppid= -p "$p")"; done | \
		while read -r p pp; do [ "$(ps -o comm= -p "$pp")" = linux.uml ] || echo "$p"; done | head -1)
	diag "guest up: $n linux.uml processes; killing the main one, $main"
	start=$(date +%s%N)
	kill -KILL "$main"
	wait "$tb"
	rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	diag "testbed guest returned $rc ${ms} ms after the kill: $(head -1 "$T/err2")"
	is "$rc" 1 "a guest killed on the host: testbed guest fails (exit 1)"
	ok "it says the guest ended without a status" grep -q 'without reporting a status' "$T/err2"
	ok "no linux.uml process of that guest remains" gone_within 0
else
	fail "guest 2 did not start"; kill -KILL "$tb"; skip "no guest"; skip "no guest"
fi

# 3. testbed itself is killed with SIGKILL: its guest must die with it.
owner_killed 3 testbed

# 4. testbed is interrupted (SIGTERM): it kills the guest, cleans up, exits 143.
if sleeper 4; then
	kill -TERM "$tb"
	wait "$tb"
	rc=$?
	is "$rc" 143 "testbed guest interrupted by SIGTERM exits 143"
	ok "no linux.uml process of that guest remains" gone_within 0
else
	fail "guest 4 did not start"; kill -KILL "$tb"; skip "no guest"
fi

# 5. The same SIGKILL as an unprivileged user (no CAP_SYS_ADMIN: the PID
# namespace needs a user namespace of its own).
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	chmod 1777 "$T"
	owner_killed 5 "unprivileged testbed" \
		setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$T" TMPDIR="$T"
else
	skip "needs root and setpriv to run a guest as an unprivileged user"
fi

left=$(ls -d "$T"/testbed-vm-* 2>/dev/null)
is "$left" "" "no state directory left behind by the deadline, host-kill and SIGTERM cases"
done_testing
