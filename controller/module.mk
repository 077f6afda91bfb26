# controller/: the controller-manager; everything but main.c is libcontroller.a.
CTL_SRCS := $(filter-out controller/main.c,$(wildcard controller/*.c))
$(BUILD)/libcontroller.a: $(CTL_SRCS:%.c=$(BUILD)/%.o)

BINS += $(BIN)/controller

$(BIN)/controller: $(BUILD)/controller/main.o $(BUILD)/libcontroller.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	@echo "  LINK  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
