/* field_error.h: validation errors on fields of an object, worded as Kubernetes' field.Error. */
#ifndef API_FIELD_ERROR_H
#define API_FIELD_ERROR_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

enum api_ferr_type {
	API_FERR_NOT_FOUND,     /* "Not found"       cause FieldValueNotFound */
	API_FERR_REQUIRED,      /* "Required value"  cause FieldValueRequired */
	API_FERR_DUPLICATE,     /* "Duplicate value" cause FieldValueDuplicate */
	API_FERR_INVALID,       /* "Invalid value"   cause FieldValueInvalid */
	API_FERR_NOT_SUPPORTED, /* "Unsupported value" cause FieldValueNotSupported */
	API_FERR_FORBIDDEN,     /* "Forbidden"       cause FieldValueForbidden */
	API_FERR_TOO_LONG,      /* "Too long"        cause FieldValueTooLong */
	API_FERR_TOO_MANY,      /* "Too many"        cause FieldValueTooMany */
	API_FERR_INTERNAL,      /* "Internal error"  cause InternalError */
};

/* One error: field is a path like "spec.containers[0].image". */
struct api_ferr {
	enum api_ferr_type type;
	char *field;
	char *value;  /* the bad value already formatted ("\"Bad_Name\"", "5"), or NULL */
	char *detail; /* or NULL */
};

/*
 * A list that validators append to. Appending never fails visibly: an
 * allocation failure is remembered in oom so that validation code stays a
 * straight line; check api_ferrs_status() at the end.
 */
struct api_ferrs {
	struct api_ferr *v;
	int n, cap;
	bool oom;
};

void api_ferrs_init(struct api_ferrs *l);
void api_ferrs_close(struct api_ferrs *l);
/* 0, -ENOMEM if any append failed. */
int api_ferrs_status(const struct api_ferrs *l);

/* Appends an error; value is preformatted (see the helpers) and may be NULL; all are copied. */
void api_ferrs_add(struct api_ferrs *l, enum api_ferr_type t, const char *field, const char *value,
		   const char *detail);

/* The helpers below format the value as Go's %q (strings) or %d/%t (numbers, booleans). */
void api_ferr_required(struct api_ferrs *l, const char *field, const char *detail);
void api_ferr_invalid(struct api_ferrs *l, const char *field, const char *value, const char *detail);
void api_ferr_invalid_int(struct api_ferrs *l, const char *field, int64_t value, const char *detail);
void api_ferr_duplicate(struct api_ferrs *l, const char *field, const char *value);
void api_ferr_not_found(struct api_ferrs *l, const char *field, const char *value);
/* valid: a NULL-terminated list of the supported values, printed quoted. */
void api_ferr_not_supported(struct api_ferrs *l, const char *field, const char *value, const char *const *valid);
void api_ferr_forbidden(struct api_ferrs *l, const char *field, const char *detail);
/* "Too long: must have at most <max> bytes" (the value is not repeated). */
void api_ferr_too_long(struct api_ferrs *l, const char *field, int64_t max);
void api_ferr_too_many(struct api_ferrs *l, const char *field, int64_t actual, int64_t max);

/* Appends s quoted as Go's %q does. Returns 0 or -ENOMEM. */
int api_quote(const char *s, struct cm_buf *out);

/* The cause reason ("FieldValueInvalid", ...). Static storage. */
const char *api_ferr_reason(enum api_ferr_type t);

/* Appends the body without the field: `Invalid value: "x": detail`. 0 or -ENOMEM. */
int api_ferr_body(const struct api_ferr *e, struct cm_buf *out);
/* Appends `field: body`. 0 or -ENOMEM. */
int api_ferr_format(const struct api_ferr *e, struct cm_buf *out);
/*
 * Appends the aggregate as Kubernetes prints it: the single message, or
 * "[m1, m2]" for several, repeated messages printed once. 0 or -ENOMEM.
 */
int api_ferrs_format(const struct api_ferrs *l, struct cm_buf *out);

#endif
