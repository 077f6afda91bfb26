# kubeproxy/: the service proxy of a node; everything but main.c is libkubeproxy.a.
KP_SRCS := $(filter-out kubeproxy/main.c,$(wildcard kubeproxy/*.c))
$(BUILD)/libkubeproxy.a: $(KP_SRCS:%.c=$(BUILD)/%.o)

ifneq ($(wildcard kubeproxy/main.c),)
BINS += $(BIN)/kubeproxy
endif

$(BIN)/kubeproxy: $(BUILD)/kubeproxy/main.o $(BUILD)/libkubeproxy.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	@echo "  LINK  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
