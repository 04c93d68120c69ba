#!/bin/bash
# tb-web's client against tb-web's server on the path run.sh uses
# (topologies/pair.conf, host kernel, c1 and s1 on one unshaped veth pair,
# both pinned to host CPU $CPU), with run.sh's certificate and 1 KiB
# response: requests per second and handshakes per second, each also per
# CPU-second of the server and of the client. Prints two Markdown tables,
# TLS 1.3 + HTTP/2 (and HTTP/1.1 for the handshakes) and HTTP/3.
#
#   bench/h2load/web.sh
#   DUR=3 REPS=3 CPU=1 bench/h2load/web.sh   (the defaults)
#
# The modes, each REPS runs of DUR seconds, closed loop (the table gives the
# median run), each with a fresh server
#   tb-web --serve --tls 1.3 --http 2|1.1|3 --no-tickets (not for 3) --nodelay --port 8443:
#   requests, h2      --tls 1.3 --http 2 --conn pool --pool 1 --streams 8
#                     (one connection, 8 streams: h2load -c 1 -m 8)
#   handshakes, h1    --tls 1.3 --http 1.1 --conn per-request --concurrency 8
#                     (a TCP connection and a full TLS 1.3 handshake per
#                     request, 8 at a time: h2load --h1 -c 8 Connection: close)
#   requests, h3      --http 3 --conn pool --pool 1 --streams 8
#   handshakes, h3    --http 3 --conn per-request --concurrency 8
# every client with --response 1024 (GET /1024) --nodelay, no resumption
# (--resume no: the client offers no ticket; the server's `resumed`, printed
# under each table, says so). Rates are the client's requests over its
# measured `seconds`; CPU: the server's from /proc before and after, the
# client's its result's cpu_user_s + cpu_sys_s (getrusage: the whole
# process, startup included).
# Builds namespaces: takes /tmp/tb-heavy.lock while the topology is up.
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD
TB=$TOP/testbed
WEB=$TOP/workers/tb-web
DUR=${DUR:-3}
REPS=${REPS:-3}
CPU=${CPU:-1}
[ $# -eq 0 ] || { echo "usage: [DUR=3 REPS=3 CPU=1] $0" >&2; exit 2; }

. "$TOP/bench/h2load/lib.sh"
bench_init openssl python3 taskset

# one run of the client with ARGS: "wall_s requests succeeded server_cpu_s
# client_cpu_s handshakes"
one() {
	local args=$1 before after
	rm -f "$TMP/client.json"
	before=$(server_cpu)
	"$TB" exec "$ID" c1 -- taskset -c "$CPU" "$WEB" --host "$ADDR" --port 8443 --ca "$TMP/cert.pem" \
		--response 1024 --nodelay --duration "${DUR}s" --result "$TMP/client.json" $args >"$TMP/client.out" 2>&1
	after=$(server_cpu)
	python3 - "$TMP/client.json" "$before" "$after" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    r = {}
req = r.get("requests", 0)
err = sum((r.get("errors") or {}).values())
print(r.get("seconds", float("nan")), req + err, req, float(sys.argv[3]) - float(sys.argv[2]),
      r.get("cpu_user_s", float("nan")) + r.get("cpu_sys_s", 0), r.get("handshakes", 0))
PY
}

# HTTP LABEL ARGS: a fresh server speaking HTTP, REPS client runs, the
# median as a table row; the server's result into $NOTES
NOTES=
mode() {
	local http=$1 label=$2 args=$3 proto=t tickets=--no-tickets
	[ "$http" = 3 ] && proto=u tickets=
	bench_mode $proto "exec $WEB --serve --host :: --port 8443 --tls 1.3 --http $http $tickets --nodelay --cert cert.pem --key key.pem --result result.json" "$label" "$args"
	bench_note "$label server result (all $REPS runs)" handshakes resumed requests errors threads_max
}

header() {
	echo "### $1"
	echo
	echo "$(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs (server and client both on CPU $CPU), testbed $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null), REPS=$REPS, DUR=${DUR}s"
	echo "$(dpkg-query -W -f '${Package} ${Version}, ' libgnutls30 libnghttp2-14 libngtcp2-9 libnghttp3-3 2>/dev/null | sed 's/, $//')"
	echo
	echo "| mode | requests/attempted | handshakes | per wall second (each run) | server CPU s | client CPU s | per server CPU-second | per client CPU-second | per CPU-second, both |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
}

bench_up
ADDR=$("$TB" exec "$ID" c1 -- getent ahostsv4 s1 | awk '{ print $1; exit }')
[ -n "$ADDR" ] || { echo "s1 does not resolve in c1" >&2; exit 3; }

header "tb-web -> tb-web, TLS 1.3, HTTP/2 and HTTP/1.1"
mode 2 "requests, keep-alive h2 (--pool 1 --streams 8)" "--tls 1.3 --http 2 --conn pool --pool 1 --streams 8"
mode 1.1 "handshakes, h1 per-request (--concurrency 8)" "--tls 1.3 --http 1.1 --conn per-request --concurrency 8"
echo
printf '%s' "$NOTES"
echo
NOTES=
header "tb-web -> tb-web, HTTP/3 (QUIC, TLS 1.3)"
mode 3 "requests, h3 (--pool 1 --streams 8)" "--http 3 --conn pool --pool 1 --streams 8"
mode 3 "handshakes, h3 per-request (--concurrency 8)" "--http 3 --conn per-request --concurrency 8"
echo
printf '%s' "$NOTES"
bench_down
