/* json_quoted.h: JSON written with ' for " in tests, so that nested objects read without escapes. */
#ifndef TEST_JSON_QUOTED_H
#define TEST_JSON_QUOTED_H

#include <cjson/cJSON.h>

/* Parses s with every ' read as ", failing the Check test if it is not JSON. The caller owns the tree. */
cJSON *json_quoted(const char *s);

#endif
