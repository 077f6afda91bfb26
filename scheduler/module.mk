# scheduler/: places pods on nodes; everything but main.c is libscheduler.a.
SCH_SRCS := $(filter-out scheduler/main.c,$(wildcard scheduler/*.c))
$(BUILD)/libscheduler.a: $(SCH_SRCS:%.c=$(BUILD)/%.o)

BINS += $(BIN)/scheduler

$(BIN)/scheduler: $(BUILD)/scheduler/main.o $(BUILD)/libscheduler.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	@echo "  LINK  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
