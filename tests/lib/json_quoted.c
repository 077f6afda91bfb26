/* json_quoted.c: JSON written with ' for " in tests. */
#include "tests/lib/json_quoted.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

cJSON *json_quoted(const char *s)
{
	char *t = strdup(s);
	cJSON *j;

	ck_assert_ptr_nonnull(t);
	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = cJSON_Parse(t);
	ck_assert_msg(j != NULL, "bad test JSON: %s", t);
	free(t);
	return j;
}
