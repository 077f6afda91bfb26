/* validate.c: names, label keys and values, annotations and generateName, checked and worded as Kubernetes does. */
#include "apiserver/validate.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define SUBDOMAIN_FMT LABEL_FMT "(\\." LABEL_FMT ")*"
#define DNS1035_FMT "[a-z]([-a-z0-9]*[a-z0-9])?"
#define QNAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"

/* Kubernetes' RegexError wording, examples joined by " or " after a ", " (hence the double space). */
#define EXAMPLES1(a) " (e.g. '" a "', regex used for validation is '"
#define EXAMPLES2(a, b) " (e.g. '" a "',  or '" b "', regex used for validation is '"
#define EXAMPLES3(a, b, c) " (e.g. '" a "',  or '" b "',  or '" c "', regex used for validation is '"

static const char SUBDOMAIN_MSG[] =
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
	"start and end with an alphanumeric character" EXAMPLES1("example.com") SUBDOMAIN_FMT "')";
static const char LABEL_MSG[] =
	"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
	"end with an alphanumeric character" EXAMPLES2("my-name", "123-abc") LABEL_FMT "')";
static const char DNS1035_MSG[] =
	"a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
	"character, and end with an alphanumeric character" EXAMPLES2("my-name", "abc-123") DNS1035_FMT "')";
#define QNAME_ERR                                                                                            \
	"must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric " \
	"character" EXAMPLES3("MyName", "my.name", "123-abc") QNAME_FMT "')"
static const char LABEL_VALUE_MSG[] =
	"a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
	"start and end with an alphanumeric character" EXAMPLES3("MyValue", "my_value", "12345") "(" QNAME_FMT ")?')";

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One DNS label of s[0..n): [a-z0-9]([-a-z0-9]*[a-z0-9])?, first letter alphabetic for DNS-1035. */
static bool label_ok(const char *s, size_t n, bool dns1035)
{
	if (n == 0 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
		return false;
	if (dns1035 && !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool subdomain_ok(const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (!label_ok(s + start, i - start, false))
			return false;
		start = i + 1;
	}
	return true;
}

static bool qname_ok(const char *s, size_t n)
{
	if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '-' && c != '_' && c != '.')
			return false;
	}
	return true;
}

static void max_len(struct api_ferrs *l, const char *field, const char *value, const char *part, int max)
{
	char msg[96];
	snprintf(msg, sizeof(msg), "%smust be no more than %d characters", part, max);
	api_ferr_invalid(l, field, value, msg);
}

/* Name checks over name[0..n) (a copy, so a generateName's trailing dash can be masked). */
static void check_name(struct api_ferrs *l, const char *field, const char *shown, const char *name,
		       enum api_name_rule rule)
{
	size_t n = strlen(name);
	switch (rule) {
	case API_NAME_DNS1123_SUBDOMAIN:
		if (n > API_DNS1123_SUBDOMAIN_MAX)
			max_len(l, field, shown, "", API_DNS1123_SUBDOMAIN_MAX);
		if (!subdomain_ok(name, n))
			api_ferr_invalid(l, field, shown, SUBDOMAIN_MSG);
		break;
	case API_NAME_DNS1123_LABEL:
	case API_NAME_DNS1035_LABEL:
		if (n > API_DNS1123_LABEL_MAX)
			max_len(l, field, shown, "", API_DNS1123_LABEL_MAX);
		if (label_ok(name, n, rule == API_NAME_DNS1035_LABEL))
			break;
		/* a valid subdomain that is not a label can only be at fault for its dots */
		if (rule == API_NAME_DNS1123_LABEL && subdomain_ok(name, n))
			api_ferr_invalid(l, field, shown, "must not contain dots");
		else
			api_ferr_invalid(l, field, shown, rule == API_NAME_DNS1035_LABEL ? DNS1035_MSG : LABEL_MSG);
		break;
	case API_NAME_PATH_SEGMENT:
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			api_ferr_invalid(l, field, shown, "may not be '.' or '..'");
		else if (strchr(name, '/') || strchr(name, '%'))
			api_ferr_invalid(l, field, shown, strchr(name, '/') ? "may not contain '/'" : "may not contain '%'");
		break;
	}
}

void api_validate_name(struct api_ferrs *l, const char *field, const char *value, enum api_name_rule rule,
		       bool prefix)
{
	char *name = strdup(value);
	size_t n;
	if (!name) {
		l->oom = true;
		return;
	}
	/* a generateName may end in '-': the random suffix follows it */
	if (prefix && (n = strlen(name)) && name[n - 1] == '-')
		name[n - 1] = 'a';
	check_name(l, field, value, name, rule);
	free(name);
}

bool api_name_ok(const char *value, enum api_name_rule rule)
{
	struct api_ferrs l;
	api_ferrs_init(&l);
	api_validate_name(&l, "", value, rule, false);
	bool ok = l.n == 0 && !l.oom;
	api_ferrs_close(&l);
	return ok;
}

void api_validate_qualified_name(struct api_ferrs *l, const char *field, const char *value)
{
	const char *slash = strchr(value, '/'), *name = value;
	if (slash && strchr(slash + 1, '/')) {
		api_ferr_invalid(l, field, value,
				 "a qualified name " QNAME_ERR
				 " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
		return;
	}
	if (slash) {
		size_t pn = (size_t)(slash - value);
		name = slash + 1;
		if (pn == 0) {
			api_ferr_invalid(l, field, value, "prefix part must be non-empty");
		} else {
			char msg[sizeof(SUBDOMAIN_MSG) + 32];
			if (pn > API_DNS1123_SUBDOMAIN_MAX)
				max_len(l, field, value, "prefix part ", API_DNS1123_SUBDOMAIN_MAX);
			if (!subdomain_ok(value, pn)) {
				snprintf(msg, sizeof(msg), "prefix part %s", SUBDOMAIN_MSG);
				api_ferr_invalid(l, field, value, msg);
			}
		}
	}
	size_t n = strlen(name);
	if (n == 0)
		api_ferr_invalid(l, field, value, "name part must be non-empty");
	else if (n > 63)
		max_len(l, field, value, "name part ", 63);
	if (!qname_ok(name, n))
		api_ferr_invalid(l, field, value, "name part " QNAME_ERR);
}

void api_validate_label_value(struct api_ferrs *l, const char *field, const char *value)
{
	size_t n = strlen(value);
	if (n > API_LABEL_VALUE_MAX)
		max_len(l, field, value, "", API_LABEL_VALUE_MAX);
	if (n && !qname_ok(value, n))
		api_ferr_invalid(l, field, value, LABEL_VALUE_MSG);
}

/* "metadata.labels[app]": Kubernetes' path for a map entry. */
static char *key_path(const char *field, const char *key)
{
	struct cm_buf b = CM_BUF_INIT;
	if (cm_buf_printf(&b, "%s[%s]", field, key)) {
		cm_buf_close(&b);
		return NULL;
	}
	return cm_buf_take(&b);
}

void api_validate_labels(struct api_ferrs *l, const char *field, const cJSON *labels)
{
	const cJSON *e;
	if (!labels || cJSON_IsNull(labels))
		return;
	if (!cJSON_IsObject(labels)) {
		api_ferr_invalid(l, field, "", "must be a map of string keys to string values");
		return;
	}
	cJSON_ArrayForEach(e, labels)
	{
		char *path = key_path(field, e->string);
		if (!path) {
			l->oom = true;
			return;
		}
		api_validate_qualified_name(l, field, e->string);
		if (cJSON_IsString(e))
			api_validate_label_value(l, path, e->valuestring);
		else
			api_ferr_invalid(l, path, "", "must be a string");
		free(path);
	}
}

void api_validate_annotations(struct api_ferrs *l, const char *field, const cJSON *annotations)
{
	const cJSON *e;
	size_t total = 0;
	if (!annotations || cJSON_IsNull(annotations))
		return;
	if (!cJSON_IsObject(annotations)) {
		api_ferr_invalid(l, field, "", "must be a map of string keys to string values");
		return;
	}
	cJSON_ArrayForEach(e, annotations)
	{
		/* keys are checked in lower case: annotation keys may use capitals */
		char *lower = strdup(e->string);
		if (!lower) {
			l->oom = true;
			return;
		}
		for (char *c = lower; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		struct api_ferrs tmp;
		api_ferrs_init(&tmp);
		api_validate_qualified_name(&tmp, field, lower);
		for (int i = 0; i < tmp.n; i++)
			api_ferr_invalid(l, field, e->string, tmp.v[i].detail);
		l->oom |= tmp.oom;
		api_ferrs_close(&tmp);
		free(lower);
		total += strlen(e->string);
		if (cJSON_IsString(e))
			total += strlen(e->valuestring);
		else {
			char *path = key_path(field, e->string);
			api_ferr_invalid(l, path ? path : field, "", "must be a string");
			free(path);
		}
	}
	if (total > API_ANNOTATIONS_MAX)
		api_ferr_too_long(l, field, API_ANNOTATIONS_MAX);
}

static const char *str_member(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void api_validate_object_meta(struct api_ferrs *l, const cJSON *meta, bool namespaced, enum api_name_rule rule)
{
	const char *name = str_member(meta, "name"), *gen = str_member(meta, "generateName");
	const char *ns = str_member(meta, "namespace");
	if (gen && *gen)
		api_validate_name(l, "metadata.generateName", gen, rule, true);
	if (!name || !*name) {
		if (!gen || !*gen)
			api_ferr_required(l, "metadata.name", "name or generateName is required");
	} else {
		api_validate_name(l, "metadata.name", name, rule, false);
	}
	if (namespaced) {
		if (!ns || !*ns)
			api_ferr_required(l, "metadata.namespace", NULL);
		else
			api_validate_name(l, "metadata.namespace", ns, API_NAME_DNS1123_LABEL, false);
	} else if (ns && *ns) {
		api_ferr_forbidden(l, "metadata.namespace", "not allowed on this type");
	}
	api_validate_labels(l, "metadata.labels", cJSON_GetObjectItemCaseSensitive(meta, "labels"));
	api_validate_annotations(l, "metadata.annotations", cJSON_GetObjectItemCaseSensitive(meta, "annotations"));
}

int api_generate_name(const char *base, uint64_t rnd, char **out)
{
	/* Kubernetes' alphabet: no vowels (no words) and no 0/1/3 (look like letters) */
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	const size_t keep = API_DNS1123_LABEL_MAX - API_GENERATED_SUFFIX_LEN;
	size_t n = strlen(base);
	if (n > keep)
		n = keep;
	char *s = malloc(n + API_GENERATED_SUFFIX_LEN + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, base, n);
	for (int i = 0; i < API_GENERATED_SUFFIX_LEN; i++) {
		s[n + i] = alphabet[rnd % (sizeof(alphabet) - 1)];
		rnd /= sizeof(alphabet) - 1;
	}
	s[n + API_GENERATED_SUFFIX_LEN] = '\0';
	*out = s;
	return 0;
}
