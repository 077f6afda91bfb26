# common/: the static library every binary links.
COMMON_SRCS := $(wildcard common/*.c)
$(BUILD)/libcommon.a: $(COMMON_SRCS:%.c=$(BUILD)/%.o)
