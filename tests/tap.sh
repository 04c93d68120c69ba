# TAP helpers for the shell integration tests; source this file.
#   plan N | ok COND... NAME | is GOT WANT NAME | skip REASON | skip_all REASON
#   diag TEXT | bail TEXT | done_testing
# Tests that build namespaces call need_root first and register their own
# undo steps with defer; deferred steps run newest-first on exit. Shared
# setup (namespaces, polling, UML guests, experiments) is at the end.
TAP_N=0
TAP_FAILED=0
TAP_PLANNED=
TAP_DEFER=
_EXP_INIT=

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

# --- shared setup -------------------------------------------------------------
need_testbed() { [ -x "$TESTBED" ] || skip_all "build ./testbed first (make)"; }
# scratch VAR PREFIX: a private directory /tmp/PREFIX.PID.XXXXXX in $VAR and
# in TMPDIR (so the state of any guest started lands there), removed on exit
scratch() {
	_d=$(mktemp -d "/tmp/$2.$$.XXXXXX") || bail "mktemp /tmp/$2"
	defer rm -rf "$_d"
	eval "$1=\$_d"
	TMPDIR=$_d; export TMPDIR
}
# wait_for CMD...: poll CMD every 50 ms for up to 5 s; its status
wait_for() { for _ in $(seq 100); do "$@" && return 0; sleep 0.05; done; return 1; }
pid_gone() { ! kill -0 "$1" 2>/dev/null; }
# listening NS PORT: a TCP listener on PORT in namespace NS
listening() { ip netns exec "$1" ss -Htln "sport = :$2" | grep -q LISTEN; }
# netns_new NAME...: namespaces, deleted on exit
netns_new() { for _n in "$@"; do ip netns add "$_n" || bail "ip netns add $_n"; defer ip netns del "$_n"; done; }
# veth_join NS1 IF1 NS2 IF2 NET: a veth from IF1 in NS1 (NET.1/24) to IF2 in
# NS2 (NET.2/24); lo and both ends up
veth_join() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || bail "veth $1/$2 - $3/$4"
	ip -n "$1" addr add "$5.1/24" dev "$2"; ip -n "$3" addr add "$5.2/24" dev "$4"
	for _n in "$1" "$3"; do ip -n "$_n" link set lo up; done
	ip -n "$1" link set "$2" up; ip -n "$3" link set "$4" up
}

# need_uml: skip unless the UML tier works here (Debian's linux.uml, a built
# ./testbed, and testbed probe's word)
need_uml() {
	need_testbed
	_why=$(uml_unavailable)
	[ -z "$_why" ] || skip_all "$_why"
}
# uml_unavailable: why the UML tier cannot run here (nothing when it can)
uml_unavailable() {
	[ -x /usr/bin/linux.uml ] || { echo "needs Debian's user-mode-linux (apt-get install user-mode-linux)"; return; }
	_w=$("$TESTBED" probe 2>/dev/null | sed -n 's/^uml tier: *unavailable: *//p')
	[ -z "$_w" ] || echo "UML tier unavailable: $_w"
}
# uml_procs DIR: PIDs of the linux.uml processes whose command line names a
# state directory under DIR (a private TMPDIR tells ours from other users';
# pgrep -f would match itself)
uml_procs() {
	for _p in $(pgrep -x linux.uml); do
		{ tr '\0' ' ' <"/proc/$_p/cmdline"; } 2>/dev/null | grep -q "uml_dir=$1/" && echo "$_p"
	done
}

# run_experiment [--needs WHAT] NAME|FILE ARGS...: the prologue of the
# exp-*.t tests. Skips without root, jq or a built ./testbed; runs
# `testbed run --quiet FILE ARGS --out $TMP/o` (NAME: the shipped
# experiments/NAME.conf) in a private $TMP (see scratch; exp_init makes it, and
# may be called first to prepare a file there); S is the summary.json. Exit 3
# (the environment lacks something) skips the rest with testbed's reason if the
# experiment needs WHAT from the kernel (a tier with it is picked when one
# exists), and is a failure otherwise. Asserts exit 0; on any other exit prints
# the end of stderr and the expectations not held. One retry, with evidence
# only: when expectations did not hold (exit 1) and testbed itself reports that
# the machine stalled during the runs (report.md's "Host stalls", from the
# samplers' wake-ups), the first attempt's verdict and stalls are printed and
# the experiment is run once more; the second attempt is the one asserted.
# A failure without a measured stall is never retried.
exp_init() {
	[ -n "$_EXP_INIT" ] && return 0
	_EXP_INIT=1
	need_root
	need_cmd jq
	need_testbed
	scratch TMP "tb-exp-$1"
}
run_experiment() {
	_needs=
	[ "$1" = --needs ] && { _needs=$2; shift 2; }
	case $1 in */*) _f=$1 ;; *) _f="$TOP/experiments/$1.conf" ;; esac
	shift
	exp_init "$(basename "$_f" .conf)"
	_try=1
	while :; do
		"$TESTBED" run --quiet "$_f" "$@" --out "$TMP/o" >"$TMP/out" 2>"$TMP/err"
		RC=$?
		# whether the machine stalled during the runs (bold when it did)
		_hs=$(grep '^| Host stalls |' "$TMP/o/report.md" 2>/dev/null | cut -d'|' -f3)
		case $_hs in *'**'*) _stalled=1 ;; *) _stalled= ;; esac
		[ $RC -eq 1 ] && [ $_try -eq 1 ] && [ -n "$_stalled" ] || break
		diag "first attempt: expectations not held while the host stalled; running it again"
		diag "first attempt's host stalls:$_hs"
		grep 'expectation not held' "$TMP/err" | sed 's/^/# first attempt: /'
		mv "$TMP/o" "$TMP/o.stalled"
		_try=2
	done
	S="$TMP/o/summary.json"
	[ $RC -eq 3 ] && [ -n "$_needs" ] && skip_all "no kernel with $_needs here: $(tail -n 1 "$TMP/err")"
	is "$RC" 0 "every expectation held (exit 0)"
	[ -n "$_hs" ] && diag "host stalls:$_hs"
	_gs=$(grep '^| Guest stalls |' "$TMP/o/report.md" 2>/dev/null | cut -d'|' -f3)
	[ -n "$_gs" ] && diag "guest stalls:$_gs"
	if [ $RC -ne 0 ]; then
		tail -n 30 "$TMP/err" | sed 's/^/# /'
		grep -A4 'NOT HELD' "$TMP/o/report.md" 2>/dev/null | sed 's/^/# /'
	fi
	return 0
}
# run_variant NAME SED [run options]: experiments/NAME.conf with the sed
# script SED applied (parameters other than the shipped ones), run into
# $TMP/v: its expectations, which read the file's parameters with cfg(),
# must hold against the new ones. VS is its summary.json.
run_variant() {
	_vf="$TMP/variant-$1.conf"
	sed -e "s|^topology = \.\./|topology = $TOP/|" -e "$2" "$TOP/experiments/$1.conf" >"$_vf"
	shift 2
	diag "variant: $(diff "$TOP/experiments/$(basename "$_vf" .conf | sed 's/^variant-//').conf" "$_vf" |
		grep '^>' | grep -v '^> topology' | sed 's/^> //' | paste -sd';' -)"
	"$TESTBED" run --quiet "$_vf" "$@" --out "$TMP/v" >"$TMP/vout" 2>"$TMP/verr"
	_vrc=$?
	VS="$TMP/v/summary.json"
	is "$_vrc" 0 "with other parameters every expectation held against them (exit 0)"
	[ "$_vrc" -ne 0 ] && grep -A6 'NOT HELD' "$TMP/v/report.md" 2>/dev/null | sed 's/^/# /'
	return 0
}
# diag_cases FILTER: a diag line per case of the summary, the jq FILTER's string
diag_cases() { jq -r ".cases[] | $1" "$S" | while IFS= read -r _l; do diag "$_l"; done; }
# no_uml_left: no guest of this test's $TMP is still running
no_uml_left() { is "$(uml_procs "$TMP")" "" "no linux.uml process of this run remains"; }
