#!/bin/bash
# [event] down/up on a link next to a router: the kernel deletes the routes
# via a gateway on that link when it goes down (and IPv6 drops the link's
# addresses too); `up` must put them back, or the routed path stays broken.
# Chain c1 - r1 - s1, pooled rr flows over IPv4 and IPv6 from c1 to s1; the
# link c1-r1 goes down at 1 s and up at 2.5 s. Requests must complete again
# after the `up`, in both families, on the host kernel and in the UML guest.
. "$(dirname "$0")/../tap.sh"
need_root
need_cmd jq
need_testbed
[ -d /proc/sys/net/ipv6 ] || skip_all "needs IPv6"
scratch TMP tb-evroutes

CHAIN="$TOP/tests/integration/chain3.conf"
flow() { # NAME FAMILY PORT
	cat <<EOC
[flow $1]
worker = rr
from = c1
to = s1
family = $2
port = $3
conn = pool
pool = 1
rate = 100
concurrency = 4
timeout = 3s
EOC
}
{
	cat <<EOC
[experiment]
topology = $CHAIN
duration = 6s
capture = no
EOC
	flow rr4 ipv4 5001
	flow rr6 ipv6 5002
	printf '[event %s]\nat = %s\nlink = %s\naction = %s\n' cut 1s c1-r1 down heal 2500ms r1-c1 up
} >"$TMP/ev.conf"

"$TESTBED" check "$TMP/ev.conf" >"$TMP/check" 2>&1
is "$?" 0 "the routed chain with two events checks"
# the host kernel, then the UML guest (its own 6.1 kernel deletes routes too)
for k in host uml; do
	if [ $k = uml ] && why=$(uml_unavailable) && [ -n "$why" ]; then
		skip "uml: $why"
		continue
	fi
	"$TESTBED" run --quiet --kernel $k "$TMP/ev.conf" --out "$TMP/o.$k" >"$TMP/out" 2>"$TMP/err"
	is "$?" 0 "$k: the run completes (exit 0)"
	[ -s "$TMP/err" ] && diag "stderr: $(head -c 600 "$TMP/err")"
	R="$TMP/o.$k/runs/c1-r1/run.json"
	diag "$k events: $(jq -c '[.events[] | {name, action, at_s, error}]' "$R" 2>/dev/null)"
	ok "$k: both events ran without error" \
		sh -c "jq -e '(.events | length) == 2 and .events[0].error == null and .events[1].error == null' '$R' >/dev/null"
	for f in rr4 rr6; do
		S="$TMP/o.$k/runs/c1-r1/flows/$f.series.jsonl"
		diag "$k $f requests per second: $(jq -r '.requests' "$S" 2>/dev/null | paste -sd' ')"
		before=$(jq -s '[.[] | select(.t < 1.5) | .requests] | add // 0' "$S" 2>/dev/null)
		dead=$(jq -s '[.[] | select(.t > 1.5 and .t < 2.6) | .requests] | add // 0' "$S" 2>/dev/null)
		alive=$(jq -s '[.[] | select(.t > 2.6) | .requests] | add // 0' "$S" 2>/dev/null)
		ok "$k $f: requests cross the router before the cut ($before in the first second)" \
			[ "${before:-0}" -gt 50 ]
		ok "$k $f: (almost) none while the link is down ($dead in the second ending at 2 s)" \
			[ "${dead:-999}" -le 5 ]
		ok "$k $f: requests cross the router again after the link comes up ($alive after 2.6 s)" \
			[ "${alive:-0}" -gt 100 ]
	done
done
no_uml_left
done_testing
