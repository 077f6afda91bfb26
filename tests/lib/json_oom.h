/* json_oom.h: cJSON allocations that fail from the Nth on, to drive out-of-memory paths in unit tests. */
#ifndef TESTS_JSON_OOM_H
#define TESTS_JSON_OOM_H

/* From now on cJSON's first n allocations succeed and the rest fail, until json_oom_end. */
void json_oom_begin(long n);
/* cJSON allocates with malloc again. */
void json_oom_end(void);

#endif
