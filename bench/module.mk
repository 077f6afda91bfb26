# bench/: programs that measure, each against an anchor run beside it.
bench: $(BINS) $(BUILD)/bench/http_server
	@BIN=$(BIN) BUILD=$(BUILD) bench/http/run.sh

$(BUILD)/bench/http_server: $(BUILD)/bench/http/server.o $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	@echo "  LINK  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
