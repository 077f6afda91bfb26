/* timeutil.c: clocks, RFC3339 formatting and parsing, Go-style duration parsing. */
#include "common/timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t cm_time_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t cm_time_mono_ms(void)
{
	return cm_time_mono_ns() / 1000000;
}

int64_t cm_time_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard
 * Hinnant's civil algorithms): exact for every year we accept, and free of
 * timegm()'s dependence on the C library's range and the TZ variable.
 */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

int cm_time_format(int64_t unix_ms, int millis, char out[CM_RFC3339_LEN])
{
	/* Floor division, so times before 1970 land on the right second. */
	int64_t secs = unix_ms / 1000 - (unix_ms % 1000 < 0);
	int ms = (int)(unix_ms - secs * 1000);
	int64_t days = secs / 86400 - (secs % 86400 < 0);
	int64_t sod = secs - days * 86400;
	int64_t y;
	int m, d;

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return -EINVAL;
	if (millis)
		snprintf(out, CM_RFC3339_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)y, m, d,
			 (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), ms);
	else
		snprintf(out, CM_RFC3339_LEN, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, m, d,
			 (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
	return 0;
}

/* Reads exactly n digits at *p into *v, advancing *p. Returns 0 or -1. */
static int digits(const char **p, int n, int *v)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		x = x * 10 + (c - '0');
	}
	*p += n;
	*v = x;
	return 0;
}

int cm_time_parse(const char *s, int64_t *unix_ms)
{
	int y, mo, d, h, mi, sec, ms = 0, off = 0;
	const char *p = s;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return -EINVAL;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -EINVAL;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
	    digits(&p, 2, &sec))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
	    sec > 59)
		return -EINVAL;
	if (*p == '.') {
		int n = 0;
		/* Any number of fraction digits; those below a millisecond are dropped. */
		for (p++; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 3)
				ms = ms * 10 + (*p - '0');
		if (n == 0)
			return -EINVAL;
		for (; n < 3; n++)
			ms *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59)
			return -EINVAL;
		off = sign * (oh * 60 + om);
	} else {
		return -EINVAL;
	}
	if (*p != '\0')
		return -EINVAL;
	*unix_ms = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) -
		    (int64_t)off * 60) * 1000 + ms;
	return 0;
}

struct unit {
	const char *name;
	int64_t ns;
};

/* Longest names first, so "ms" is not read as "m" followed by "s". */
static const struct unit units[] = {
	{"ns", 1},
	{"us", 1000},
	{"\xc2\xb5s", 1000}, /* U+00B5 micro sign, as Go accepts */
	{"\xce\xbcs", 1000}, /* U+03BC Greek mu */
	{"ms", 1000000},
	{"s", 1000000000},
	{"m", 60 * (int64_t)1000000000},
	{"h", 3600 * (int64_t)1000000000},
};

/*
 * Reads "digits[.digits]" at *p: the integer part into *whole, the fraction
 * as a double in [0, 1). Returns 0, or -1 on no digits or overflow.
 */
static int number(const char **p, int64_t *whole, double *frac)
{
	const char *q = *p;
	int64_t w = 0;
	double f = 0, scale = 1;
	int nd = 0;

	for (; *q >= '0' && *q <= '9'; q++, nd++) {
		if (w > (INT64_MAX - (*q - '0')) / 10)
			return -1;
		w = w * 10 + (*q - '0');
	}
	if (*q == '.') {
		for (q++; *q >= '0' && *q <= '9'; q++, nd++) {
			scale /= 10;
			f += (*q - '0') * scale;
		}
	}
	if (nd == 0)
		return -1;
	*p = q;
	*whole = w;
	*frac = f;
	return 0;
}

/* Adds whole+frac units of unit_ns to *total, checking for overflow. */
static int accumulate(int64_t *total, int64_t whole, double frac, int64_t unit_ns)
{
	int64_t add;

	if (whole > INT64_MAX / unit_ns)
		return -1;
	add = whole * unit_ns;
	/* The fraction adds less than one unit, so this cannot overflow int64. */
	int64_t fadd = (int64_t)(frac * (double)unit_ns + 0.5);
	if (add > INT64_MAX - fadd)
		return -1;
	add += fadd;
	if (*total > INT64_MAX - add)
		return -1;
	*total += add;
	return 0;
}

int cm_duration_parse(const char *s, int64_t *ms)
{
	const char *p = s;
	int64_t total = 0, whole;
	double frac;

	if (!s || !*s)
		return -EINVAL;
	if (*p == '+')
		p++;
	/* A bare number is seconds: --timeout=5 means five seconds. */
	{
		const char *q = p;
		if (number(&q, &whole, &frac) == 0 && *q == '\0') {
			if (accumulate(&total, whole, frac, 1000000000))
				return -EINVAL;
			*ms = total / 1000000;
			return 0;
		}
	}
	while (*p) {
		size_t i;
		if (number(&p, &whole, &frac))
			return -EINVAL;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strncmp(p, units[i].name, strlen(units[i].name)) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		p += strlen(units[i].name);
		if (accumulate(&total, whole, frac, units[i].ns))
			return -EINVAL;
	}
	/* Durations below a millisecond truncate, as Go's Duration.Milliseconds(). */
	*ms = total / 1000000;
	return 0;
}
