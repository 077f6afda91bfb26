# tests/chaos/: clients, a nemesis and a watcher against 3 etcdlite members, with a linearizability check.
#
# `make test` runs 3 short runs (tests/integration/test_chaos.sh); `make chaos` the long ones.
# A failing run prints its seed and how to replay it, and keeps its folder.
.PHONY: chaos
chaos: $(BIN)/etcdlite
	@BIN=$(BIN) tests/chaos/run.sh --runs 20 --duration 30 --two-down-every 5
