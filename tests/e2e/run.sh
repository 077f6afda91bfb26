#!/bin/sh
# Runs the end-to-end tests in turn: the local cluster, the local cluster with TLS=1, the compose
# cluster, then the compose cluster with TLS=1 (a shorter partition: the plain run covers catch-up
# after a long one). The compose runs print SKIPPED when no Docker Engine answers.
set -u
cd "$(dirname "$0")/../.."
failed=0
for t in tests/e2e/local "TLS=1 tests/e2e/local" tests/e2e/compose \
	"TLS=1 PARTITION_SECONDS=10 tests/e2e/compose"; do
	echo "== $t"
	env $t || failed=1
done
[ $failed -eq 0 ] && echo "e2e: all passed"
exit $failed
