#!/bin/bash
# `testbed ladder` names TLS records and QUIC packets, against tshark on the
# same captures. TLS: tshark decrypts with the connections' key log; three
# connections on loopback in a namespace (python3's ssl: TLS 1.3, TLS 1.3
# resumed with a PSK, TLS 1.2), captured twice at once, whole (snaplen
# 65535) and at the default snaplen of 128 bytes. The ServerHello's version
# and PSK, the client's Finished and the server's encrypted flight are where
# tshark finds them; at 128 bytes the Hellos' extensions are not captured
# and TLS 1.3 is told from the records after the ServerHello. QUIC: no QUIC
# stack is installed, so lib-quic.py sends datagrams with real QUIC v1
# headers (coalesced Initial + Handshake, 0-RTT, 1-RTT) and random payloads;
# the ladder's packets per datagram equal tshark's quic.header_form,
# quic.long.packet_type and quic.dcil, and the DNS query beside them is no
# ladder.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd ip tshark python3 openssl
DRV="$TOP/tests/unit/obs_driver.t"
[ -x "$DRV" ] || skip_all "build first: make tests/unit/obs_driver.t"
[ -x "$TESTBED" ] || skip_all "build first: make testbed"
python3 -c 'import ssl; assert ssl.HAS_TLSv1_3' 2>/dev/null || skip_all "python3's ssl has no TLS 1.3"

NS=tbl-$$
PORT=4433
QPORT=4434
OUT=$(mktemp -d /tmp/tbo-ladder-tls.XXXXXX)
defer rm -rf "$OUT"
ip netns add $NS || bail "ip netns add"
defer ip netns del $NS
ip -n $NS link set lo up
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$OUT/key.pem" \
	-out "$OUT/cert.pem" -days 2 -subj /CN=testbed -addext subjectAltName=DNS:testbed 2>/dev/null ||
	bail "openssl req"

cat > "$OUT/traffic" <<EOF
#!/bin/sh
python3 "$TOP/tests/integration/lib-tls.py" "$OUT/cert.pem" "$OUT/key.pem" "$OUT/keylog" $PORT
python3 "$TOP/tests/integration/lib-quic.py" $QPORT
EOF
chmod +x "$OUT/traffic"
timeout 60 "$DRV" capture $NS lo "$OUT" full 65535 0 - -- \
	"$DRV" capture $NS lo "$OUT" cut 128 0 - -- \
	ip netns exec $NS "$OUT/traffic" > "$OUT/run" 2>&1
while read -r l; do diag "$l"; done < "$OUT/run"
is "$(grep -c '^TLSv' "$OUT/run")" 3 "three TLS connections ran"
ok "the second one resumed" grep -q '^TLSv1.3 1' "$OUT/run"
F="$OUT/full-lo.pcap"
C="$OUT/cut-lo.pcap"

# tshark, decrypting with the key log: field FIELD of the frames of stream S matching FILTER
tk() { tshark -r "$F" -o "tls.keylog_file:$OUT/keylog" -Y "tcp.stream == $1 && ($2)" -T fields -e "$3" 2>/dev/null; }
# ms from the stream's first frame to T (seconds, capture-relative)
rel() { awk -v t="$2" -v t0="$(tk "$1" tcp frame.time_relative | head -1)" 'BEGIN { printf "%.3f", (t - t0) * 1000 }'; }
near() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d <= 0.0015) }'; }
sumval() { sed -n "s/$2/\1/p" "$1" | head -1; }

for c in 1 2 3; do
	s=$((c - 1))
	"$TESTBED" ladder "$F" --conn $c > "$OUT/l$c"
	"$TESTBED" ladder "$C" --conn $c > "$OUT/c$c"
	grep -E '# .*TLS|tls:|ClientHello ' "$OUT/l$c" | sed 's/^ *//' | cut -c1-160 | while read -r l; do diag "conn $c: $l"; done
	fin=$(rel $s "$(tk $s "tls.handshake.type == 20 && tcp.dstport == $PORT" frame.time_relative | head -1)")
	lfin=$(sumval "$OUT/l$c" '.*; client Finished \([0-9.]*\) ms;.*')
	ok "conn $c: the client's Finished where tshark decrypts it ($fin ms; ladder $lfin)" near "$lfin" "$fin"
	ok "conn $c: and that line says Finished (encrypted)" \
		grep -qE "^ *$fin  -->.*TLS .*Finished \(encrypted\)" "$OUT/l$c"
done

v=$(tk 0 'tls.handshake.type == 2' tls.handshake.extensions.supported_version | head -1)
ok "conn 1: ServerHello TLS 1.3 (tshark: supported_version $v)" \
	grep -q 'TLS ServerHello (TLS 1.3, full handshake)' "$OUT/l1"
ee=$(rel 0 "$(tk 0 'tls.handshake.type == 8' frame.time_relative | head -1)")
ok "conn 1: the server's encrypted flight where tshark finds EncryptedExtensions ($ee ms)" \
	grep -qE "^ *$ee  <--.*EncryptedExtensions\.\.Finished \(encrypted\)" "$OUT/l1"
ok "conn 1: application data both ways" test "$(grep -c 'TLS application data' "$OUT/l1")" -ge 2
psk=$(tk 1 'tls.handshake.type == 2 && tls.handshake.extension.type == 41' frame.number | wc -l)
is "$psk" 1 "conn 2: tshark sees pre_shared_key in the ServerHello"
ok "conn 2: ClientHello with pre_shared_key" \
	grep -q 'ClientHello (offers TLS 1.3, pre_shared_key: resumption attempt)' "$OUT/l2"
ok "conn 2: ServerHello: PSK accepted" grep -q 'ServerHello (TLS 1.3, PSK accepted: resumed)' "$OUT/l2"
ok "conn 2: summary: resumed" grep -q 'tls: TLS 1.3, resumed' "$OUT/l2"
ok "conn 3: TLS 1.2: ServerHello (TLS 1.2) and its Certificate" \
	grep -qE 'ServerHello \(TLS 1.2\).*Certificate' "$OUT/l3"
ok "conn 3: CCS then the encrypted Finished each way" \
	test "$(grep -c 'ChangeCipherSpec, Finished (encrypted)' "$OUT/l3")" -eq 2

ok "128-byte capture: the Hellos' extensions not captured" \
	grep -q 'ServerHello (extensions not captured)' "$OUT/c1"
ok "128-byte capture: TLS 1.3 told from the records after the ServerHello" \
	grep -q "tls: TLS 1.3 (the ServerHello's extensions were not captured" "$OUT/c1"
ok "128-byte capture: the client's Finished at the same time" \
	near "$(sumval "$OUT/c1" '.*; client Finished \([0-9.]*\) ms;.*')" "$(sumval "$OUT/l1" '.*; client Finished \([0-9.]*\) ms;.*')"
grep -E '# |tls:|ClientHello ' "$OUT/c1" | sed 's/^ *//' | cut -c1-160 | while read -r l; do diag "128 bytes, conn 1: $l"; done
ok "128-byte capture: TLS 1.2 not taken for 1.3" grep -q "tls: the ServerHello's version was not captured" "$OUT/c3"

# QUIC: the fourth connection of the whole capture
"$TESTBED" ladder "$F" --list > "$OUT/list"
is "$(grep -c 'QUIC$' "$OUT/list")" 1 "one QUIC flow listed; the DNS query is none"
"$TESTBED" ladder "$F" --conn 4 > "$OUT/q"
sed -n 's/.*# QUIC //p' "$OUT/q" > "$OUT/q.ladder"
while read -r l; do diag "ladder: $l"; done < "$OUT/q.ladder"
# tshark's packets per datagram, as the ladder writes them
tshark -r "$F" -Y "udp.port == $QPORT" -T fields -e quic.header_form -e quic.long.packet_type \
	-e quic.dcil 2>/dev/null | awk -F '\t' '{
	n = split($1, form, ","); split($2, type, ","); split($3, dcil, ","); k = 0; out = ""
	name[0] = "Initial"; name[1] = "0-RTT"; name[2] = "Handshake"; name[3] = "Retry"
	for (i = 1; i <= n; i++) {
		if (form[i] == 1) { k++; p = name[type[k]] " v1 dcid " dcil[k] } else p = "1-RTT"
		out = out (i > 1 ? ", " : "") p
	}
	print out }' > "$OUT/q.tshark"
while read -r l; do diag "tshark: $l"; done < "$OUT/q.tshark"
is "$(wc -l < "$OUT/q.ladder")" 5 "five QUIC datagrams named"
ok "the ladder's packets per datagram equal tshark's" cmp -s "$OUT/q.ladder" "$OUT/q.tshark"
ok "the server's Initial and Handshake coalesced in one datagram" \
	grep -q '^Initial v1 dcid 5, Handshake v1 dcid 5$' "$OUT/q.ladder"
done_testing
