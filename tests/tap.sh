# TAP helpers for the shell integration tests; source this file.
#   plan N | ok COND... NAME | is GOT WANT NAME | skip REASON | skip_all REASON
#   diag TEXT | bail TEXT | done_testing
# Tests that build namespaces call need_root first and register their own
# undo steps with defer; deferred steps run newest-first on exit.
TAP_N=0
TAP_FAILED=0
TAP_PLANNED=
TAP_DEFER=

TOP=$(cd "$(dirname "$0")/../.." && pwd)
TESTBED="$TOP/testbed"

plan() { TAP_PLANNED=$1; echo "1..$1"; }
diag() { printf '# %s\n' "$*"; }
bail() { echo "Bail out! $*"; exit 255; }
pass() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
fail() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $*"; }
# ok NAME CMD...: passes when CMD succeeds
ok() { name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
is() {
	if [ "$1" = "$2" ]; then pass "$3"; else
		fail "$3"; diag "     got: $1"; diag "expected: $2"; fi
}
skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N # SKIP $*"; }
skip_all() { # the rest of the file; after some tests, they stand with the reason
	if [ "$TAP_N" -eq 0 ]; then echo "1..0 # SKIP $*"; exit 0; fi
	if [ -n "$TAP_PLANNED" ]; then
		while [ "$TAP_N" -lt "$TAP_PLANNED" ]; do skip "$*"; done
	else
		skip "the rest: $*"; echo "1..$TAP_N"
	fi
	_run_defer; exit $((TAP_FAILED > 0))
}
need_root() { [ "$(id -u)" -eq 0 ] || skip_all "needs root (run: sudo make check)"; }
need_cmd() { for c in "$@"; do command -v "$c" >/dev/null 2>&1 || skip_all "needs $c"; done; }
defer() { TAP_DEFER="$*
$TAP_DEFER"; }
_run_defer() {
	printf '%s\n' "$TAP_DEFER" | while IFS= read -r c; do
		[ -n "$c" ] && eval "$c" >/dev/null 2>&1
	done
	TAP_DEFER=
}
trap '_run_defer' EXIT
trap 'exit 130' INT TERM
done_testing() {
	_run_defer
	[ -z "$TAP_PLANNED" ] && echo "1..$TAP_N"
	[ -n "$TAP_PLANNED" ] && [ "$TAP_PLANNED" != "$TAP_N" ] && diag "planned $TAP_PLANNED, ran $TAP_N" && exit 1
	[ "$TAP_FAILED" -eq 0 ]
}
