#!/bin/bash
# Build the dumbbell and the 5-router chain with `testbed up`; from every
# node reach every address of every other node over IPv4 and IPv6; check
# addresses, routes, forwarding and per-node sysctls with ip(8) and sysctl(8)
# inside the namespaces; `testbed down` leaves nothing behind.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip ping sysctl
[ -x "$TESTBED" ] || skip_all "build ./testbed first (make)"

TMP=$(mktemp -d /tmp/tbt-reach.XXXXXX)
defer rm -rf "$TMP"

gone() { # RUN: nothing of the run is left
	! ip netns list | grep -q "^$1-" && [ ! -e "/run/testbed/$1" ] &&
		! grep -q " /run/netns/$1-" /proc/self/mountinfo
}

check_topology() { # FILE NAME ROUTERS
	file=$1 tname=$2
	out=$("$TESTBED" up "$file" 2>"$TMP/err")
	rc=$?
	run=$(printf '%s\n' "$out" | tail -n 1)
	is "$rc" 0 "$tname: testbed up exits 0"
	[ "$rc" -eq 0 ] || { diag "$(cat "$TMP/err")"; return; }
	defer "$TESTBED" down "$run"
	ok "$tname: run id '$run' is the last line and short" test "${#run}" -le 15 -a -n "$run"
	nodes=$(ip netns list | sed -n "s/^$run-\([^ ]*\).*/\1/p" | sort)
	n_nodes=$(printf '%s\n' "$nodes" | wc -l)
	want_nodes=$(grep -c '^\[node ' "$file")
	is "$n_nodes" "$want_nodes" "$tname: one namespace per node in ip netns list"

	# every address of every node, from every other node, both families
	tried=0 failed=0 failures=
	for dst in $nodes; do
		addrs=$(ip -n "$run-$dst" -o addr show scope global | awk '{print $4}' | cut -d/ -f1)
		for src in $nodes; do
			[ "$src" = "$dst" ] && continue
			for a in $addrs; do
				tried=$((tried + 1))
				if ! ip netns exec "$run-$src" ping -c 1 -W 2 -q "$a" >/dev/null 2>&1; then
					failed=$((failed + 1)); failures="$failures $src->$a"
				fi
			done
		done
	done
	diag "$tname: $tried pings from every node to every address, $failed failed$failures"
	ok "$tname: every node reaches every address of every other node (v4 and v6)" test "$tried" -gt 0 -a "$failed" -eq 0
	v6=$(ip -n "$run-$dst" -o -6 addr show scope global | wc -l)
	ok "$tname: IPv6 addresses present ($v6 on $dst)" test "$v6" -gt 0

	# addresses: one v4 and one v6 per interface, the two ends of a link share a subnet
	bad=0 links=0
	for n in $nodes; do
		for ifc in $(ip -n "$run-$n" -o link show type veth | awk -F': ' '{print $2}' | cut -d@ -f1); do
			links=$((links + 1))
			a4=$(ip -n "$run-$n" -o -4 addr show dev "$ifc" | awk '{print $4}')
			a6=$(ip -n "$run-$n" -o -6 addr show dev "$ifc" scope global | awk '{print $4}')
			case "$a4" in 198.1[89].*/24) ;; *) bad=$((bad + 1)); diag "$n/$ifc v4 '$a4'" ;; esac
			case "$a6" in fd74:6200:*/64) ;; *) bad=$((bad + 1)); diag "$n/$ifc v6 '$a6'" ;; esac
			mtu=$(cat "/sys/class/net/$ifc/mtu" 2>/dev/null) # host view: not ours
			: "$mtu"
		done
	done
	is "$bad" 0 "$tname: $links interfaces carry one pool address per family"

	# routes: a static route per family for every link subnet the node is not on
	n_links=$(grep -c '^\[link ' "$file")
	bad=0
	for n in $nodes; do
		deg=$(ip -n "$run-$n" -o link show type veth | wc -l)
		r4=$(ip -n "$run-$n" -4 route show proto static | wc -l)
		r6=$(ip -n "$run-$n" -6 route show proto static | wc -l)
		want=$((n_links - deg))
		if [ "$r4" -ne "$want" ] || [ "$r6" -ne "$want" ]; then
			bad=$((bad + 1)); diag "$n: $r4 v4 / $r6 v6 static routes, want $want"
		fi
	done
	is "$bad" 0 "$tname: every node has a route per family to each subnet it is not on"

	# forwarding sysctls: on for forwarding nodes, off elsewhere
	bad=0
	for n in $nodes; do
		f4=$(ip netns exec "$run-$n" sysctl -n net.ipv4.ip_forward)
		f6=$(ip netns exec "$run-$n" sysctl -n net.ipv6.conf.all.forwarding)
		want=0
		awk -v n="$n" '$0=="[node " n "]"{f=1;next} /^\[/{f=0} f && /^forward *= *yes/{found=1} END{exit !found}' "$file" && want=1
		if [ "$f4" != "$want" ] || [ "$f6" != "$want" ]; then
			bad=$((bad + 1)); diag "$n: ip_forward=$f4 ipv6 forwarding=$f6, want $want"
		fi
	done
	is "$bad" 0 "$tname: forwarding on exactly on forwarding nodes (ipv4 and ipv6)"

	ok "$tname: testbed exec runs inside the node" test "$("$TESTBED" exec "$run" "$src" -- cat /proc/sys/net/ipv4/ip_forward)" = "$(ip netns exec "$run-$src" sysctl -n net.ipv4.ip_forward)"
	"$TESTBED" exec "$run" "$src" -- sh -c 'exit 7'
	is "$?" 7 "$tname: testbed exec passes the exit status through"
	"$TESTBED" down "$run"
	is "$?" 0 "$tname: testbed down exits 0"
	ok "$tname: nothing of run $run remains (namespaces, mounts, run dir)" gone "$run"
}

check_topology "$TOP/topologies/dumbbell.conf" dumbbell
check_topology "$TOP/topologies/chain.conf" "chain (5 routers)"

# per-node sysctls, including an interface key that exists only once links do
cat >"$TMP/sys.conf" <<'CONF'
[topology]
name = tbt-sysctl
[node a]
sysctl.net.ipv4.tcp_syncookies = 2
sysctl.net.ipv4.conf.eth0.rp_filter = 2
sysctl.net.ipv4.tcp_congestion_control = reno
[node b]
[link a-b]
CONF
run=$("$TESTBED" up "$TMP/sys.conf" 2>"$TMP/err" | tail -n 1)
if [ -n "$run" ] && ip netns list | grep -q "^$run-a"; then
	defer "$TESTBED" down "$run"
	got="$(ip netns exec "$run-a" sysctl -n net.ipv4.tcp_syncookies) $(ip netns exec "$run-a" sysctl -n net.ipv4.conf.eth0.rp_filter) $(ip netns exec "$run-a" sysctl -n net.ipv4.tcp_congestion_control)"
	is "$got" "2 2 reno" "per-node sysctls are set inside node a (syncookies, eth0 rp_filter, cc)"
	other="$(ip netns exec "$run-b" sysctl -n net.ipv4.tcp_syncookies)"
	ok "node b keeps its own value (tcp_syncookies=$other)" test "$other" != 2 -o "$(sysctl -n net.ipv4.tcp_syncookies)" = 2
	"$TESTBED" down "$run"
	ok "sysctl topology: nothing remains" gone "$run"
else
	fail "up with per-node sysctls"; diag "$(cat "$TMP/err")"
fi

# a host-wide key is refused, and says so
cat >"$TMP/host.conf" <<'CONF'
[topology]
name = tbt-hostwide
[node a]
sysctl.net.core.rmem_max = 4194304
[node b]
[link a-b]
CONF
before=$(ip netns list | wc -l)
"$TESTBED" up "$TMP/host.conf" >/dev/null 2>"$TMP/err"
rc=$?
diag "$(cat "$TMP/err")"
ok "host-wide sysctl net.core.rmem_max: refused (exit $rc) with a message that says host-wide" \
	grep -q "net.core.rmem_max.*host-wide" "$TMP/err"
is "$(ip netns list | wc -l)" "$before" "host-wide sysctl: no namespace left behind"
cat >"$TMP/kern.conf" <<'CONF'
[topology]
name = tbt-kernel
[node a]
sysctl.kernel.pid_max = 4194304
[node b]
[link a-b]
CONF
"$TESTBED" up "$TMP/kern.conf" >/dev/null 2>"$TMP/err"
ok "kernel.pid_max is refused as not per network namespace" grep -q "kernel.pid_max.*not per network namespace" "$TMP/err"

# offloads off on a shaped link (both ends) and, with offload = auto, on every
# other link of the shaped topology too; offload = on keeps them; the hook ran
if command -v ethtool >/dev/null && command -v tc >/dev/null; then
	cat >"$TMP/shaped.conf" <<CONF
[experiment]
topology = $TOP/topologies/dumbbell.conf
duration = 1s
[link r1-r2]
rate = 50mbit
[link c2-r1]
offload = on
[flow f]
from = c1
to = s1
worker = bulk
CONF
	run=$("$TESTBED" up "$TMP/shaped.conf" 2>"$TMP/err" | tail -n 1)
	if [ -n "$run" ] && ip netns list | grep -q "^$run-r1"; then
		defer "$TESTBED" down "$run"
		feat() { ip netns exec "$run-$1" ethtool -k "$2" | awk -F': ' -v k="$3" '$1 == k {print $2}' | cut -d' ' -f1; }
		got="$(feat r1 eth2 tcp-segmentation-offload) $(feat r1 eth2 generic-segmentation-offload) $(feat r1 eth2 generic-receive-offload) $(feat r2 eth0 tcp-segmentation-offload) $(feat r2 eth0 generic-segmentation-offload)"
		is "$got" "off off off off off" "shaped link r1-r2: TSO, GSO, GRO off on both ends (ethtool -k)"
		is "$(feat r1 eth0 tcp-segmentation-offload) $(feat c1 eth0 generic-segmentation-offload)" "off off" "auto: an unshaped link of a shaped topology has offloads off too (no GRO aggregates reach netem)"
		is "$(feat r1 eth1 tcp-segmentation-offload) $(feat c2 eth0 generic-segmentation-offload)" "on on" "offload = on keeps them"
		ok "the shaping hook installed the rate on r1/eth2 (tc: $(tc -n "$run-r1" qdisc show dev eth2 | head -n1))" \
			eval "tc -n $run-r1 qdisc show dev eth2 | grep -q 'rate 50Mbit'"
		"$TESTBED" down "$run"
		ok "shaped topology: nothing remains" gone "$run"
	else
		fail "up of a shaped experiment"; diag "$(cat "$TMP/err")"
	fi
else
	skip "needs ethtool and tc for the offload checks"
fi

done_testing
