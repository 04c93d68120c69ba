#!/bin/sh
# Inputs that once crashed the parser under the fuzzer (tests/fuzz/regress/)
# must now be answered with exit 0 or 2 and messages, never a crash. Under
# `make sanitize` the binary is built with ASan/UBSan, which turns a
# regression of the memory error into a failure here.
. "$(dirname "$0")/../tap.sh"
cd "$TOP" || bail "no top directory"
for f in tests/fuzz/regress/*; do
	./testbed check "$f" >/dev/null 2>&1
	rc=$?
	ok "$f: exit $rc (0 or 2)" [ $rc -eq 0 -o $rc -eq 2 ]
done
done_testing
