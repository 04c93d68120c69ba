# Setup shared by the workers-*.t tests; source after tap.sh:
#   . "$(dirname "$0")/lib-workers.sh"
# W is the directory of the built workers.
W="$TOP/workers"

# need_workers WORKER...: skip unless each is built
need_workers() { for _w in "$@"; do [ -x "$W/$_w" ] || skip_all "workers not built (run make)"; done; }

# workers_setup NAME NET: the client namespace C (NET.1 on tbwc$$) and the
# server namespace S (NET.2 on tbws$$) joined by a veth, and a scratch
# directory T (/tmp/tbw-NAME.*); all removed on exit.
workers_setup() {
	C=tbw-c-$$ S=tbw-s-$$
	scratch T "tbw-$1"
	netns_new $C $S
	veth_join $C tbwc$$ $S tbws$$ "$2"
}

# jget FILE EXPR: a value from a worker's JSON result (python3 as the reader;
# r is the object)
jget() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"; }

# server TAG ARGS...: tb-server in $S with ARGS, ready flag $T/ready.TAG and
# result $T/server.TAG.json; SPID is its pid (killed on exit). Bails unless it
# is ready within 5 s.
server() {
	_tag=$1; shift
	ip netns exec $S "$W/tb-server" --ready "$T/ready.$_tag" --result "$T/server.$_tag.json" "$@" >/dev/null &
	SPID=$!
	defer kill $SPID 2>/dev/null
	wait_for test -f "$T/ready.$_tag" || bail "tb-server $_tag did not start"
}
# stop: end the last server (its result is written) and wait until it is gone
stop() { kill "$SPID"; wait_for pid_gone "$SPID"; }

# tcpext NAME: a TcpExt counter of the server namespace
tcpext() {
	ip netns exec $S cat /proc/net/netstat | awk -v k="$1" '
		/^TcpExt:/ { if (!h) { for (i = 2; i <= NF; i++) n[i] = $i; h = 1 } else
			for (i = 2; i <= NF; i++) if (n[i] == k) print $i }'
}
