/* json_oom.c: a cJSON allocator that fails once its budget is spent. */
#include "tests/lib/json_oom.h"

#include <stdlib.h>

#include <cjson/cJSON.h>

static long allocs_left; /* a test process runs one test at a time */

static void *failing_malloc(size_t n)
{
	return allocs_left-- > 0 ? malloc(n) : NULL;
}

void json_oom_begin(long n)
{
	cJSON_Hooks hooks = {failing_malloc, free};

	allocs_left = n;
	cJSON_InitHooks(&hooks);
}

void json_oom_end(void)
{
	cJSON_InitHooks(NULL);
}
