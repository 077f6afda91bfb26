# tests/e2e/: the clusters end to end: the local one (tests/e2e/local) and, where a Docker
# Engine answers, the compose one with its chaos scenario (tests/e2e/compose). Part of `make test`.
.PHONY: e2e
e2e: all
	@BIN=$(BIN) tests/e2e/run.sh
