# tests/fuzz/: libFuzzer targets, one per tests/fuzz/fuzz_<name>.c, with seed corpora in tests/fuzz/corpus/<name>/.
#
#   make fuzz                   builds every target with clang (-fsanitize=fuzzer,address,undefined)
#                               into build-fuzz/ and runs each for FUZZ_SECONDS (default 60; CI
#                               uses 60). New inputs go to build-fuzz/corpus/<name>, crashes to
#                               build-fuzz/artifacts/. FUZZ_TARGETS=json limits the run.
#   make fuzz-regress           (part of `make test`) runs every checked-in corpus file through
#                               its target once, built with gcc under ASan+UBSan without
#                               libFuzzer: fast, and a crash found once stays fixed.
#
# A crashing input found by `make fuzz` goes into tests/fuzz/corpus/<name>/ with the fix.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_ALL := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_DIR := build-fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS = -O1 -g -std=c11 -D_GNU_SOURCE $(WARN) -MMD -MP -I. $(PKG_CFLAGS) \
	-Wno-format-nonliteral -fsanitize=fuzzer-no-link $(FUZZ_SAN)
FUZZ_LIB_SRCS := $(COMMON_SRCS) $(EL_SRCS) $(RAFT_SRCS) $(KP_SRCS) apiserver/path.c

.PHONY: fuzz fuzz-build fuzz-regress fuzz-regress-run fuzz-ci
test: fuzz-regress

# `make test` (so CI) ends by fuzzing every target for FUZZ_SECONDS (60 s each, about 13 minutes
# here); FUZZ_SECONDS=0 skips that part. Not under SAN=1: `make asan` replays the corpus only.
FUZZ_CI := $(if $(filter 1,$(SAN)),,fuzz-ci)
fuzz-ci:
	@if [ "$(FUZZ_SECONDS)" = 0 ]; then echo "fuzz: skipped (FUZZ_SECONDS=0)"; \
	else $(MAKE) --no-print-directory fuzz; fi

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FZCC  $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/libfuzzlib.a: $(FUZZ_LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
	@echo "  AR    $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_DIR)/libfuzzlib.a
	@echo "  LINK  $@"
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LDLIBS)

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

# One target at a time, one process each (-jobs is left at 1: the machine is shared).
fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/artifacts; \
		echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
		if ! $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
			-max_len=16384 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_DIR)/artifacts/$$t- \
			$(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t >$(FUZZ_DIR)/$$t.log 2>&1; then \
			tail -n 60 $(FUZZ_DIR)/$$t.log; exit 1; \
		fi; \
		grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss)' $(FUZZ_DIR)/$$t.log; \
	done

# The regression run is an ASan build (build-asan/, shared with `make asan`).
ifeq ($(SAN),1)
$(BUILD)/fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay_main.o \
		$(BUILD)/libetcdlite.a $(BUILD)/libraft.a $(BUILD)/libkubeproxy.a $(BUILD)/libapiserver.a \
		$(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	@echo "  LINK  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

fuzz-regress-run: $(FUZZ_ALL:%=$(BUILD)/fuzz/fuzz_%)
	@set -e; for t in $(FUZZ_ALL); do \
		printf '  fuzz-regress %-12s ' $$t; \
		$(BUILD)/fuzz/fuzz_$$t tests/fuzz/corpus/$$t; \
	done

fuzz-regress: fuzz-regress-run
else
fuzz-regress:
	@$(MAKE) --no-print-directory SAN=1 fuzz-regress-run
endif

-include $(shell find $(FUZZ_DIR) -name '*.d' 2>/dev/null)
