/* quantity.c: parse and print Kubernetes resource quantities in exact integer arithmetic. */
#include "common/quantity.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

/*
 * The value is digits * 10^e10 * 2^e2, evaluated in 128 bits so that no
 * accepted input loses precision before the int64 range check.
 */
typedef __int128 i128;

#define MAX_DIGITS 36 /* more than any int64 needs; keeps the mantissa in 128 bits */

struct parsed {
	int neg;
	i128 mant;
	int e10;
	int e2;
};

static int parse_suffix(const char *s, struct parsed *p)
{
	static const struct {
		const char *sfx;
		int e10, e2;
	} tab[] = {
		{"Ki", 0, 10}, {"Mi", 0, 20}, {"Gi", 0, 30}, {"Ti", 0, 40}, {"Pi", 0, 50}, {"Ei", 0, 60},
		{"n", -9, 0},  {"u", -6, 0},  {"m", -3, 0},  {"", 0, 0},    {"k", 3, 0},   {"M", 6, 0},
		{"G", 9, 0},   {"T", 12, 0},  {"P", 15, 0},  {"E", 18, 0},
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (!strcmp(s, tab[i].sfx)) {
			p->e10 += tab[i].e10;
			p->e2 += tab[i].e2;
			return 0;
		}
	}
	/* a decimal exponent: e3, E-2, e+6 */
	if (*s != 'e' && *s != 'E')
		return -EINVAL;
	s++;
	int sign = 1, x = 0, nd = 0;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	for (; isdigit((unsigned char)*s); s++, nd++) {
		if (x > 1000)
			return -ERANGE;
		x = x * 10 + (*s - '0');
	}
	if (!nd || *s)
		return -EINVAL;
	p->e10 += sign * x;
	return 0;
}

static int parse(const char *s, struct parsed *p)
{
	int nd = 0, sig = 0;
	memset(p, 0, sizeof(*p));
	if (!s)
		return -EINVAL;
	if (*s == '+' || *s == '-')
		p->neg = *s++ == '-';
	for (; isdigit((unsigned char)*s); s++, nd++) {
		if (p->mant == 0 && *s == '0')
			continue;
		if (sig++ >= MAX_DIGITS)
			return -ERANGE;
		p->mant = p->mant * 10 + (*s - '0');
	}
	if (*s == '.') {
		int fd = 0;
		for (s++; isdigit((unsigned char)*s); s++, fd++) {
			if (p->mant == 0 && *s == '0') {
				p->e10--;
				continue;
			}
			if (sig++ >= MAX_DIGITS)
				continue; /* past 36 significant digits: below any int64 milli-unit */
			p->mant = p->mant * 10 + (*s - '0');
			p->e10--;
		}
		nd += fd;
	}
	if (!nd)
		return -EINVAL;
	return parse_suffix(s, p);
}

/* digits * 10^e10 * 2^e2 * 10^scale, rounded toward +infinity, into int64. */
static int evaluate(const struct parsed *p, int scale, int64_t *out)
{
	const i128 limit = (i128)INT64_MAX + 1;
	i128 v = p->mant;
	int e10 = p->e10 + scale;
	if (v == 0) {
		*out = 0;
		return 0;
	}
	for (int i = 0; i < p->e2; i++)
		if ((v *= 2) > limit)
			return -ERANGE;
	for (; e10 > 0; e10--)
		if ((v *= 10) > limit)
			return -ERANGE;
	/*
	 * The mantissa has at most MAX_DIGITS digits, so past 10^-MAX_DIGITS the
	 * value is below 1 and only its sign matters; dividing by 10^40 instead
	 * overflowed the 128-bit divisor (fuzzing: ".000...0001833" with 40 zeros).
	 */
	if (e10 < -MAX_DIGITS) {
		v = p->neg ? 0 : 1;
	} else {
		i128 d = 1;
		for (; e10 < 0; e10++)
			d *= 10;
		i128 q = v / d;
		if (v % d && !p->neg)
			q++; /* ceiling: a positive remainder rounds up */
		v = q;
	}
	if (p->neg)
		v = -v;
	if (v > INT64_MAX || v < INT64_MIN)
		return -ERANGE;
	*out = (int64_t)v;
	return 0;
}

int cm_quantity_parse_milli(const char *s, int64_t *out)
{
	struct parsed p;
	int rc = parse(s, &p);
	return rc ? rc : evaluate(&p, 3, out);
}

int cm_quantity_parse(const char *s, int64_t *out)
{
	struct parsed p;
	int rc = parse(s, &p);
	return rc ? rc : evaluate(&p, 0, out);
}

int cm_quantity_format_milli(int64_t milli, enum cm_quantity_fmt fmt, struct cm_buf *out)
{
	static const char *const dec[] = {"", "k", "M", "G", "T", "P", "E"};
	static const char *const bin[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
	if (milli % 1000)
		return cm_buf_printf(out, "%lldm", (long long)milli);
	int64_t v = milli / 1000;
	int i = 0;
	if (v == 0)
		return cm_buf_puts(out, "0");
	if (fmt == CM_QFMT_BINARY) {
		/* Kubernetes keeps base 1024 for binary quantities: 2000 stays "2000", not "2k" */
		while (i < 6 && v % 1024 == 0)
			v /= 1024, i++;
		return cm_buf_printf(out, "%lld%s", (long long)v, bin[i]);
	}
	while (i < 6 && v % 1000 == 0)
		v /= 1000, i++;
	return cm_buf_printf(out, "%lld%s", (long long)v, dec[i]);
}
