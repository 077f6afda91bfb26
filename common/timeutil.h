/* timeutil.h: clocks, RFC3339 timestamps and Go-style durations ("5s", "100ms", "1m30s"). */
#ifndef CM_TIMEUTIL_H
#define CM_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic milliseconds, for timeouts and latencies. */
int64_t cm_time_mono_ms(void);
/* Monotonic nanoseconds, for fine latencies (histograms). */
int64_t cm_time_mono_ns(void);
/* Wall clock, milliseconds since the Unix epoch. */
int64_t cm_time_wall_ms(void);

#define CM_RFC3339_LEN 32
/*
 * Writes unix_ms as RFC3339 UTC into out: "2026-11-28T06:11:22Z" (seconds, as
 * Kubernetes writes metadata times) or, with millis, "2026-11-28T06:11:22.123Z".
 * Returns 0 or -EINVAL if the time cannot be represented.
 */
int cm_time_format(int64_t unix_ms, int millis, char out[CM_RFC3339_LEN]);
/*
 * Parses RFC3339 ("Z" or "+hh:mm" offsets, optional fraction) into unix ms.
 * Returns 0 or -EINVAL (out unchanged).
 */
int cm_time_parse(const char *s, int64_t *unix_ms);
/*
 * Parses a duration: a sequence of number+unit with units ns us ms s m h
 * ("1m30s", "100ms", "1.5s"; "µs" too); a bare number is seconds. Below a
 * millisecond truncates. Returns 0 or -EINVAL on garbage, a negative
 * duration or one beyond int64 nanoseconds (~292 years); *ms unchanged then.
 */
int cm_duration_parse(const char *s, int64_t *ms);

#endif
