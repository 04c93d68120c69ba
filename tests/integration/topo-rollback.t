#!/bin/bash
# A failure halfway through a build rolls back everything built so far and
# says what failed, with the kernel's words: a pre-existing namespace with
# the name a node needs, an invalid per-node sysctl value (before links), an
# invalid interface sysctl (after links), and a bad run id.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip
need_testbed
scratch TMP tbt-rb
RUN=tbt$$

gone() { # RUN: nothing of the run is left (the test's own namespaces aside)
	! ip netns list | grep -v "^$1-s1\$\|^$1-s1 " | grep -q "^$1-" && [ ! -e "/run/testbed/$1" ] &&
		! grep " /run/netns/$1-" /proc/self/mountinfo | grep -vq "/run/netns/$1-s1 "
}
# up_fails WHAT RUN FILE: an up that must fail with exit 1; its stderr is
# printed and stays in $TMP/err, its stdout in $TMP/out
up_fails() {
	"$TESTBED" up --run-id "$2" "$3" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	diag "$(cat "$TMP/err")"
	is "$rc" 1 "$1: up exits 1"
}

# 1. s1's namespace exists already: c1 and c2 are built first, then s1 fails
ip netns add "$RUN-s1" || bail "cannot create the conflicting namespace"
defer ip netns del "$RUN-s1"
up_fails "name conflict" "$RUN" "$TOP/topologies/dumbbell.conf"
ok "the message names the node, the namespace and the kernel's error" \
	grep -q "^testbed: node s1: create namespace $RUN-s1: File exists" "$TMP/err"
ok "c1 and c2 (built before the failure) are gone, and the run directory" gone "$RUN"
ok "the pre-existing namespace $RUN-s1 is left alone" ip netns exec "$RUN-s1" true
ok "no run id on stdout after a failure" test ! -s "$TMP/out"
ip netns del "$RUN-s1"

# 2. a bad sysctl value fails while the nodes are being set up
cat >"$TMP/badval.conf" <<'CONF'
[topology]
name = tbt-badval
[node a]
[node b]
sysctl.net.ipv4.tcp_congestion_control = tbt-no-such-cc
[node c]
forward = yes
[link a-c]
[link b-c]
CONF
up_fails "bad sysctl value" "${RUN}b" "$TMP/badval.conf"
ok "bad sysctl value: message with file:line, node, key and errno" \
	grep -q "badval.conf:5: node b: sysctl net.ipv4.tcp_congestion_control = tbt-no-such-cc: No such file or directory" "$TMP/err"
ok "bad sysctl value: node a rolled back" gone "${RUN}b"

# 3. an interface sysctl fails after every veth, address and route exists
cat >"$TMP/late.conf" <<'CONF'
[topology]
name = tbt-late
[node a]
[node r]
forward = yes
sysctl.net.ipv6.conf.eth1.mtu = 100
[node b]
[link a-r]
[link r-b]
CONF
up_fails "late sysctl failure" "${RUN}c" "$TMP/late.conf"
ok "late sysctl failure: the message names node r and the key" \
	grep -q "node r: sysctl.net.ipv6.conf.eth1.mtu = 100: Invalid argument" "$TMP/err"
ok "late sysctl failure: namespaces, veths and run dir rolled back" gone "${RUN}c"
is "$(ip -o link | grep -c '02:74:62')" 0 "no testbed veth end ever appears in the host namespace"

# 4. the same run id twice: the second is refused, the first untouched
"$TESTBED" up --run-id "${RUN}d" "$TOP/topologies/pair.conf" >/dev/null 2>"$TMP/err"
is "$?" 0 "up --run-id ${RUN}d"
defer "$TESTBED" down "${RUN}d"
"$TESTBED" up --run-id "${RUN}d" "$TOP/topologies/pair.conf" >/dev/null 2>"$TMP/err"
rc=$?
ok "a second up with the same run id fails (exit $rc): $(cat "$TMP/err")" grep -q "run ${RUN}d exists already" "$TMP/err"
n=$(ip netns list | grep -c "^${RUN}d-")
is "$n" 2 "the first run keeps its two namespaces"
"$TESTBED" down "${RUN}d"
ok "down ${RUN}d: gone" gone "${RUN}d"

# 5. usage errors and environment
"$TESTBED" up --run-id "Bad/Id" "$TOP/topologies/pair.conf" >/dev/null 2>&1
is "$?" 2 "a malformed run id is a usage error (exit 2)"
"$TESTBED" up "$TMP/no-such-file.conf" >/dev/null 2>&1
is "$?" 2 "a missing file is exit 2"
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$TESTBED" up "$TOP/topologies/pair.conf" >/dev/null 2>"$TMP/err"
	rc=$?
	is "$rc" 3 "not root: exit 3 ($(cat "$TMP/err"))"
else
	skip "no 'nobody' user or setpriv to test the non-root exit"
fi
"$TESTBED" down tbtnosuchrun 2>"$TMP/err"
ok "down of an unknown run fails and says so" grep -q 'no run "tbtnosuchrun"' "$TMP/err"
"$TESTBED" exec tbtnosuchrun c1 -- true 2>"$TMP/err"
ok "exec in an unknown run fails and says so" grep -q 'no run "tbtnosuchrun"' "$TMP/err"

done_testing
