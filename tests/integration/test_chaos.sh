# Short chaos runs with a linearizability check (tests/chaos/); `make chaos` runs the long ones.
exec sh tests/chaos/run.sh --runs 3 --duration 20 --two-down-every 3
