# kubelet/: the node agent; kubelet/runtime/ holds the runtime interface and its backends.
# Everything but main.c is libkubelet.a; echoserver is the project's test workload.
KL_SRCS := $(filter-out kubelet/main.c kubelet/echoserver/main.c,$(wildcard kubelet/*.c kubelet/runtime/*.c kubelet/image/*.c))
$(BUILD)/libkubelet.a: $(KL_SRCS:%.c=$(BUILD)/%.o)

ifneq ($(wildcard kubelet/main.c),)
BINS += $(BIN)/kubelet
endif
ifneq ($(wildcard kubelet/echoserver/main.c),)
BINS += $(BIN)/echoserver
endif

$(BIN)/kubelet: $(BUILD)/kubelet/main.o $(BUILD)/libkubelet.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	@echo "  LINK  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/echoserver: $(BUILD)/kubelet/echoserver/main.o $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	@echo "  LINK  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
