# Shared by run.sh and web.sh (sourced, not run): the topology
# (topologies/pair.conf on the host kernel, c1 and s1 on one unshaped veth
# pair), the server's directory, starting and stopping a server in s1
# pinned to $CPU, and the CPU and connection counters.
#
# The caller sets TOP, TB, CPU and REPS, calls bench_init (the checks, the
# EXIT trap, and bench_setup: a temporary directory $TMP with cert.pem,
# key.pem and the 1 KiB file `1024`), bench_up (takes /tmp/tb-heavy.lock on
# fd 9, builds the topology), bench_mode per table row (with its own `one`)
# and bench_down.

ID=tbh2b$$
SPID=
SERVER_PID=

# CMD...: needs root, ./testbed and tb-web built and every CMD installed;
# then the EXIT trap (bench_cleanup) and bench_setup
bench_init() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 3; }
	[ -x "$TB" ] && [ -x "$TOP/workers/tb-web" ] || { echo "build first: make" >&2; exit 2; }
	for c in "$@"; do
		command -v "$c" >/dev/null || { echo "needs $c" >&2; exit 3; }
	done
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	bench_setup
}

bench_cleanup() {
	bench_server_stop
	[ -n "${TMP:-}" ] && "$TB" down "$ID" >/dev/null 2>&1
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
}

# the server's directory: an ECDSA P-256 certificate for "testbed" (the kind
# {tls_cert} is), its key and the response, 1 KiB of zero bytes named 1024:
# tb-web's server answers GET /N with N bytes, so /1024 names the same
# response for every server
bench_setup() {
	TMP=$(mktemp -d /tmp/tbh2-bench.XXXXXX) || exit 3
	chmod 755 "$TMP"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=testbed \
		-addext subjectAltName=DNS:testbed -days 30 -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
		>/dev/null 2>&1 || { echo "openssl req failed" >&2; exit 3; }
	head -c 1024 /dev/zero >"$TMP/1024"
}

bench_up() {
	exec 9>>/tmp/tb-heavy.lock
	flock 9
	"$TB" up --run-id "$ID" "$TOP/topologies/pair.conf" >"$TMP/up.out" 2>&1 ||
		{ cat "$TMP/up.out" >&2; exit 3; }
}

bench_down() {
	bench_server_stop
	"$TB" down "$ID" >/dev/null 2>&1
	flock -u 9
}

# PROTO ('t' TCP or 'u' UDP) CMD: run CMD in s1 through `sh -c` in $TMP,
# pinned to $CPU, and wait until port 8443 listens (ss, so no probe
# connection reaches the server)
bench_server_start() {
	local proto=$1 cmd=$2
	rm -f "$TMP/server.pid"
	(cd "$TMP" && exec "$TB" exec "$ID" s1 -- taskset -c "$CPU" sh -c "echo \$\$ > server.pid; $cmd") \
		>>"$TMP/server.out" 2>&1 &
	SPID=$!
	for _ in $(seq 100); do
		[ -n "$("$TB" exec "$ID" s1 -- ss -Hln"$proto" 'sport = :8443' 2>/dev/null)" ] && break
		sleep 0.1
	done
	SERVER_PID=$(cat "$TMP/server.pid" 2>/dev/null)
	[ -n "$SERVER_PID" ] && [ -d "/proc/$SERVER_PID" ] &&
		[ -n "$("$TB" exec "$ID" s1 -- ss -Hln"$proto" 'sport = :8443' 2>/dev/null)" ] ||
		{ echo "the server did not start:" >&2; cat "$TMP/server.out" >&2; exit 3; }
}

# SIGTERM to the server (tb-web then writes its --result), wait for it
bench_server_stop() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
	[ -n "$SPID" ] && wait "$SPID" 2>/dev/null
	SPID=
	SERVER_PID=
}

# PROTO CMD LABEL ARGS: a fresh server (bench_server_start PROTO CMD), REPS
# runs of the caller's `one ARGS`, the median as a table row labelled LABEL
bench_mode() {
	local proto=$1 cmd=$2 label=$3 args=$4 rows=
	rm -f "$TMP/result.json"
	bench_server_start "$proto" "$cmd"
	for _ in $(seq "$REPS"); do
		rows="$rows$(one "$args")
"
	done
	bench_server_stop
	printf '%s' "$rows" | median_row "$label"
}

# TITLE FIELD...: if the server wrote $TMP/result.json, a line
# "- TITLE: FIELD value, ..." (errors as JSON) appended to NOTES
bench_note() {
	[ -s "$TMP/result.json" ] || return 0
	NOTES="$NOTES$(python3 - "$TMP/result.json" "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("- %s: %s" % (sys.argv[2], ", ".join(
      "%s %s" % (k, json.dumps(r.get(k)) if k == "errors" else r.get(k)) for k in sys.argv[3:])))
PY
)
"
}

# server CPU seconds so far (utime + stime + cutime + cstime: every thread,
# and the children it waited for)
server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15 + $16 + $17) / hz }' "/proc/$SERVER_PID/stat"; }

# connections s1 accepted so far (TCP PassiveOpens of its namespace)
accepted() { "$TB" exec "$ID" s1 -- awk '/^Tcp:/ { if (n++) print $c; else for (i = 1; i <= NF; i++) if ($i == "PassiveOpens") c = i }' /proc/net/snmp 2>/dev/null | tail -1; }

# the median (by wall rate) of the runs on stdin, one per line:
# "wall_s requests succeeded server_cpu_s client_cpu_s connections", as a
# table row labelled LABEL
median_row() {
	python3 -c '
import sys
label = sys.argv[1]
runs = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
runs.sort(key=lambda r: r[2] / r[0])
w, n, ok, srv, cli, conns = runs[len(runs) // 2]
rates = ", ".join("%.0f" % (r[2] / r[0]) for r in runs)
print("| %s | %d/%d | %d | %.0f (%s) | %.3f | %.3f | %.0f | %.0f | %.0f |" % (label, ok, n, conns,
      ok / w, rates, srv, cli, ok / srv, ok / cli, ok / (srv + cli)))' "$1"
}
