/* quantity.h: Kubernetes resource quantities ("100m", "0.5", "128Mi", "1G", "1e3") as int64 milli-units. */
#ifndef CM_QUANTITY_H
#define CM_QUANTITY_H

#include <stdint.h>

#include "common/buf.h"

/*
 * Grammar (as resource.Quantity): [+-] digits [. digits] [suffix], or
 * [+-] . digits [suffix]; suffix one of the binary Ki Mi Gi Ti Pi Ei, the
 * decimal n u m "" k M G T P E, or an exponent e<int> / E<int>. No spaces.
 */

/*
 * Parses s into thousandths of the unit: "100m" -> 100, "2" -> 2000,
 * "128Mi" -> 134217728000. A value finer than a milli-unit rounds toward
 * +infinity ("1n" -> 1), as Kubernetes' MilliValue does. Returns 0, -EINVAL for anything not in the grammar (out
 * unchanged), or -ERANGE if the result does not fit in int64.
 */
int cm_quantity_parse_milli(const char *s, int64_t *out);

/*
 * Parses s into whole units, rounding a fraction up ("0.5" -> 1, "100m" ->
 * 1), as Kubernetes' Value() does for memory and pods. Errors as above.
 */
int cm_quantity_parse(const char *s, int64_t *out);

enum cm_quantity_fmt {
	CM_QFMT_DECIMAL, /* m, "", k, M, G, T, P, E: cpu and most quantities */
	CM_QFMT_BINARY,  /* Ki, Mi, Gi, Ti, Pi, Ei for whole multiples, else a plain number */
};

/*
 * Appends the canonical form of milli: "100m", "2", "1500m", "2k", "128Mi".
 * The largest suffix that keeps the number whole is used. Returns 0 or
 * -ENOMEM.
 */
int cm_quantity_format_milli(int64_t milli, enum cm_quantity_fmt fmt, struct cm_buf *out);

#endif
