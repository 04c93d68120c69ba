#!/bin/sh
# testbed cleanup (as root) against a local user who plants links: guests
# keep their state in $TMPDIR/testbed-vm-<uid>, private to their user; a
# planted link or another user's directory of that name is refused, cleanup
# walks only its own user's directory and removes with openat/unlinkat, never
# through a link. Nothing outside testbed's own directories is touched.
. "$(dirname "$0")/../tap.sh"
need_root
need_uml
need_cmd setpriv
scratch T tbu-vmclean
chmod 1777 "$T" # a shared /tmp
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# root-owned files elsewhere that a planted link points at
V=$(mktemp -d /tmp/tbu-victim.XXXXXX)
defer rm -rf "$V"
for i in 1 2 3 4 5; do echo "keep $i" >"$V/f$i"; done
mkdir "$V/sub" && echo keep >"$V/sub/g"
count() { find "$V" -type f | wc -l; }

# 1. The name root's guests would use is a link planted by another user.
as_nobody ln -s "$V" "$T/testbed-vm-0"
"$TESTBED" guest --modules '' --timeout 60s -- /bin/true 2>"$T/err1"
rc=$?
diag "$(tail -n 1 "$T/err1")"
is "$rc" 1 "a guest refuses a state directory that is a planted link (exit 1)"
ok "... and says which and why" grep -q "testbed-vm-0 is not a private directory of ours" "$T/err1"
"$TESTBED" cleanup >"$T/out" 2>&1
is "$(count)" 6 "cleanup leaves the link's target alone (6 files)"
ok "... and the planted link itself (not ours to remove)" [ -L "$T/testbed-vm-0" ]
rm -f "$T/testbed-vm-0"

# 2. Another user's directories, old-style and new, full of links: not ours.
as_nobody sh -c "mkdir $T/testbed-vm.abcdef $T/testbed-vm-65534 && chmod 700 $T/testbed-vm-65534 &&
	ln -s $V $T/testbed-vm.abcdef/tb1 && ln -s $V $T/testbed-vm-65534/x && echo 1 >$T/testbed-vm.abcdef/owner"
"$TESTBED" cleanup >"$T/out" 2>&1
is "$(count)" 6 "cleanup does not follow another user's links (6 files)"
ok "another user's directories are left to them" [ -d "$T/testbed-vm.abcdef" ] && [ -d "$T/testbed-vm-65534" ]
rm -rf "$T/testbed-vm.abcdef" "$T/testbed-vm-65534"

# 3. A stale directory of root's own (its owner dead) holding a link: the
# link goes, its target stays.
mkdir -m 700 "$T/testbed-vm-0" "$T/testbed-vm-0/stale1"
sh -c 'exit 0' & dead=$!
wait $dead
echo "$dead" >"$T/testbed-vm-0/stale1/owner"
ln -s "$V" "$T/testbed-vm-0/stale1/tbx"
ln -s "$V/f1" "$T/testbed-vm-0/stale1/file-link"
"$TESTBED" cleanup >"$T/out" 2>&1
ok "cleanup removes a stale state directory of its own" [ ! -e "$T/testbed-vm-0/stale1" ]
is "$(count)" 6 "... removing the links in it, not their targets (6 files)"
ok "... and the empty base directory" [ ! -e "$T/testbed-vm-0" ]

# 4. A guest as usual: its private base, gone with it.
"$TESTBED" guest --quiet --modules '' --timeout 60s -- /bin/sh -c "stat -c '%a %U' $T/testbed-vm-0" >"$T/mode"
is "$(cat "$T/mode")" "700 root" "while a guest runs, its base directory is 700 and root's"
ok "after it, nothing is left in TMPDIR" [ -z "$(ls -A "$T" | grep -v -e '^err1$' -e '^out$' -e '^mode$')" ]
done_testing
