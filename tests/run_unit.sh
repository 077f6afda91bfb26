#!/bin/sh
# Runs each Check unit-test binary given; fails if any fails, after running all.
failed=0
for t in "$@"; do
	if ! "$t"; then
		echo "FAIL: $t"
		failed=1
	fi
done
[ $failed -eq 0 ] && echo "unit: all passed"
exit $failed
