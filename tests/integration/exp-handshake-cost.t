#!/bin/bash
# The shipped experiment handshake_cost (netem delay: runs in the UML guest on
# a host without it): every case's median time to first byte within 0.4 RTT
# of the round trips its protocol predicts (0-RTT over TLS: what GnuTLS's
# server allows, one more), and resumption, early data and TFO really used.
# Prints each case's ttfb in RTTs beside the prediction, and checks the
# capture and key log of the tls13_early case: the ClientHello carries the
# early_data extension, and the request (decrypted with the key log) leaves in
# the same segment as the ClientHello.
. "$(dirname "$0")/../tap.sh"
need_cmd jq tshark
run_experiment --needs netem handshake_cost --duration 3s --repeat 1
rtt=$(jq '.cases[] | select(.label | test("(^|=)tcp$")) | .flows.web.metrics.connect_p50.median' "$S")
diag "RTT (the tcp case's TCP connect, median): ${rtt} s"
for c in pool:1 tcp:2 tfo:1 tls12:4 tls13:3 tls13_resume:3 tls13_early:2 tfo_tls13_early:1 quic:2 quic_early:1; do
	jq -r --arg c "${c%%:*}" --argjson rtt "$rtt" --arg p "${c#*:}" \
		'.cases[] | select(.label | test("(^|=)" + $c + "$")) | .flows.web.metrics as $m |
		 "\($c): ttfb p50 \($m.ttfb_p50.median) s = \($m.ttfb_p50.median / $rtt * 100 | round / 100) RTT (predicted \($p)); handshake p50 \($m.handshake_p50.median // "-") s; requests \($m.requests.median); resumed \($m.resumed.median // "-"), early \($m.early_accepted.median // "-"), tfo \($m.tfo_syn_data.median // "-")"' \
		"$S" | while IFS= read -r l; do diag "$l"; done
done
# the tls13_early case's run: its capture and key log
k=$(jq -r '[.cases[].label] | index(map(select(test("(^|=)tls13_early$")))[0]) + 1' "$S")
d="$TMP/o/runs/c$k-r1"
pcap=$(ls "$d"/pcap/*.pcap 2>/dev/null | head -n 1)
ok "the tls13_early run kept a capture and a key log" test -s "$pcap" -a -s "$d/flows/web.keylog"
n_early=$(tshark -r "$pcap" -Y 'tls.handshake.extension.type == 42 && tls.handshake.type == 1' 2>/dev/null | wc -l)
diag "ClientHellos with the early_data extension in the capture: $n_early"
ok "ClientHellos carry early_data" test "$n_early" -gt 0
kl="tls.keylog_file:$d/flows/web.keylog"
n_http=$(tshark -r "$pcap" -o "$kl" -Y http.request 2>/dev/null | wc -l)
diag "HTTP requests decrypted with the key log: $n_http"
ok "the key log decrypts the HTTP requests" test "$n_http" -gt 0
n_0rtt=$(tshark -r "$pcap" -o "$kl" -Y 'tls.handshake.type == 1 && http.request' 2>/dev/null | wc -l)
diag "segments carrying a ClientHello and the request (0-RTT): $n_0rtt"
ok "the request rides in the ClientHello's segment" test "$n_0rtt" -gt 0
no_uml_left
done_testing
