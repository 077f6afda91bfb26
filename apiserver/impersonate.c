/* impersonate.c: acting as another user through the Impersonate-* headers, each part authorized for the caller first. */
#include "apiserver/auth.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SA_PREFIX "system:serviceaccount:"
#define EXTRA_PREFIX "Impersonate-Extra-"

/* What the headers ask for, before anything is checked. */
struct request {
	const char *user, *uid; /* NULL: not asked */
	const char *groups[API_AUTH_MAX_GROUPS];
	int ngroups;
	const char *extra_names[API_AUTH_MAX_EXTRA]; /* the header names, key still encoded */
	const char *extra_values[API_AUTH_MAX_EXTRA];
	int nextra;
};

/* The new user under construction: strings in nu.store until it is moved into place. */
struct build {
	struct api_user nu;
	size_t used;
	const char *sa_ns, *sa_name; /* set when the user is a ServiceAccount */
};

/* Prints into b->nu.store; NULL when it is full. */
static const char *keepf(struct build *b, const char *fmt, ...)
{
	size_t room = sizeof(b->nu.store) - b->used;
	char *p = b->nu.store + b->used;
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(p, room, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= room)
		return NULL;
	b->used += (size_t)w + 1;
	return p;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void lower_copy(char *dst, const char *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[len] = '\0';
}

/*
 * The key of an Impersonate-Extra- header: lower case, then %-decoded (so
 * "acme.com%2Fproject" is "acme.com/project"); kept encoded if an escape is
 * bad, as Kubernetes does.
 */
static const char *extra_key(struct build *b, const char *header)
{
	const char *k = header + strlen(EXTRA_PREFIX);
	size_t len = strlen(k), o = 0;
	char *p;

	if (len >= sizeof(b->nu.store) - b->used)
		return NULL;
	p = b->nu.store + b->used;
	for (size_t i = 0; i < len; i++) {
		int hi = i + 2 < len ? hexval((unsigned char)k[i + 1]) : -1;
		int lo = i + 2 < len ? hexval((unsigned char)k[i + 2]) : -1;

		if (k[i] != '%') {
			p[o++] = (char)tolower((unsigned char)k[i]);
		} else if (hi < 0 || lo < 0) {
			o = len;
			lower_copy(p, k, len);
			break;
		} else {
			p[o++] = (char)(hi * 16 + lo);
			i += 2;
		}
	}
	p[o] = '\0';
	b->used += o + 1;
	return p;
}

static bool is(const char *name, const char *want)
{
	return !strcasecmp(name, want);
}

static int too_many(struct cm_buf *err, const char *what, int max)
{
	int rc = cm_buf_printf(err, "more than %d %s", max, what);

	return rc ? rc : -E2BIG;
}

/* Reads the Impersonate-* headers; -E2BIG past what an api_user holds. */
static int parse(const struct api_header *h, size_t n, struct request *r, struct cm_buf *err)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		if (is(h[i].name, "Impersonate-User")) {
			if (!r->user) /* the first, as Go's Header.Get */
				r->user = h[i].value;
		} else if (is(h[i].name, "Impersonate-Uid")) {
			if (!r->uid)
				r->uid = h[i].value;
		} else if (is(h[i].name, "Impersonate-Group")) {
			if (r->ngroups == API_AUTH_MAX_GROUPS)
				return too_many(err, "Impersonate-Group headers", API_AUTH_MAX_GROUPS);
			r->groups[r->ngroups++] = h[i].value;
		} else if (!strncasecmp(h[i].name, EXTRA_PREFIX, strlen(EXTRA_PREFIX)) &&
			   h[i].name[strlen(EXTRA_PREFIX)]) {
			if (r->nextra == API_AUTH_MAX_EXTRA)
				return too_many(err, "Impersonate-Extra- values", API_AUTH_MAX_EXTRA);
			r->extra_names[r->nextra] = h[i].name;
			r->extra_values[r->nextra++] = h[i].value;
		}
	}
	/* an empty value asks for nothing, as Kubernetes reads them */
	if (r->user && !*r->user)
		r->user = NULL;
	if (r->uid && !*r->uid)
		r->uid = NULL;
	return 0;
}

/* Kubernetes' message lists what was asked; this one names the headers. */
static int without_user(const struct request *r, struct cm_buf *err)
{
	int rc = cm_buf_puts(err, "requested");

	for (int i = 0; !rc && i < r->ngroups; i++)
		rc = cm_buf_printf(err, " group \"%s\"", r->groups[i]);
	for (int i = 0; !rc && i < r->nextra; i++)
		rc = cm_buf_printf(err, " extra %s=\"%s\"", r->extra_names[i] + strlen(EXTRA_PREFIX),
				   r->extra_values[i]);
	if (!rc && r->uid)
		rc = cm_buf_printf(err, " uid \"%s\"", r->uid);
	rc = rc ? rc : cm_buf_puts(err, " without impersonating a user");
	return rc ? rc : -EINVAL;
}

/* system:serviceaccount:NS:NAME, both parts non-empty and without ':', as Kubernetes' SplitUsername. */
static int split_sa(struct build *b, const char *user)
{
	const char *ns = user + strlen(SA_PREFIX), *colon;

	if (strncmp(user, SA_PREFIX, strlen(SA_PREFIX)))
		return 0;
	colon = strchr(ns, ':');
	if (!colon || colon == ns || !colon[1] || strchr(colon + 1, ':'))
		return 0;
	b->sa_ns = keepf(b, "%.*s", (int)(colon - ns), ns);
	b->sa_name = b->sa_ns ? keepf(b, "%s", colon + 1) : NULL;
	return b->sa_name ? 0 : -E2BIG;
}

static int add_group(struct build *b, const char *g)
{
	if (b->nu.ngroups == API_AUTH_MAX_GROUPS)
		return -E2BIG;
	b->nu.groups[b->nu.ngroups++] = g;
	return 0;
}

/* The user the request asks to be, in b->nu (strings in its store or in r's headers). */
static int build(const struct request *r, struct build *b)
{
	struct api_user *nu = &b->nu;
	int rc = split_sa(b, r->user);

	nu->name = r->user;
	nu->uid = r->uid ? r->uid : "";
	for (int i = 0; !rc && i < r->ngroups; i++)
		rc = add_group(b, r->groups[i]);
	if (!rc && b->sa_ns && r->ngroups == 0) {
		const char *ns_group = keepf(b, "system:serviceaccounts:%s", b->sa_ns);

		if (!ns_group)
			return -E2BIG;
		rc = add_group(b, "system:serviceaccounts");
		rc = rc ? rc : add_group(b, ns_group);
	}
	if (rc)
		return rc;
	if (strcmp(r->user, "system:anonymous")) {
		if (!api_user_in_group(nu, "system:authenticated") && !api_user_in_group(nu, "system:unauthenticated"))
			rc = add_group(b, "system:authenticated");
	} else if (!api_user_in_group(nu, "system:unauthenticated")) {
		rc = add_group(b, "system:unauthenticated");
	}
	for (int i = 0; !rc && i < r->nextra; i++) {
		nu->extra_keys[i] = extra_key(b, r->extra_names[i]);
		nu->extra_values[i] = r->extra_values[i];
		nu->nextra = i + 1;
		if (!nu->extra_keys[i])
			rc = -E2BIG;
	}
	return rc;
}

/* Copies s into the denial's buffer (cut short when full): at's strings must outlive the build. */
static const char *stash(struct api_impersonate_denial *d, size_t *off, const char *s)
{
	size_t room = sizeof(d->buf) - *off;
	char *p = d->buf + *off;
	int w;

	if (!s || room == 0)
		return s && room == 0 ? "" : s;
	w = snprintf(p, room, "%s", s);
	*off += w < 0 || (size_t)w >= room ? room : (size_t)w + 1;
	return p;
}

/* Asks allow whether the caller may impersonate at's object; -EACCES with *denied filled if not. */
static int check(const struct api_user *caller, struct api_authz_attrs at, api_authorize_fn allow, void *ud,
		 struct api_impersonate_denial *denied)
{
	const char *reason = NULL;
	size_t off = 0;

	at.user = caller;
	at.resource_request = true;
	at.verb = "impersonate";
	if (allow(ud, &at, &reason))
		return 0;
	denied->at = at;
	denied->reason = reason;
	denied->at.ns = stash(denied, &off, at.ns);
	denied->at.name = stash(denied, &off, at.name);
	denied->at.subresource = stash(denied, &off, at.subresource);
	return -EACCES;
}

static int check_all(const struct api_user *caller, const struct request *r, const struct build *b,
		     api_authorize_fn allow, void *ud, struct api_impersonate_denial *denied)
{
	struct api_authz_attrs at = {.group = "", .resource = "users", .name = r->user};
	int rc;

	if (b->sa_ns) {
		at.resource = "serviceaccounts";
		at.ns = b->sa_ns;
		at.name = b->sa_name;
	}
	rc = check(caller, at, allow, ud, denied);
	for (int i = 0; !rc && i < r->ngroups; i++)
		rc = check(caller, (struct api_authz_attrs){.group = "", .resource = "groups", .name = r->groups[i]},
			   allow, ud, denied);
	for (int i = 0; !rc && i < r->nextra; i++)
		rc = check(caller,
			   (struct api_authz_attrs){.group = "authentication.k8s.io", .resource = "userextras",
						    .subresource = b->nu.extra_keys[i], .name = r->extra_values[i]},
			   allow, ud, denied);
	if (!rc && r->uid)
		rc = check(caller, (struct api_authz_attrs){.group = "authentication.k8s.io", .resource = "uids", .name = r->uid},
			   allow, ud, denied);
	return rc;
}

/* p moved from from's store to to's when it points there: the user is copied, its strings must follow. */
static const char *rebase(const char *p, const struct api_user *from, struct api_user *to)
{
	uintptr_t a = (uintptr_t)p, lo = (uintptr_t)from->store;

	return a >= lo && a < lo + sizeof(from->store) ? to->store + (a - lo) : p;
}

int api_impersonate(struct api_user *u, const struct api_header *h, size_t n, api_authorize_fn allow, void *ud,
		    struct api_impersonate_denial *denied, struct cm_buf *err)
{
	struct request r;
	struct build b;
	int rc = parse(h, n, &r, err);

	if (rc)
		return rc;
	if (!r.user)
		return r.ngroups || r.nextra || r.uid ? without_user(&r, err) : 0;
	memset(&b, 0, sizeof(b));
	rc = build(&r, &b);
	if (rc == -E2BIG) {
		rc = cm_buf_puts(err, "the impersonated user has more groups, extras or bytes than the apiserver holds");
		return rc ? rc : -E2BIG;
	}
	rc = rc ? rc : check_all(u, &r, &b, allow, ud, denied);
	if (rc)
		return rc;
	*u = b.nu;
	u->name = rebase(u->name, &b.nu, u);
	u->uid = rebase(u->uid, &b.nu, u);
	for (int i = 0; i < u->ngroups; i++)
		u->groups[i] = rebase(u->groups[i], &b.nu, u);
	for (int i = 0; i < u->nextra; i++)
		u->extra_keys[i] = rebase(u->extra_keys[i], &b.nu, u);
	return 0;
}
