/* fuzz_util.h: helpers shared by the libFuzzer targets (header-only, so each target is one file). */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* The libFuzzer entry point every target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of data (embedded NULs stay: C string parsers stop there). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Error lines on every input would drown the fuzzer's own output. */
static inline void fuzz_quiet(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	cm_log_init("fuzz", 0);
	FILE *null = fopen("/dev/null", "w");
	if (null)
		cm_log_set_output(null);
}

/* Splits s at the first '\n': *rest points after it (or at the end). */
static inline char *fuzz_line(char *s, char **rest)
{
	char *nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		*rest = nl + 1;
	} else {
		*rest = s + strlen(s);
	}
	return s;
}

/* A property a correct implementation keeps: abort (a crash libFuzzer reports) if not. */
#define FUZZ_CHECK(cond)                                                                  \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                          \
		}                                                                         \
	} while (0)

#endif
