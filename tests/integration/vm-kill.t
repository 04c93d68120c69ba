#!/bin/sh
# UML tier: a guest that hangs is killed at its deadline; a guest whose UML
# process is killed on the host, or whose testbed is killed or interrupted,
# leaves no linux.uml process behind.
. "$(dirname "$0")/../tap.sh"
[ -x /usr/bin/linux.uml ] || skip_all "needs Debian's user-mode-linux (apt-get install user-mode-linux)"
[ -x "$TESTBED" ] || skip_all "build testbed first (make)"
why=$("$TESTBED" probe 2>/dev/null | sed -n 's/^uml tier: *unavailable: *//p')
[ -z "$why" ] || skip_all "UML tier unavailable: $why"

T=$(mktemp -d /tmp/tbu-vmkill.$$.XXXX)
defer rm -rf "$T"
export TMPDIR=$T

# PIDs of the linux.uml processes whose command line names our TMPDIR.
ours() {
	for p in $(pgrep -x linux.uml); do
		{ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -q "uml_dir=$T/" && echo "$p"
	done
}
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
ok "it returned within 1.5 s of the deadline" [ "$ms" -ge 4000 ] && [ "$ms" -lt 5500 ]
ok "no linux.uml process of the hung guest remains" gone_within 0

# 2. The UML process is killed with SIGKILL on the host side.
"$TESTBED" guest --quiet --modules '' --timeout 60s -- /bin/sh -c "touch $T/up2; exec sleep 1000" \
	2>"$T/err2" &
tb=$!
if wait_file "$T/up2"; then
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
"$TESTBED" guest --quiet --modules '' --timeout 60s -- /bin/sh -c "touch $T/up3; exec sleep 1000" \
	2>/dev/null &
tb=$!
if wait_file "$T/up3"; then
	kill -KILL "$tb"
	wait "$tb" 2>/dev/null
	ok "testbed killed with SIGKILL: its guest is gone within 2 s" gone_within 20
	# The state directory stays (nobody ran the cleanup); testbed cleanup reaps it.
	rm -rf "$T"/testbed-vm.*
else
	fail "guest 3 did not start"; kill -KILL "$tb"
fi

# 4. testbed is interrupted (SIGTERM): it kills the guest, cleans up, exits 143.
"$TESTBED" guest --quiet --modules '' --timeout 60s -- /bin/sh -c "touch $T/up4; exec sleep 1000" \
	2>"$T/err4" &
tb=$!
if wait_file "$T/up4"; then
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
	setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$T" TMPDIR="$T" \
		"$TESTBED" guest --quiet --modules '' --timeout 60s -- /bin/sh -c "touch $T/up5; exec sleep 1000" \
		2>/dev/null &
	tb=$!
	if wait_file "$T/up5"; then
		kill -KILL "$tb"
		wait "$tb" 2>/dev/null
		ok "unprivileged testbed killed with SIGKILL: its guest is gone within 2 s" gone_within 20
		rm -rf "$T"/testbed-vm.*
	else
		fail "guest 5 did not start"; kill -KILL "$tb"
	fi
else
	skip "needs root and setpriv to run a guest as an unprivileged user"
fi

left=$(ls -d "$T"/testbed-vm.* 2>/dev/null)
is "$left" "" "no state directory left behind by the deadline, host-kill and SIGTERM cases"
done_testing
