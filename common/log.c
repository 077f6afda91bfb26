/* log.c: the process-wide logger. */
#include "common/log.h"

#include <stdarg.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static struct {
	char component[64];
	int verbosity;
	FILE *out;
} logger = {"minik8s", 0, NULL};

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void cm_log_init(const char *component, int verbosity)
{
	snprintf(logger.component, sizeof(logger.component), "%s", component);
	logger.verbosity = verbosity;
}

void cm_log_set_output(FILE *out)
{
	logger.out = out;
}

int cm_log_verbosity(void)
{
	return logger.verbosity;
}

int cm_log_enabled(enum cm_log_level level, int v)
{
	if (level != CM_LOG_DEBUG)
		return 1;
	return v <= logger.verbosity;
}

void cm_log_write(enum cm_log_level level, const char *fmt, ...)
{
	char line[4096];
	struct timeval tv;
	struct tm tm;
	size_t n;
	va_list ap;
	FILE *out = logger.out ? logger.out : stderr;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03dZ %s %s: ",
			      (int)(tv.tv_usec / 1000), level_names[level], logger.component);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	/* One event, one line: a message with a newline in it is folded. */
	for (char *p = line + n; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(out, "%s\n", line);
	fflush(out);
}
