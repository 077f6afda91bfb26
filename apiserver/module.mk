# apiserver/: the Kubernetes API server; everything but main.c is libapiserver.a.
API_SRCS := $(filter-out apiserver/main.c,$(wildcard apiserver/*.c))
$(BUILD)/libapiserver.a: $(API_SRCS:%.c=$(BUILD)/%.o)
