/* log.h: levelled, one-line-per-event logging with RFC3339 timestamps. */
#ifndef CM_LOG_H
#define CM_LOG_H

#include <stdio.h>

enum cm_log_level {
	CM_LOG_ERROR = 0,
	CM_LOG_WARN = 1,
	CM_LOG_INFO = 2,
	CM_LOG_DEBUG = 3, /* --v=1 and above enable debug lines of that detail */
};

/*
 * The logger is the one process-wide piece of state in common/: a daemon sets
 * it once in main.c (component name, --v) and every library logs through it.
 * Lines go to stderr by default:
 *   2026-11-28T06:11:22.123Z info etcdlite: member m1: became leader at term 3
 */
void cm_log_init(const char *component, int verbosity);
/* Redirects output (tests capture into a memstream); NULL means stderr. */
void cm_log_set_output(FILE *out);
int cm_log_verbosity(void);

/* True if a line at (level, v) would be written: the macros test it first. */
int cm_log_enabled(enum cm_log_level level, int v);
void cm_log_write(enum cm_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Arguments are evaluated only when the line will be written. */
#define CM_LOG_AT(level, v, ...)                                                \
	do {                                                                    \
		if (cm_log_enabled((level), (v)))                               \
			cm_log_write((level), __VA_ARGS__);                     \
	} while (0)
#define cm_error(...) CM_LOG_AT(CM_LOG_ERROR, 0, __VA_ARGS__)
#define cm_warn(...) CM_LOG_AT(CM_LOG_WARN, 0, __VA_ARGS__)
#define cm_info(...) CM_LOG_AT(CM_LOG_INFO, 0, __VA_ARGS__)
/* Detail lines, written when --v >= v (v >= 1). */
#define cm_debug(v, ...) CM_LOG_AT(CM_LOG_DEBUG, (v), __VA_ARGS__)

#endif
