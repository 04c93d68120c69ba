#!/bin/bash
# h2load against TLS 1.3 servers on an unshaped veth path between two
# namespaces (topologies/pair.conf, `testbed up`, host kernel): requests per
# second and handshakes per second, each also per CPU-second of the server
# and of h2load. Prints one Markdown table per server; RESULTS.md keeps the
# recorded ones side by side.
#
#   bench/h2load/run.sh                      # nginx (the default server)
#   bench/h2load/run.sh nginx tb-web         # both, one after the other on one topology
#   bench/h2load/run.sh --server NAME 'CMD'  # another server (may be repeated, mixed with the names)
#   N_REQ=100000 N_HS=3000 REPS=3 CPU=1 bench/h2load/run.sh   (the defaults)
#
# The servers: CMD runs in s1 through `sh -c` in a directory of its own
# that holds cert.pem and key.pem (an ECDSA P-256 certificate for
# "testbed", like the runs' {tls_cert}: made here with openssl) and the
# 1 KiB response, a file named `1024` (tb-web's server answers GET /N with
# N bytes and refuses other paths, so every server is asked for /1024). It
# is started afresh for each mode with $H2LOAD_MODE set to `h2` (it must
# speak TLS 1.3 with ALPN h2) or `h1` (ALPN http/1.1); it must listen on
# TCP port 8443, stay in the foreground as one process (exec: its threads
# and the children it waits for count, utime + stime + cutime + cstime of
# /proc/PID/stat) and end on SIGTERM. Without full handshakes the handshake
# rows measure resumptions: the server must not resume. h2load (OpenSSL)
# offers each connection's ticket on the next one, so the server must issue
# none: nginx is told so (no session cache, no tickets), tb-web too
# (--no-tickets; its result's `resumed`, printed under the table, says so).
#
# The modes, each REPS times (the table gives the median run):
#   keep-alive h2   h2load -n N_REQ -c 1 -m 8 https://s1:8443/1024
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
# nginx: one process in the foreground, TLS 1.3, HTTP/2 and HTTP/1.1, no
# resumption (no session cache, no tickets), no log
NGINX_CONF='daemon off; master_process off; user root; pid nginx.pid; error_log stderr; events {} http { access_log off; client_body_temp_path tmp; proxy_temp_path tmp; fastcgi_temp_path tmp; uwsgi_temp_path tmp; scgi_temp_path tmp; keepalive_requests 1000000; http2_max_requests 1000000; server { listen 8443 ssl http2; ssl_protocols TLSv1.3; ssl_certificate cert.pem; ssl_certificate_key key.pem; ssl_session_cache off; ssl_session_tickets off; root .; } }'
NGINX_CMD="printf '%s' '$NGINX_CONF' > nginx.conf && exec nginx -p \"\$PWD/\" -c \"\$PWD/nginx.conf\""
# tb-web: HTTP/2 or HTTP/1.1 by the mode (its server speaks one), no
# tickets (as nginx), TCP_NODELAY (as nginx sets it); SIGTERM writes
# result.json
TBWEB_CMD="exec $TOP/workers/tb-web --serve --host :: --port 8443 --tls 1.3 --http \"\$( [ \$H2LOAD_MODE = h2 ] && echo 2 || echo 1.1 )\" --no-tickets --nodelay --cert cert.pem --key key.pem --result result.json"

NAMES=()
CMDS=()
while [ $# -gt 0 ]; do
	case $1 in
	--server)
		[ $# -ge 3 ] || { echo "usage: $0 [nginx] [tb-web] [--server NAME 'CMD']..." >&2; exit 2; }
		NAMES+=("$2"); CMDS+=("$3"); shift 3 ;;
	nginx) NAMES+=(nginx); CMDS+=("$NGINX_CMD"); shift ;;
	tb-web) NAMES+=(tb-web); CMDS+=("$TBWEB_CMD"); shift ;;
	*) echo "usage: $0 [nginx] [tb-web] [--server NAME 'CMD']..." >&2; exit 2 ;;
	esac
done
[ ${#NAMES[@]} -gt 0 ] || { NAMES=(nginx); CMDS=("$NGINX_CMD"); }

. "$TOP/bench/h2load/lib.sh"
bench_init h2load openssl python3 taskset

# one run: "wall_s requests succeeded server_cpu_s client_cpu_s connections"
one() {
	local args=$1 before after c0 c1
	c0=$(accepted)
	before=$(server_cpu)
	"$TB" exec "$ID" c1 -- taskset -c "$CPU" sh -c "h2load $args https://s1:8443/1024; times" >"$TMP/h2load.out" 2>&1
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

# CMD MODE LABEL ARGS: a fresh server, REPS runs, the median as a table row;
# what the server's result.json says (if it writes one) into $NOTES
NOTES=
mode() {
	local cmd=$1 m=$2 label=$3 args=$4
	bench_mode t "export H2LOAD_MODE=$m; $cmd" "$label" "$args"
	bench_note "$m server result (all $REPS runs, with h2load's connections)" \
		accepted handshakes resumed requests errors threads_max
}

bench_up
for i in "${!NAMES[@]}"; do
	NOTES=
	echo "### ${NAMES[$i]}"
	echo
	echo "$(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs (server and h2load both on CPU $CPU), $(h2load --version | head -1), testbed $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null), REPS=$REPS"
	[ "${NAMES[$i]}" = nginx ] && echo "server: $(nginx -v 2>&1 | sed 's/^nginx version: //'), $(openssl version)"
	[ "${NAMES[$i]}" = tb-web ] && echo "server: tb-web --serve --tls 1.3 --no-tickets --nodelay, $(dpkg-query -W -f '${Package} ${Version}, ' libgnutls30 libnghttp2-14 2>/dev/null | sed 's/, $//')"
	echo
	echo "| mode | succeeded | connections | per wall second (each run) | server CPU s | h2load CPU s | per server CPU-second | per h2load CPU-second | per CPU-second, both |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	mode "${CMDS[$i]}" h2 "requests, keep-alive h2 (-c 1 -m 8, n=$N_REQ)" "-n $N_REQ -c 1 -m 8"
	mode "${CMDS[$i]}" h1 "handshakes, h1 Connection: close (-c 8, n=$N_HS)" "--h1 -n $N_HS -c 8 -m 1 -H 'Connection: close'"
	[ -n "$NOTES" ] && echo && printf '%s' "$NOTES"
	echo
done
bench_down
