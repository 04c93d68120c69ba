#!/bin/bash
# hol_nginx_h2load, as shipped (3 repeats of 4 cases, each run ends when
# h2load exits: about 45 s in the UML guest, which netem needs on a host
# without it): Debian's nginx with TLS 1.3 and HTTP/2 on the run's own
# certificate ({tls_cert}, {tls_key}) against h2load, HTTP/1.1 over 6
# connections vs HTTP/2 over one, at 0% and 2% loss on a 50 ms RTT path.
# Its expectations hold (exit 0); prints h2load's numbers per case (medians
# of the repeats) and checks what the run directory promises: the TLS pair
# in RUN/tls/ (a certificate for "testbed") given to nginx, and h2load's
# summary read as values.
. "$(dirname "$0")/../tap.sh"
need_cmd nginx h2load
run_experiment --needs netem hol_nginx_h2load
n=$(jq '.cases | length' "$S")
is "$(jq '.runs_complete' "$S")" "$((n * 3))" "every run complete ($((n * 3)))"
diag "kernel: $(jq -r '.kernel.tier + " " + .kernel.release' "$S")"
for k in $(seq 0 $((n - 1))); do
	v() { jq -r ".cases[$k].processes.load.values[\"$1\"].median // \"-\"" "$S"; }
	diag "$(jq -r ".cases[$k].label" "$S"): request min $(v request.min) s mean $(v request.mean) s," \
		"req/s $(v req_per_s), B/s $(v bytes_per_s), connect min $(v connect.min) s," \
		"first response min $(v first_byte.min) s, served $(v requests.succeeded)"
done
for r in "$TMP"/o/runs/*; do
	diag "$(basename "$r") $(jq -c .params "$r/run.json"): $(grep -h 'time for request' "$r/processes/load/stdout" | tr -s ' ');" \
		"s1 $(jq -c '{retrans: .TcpRetransSegs, fast: .TcpExtTCPFastRetrans, rto: .TcpExtTCPTimeouts}' "$r/counters/s1.json" 2>/dev/null)"
done
ok "the run's TLS pair is in RUN/tls/ (key mode 0600)" \
	[ -s "$TMP/o/tls/cert.pem" -a "$(stat -c %a "$TMP/o/tls/key.pem" 2>/dev/null)" = 600 ]
if command -v openssl >/dev/null; then
	ok "the certificate is issued to testbed" \
		sh -c "openssl x509 -in '$TMP/o/tls/cert.pem' -noout -subject | grep -q 'CN *= *testbed'"
fi
r="$TMP/o/runs/c1-r1"
ok "nginx was given {tls_cert} and {tls_key} as absolute paths" \
	grep -q "ssl_certificate $TMP/o/tls/cert.pem; ssl_certificate_key $TMP/o/tls/key.pem;" "$r/processes/web/nginx.conf"
ok "h2load negotiated TLS 1.3" grep -q '^TLS Protocol: TLSv1.3' "$r/processes/load/stdout"
ok "report.md's Processes table has h2load's values" \
	grep -q '^| 1 | h1 | 0% | load | 3/3 | exit 0 ×3 |.*request.mean = ' "$TMP/o/report.md"
no_uml_left
done_testing
