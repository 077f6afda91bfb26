# tests/: Check unit tests, one binary per tests/unit/test_<module>_<file>.c, and integration tests.
#
# A unit test links the libraries of its module, named by the word after
# "test_": test_cm_* links common, test_raft_* raft, test_el_* etcdlite.
TEST_LIBS_cm := common
TEST_LIBS_raft := raft common
TEST_LIBS_el := etcdlite raft common
TEST_LIBS_api := apiserver common
TEST_LIBS_sch := scheduler common
TEST_LIBS_ctl := controller common
TEST_LIBS_kl := kubelet common
TEST_LIBS_kp := kubeproxy common
TEST_LIBS_mc := ctl common
test_libs = $(foreach l,$(TEST_LIBS_$(word 2,$(subst _, ,$(1)))),$(BUILD)/lib$(l).a)

TESTLIB_SRCS := $(wildcard tests/lib/*.c)
$(BUILD)/libtestlib.a: $(TESTLIB_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_TESTS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.SECONDEXPANSION:
$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(BUILD)/libtestlib.a $$(call test_libs,test_%)
	@mkdir -p $(dir $@)
	@echo "  LINK  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

unit: $(UNIT_TESTS)
	@tests/run_unit.sh $(UNIT_TESTS)

INTEGRATION_DEPS := $(BINS)
ifneq ($(wildcard tests/integration/http_loopback.c),)
INTEGRATION_DEPS += $(BUILD)/tests/http_loopback
endif
integration: $(INTEGRATION_DEPS)
	@BIN=$(BIN) BUILD=$(BUILD) tests/integration/run.sh

$(BUILD)/tests/http_loopback: $(BUILD)/tests/integration/http_loopback.o $(BUILD)/libtestlib.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	@echo "  LINK  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)
include tests/chaos/module.mk
include tests/fuzz/module.mk

# make valgrind: the integration files with the control-plane daemons and kubeproxy under memcheck
# (tests/lib/harness.py's MINIK8S_WRAP; the kubelet is left out: its forked shims would run under
# valgrind too). Each daemon writes build/valgrind/<pid>.log; any error (invalid access,
# uninitialised use, a definite leak) fails the target. Each file is bounded by VALGRIND_SECONDS.
VALGRIND_FILES ?= $(wildcard tests/integration/test_*.py)
VALGRIND_DAEMONS ?= apiserver etcdlite scheduler controller kubeproxy
VALGRIND_SECONDS ?= 1200
VALGRIND_DIR := $(BUILD)/valgrind
VALGRIND_CMD := valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite \
	--show-leak-kinds=definite --num-callers=30 --error-exitcode=99 --log-file=$(abspath $(VALGRIND_DIR))/%p.log
.PHONY: valgrind
valgrind: $(BINS)
	@rm -rf $(VALGRIND_DIR) && mkdir -p $(VALGRIND_DIR)
	@set -e; for t in $(VALGRIND_FILES); do \
		echo "== valgrind: $$t"; \
		BIN=$(BIN) MINIK8S_WRAP="$(VALGRIND_CMD)" MINIK8S_WRAP_ONLY="$(VALGRIND_DAEMONS)" \
			timeout $(VALGRIND_SECONDS) /usr/bin/python3 $$t; \
	done
	@bad=$$(grep -L 'ERROR SUMMARY: 0 errors' $(VALGRIND_DIR)/*.log || true); \
	echo "valgrind: $$(ls $(VALGRIND_DIR) | wc -l) daemon runs"; \
	if [ -n "$$bad" ]; then for f in $$bad; do echo "== $$f"; cat $$f; done; exit 1; fi
