#!/bin/bash
# h2load against a TLS 1.3 server on an unshaped veth path between two
# namespaces (topologies/pair.conf, `testbed up`, host kernel): requests per
# second and handshakes per second, each also per CPU-second of the server
# and of h2load. Prints one Markdown table of the server it is given;
# RESULTS.md keeps the recorded ones side by side.
#
#   bench/h2load/run.sh                      # nginx (the default server)
#   bench/h2load/run.sh --server NAME 'CMD'  # another server, another column
#   N_REQ=100000 N_HS=3000 REPS=3 CPU=1 bench/h2load/run.sh   (the defaults)
#
# The server: CMD runs in s1 through `sh -c` in a directory of its own that
# holds cert.pem and key.pem (an ECDSA P-256 certificate for "testbed",
# like the runs' {tls_cert}: made here with openssl), and a 1 KiB file `f`
# (its bytes: `head -c 1024 /dev/zero`); it must listen on port 8443 with
# TLS 1.3 and ALPN h2 and http/1.1 and serve /f, and stay in the foreground
# as one process (its threads and the children it waits for count: utime +
# stime + cutime + cstime of /proc/PID/stat). Without full handshakes, the
# handshake rows measure resumptions: the server must not resume
# (no session cache, no tickets), as nginx below is told.
#
# The modes, each REPS times (the table gives the median run):
#   keep-alive h2   h2load -n N_REQ -c 1 -m 8 https://s1:8443/f
#                   (one connection, 8 streams: requests, one handshake)
#   handshake h1    h2load --h1 -n N_HS -c 8 -m 1 -H 'Connection: close'
#                   (HTTP/1.1, the server closes after each response and
#                   h2load connects again: one TCP + full TLS 1.3 handshake
#                   per request, 8 clients at a time; h2load has no
#                   connection-per-request switch, and -n N -c N would open
#                   every connection at once)
# CPU: h2load's from the shell that ran it (`times`), the server's from
# /proc before and after. Both are pinned to host CPU $CPU (taskset), so
# they share one core: the wall rates are what one core sustains for both,
# the per-CPU-second rates are each side's cost.
# Builds namespaces: takes /tmp/tb-heavy.lock while the topology is up.
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD
TB=$TOP/testbed
N_REQ=${N_REQ:-100000}
N_HS=${N_HS:-3000}
REPS=${REPS:-3}
CPU=${CPU:-1}
NAME=nginx
SERVER_CMD=
if [ "${1:-}" = --server ]; then
	NAME=$2
	SERVER_CMD=$3
fi
# nginx: one process in the foreground, TLS 1.3, HTTP/2 and HTTP/1.1, no
# resumption (no session cache, no tickets), no log
NGINX_CONF='daemon off; master_process off; user root; pid nginx.pid; error_log stderr; events {} http { access_log off; client_body_temp_path tmp; proxy_temp_path tmp; fastcgi_temp_path tmp; uwsgi_temp_path tmp; scgi_temp_path tmp; keepalive_requests 1000000; http2_max_requests 1000000; server { listen 8443 ssl http2; ssl_protocols TLSv1.3; ssl_certificate cert.pem; ssl_certificate_key key.pem; ssl_session_cache off; ssl_session_tickets off; root .; } }'
[ -n "$SERVER_CMD" ] || SERVER_CMD="printf '%s' '$NGINX_CONF' > nginx.conf && exec nginx -p \"\$PWD/\" -c \"\$PWD/nginx.conf\""

[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 3; }
[ -x "$TB" ] || { echo "build first: make" >&2; exit 2; }
for c in h2load openssl python3 taskset; do
	command -v $c >/dev/null || { echo "needs $c" >&2; exit 3; }
done

TMP=$(mktemp -d /tmp/tbh2-bench.XXXXXX)
chmod 755 "$TMP"
ID=tbh2b$$
SPID=
cleanup() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	"$TB" down "$ID" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
exec 9>>/tmp/tb-heavy.lock

# the server's directory: the certificate, the key, the file
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=testbed \
	-addext subjectAltName=DNS:testbed -days 30 -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
	>/dev/null 2>&1 || { echo "openssl req failed" >&2; exit 3; }
head -c 1024 /dev/zero >"$TMP/f"

flock 9
"$TB" up --run-id "$ID" "$TOP/topologies/pair.conf" >"$TMP/up.out" 2>&1 ||
	{ cat "$TMP/up.out" >&2; exit 3; }
(cd "$TMP" && exec "$TB" exec "$ID" s1 -- taskset -c "$CPU" sh -c "echo \$\$ > server.pid; $SERVER_CMD") \
	>"$TMP/server.out" 2>&1 &
SPID=$!
for _ in $(seq 100); do
	"$TB" exec "$ID" c1 -- bash -c 'exec 3<>/dev/tcp/s1/8443' 2>/dev/null && break
	sleep 0.1
done
SERVER_PID=$(cat "$TMP/server.pid" 2>/dev/null)
[ -n "$SERVER_PID" ] && [ -d "/proc/$SERVER_PID" ] || { echo "the server did not start:" >&2; cat "$TMP/server.out" >&2; exit 3; }

# server CPU seconds so far (utime + stime + cutime + cstime)
server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15 + $16 + $17) / hz }' "/proc/$SERVER_PID/stat"; }

# connections s1 accepted so far (TCP PassiveOpens of its namespace)
accepted() { "$TB" exec "$ID" s1 -- awk '/^Tcp:/ { if (n++) print $c; else for (i = 1; i <= NF; i++) if ($i == "PassiveOpens") c = i }' /proc/net/snmp 2>/dev/null | tail -1; }

# one MODE run: "wall_s requests succeeded server_cpu_s client_cpu_s connections"
one() {
	local args=$1 before after c0 c1
	c0=$(accepted)
	before=$(server_cpu)
	"$TB" exec "$ID" c1 -- taskset -c "$CPU" sh -c "h2load $args https://s1:8443/f; times" >"$TMP/h2load.out" 2>&1
	after=$(server_cpu)
	c1=$(accepted)
	python3 - "$TMP/h2load.out" "$before" "$after" "$((c1 - c0))" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"finished in ([0-9.]+)(us|ms|s),", text)
wall = float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1}[m.group(2)] if m else float("nan")
r = re.search(r"requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded", text)
# `times`: the shell's own line, then its children's: "0m1.23s 0m0.45s"
t = re.findall(r"(\d+)m([0-9.]+)s (\d+)m([0-9.]+)s", text)
cpu = sum(int(t[-1][i]) * 60 + float(t[-1][i + 1]) for i in (0, 2)) if t else float("nan")
srv = float(sys.argv[3]) - float(sys.argv[2])
print(wall, r.group(1) if r else 0, r.group(2) if r else 0, srv, cpu, sys.argv[4])
PY
}

# MODE LABEL ARGS: the median (by wall rate) of REPS runs, as a table row
mode() {
	local label=$1 args=$2 rows=
	for _ in $(seq "$REPS"); do
		rows="$rows$(one "$args")
"
	done
	printf '%s' "$rows" | python3 -c '
import sys
label = sys.argv[1]
runs = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
runs.sort(key=lambda r: r[2] / r[0])
w, n, ok, srv, cli, conns = runs[len(runs) // 2]
rates = ", ".join("%.0f" % (r[2] / r[0]) for r in runs)
print("| %s | %d/%d | %d | %.0f (%s) | %.3f | %.3f | %.0f | %.0f | %.0f |" % (label, ok, n, conns,
      ok / w, rates, srv, cli, ok / srv, ok / cli, ok / (srv + cli)))' "$label"
}

echo "### $NAME"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs (server and h2load both on CPU $CPU), $(h2load --version | head -1), testbed $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null), REPS=$REPS"
[ "$NAME" = nginx ] && echo "server: $(nginx -v 2>&1 | sed 's/^nginx version: //'), $(openssl version)"
echo
echo "| mode | succeeded | connections | per wall second (each run) | server CPU s | h2load CPU s | per server CPU-second | per h2load CPU-second | per CPU-second, both |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
mode "requests, keep-alive h2 (-c 1 -m 8, n=$N_REQ)" "-n $N_REQ -c 1 -m 8"
mode "handshakes, h1 Connection: close (-c 8, n=$N_HS)" "--h1 -n $N_HS -c 8 -m 1 -H 'Connection: close'"
flock -u 9
