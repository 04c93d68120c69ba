#!/bin/bash
# The shipped experiment server_arch_idle at a short duration (host kernel):
# its expectations hold (exit 0): 1,000 idle clients starve an iterative
# server's active clients, epoll serves them fast, the thread-per-connection
# server pays a thread per idle client. Prints the table a person would read.
. "$(dirname "$0")/../tap.sh"
run_experiment server_arch_idle --duration 8s --repeat 1
is "$(jq '.runs_complete' "$S")" 3 "3 runs complete (iterative, thread, epoll)"
for a in iterative thread epoll; do
	q=".cases[] | select(.label==\"arch=$a\")"
	f() { jq -r "$q | .flows.$1.metrics.$2.median // \"-\"" "$S"; }
	diag "$a: idle held=$(f idle held) connect_p99=$(f idle connect_p99)s |" \
		"active success=$(f active success)% p50=$(f active p50)s p99=$(f active p99)s" \
		"connect_p99=$(f active connect_p99)s errors=$(f active errors) |" \
		"server rss=$(f idle server_rss)B vm=$(f idle server_vm)B threads=$(f idle server_threads)"
done
done_testing
