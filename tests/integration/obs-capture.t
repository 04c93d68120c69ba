#!/bin/bash
# libpcap capture inside a namespace against `tshark -r`: packet, SYN and FIN
# counts; snaplen; BPF filter; the size cap stops with a notice; drops are
# reported; bad filters and interfaces are refused with context.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip ss tshark
. "$(dirname "$0")/lib-obs.sh"
obs_setup capture
veth_join $A eth0 $B eth0 198.18.2

ip netns exec $B "$DRV" serve 198.18.2.2 5001 & SRV=$!
defer kill $SRV
ok "server listens" wait_for listening $B 5001
cat > "$OUT/traffic" <<EOF
#!/bin/sh
ip netns exec $A "$DRV" client 198.18.2.2 5001 \${1:-100000} 0 \${2:-20} > /dev/null
# until both sides have finished closing: the last FIN/ACK is in the file
for i in \$(seq 100); do
	[ -z "\$(ip netns exec $A ss -Htan state fin-wait-1 state fin-wait-2 state last-ack state closing)" ] &&
	[ -z "\$(ip netns exec $B ss -Htan state fin-wait-1 state fin-wait-2 state last-ack state closing state close-wait)" ] && break
	sleep 0.02
done
EOF
chmod +x "$OUT/traffic"
tcount() { tshark -r "$1" ${2:+-Y "$2"} 2>/dev/null | wc -l; }
stat() { sed -n "s/.*$2=\([0-9]*\).*/\1/p" "$1"; }

# 1. Everything on B's eth0, default snaplen.
"$DRV" capture $B eth0 "$OUT" b 0 0 - -- "$OUT/traffic" > "$OUT/s1" 2> "$OUT/e1"
diag "capture: $(tail -1 "$OUT/s1")"
F="$OUT/b-eth0.pcap"
ok "file is named <node>-<iface>.pcap" test -s "$F"
is "$(tcount "$F")" "$(stat "$OUT/s1" packets)" "tshark reads as many packets as were written"
is "$(tcount "$F" 'tcp.flags.syn == 1 && tcp.flags.ack == 0')" 20 "20 SYNs for 20 connections"
is "$(tcount "$F" 'tcp.flags.syn == 1 && tcp.flags.ack == 1')" 20 "20 SYN/ACKs"
is "$(tcount "$F" 'tcp.flags.fin == 1')" 40 "40 FINs (both sides of 20 closes)"
is "$(tshark -r "$F" -T fields -e frame.cap_len 2>/dev/null | sort -n | tail -1)" 128 "snaplen 128 by default"
ok "full-size segments were truncated, not lost" test "$(tcount "$F" 'frame.len > 1000')" -gt 100
is "$(stat "$OUT/s1" drop)" 0 "no capture drops"
bytes=$(stat "$OUT/s1" bytes)
is "$bytes" "$(stat -c %s "$F" 2>/dev/null || wc -c < "$F")" "reported size is the file size"

# 2. BPF filter: only the handshake segments.
"$DRV" capture $B eth0 "$OUT" f 96 0 'tcp[tcpflags] & tcp-syn != 0' -- "$OUT/traffic" > "$OUT/s2"
is "$(tcount "$OUT/f-eth0.pcap")" 40 "filter 'tcp-syn' keeps the 20 SYNs and 20 SYN/ACKs only"

# 3. Size cap: stops with a notice; the file stays readable.
"$DRV" capture $B eth0 "$OUT" cap 0 20000 - -- "$OUT/traffic" 2000000 4 > "$OUT/s3" 2> "$OUT/e3"
diag "capped: $(tail -1 "$OUT/s3"); stderr: $(cat "$OUT/e3")"
is "$(stat "$OUT/s3" capped)" 1 "the size cap stopped the capture"
ok "a notice says so" grep -q 'size cap of 20000 bytes reached' "$OUT/e3"
ok "file stays under the cap" test "$(wc -c < "$OUT/cap-eth0.pcap")" -le 20000
is "$(tcount "$OUT/cap-eth0.pcap")" "$(stat "$OUT/s3" packets)" "capped file is complete and readable"

# 4. Refusals with context.
"$DRV" capture $B eth0 "$OUT" bad 0 0 'tcp port' -- true > /dev/null 2> "$OUT/e4"
ok "bad filter refused, naming it" grep -q 'filter "tcp port"' "$OUT/e4"
"$DRV" capture $B nosuch0 "$OUT" bad 0 0 - -- true > /dev/null 2> "$OUT/e5"
diag "$(cat "$OUT/e5")"
ok "missing interface refused, naming node and interface" grep -q 'open nosuch0 in node bad' "$OUT/e5"
done_testing
