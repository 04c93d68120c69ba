#!/bin/bash
# own_app_http, as shipped (5 repeats of one fetch; netem: in the UML guest on
# a host without it): Debian's nginx serves a 1 MiB file and curl fetches it
# by the server's node name across a 40 ms RTT path with 1% loss; the
# expectations on curl's own JSON hold (connect in one RTT, first byte in
# two, the whole between the link's floor and the Mathis bound), and the run
# directory has what docs/processes.md promises: each process's output,
# status and peak memory, the Processes table of report.md, summary.json's
# statistics, and socket samples labelled with the processes.
. "$(dirname "$0")/../tap.sh"
need_cmd nginx curl
run_experiment --needs netem own_app_http
is "$(jq '.runs_complete' "$S")" 5 "5 runs complete"
v() { jq -r ".cases[0].processes.fetch.values.$1.median" "$S"; }
diag "kernel: $(jq -r '.kernel.tier + " " + .kernel.release' "$S")"
diag "curl: connect $(v time_connect) s, first byte $(v time_starttransfer) s, total $(v time_total) s (RTT 0.040 s)"
r="$TMP/o/runs/c1-r1/processes"
for p in web fetch; do
	ok "processes/$p has stdout, stderr and status.json" test -f "$r/$p/stdout" -a -f "$r/$p/stderr" -a -f "$r/$p/status.json"
done
is "$(jq -r .state "$r/web/status.json")" stopped "the service was stopped at the end of the run"
is "$(jq -r .state "$r/fetch/status.json")" exited "the client exited on its own"
is "$(jq -r '.argv | last' "$r/fetch/status.json")" "http://s1:8080/file" "curl was given the node's name, not an address"
rss=$(jq -r .peak_rss_bytes "$r/web/status.json")
ok "nginx's peak memory was sampled ($rss bytes)" [ "$rss" -gt 1000000 ] 2>/dev/null
ok "report.md has the Processes table with curl's numbers" grep -q '^| 1 | fetch | 5/5 | exit 0 ×5 |.*time_connect = ' "$TMP/o/report.md"
lab=$(head -1 "$TMP/o/runs/c1-r1/sockets/c1-tcp.csv" | tr ',' '\n' | grep -n -x flow | cut -d: -f1)
n=$(awk -F, -v c="$lab" 'NR > 1 && $c == "fetch"' "$TMP/o/runs/c1-r1/sockets/c1-tcp.csv" | wc -l)
ok "the sampler followed curl's socket by port 8080 ($n samples labelled fetch)" [ "$n" -gt 0 ]
no_uml_left
done_testing
