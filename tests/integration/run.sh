#!/bin/sh
# Runs every integration test: compiled ones from $BUILD/tests, scripts from tests/integration.
# Each test starts its own processes on ephemeral loopback ports and kills them.
set -u
BIN=${BIN:-bin}
BUILD=${BUILD:-build}
export BIN BUILD
failed=0
run() {
	echo "== $*"
	if ! "$@"; then
		echo "FAIL: $*"
		failed=1
	fi
}
[ -x "$BUILD/tests/http_loopback" ] && run "$BUILD/tests/http_loopback"
for t in tests/integration/test_*.py; do
	[ -e "$t" ] && run /usr/bin/python3 "$t"
done
for t in tests/integration/test_*.sh; do
	[ -e "$t" ] && run sh "$t"
done
[ $failed -eq 0 ] && echo "integration: all passed"
exit $failed
