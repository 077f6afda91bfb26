# hollownodes/: simulated nodes (kwok-style) for tests and benchmarks; everything but main.c is libhollownodes.a.
HN_SRCS := $(filter-out hollownodes/main.c,$(wildcard hollownodes/*.c))
$(BUILD)/libhollownodes.a: $(HN_SRCS:%.c=$(BUILD)/%.o)

BINS += $(BIN)/hollownodes

$(BIN)/hollownodes: $(BUILD)/hollownodes/main.o $(BUILD)/libhollownodes.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	@echo "  LINK  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
