#!/bin/sh
# The command line: help from the command table, --version, exact matching,
# exit codes (0 ok, 2 bad usage or bad file), check on several files with
# every error reported in one pass. No root needed.
. "$(dirname "$0")/../tap.sh"
cd "$TOP" || bail "no top directory"

out=$(./testbed --version); rc=$?
is "$rc" 0 "--version exits 0"
case $out in "testbed "[0-9]*) pass "--version prints 'testbed VERSION' ($out)" ;; *) fail "--version: $out" ;; esac

out=$(./testbed help); rc=$?
is "$rc" 0 "help exits 0"
for c in check help version; do
	case $out in *"  $c "*) pass "help lists $c" ;; *) fail "help lists $c" ;; esac
done
./testbed 2>/dev/null; is "$?" 2 "no command: exit 2"
./testbed chec x 2>/dev/null; is "$?" 2 "a prefix of a command is not accepted (exact matching)"
err=$(./testbed frobnicate 2>&1); is "$?" 2 "unknown command: exit 2"
case $err in *'unknown command "frobnicate"'*) pass "unknown command is named" ;; *) fail "message: $err" ;; esac
./testbed help check >/dev/null; is "$?" 0 "help check exits 0"
# every command of the table answers --help with its usage, exit 0, no root
for c in $(printf '%s\n' "$out" | sed -n 's/^  \([a-z]*\) .*/\1/p'); do
	h=$(./testbed "$c" --help 2>&1); rc=$?
	case $rc:$h in 0:*Usage:*|0:*usage:*|0:*"testbed $c"*) pass "$c --help: its usage, exit 0" ;;
	*) fail "$c --help: exit $rc: $(printf '%s' "$h" | head -n 2)" ;; esac
done
./testbed check 2>/dev/null; is "$?" 2 "check without files: exit 2"
err=$(./testbed check /nonexistent.conf 2>&1); is "$?" 2 "check of a missing file: exit 2"
case $err in *"/nonexistent.conf: error: cannot read file: No such file or directory"*) pass "missing file named" ;; *) fail "message: $err" ;; esac

# all errors of all files in one pass, sorted by position
tmp=$(mktemp -d); defer rm -rf "$tmp"
printf '[node a]\nforwrd = yes\n[node b]\n[link a-b]\nmtu = 9\n' > "$tmp/one.conf"
printf '[node x]\nsysctl.net..x = 1\n' > "$tmp/two.conf"
err=$(./testbed check "$tmp/one.conf" "$tmp/two.conf" 2>&1); rc=$?
is "$rc" 2 "two bad files: exit 2"
n=$(printf '%s\n' "$err" | grep -c ': error: ')
is "$n" 3 "three errors reported in one pass"
diag "$err"
case $err in *"one.conf:2:1: error: unknown key \"forwrd\" in [node a] (did you mean \"forward\"?)"*) pass "suggestion for a misspelt key" ;; *) fail "suggestion" ;; esac
case $err in *"one.conf:5:7: error: mtu: invalid value \"9\": too small"*) pass "column of the bad value" ;; *) fail "value column" ;; esac
# warnings about shaping known to mislead do not fail the check
printf '[experiment]\ntopology = %s/topologies/pair.conf\n[link c1-s1]\ndelay = 10ms\n[flow bulk]\nworker = bulk\nfrom = c1\nto = s1\n' "$TOP" >"$tmp/netem-sender.conf"
err=$(./testbed check "$tmp/netem-sender.conf" 2>&1); rc=$?
is "$rc" 0 "a warning alone exits 0"
case $err in *"netem-sender.conf:4:1: warning: link c1-s1: delay/loss on the egress of c1, which sends TCP flow \"bulk\""*) pass "netem on the sender's own egress is warned about, with its line" ;; *) fail "warning: $err" ;; esac
is "$(printf '%s\n' "$err" | grep -c warning)" 1 "the same warning for both directions is printed once"
# a congestion control that no kernel tier offers: warned about at check
# time, at the value, naming what this kernel has and why the guest cannot
# help (no guest here: TB_UML_KERNEL names none)
printf '[experiment]\ntopology = %s/topologies/pair.conf\n[flow bulk]\nworker = bulk\nfrom = c1\nto = s1\ncc = nosuch\n' "$TOP" >"$tmp/cc.conf"
err=$(TB_UML_KERNEL=/nonexistent ./testbed check "$tmp/cc.conf" 2>&1); rc=$?
diag "$err"
is "$rc" 0 "a congestion control no tier offers: a warning, exit 0"
# (a sanitizer build names that reason first: its guests cannot run at all)
noguest="no UML kernel at /nonexistent; apt-get install user-mode-linux"
case $err in *"AddressSanitizer"*) noguest=$(printf '%s\n' "$err" | sed -n 's/.*User-Mode Linux guest (\(this testbed is built with AddressSanitizer[^)]*\)).*/\1/p' | head -n 1) ;; esac
case $err in *"cc.conf:7:6: warning: flow bulk: congestion control \"nosuch\" is offered neither by this kernel ("*") nor by the User-Mode Linux guest ($noguest): the run will fail") pass "... at the cc value, saying the guest is not installed" ;; *) fail "cc warning: $err" ;; esac
printf '[experiment]\ntopology = %s/topologies/pair.conf\nkernel = uml\n[flow bulk]\nworker = bulk\nfrom = c1\nto = s1\ncc = nosuch\n' "$TOP" >"$tmp/cc-uml.conf"
err=$(TB_UML_KERNEL=/nonexistent ./testbed check "$tmp/cc-uml.conf" 2>&1); rc=$?
is "$rc:$err" "0:$tmp/cc-uml.conf:1:1: warning: the experiment says kernel = uml, but the User-Mode Linux guest cannot run here ($noguest): the run will fail" \
	"kernel = uml without a guest: said once, not for every need"
# a FIFO as the file, or as its topology, blocked check forever in open
mkfifo "$tmp/fifo.conf"
printf '[experiment]\ntopology = fifo.conf\n[flow f]\nworker = bulk\nfrom = a\nto = b\n' >"$tmp/use-fifo.conf"
err=$(timeout 10 ./testbed check "$tmp/fifo.conf" 2>&1); rc=$?
is "$rc:$err" "2:$tmp/fifo.conf: error: cannot read file: not a regular file" "a FIFO as the file: refused at once"
err=$(timeout 10 ./testbed check "$tmp/use-fifo.conf" 2>&1); rc=$?
diag "$err"
is "$rc" 2 "a FIFO as the topology: exit 2, not a hang"
case $err in *"use-fifo.conf:2:12: error: topology: cannot read \"fifo.conf\""*"not a regular file"*) pass "... at the topology line" ;; *) fail "FIFO topology: $err" ;; esac
# checking is near-linear in the file: a 2,000-node chain with a typo on its
# last line took over 30 s (interface naming was cubic); 20 s is a hang
{ i=1; while [ $i -le 2000 ]; do echo "[node n$i]"; i=$((i + 1)); done
  i=1; while [ $i -lt 2000 ]; do echo "[link n$i-n$((i + 1))]"; i=$((i + 1)); done
  echo "[link n1-n2000x]"; } >"$tmp/chain2000.conf"
s=$(date +%s%N)
err=$(timeout 20 ./testbed check "$tmp/chain2000.conf" 2>&1); rc=$?
diag "2,000-node chain checked in $(( ($(date +%s%N) - s) / 1000000 )) ms"
is "$rc:$err" "2:$tmp/chain2000.conf:4000:1: error: link end: unknown node \"n2000x\" (did you mean \"n2000\"?)" \
	"a 2,000-node chain with a typo on its last line: the one error, without a hang"
# --out on a directory that holds anything (an earlier run) is refused
# before anything is built, and the directory is left as it was
mkdir -p "$tmp/earlier/runs" && echo "an earlier report" >"$tmp/earlier/report.md"
before=$(ls -lR --time-style=full-iso "$tmp/earlier" | md5sum)
err=$(./testbed run experiments/cubic_vs_bbr_1pct.conf --out "$tmp/earlier" 2>&1); rc=$?
diag "$err"
is "$rc" 2 "run --out on a non-empty directory: exit 2"
case $err in *"--out $tmp/earlier: not empty"*) pass "... says it is not empty" ;; *) fail "message: $err" ;; esac
is "$(ls -lR --time-style=full-iso "$tmp/earlier" | md5sum)" "$before" "... and leaves it untouched"
err=$(./testbed run experiments/cubic_vs_bbr_1pct.conf --out "$tmp/earlier/report.md" 2>&1); rc=$?
is "$rc" 2 "run --out on a file: exit 2 ($err)"
# testbed shape parses KEY=VALUE with the [link] key table: a bad value is
# refused with the file parser's own message, exit 2, before anything is
# touched (the namespace does not exist either: nothing could be shaped)
printf '[node a]\n[node b]\n[link a-b]\ndelay = 20s\n' >"$tmp/delay.conf"
ferr=$(./testbed check "$tmp/delay.conf" 2>&1)
serr=$(./testbed shape "tbnone$$" eth0 rate=10mbit delay=20s 2>&1); rc=$?
is "$rc" 2 "shape with a value out of range: exit 2"
is "$serr" 'testbed shape: error: delay: invalid value "20s": too large' "shape names the key, the value and why"
is "${serr#*: error: }" "${ferr#*: error: }" "... in the words of the file parser ($ferr)"
err=$(./testbed shape "tbnone$$" eth0 dealy=1ms reorder_gap=0 2>&1); rc=$?
is "$rc" 2 "shape with an unknown key: exit 2"
is "$err" 'testbed shape: error: unknown key "dealy" (did you mean "delay"?)
testbed shape: error: reorder_gap: invalid value "0": must be greater than 0' "every bad argument reported, the unknown key with the nearest"
out=$(./testbed shape --help); rc=$?
is "$rc" 0 "shape --help exits 0"
for k in rate delay delay_correlation reorder_gap netem_limit ecn; do
	case $out in *"
  $k "*) pass "shape --help lists $k" ;; *) fail "shape --help lists $k" ;; esac
done
case $out in *"default|pfifo|bfifo|fq_codel|codel|fq|cake"*) pass "... and the queue kinds" ;; *) fail "queue kinds: $out" ;; esac
# guest --mem below the minimum: said plainly (the message was an
# uninitialised pointer), before any guest boots
err=$(./testbed guest --mem 16M true 2>&1); rc=$?
is "$rc:$err" "2:testbed: guest: --mem \"16M\": at least 32M" "guest --mem 16M: exit 2, says the minimum"
done_testing
