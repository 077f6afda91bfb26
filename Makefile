# minik8s: one Makefile, a fragment per folder (*/module.mk).
#   make            every binary into bin/
#   make test       unit tests, integration tests, the end-to-end clusters (tests/e2e), then every fuzz
#                   target for FUZZ_SECONDS (60; FUZZ_SECONDS=0 skips fuzzing)
#   make asan       the same tests under AddressSanitizer + UBSan (in build-asan/)
#   make bench      the benchmarks under bench/
#   make deps       the Debian packages the build, tests and benchmarks use
#   make certs      a CA and certificates for every component in $(CLUSTER_DIR)/pki (deploy/certs.sh)
#   make fuzz       every libFuzzer target for FUZZ_SECONDS (tests/fuzz/module.mk)

SAN ?= 0
ifeq ($(SAN),1)
BUILD ?= build-asan
BIN ?= build-asan/bin
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD ?= build
BIN ?= bin
SANFLAGS :=
endif

CC ?= gcc
PKGS := libuv libmicrohttpd libcjson libcurl gnutls zlib
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)
YAML_LIBS = $(shell pkg-config --libs yaml-0.1 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Werror
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE $(WARN) -MMD -MP -I. $(PKG_CFLAGS) $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
LDLIBS = $(PKG_LIBS) $(YAML_LIBS) -lm

Q := @
ifeq ($(V),1)
Q :=
endif

.PHONY: all test unit integration e2e asan bench deps clean
all:

# Each fragment appends to these.
BINS :=
UNIT_TESTS :=



include etcdlite/module.mk
include apiserver/module.mk
include scheduler/module.mk
include controller/module.mk
include hollownodes/module.mk
include kubelet/module.mk
include kubeproxy/module.mk
include ctl/module.mk
include common/module.mk
include tests/module.mk
include tests/e2e/module.mk
include bench/module.mk

all: $(BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC    $<"
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/lib%.a:
	@mkdir -p $(dir $@)
	@echo "  AR    $@"
	$(Q)rm -f $@ && ar rcs $@ $^

test: unit integration e2e $(FUZZ_CI)

asan:
	$(MAKE) SAN=1 test

deps:
	@./deploy/deps.sh

clean:
	rm -rf build build-asan build-fuzz bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
.SECONDARY:

# The local cluster (deploy/cluster.sh): `make up` installs what is missing, builds, starts.
.PHONY: up down status image compose-up compose-down compose-status certs
certs:
	@deploy/certs.sh
up: deps
	@$(MAKE) --no-print-directory all
	@deploy/cluster.sh up
down:
	@deploy/cluster.sh down
status:
	@deploy/cluster.sh status

# Images FROM scratch (no registry needed) and the docker compose cluster (deploy/compose.sh).
# The images carry the plain build even under make asan (whose e2e starts the compose cluster):
# sanitized daemons would need the sanitizer runtime and run slowly in every container.
image:
	@$(MAKE) --no-print-directory SAN=0 BUILD=build BIN=bin all
	@deploy/image.sh
compose-up: image
	@deploy/compose.sh up
compose-down:
	@deploy/compose.sh down
compose-status:
	@deploy/compose.sh status
