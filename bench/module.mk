# bench/: programs that measure, each against an anchor run beside it.
bench: $(BINS) $(BUILD)/bench/http_server $(BUILD)/bench/etcd_load $(BUILD)/bench/dns_load \
		$(BUILD)/bench/apiserver_load
	@BIN=$(BIN) BUILD=$(BUILD) bench/http/run.sh
	@BIN=$(BIN) BUILD=$(BUILD) /usr/bin/python3 bench/etcd/run.py
	@BIN=$(BIN) BUILD=$(BUILD) /usr/bin/python3 bench/proxy/run.py
	@BIN=$(BIN) BUILD=$(BUILD) /usr/bin/python3 bench/podstartup/run.py
	@/usr/bin/python3 bench/startup/run.py
	@BIN=$(BIN) BUILD=$(BUILD) /usr/bin/python3 bench/dns/run.py
	@BIN=$(BIN) BUILD=$(BUILD) /usr/bin/python3 bench/scheduler/run.py
	@BIN=$(BIN) BUILD=$(BUILD) /usr/bin/python3 bench/deployment/run.py
	@BIN=$(BIN) BUILD=$(BUILD) /usr/bin/python3 bench/apiserver/run.py

$(BUILD)/bench/http_server: $(BUILD)/bench/http/server.o $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	@echo "  LINK  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# etcd_load: the etcd v3 JSON API load generator bench/etcd/run.py drives both clusters with.
$(BUILD)/bench/etcd_load: $(BUILD)/bench/etcd/load.o $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	@echo "  LINK  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: bench-startup
bench-startup: $(BINS)
	@/usr/bin/python3 bench/startup/run.py
# dns_load: the DNS load generator bench/dns/run.py drives kubeproxy's responder and dnsmasq with.
$(BUILD)/bench/dns_load: $(BUILD)/bench/dns/load.o $(BUILD)/libkubeproxy.a $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	@echo "  LINK  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# apiserver_load: pod create/get/update/list and watch fan-out against an apiserver (bench/apiserver/run.py).
$(BUILD)/bench/apiserver_load: $(BUILD)/bench/apiserver/load.o $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	@echo "  LINK  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
