#!/bin/bash
# Every node gets its own TCP established hash (4096 buckets) without the
# host's tcp_child_ehash_entries changing, keeps the TIME-WAIT and SYN
# backlog limits a plain namespace gets on this host, a node's own sysctl
# still wins, and no throwaway namespace is left behind.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip sysctl
[ -x "$TESTBED" ] || skip_all "build ./testbed first (make)"
sysctl -n net.ipv4.tcp_child_ehash_entries > /dev/null 2>&1 || skip_all "kernel without per-namespace TCP hash (before 6.1)"

TMP=$(mktemp -d /tmp/tbs-ehash.XXXXXX)
defer rm -rf "$TMP"
RUN=tbs$$
host_child=$(sysctl -n net.ipv4.tcp_child_ehash_entries)
# the limits of a namespace created the ordinary way
ip netns add $RUN-plain || bail "ip netns add"
defer ip netns del $RUN-plain
plain_tw=$(ip netns exec $RUN-plain sysctl -n net.ipv4.tcp_max_tw_buckets)
plain_syn=$(ip netns exec $RUN-plain sysctl -n net.ipv4.tcp_max_syn_backlog)
plain_eh=$(ip netns exec $RUN-plain sysctl -n net.ipv4.tcp_ehash_entries)
diag "plain namespace: tcp_ehash_entries $plain_eh, max_tw_buckets $plain_tw, max_syn_backlog $plain_syn"
cat > "$TMP/t.conf" <<CONF
[topology]
name = ehash
[node a]
sysctl.net.ipv4.tcp_max_tw_buckets = 1000
[node b]
[link a-b]
CONF
"$TESTBED" up --run-id $RUN "$TMP/t.conf" > "$TMP/out" 2> "$TMP/err"
is "$?" 0 "testbed up"
defer "$TESTBED" down $RUN
get() { ip netns exec $RUN-$1 sysctl -n "net.ipv4.$2"; }
diag "a: ehash $(get a tcp_ehash_entries) tw $(get a tcp_max_tw_buckets) syn $(get a tcp_max_syn_backlog)"
diag "b: ehash $(get b tcp_ehash_entries) tw $(get b tcp_max_tw_buckets) syn $(get b tcp_max_syn_backlog)"
is "$(get a tcp_ehash_entries),$(get b tcp_ehash_entries)" "4096,4096" "both nodes have their own 4096-bucket hash"
is "$(get b tcp_max_tw_buckets)" "$plain_tw" "TIME-WAIT limit as in a plain namespace"
is "$(get a tcp_max_syn_backlog),$(get b tcp_max_syn_backlog)" "$plain_syn,$plain_syn" "SYN backlog limit as in a plain namespace"
is "$(get a tcp_max_tw_buckets)" 1000 "a node's own sysctl wins"
is "$(get a tcp_child_ehash_entries),$(get b tcp_child_ehash_entries)" "0,0" "nodes create ordinary namespaces themselves"
is "$(sysctl -n net.ipv4.tcp_child_ehash_entries)" "$host_child" "the host's tcp_child_ehash_entries is untouched"
addr_b=$(ip -n $RUN-b -4 -o addr show dev eth0 | awk '{ split($4, x, "/"); print x[1] }')
ip netns exec $RUN-a ping -c1 -W2 "$addr_b" > /dev/null
is "$?" 0 "a reaches b ($addr_b)"
is "$(ip netns list | grep "^$RUN-" | grep -vc "^$RUN-plain")" 2 "only the two nodes are mounted (the throwaway namespace is not)"
"$TESTBED" down $RUN > /dev/null 2>&1
is "$?" 0 "testbed down"
is "$(ip netns list | grep -c "^$RUN-[ab]")" 0 "the nodes are gone"
done_testing
