#!/bin/bash
# counters_read() inside a namespace against `nstat` in the same namespace
# over the same interval: every counter nstat reports has the same delta.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip ss nstat perl
. "$(dirname "$0")/lib-obs.sh"
obs_setup counters
# No IPv6 on the links: router solicitations and MLD would move counters on
# their own between the two readings.
for n in $A $B; do
	ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
veth_join $A eth0 $B eth0 198.18.1

ip netns exec $B "$DRV" serve 198.18.1.2 5001 & SRV=$!
defer kill $SRV
ok "server listens" wait_for listening $B 5001
# one connection to a closed port too: a RST and TcpAttemptFails / TcpOutRsts
cat > "$OUT/traffic" <<EOF
#!/bin/sh
"$DRV" client 198.18.1.2 5001 100000 0 50 > /dev/null
"$DRV" client 198.18.1.2 5009 1 0 1 2> /dev/null
# wait until every close handshake is over: the namespace is quiet again
for i in \$(seq 100); do
	[ -z "\$(ss -Htan state fin-wait-1 state fin-wait-2 state last-ack state closing state close-wait)" ] && break
	sleep 0.05
done
sleep 0.3
EOF
chmod +x "$OUT/traffic"

HIST="$OUT/nstat.history"
# quiet before the first reading (delayed ACKs of the readiness probe, ARP)
sleep 0.3
NSTAT_HISTORY=$HIST ip netns exec $A nstat -n
"$DRV" counters $A -- ip netns exec $A "$OUT/traffic" > "$OUT/ours.json"
NSTAT_HISTORY=$HIST ip netns exec $A nstat -z --json > "$OUT/nstat.json"

ok "our delta is JSON" perl -MJSON::PP -e 'local $/; decode_json(<STDIN>)' < "$OUT/ours.json"
perl -MJSON::PP -e '
	local $/;
	open my $a, "<", $ARGV[0] or die; my $ours = decode_json(<$a>);
	open my $b, "<", $ARGV[1] or die; my $ns = decode_json(<$b>)->{kernel};
	my ($n, $bad, $missing) = (0, 0, 0);
	for my $k (sort keys %$ns) {
		$n++;
		if (!exists $ours->{$k}) { $missing++; print "missing $k\n"; next }
		if ($ours->{$k} != $ns->{$k}) { $bad++; print "differ $k ours=$ours->{$k} nstat=$ns->{$k}\n" }
	}
	print "compared $n missing $missing differ $bad\n";
' "$OUT/ours.json" "$OUT/nstat.json" > "$OUT/cmp"
while read -r l; do diag "$l"; done < "$OUT/cmp"
n=$(sed -n 's/^compared \([0-9]*\).*/\1/p' "$OUT/cmp")
ok "nstat reported counters ($n)" test "${n:-0}" -gt 100
ok "every nstat counter is present under the same name" grep -q 'missing 0 ' "$OUT/cmp"
ok "every delta equals nstat's" grep -q 'differ 0$' "$OUT/cmp"
get() { perl -MJSON::PP -e 'local $/; print decode_json(<STDIN>)->{$ARGV[0]} // "none"' "$1" < "$OUT/ours.json"; }
diag "TcpActiveOpens $(get TcpActiveOpens) TcpAttemptFails $(get TcpAttemptFails) TcpOutSegs $(get TcpOutSegs) TcpExtTW $(get TcpExtTW)"
is "$(get TcpActiveOpens)" 51 "TcpActiveOpens counts the 51 connects made in the namespace"
is "$(get TcpAttemptFails)" 1 "TcpAttemptFails counts the refused one"
ok "the host's counters are not the namespace's" test "$(get TcpActiveOpens)" -lt 1000

# Why counters_read opens /proc/thread-self/net: a second thread that setns()
# into the namespace sees the namespace there, but /proc/net and
# /proc/self/net follow the main thread (still in the host namespace).
pn=$("$DRV" procnet $A)
ns_opens=$(ip netns exec $A nstat -az TcpActiveOpens | awk '/TcpActiveOpens/ { print $2 }')
diag "second thread inside $A: $pn; nstat in $A: TcpActiveOpens $ns_opens"
is "$(echo "$pn" | sed 's/.*thread_self=//')" "$ns_opens" "/proc/thread-self/net is the thread's namespace"
ok "/proc/self/net is not (it follows the main thread)" \
	test "$(echo "$pn" | sed 's/.* self=\([0-9]*\).*/\1/')" != "$ns_opens"
done_testing
