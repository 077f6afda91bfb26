/* log.c: the process-wide logger. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "common/buf.h"

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
	struct cm_buf line = CM_BUF_INIT;
	char stamp[32];
	struct timeval tv;
	struct tm tm;
	size_t head;
	va_list ap;
	int rc;
	FILE *out = logger.out ? logger.out : stderr;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	rc = cm_buf_printf(&line, "%s.%03dZ %s %s: ", stamp, (int)(tv.tv_usec / 1000),
			   level_names[level], logger.component);
	head = line.len;
	va_start(ap, fmt);
	rc = rc ? rc : cm_buf_vprintf(&line, fmt, ap);
	va_end(ap);
	/* One event, one line: a message with a newline in it is folded. */
	for (size_t i = head; i < line.len; i++)
		if (line.data[i] == '\n' || line.data[i] == '\r')
			line.data[i] = ' ';
	rc = rc ? rc : cm_buf_putc(&line, '\n');
	if (rc) {
		/* Out of memory: still say that something happened, without the message. */
		fprintf(out, "%s.%03dZ %s %s: (log message lost: out of memory)\n", stamp,
			(int)(tv.tv_usec / 1000), level_names[level], logger.component);
	} else {
		/* One write per line, so lines from several processes do not interleave. */
		fwrite(line.data, 1, line.len, out);
	}
	fflush(out);
	cm_buf_close(&line);
}
