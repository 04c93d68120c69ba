#!/bin/bash
# The shipped experiment flow_control_zero_window at a short duration (host
# kernel): its expectations hold (exit 0): the slow reader's window falls to
# zero, the sender probes it and is held by flow control, and what the
# reader read is its rate. The capture, read by tshark as an independent
# oracle, shows the zero windows and the probes (tshark names Linux's
# zero-window probe, an old byte's sequence number without data,
# "Keep-Alive"). Prints the numbers a person would read. Then the same file
# with a reader of 100 kbit/s: its expectations hold against that rate.
. "$(dirname "$0")/../tap.sh"
run_experiment flow_control_zero_window --duration 8s --repeat 1
is "$(jq '.runs_complete' "$S")" 2 "2 runs complete (slow, fast)"
for c in slow fast; do
	q=".cases[] | select(.label==\"$c\")"
	f() { jq -r "$q | .flows.bulk.metrics.$1.median // \"-\"" "$S"; }
	n() { jq -r "$q | .nodes.$1.counters.$2.median // \"-\"" "$S"; }
	diag "$c: goodput=$(f goodput)bit/s read=$(f server_goodput)bit/s busy=$(f busy)s" \
		"rwnd_limited=$(f rwnd_limited)s cwnd_limited=$(f cwnd_limited)s" \
		"ToZeroWindowAdv=$(n s1 TcpExtTCPToZeroWindowAdv) WinProbe=$(n c1 TcpExtTCPWinProbe)"
done
p="$TMP/o/runs/c1-r1/pcap/c1-eth0.pcap"
if command -v tshark >/dev/null 2>&1 && [ -f "$p" ]; then
	zw=$(tshark -r "$p" -Y 'tcp.window_size == 0' 2>/dev/null | wc -l)
	pr=$(tshark -r "$p" -Y 'tcp.analysis.keep_alive or tcp.analysis.zero_window_probe' 2>/dev/null | wc -l)
	diag "capture of the slow case: $zw zero-window segments, $pr probes"
	ok "the capture shows the zero window ($zw)" [ "$zw" -gt 0 ]
	ok "the capture shows the sender's probes ($pr)" [ "$pr" -gt 0 ]
	s=$(awk -F, 'NR==1 { for (i = 1; i <= NF; i++) if ($i == "snd_wnd") k = i; next }
		$3 == "bulk" { n++; if ($k == 0) z++ } END { print z + 0 "/" n + 0 }' \
		"$TMP/o/runs/c1-r1/sockets/c1-tcp.csv")
	diag "sampler: snd_wnd 0 in $s samples of the sender"
	ok "tcp_info shows the zero window ($s)" [ "${s%/*}" -gt 0 ]
else
	skip "no tshark or no capture"
fi
# other parameters: a reader of 100 kbit/s through 8 KB; the expectations
# read the rate from the file (cfg()), so they judge it against 100 kbit/s
run_variant flow_control_zero_window \
	's/^flow.bulk.server.read_rate = 40kbit/flow.bulk.server.read_rate = 100kbit/; s/^flow.bulk.rcvbuf = 4k/flow.bulk.rcvbuf = 8k/' \
	--duration 8s --repeat 1
v=$(jq -r '.cases[] | select(.label=="slow") | .flows.bulk.metrics.server_goodput.median // 0' "$VS")
ok "the variant's reader read its own rate, 100 kbit/s, not the shipped 40 ($v bit/s)" \
	awk -v v="$v" 'BEGIN { exit !(v > 95000 && v < 105000) }'
done_testing
