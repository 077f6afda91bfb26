# etcdlite/: the Raft key-value store; raft/ is a library of its own (pure, no I/O).
RAFT_SRCS := $(wildcard etcdlite/raft/*.c)
$(BUILD)/libraft.a: $(RAFT_SRCS:%.c=$(BUILD)/%.o)

EL_SRCS := $(filter-out etcdlite/main.c,$(wildcard etcdlite/*.c))
$(BUILD)/libetcdlite.a: $(EL_SRCS:%.c=$(BUILD)/%.o)

ifneq ($(wildcard etcdlite/main.c),)
BINS += $(BIN)/etcdlite
endif

$(BIN)/etcdlite: $(BUILD)/etcdlite/main.o $(BUILD)/libetcdlite.a $(BUILD)/libraft.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	@echo "  LINK  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
