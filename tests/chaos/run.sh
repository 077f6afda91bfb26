#!/bin/sh
# Runs the linearizability checker's own tests, then chaos runs against etcdlite.
# Usage: tests/chaos/run.sh [chaos_etcd.py flags], e.g. --runs 3 --duration 20.
set -u
cd "$(dirname "$0")/../.." || exit 1
/usr/bin/python3 tests/chaos/test_linearizability_checker.py || exit 1
/usr/bin/python3 tests/chaos/test_watch_validator.py || exit 1
exec /usr/bin/python3 tests/chaos/chaos_etcd.py "$@"
