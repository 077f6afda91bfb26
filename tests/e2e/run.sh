#!/bin/sh
# Runs the end-to-end tests in turn: the local cluster, the local cluster with TLS=1, then the
# compose cluster (or SKIPPED).
set -u
cd "$(dirname "$0")/../.."
failed=0
for t in tests/e2e/local "TLS=1 tests/e2e/local" tests/e2e/compose; do
	[ -x "${t#TLS=1 }" ] || continue
	echo "== $t"
	env $t || failed=1
done
[ $failed -eq 0 ] && echo "e2e: all passed"
exit $failed
