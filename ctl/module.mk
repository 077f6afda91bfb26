# ctl/: minictl, the command-line client; everything but main.c is libctl.a.
MC_SRCS := $(filter-out ctl/main.c,$(wildcard ctl/*.c))
$(BUILD)/libctl.a: $(MC_SRCS:%.c=$(BUILD)/%.o)

ifneq ($(wildcard ctl/main.c),)
BINS += $(BIN)/minictl
endif

$(BIN)/minictl: $(BUILD)/ctl/main.o $(BUILD)/libctl.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	@echo "  LINK  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
