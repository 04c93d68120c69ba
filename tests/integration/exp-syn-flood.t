#!/bin/bash
# The shipped experiment syn_flood_syncookies at a short duration: its
# expectations hold (exit 0), and the counters the issue asks for are in the
# summary. Prints the table a person would read.
. "$(dirname "$0")/../tap.sh"
run_experiment syn_flood_syncookies --duration 4s
is "$(jq '.runs_complete' "$S")" 6 "6 runs complete (3 syncookies values x timestamps on/off)"
for k in $(seq 0 5); do
	p=$(jq -r ".cases[$k].label" "$S")
	sent=$(jq ".cases[$k].nodes.s1.counters.TcpExtSyncookiesSent.median // \"-\"" "$S")
	recv=$(jq ".cases[$k].nodes.s1.counters.TcpExtSyncookiesRecv.median // \"-\"" "$S")
	drop=$(jq ".cases[$k].nodes.s1.counters.TcpExtListenDrops.median // \"-\"" "$S")
	succ=$(jq ".cases[$k].flows.legit.metrics.success.median // \"-\"" "$S")
	diag "$p: SyncookiesSent=$sent SyncookiesRecv=$recv ListenDrops=$drop legit success=$succ%"
done
c1=$(jq '[.cases[] | select(.params["node.s1.sysctl.net.ipv4.tcp_syncookies"]=="1") | .nodes.s1.counters.TcpExtSyncookiesSent.median] | min' "$S")
ok "cookies sent with tcp_syncookies=1 ($c1)" [ "${c1%.*}" -gt 0 ]
c0=$(jq '[.cases[] | select(.params["node.s1.sysctl.net.ipv4.tcp_syncookies"]=="0") | .nodes.s1.counters.TcpExtSyncookiesSent.median] | max' "$S")
is "${c0%.*}" 0 "no cookies with tcp_syncookies=0"
ok "a capture of the legitimate client exists" ls "$TMP"/o/runs/c1-r1/pcap/c1-eth0.pcap
ok "report.md has the expectations" grep -q 'HELD' "$TMP/o/report.md"
done_testing
