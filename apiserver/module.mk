# apiserver/: the Kubernetes API server; everything but main.c is libapiserver.a.
API_SRCS := $(filter-out apiserver/main.c,$(wildcard apiserver/*.c))
$(BUILD)/libapiserver.a: $(API_SRCS:%.c=$(BUILD)/%.o)

ifneq ($(wildcard apiserver/main.c),)
BINS += $(BIN)/apiserver
endif

$(BIN)/apiserver: $(BUILD)/apiserver/main.o $(BUILD)/libapiserver.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	@echo "  LINK  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
