/* authz.c: the gate before dispatch (source, authentication, mutating limit, authorization) and SelfSubjectAccessReview. */
#include "apiserver/authz.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "apiserver/authz_cache.h"
#include "apiserver/rest.h"
#include "apiserver/sa_token.h"
#include "apiserver/status.h"
#include "common/err.h"
#include "common/fieldsel.h"
#include "common/fileio.h"
#include "common/json.h"
#include "common/log.h"
#include "common/timeutil.h"

#define MAX_CIDRS 32

struct cidr {
	int family;
	unsigned char net[16];
	int bits;
};

struct api_auth {
	struct api_tokens *tokens;
	bool anonymous;
	bool always_deny, rbac, node; /* none set: AlwaysAllow */
	struct cidr cidrs[MAX_CIDRS];
	int ncidrs;
	int max_mutating;
	struct api_authz_cache *cache;
	struct cm_buf sa_key; /* empty: no ServiceAccount tokens */
	struct cm_buf why;    /* the Node authorizer's last reason: api_auth_decide's *reason points here */
};

/* The identity of requests on the plain listener: loopback only, trusted like kube-apiserver's insecure port. */
static const struct api_user unsecured = {
	.name = "system:unsecured", .uid = "", .groups = {"system:masters", "system:authenticated"}, .ngroups = 2};

static int parse_cidr(const char *s, struct cidr *out)
{
	char ip[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	char *end;
	long bits;

	if (n >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, n);
	ip[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, ip, out->net) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, ip, out->net) == 1)
		out->family = AF_INET6;
	else
		return -EINVAL;
	bits = out->family == AF_INET ? 32 : 128;
	if (slash) {
		long b = strtol(slash + 1, &end, 10);

		if (!slash[1] || *end || b < 0 || b > bits)
			return -EINVAL;
		bits = b;
	}
	out->bits = (int)bits;
	return 0;
}

static bool cidr_has(const struct cidr *c, int family, const unsigned char *addr)
{
	int full = c->bits / 8, rest = c->bits % 8;

	if (family != c->family || memcmp(c->net, addr, (size_t)full))
		return false;
	return !rest || ((c->net[full] ^ addr[full]) & (0xff << (8 - rest))) == 0;
}

bool api_auth_source_allowed(const struct api_auth *a, struct cm_http_req *req)
{
	struct sockaddr_storage ss;
	const unsigned char *addr;
	unsigned char v4[4];
	int family;

	if (a->ncidrs == 0)
		return true;
	if (cm_http_req_peer_addr(req, &ss) < 0)
		return false;
	if (ss.ss_family == AF_INET) {
		family = AF_INET;
		addr = (const unsigned char *)&((struct sockaddr_in *)&ss)->sin_addr;
	} else {
		const struct in6_addr *in6 = &((struct sockaddr_in6 *)&ss)->sin6_addr;

		family = AF_INET6;
		addr = in6->s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(in6)) { /* an IPv4 client on a dual-stack socket */
			memcpy(v4, in6->s6_addr + 12, 4);
			family = AF_INET;
			addr = v4;
		}
	}
	for (int i = 0; i < a->ncidrs; i++)
		if (cidr_has(&a->cidrs[i], family, addr))
			return true;
	return false;
}

static int parse_mode(struct api_auth *a, const char *mode, struct cm_buf *err)
{
	char *dup = strdup(mode ? mode : "AlwaysAllow"), *save = NULL, *m;
	int rc = 0;

	if (!dup)
		return -ENOMEM;
	for (m = strtok_r(dup, ",", &save); m && !rc; m = strtok_r(NULL, ",", &save)) {
		if (!strcmp(m, "RBAC"))
			a->rbac = true;
		else if (!strcmp(m, "Node"))
			a->node = true;
		else if (!strcmp(m, "AlwaysDeny"))
			a->always_deny = true;
		else if (strcmp(m, "AlwaysAllow")) {
			cm_buf_printf(err, "--authorization-mode: unknown mode \"%s\" (AlwaysAllow, AlwaysDeny, RBAC, Node)", m);
			rc = -EINVAL;
		}
	}
	free(dup);
	return rc;
}

static void cache_ready(void *ud)
{
	struct api_server *srv = ud;

	srv->boot_pending--;
}

int api_auth_new(const struct api_auth_config *cfg, struct api_auth **out, struct cm_buf *err)
{
	struct api_auth *a = calloc(1, sizeof(*a));
	int rc = 0;

	if (!a)
		return -ENOMEM;
	a->anonymous = cfg->anonymous;
	a->max_mutating = cfg->max_mutating;
	rc = parse_mode(a, cfg->mode, err);
	for (size_t i = 0; !rc && cfg->allowed_cidrs && i < cfg->allowed_cidrs->n; i++) {
		if (a->ncidrs == MAX_CIDRS || parse_cidr(cfg->allowed_cidrs->items[i], &a->cidrs[a->ncidrs]) < 0) {
			cm_buf_printf(err, "--allowed-client-cidrs: bad or too many CIDRs at \"%s\"",
				      cfg->allowed_cidrs->items[i]);
			rc = -EINVAL;
		} else {
			a->ncidrs++;
		}
	}
	if (!rc && cfg->token_auth_file && *cfg->token_auth_file) {
		rc = api_tokens_load(cfg->token_auth_file, &a->tokens, err);
		if (!rc) /* never the tokens themselves */
			cm_info("token file %s: %zu users", cfg->token_auth_file, api_tokens_count(a->tokens));
	}
	if (!rc && cfg->sa_key_file && *cfg->sa_key_file) {
		rc = cm_file_read(cfg->sa_key_file, 64 * 1024, &a->sa_key);
		if (rc < 0)
			cm_buf_printf(err, "--service-account-key-file %s: %s", cfg->sa_key_file, cm_strerror(rc));
		else if (a->sa_key.len < API_SA_KEY_MIN) {
			cm_buf_printf(err, "--service-account-key-file %s: the secret must be at least %d bytes",
				      cfg->sa_key_file, API_SA_KEY_MIN);
			rc = -EINVAL;
		}
	}
	if (rc) {
		api_tokens_free(a->tokens);
		cm_buf_close(&a->sa_key);
		cm_buf_close(&a->why);
		free(a);
		return rc;
	}
	*out = a;
	return 0;
}

int api_auth_start(struct api_auth *a, struct api_server *srv)
{
	int rc;

	unsigned what = 0;

	if (a && (a->rbac || a->node))
		what |= API_AUTHZ_CACHE_RBAC;
	if (a && a->node)
		what |= API_AUTHZ_CACHE_PODS;
	/* the accounts and objects ServiceAccount tokens may be bound to: each token check looks there, not in etcd */
	if (a && a->sa_key.len)
		what |= API_AUTHZ_CACHE_PODS | API_AUTHZ_CACHE_SECRETS | API_AUTHZ_CACHE_ACCOUNTS;
	if (!what || a->cache)
		return 0;
	rc = api_authz_cache_new(srv->loop, srv->store, what, cache_ready, srv, &a->cache);
	if (!rc)
		srv->boot_pending++;
	return rc;
}

void api_auth_free(struct api_auth *a)
{
	if (!a)
		return;
	api_authz_cache_free(a->cache);
	api_tokens_free(a->tokens);
	cm_buf_close(&a->sa_key);
	cm_buf_close(&a->why);
	free(a);
}

bool api_auth_rbac_enabled(const struct api_auth *a)
{
	return a && a->rbac;
}

bool api_auth_sa_tokens(const struct api_auth *a)
{
	return a && a->sa_key.len > 0;
}

bool api_auth_ready(const struct api_auth *a)
{
	return !a || !a->cache || api_authz_cache_ready(a->cache);
}

bool api_auth_decide(struct api_auth *a, const struct api_authz_attrs *at, const char **reason)
{
	*reason = NULL;
	/* system:masters is never subject to RBAC, as in Kubernetes */
	if (api_user_in_group(at->user, "system:masters"))
		return true;
	if (a->always_deny)
		return false;
	if (!a->rbac && !a->node)
		return true;
	if (a->node) {
		const struct api_node_graph g = {api_authz_cache_pod_node, api_authz_cache_node_refs, a->cache};
		enum api_authz_decision d;

		cm_buf_reset(&a->why);
		d = api_authz_node(at, &g, &a->why);
		if (d == API_AUTHZ_ALLOW)
			return true;
		if (d == API_AUTHZ_DENY) {
			*reason = a->why.len ? a->why.data : NULL;
			return false;
		}
	}
	if (a->rbac) {
		struct api_rbac_source src;

		api_authz_cache_rbac(a->cache, &src);
		return api_rbac_allows(&src, at);
	}
	return false;
}

int api_auth_rules(struct api_auth *a, const struct api_user *u, const char *ns, cJSON *resource_rules,
		   cJSON *non_resource_rules, bool *incomplete)
{
	static const char everything[] = "{\"verbs\":[\"*\"],\"apiGroups\":[\"*\"],\"resources\":[\"*\"]}";
	static const char every_url[] = "{\"verbs\":[\"*\"],\"nonResourceURLs\":[\"*\"]}";
	struct api_rbac_source src;

	*incomplete = false;
	/* system:masters and AlwaysAllow grant everything, as their RulesFor say in Kubernetes */
	if (!a || api_user_in_group(u, "system:masters") || (!a->always_deny && !a->rbac && !a->node)) {
		cJSON *r = cJSON_Parse(everything), *n = cJSON_Parse(every_url);

		if (!r || !n || !cJSON_AddItemToArray(resource_rules, r)) {
			cJSON_Delete(r);
			cJSON_Delete(n);
			return -ENOMEM;
		}
		if (!cJSON_AddItemToArray(non_resource_rules, n)) {
			cJSON_Delete(n);
			return -ENOMEM;
		}
		return 0;
	}
	/* the Node authorizer decides per object; it cannot list what it grants */
	*incomplete = a->node && api_user_in_group(u, "system:nodes");
	if (!a->rbac)
		return 0;
	api_authz_cache_rbac(a->cache, &src);
	return api_rbac_rules(&src, u, ns, resource_rules, non_resource_rules);
}

static const char *verb_of(const char *method, struct api_ctx *c)
{
	if (c->sub && !strcmp(c->sub, "exec"))
		return "create";
	if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
		if (c->sub && !strcmp(c->sub, "log"))
			return "get";
		if (api_query_bool(cm_http_req_query(c->req, "watch")))
			return "watch";
		return c->name ? "get" : "list";
	}
	if (!strcmp(method, "POST"))
		return "create";
	if (!strcmp(method, "PUT"))
		return "update";
	if (!strcmp(method, "PATCH"))
		return "patch";
	if (!strcmp(method, "DELETE"))
		return c->name ? "delete" : "deletecollection";
	return "unknown";
}

#define MAX_IMPERSONATE_HEADERS (API_AUTH_MAX_GROUPS + API_AUTH_MAX_EXTRA + 2)

struct headers {
	struct api_header h[MAX_IMPERSONATE_HEADERS + 1]; /* one more: api_impersonate names the overflow */
	size_t n;
};

static int collect_impersonation(const char *name, const char *value, void *arg)
{
	struct headers *hs = arg;

	if (strncasecmp(name, "Impersonate-", strlen("Impersonate-")))
		return 0;
	hs->h[hs->n].name = name;
	hs->h[hs->n].value = value;
	return ++hs->n == sizeof(hs->h) / sizeof(hs->h[0]);
}

/* Without access control (a NULL) nobody is refused anything, impersonation included. */
static bool allow_impersonation(void *ud, const struct api_authz_attrs *at, const char **reason)
{
	*reason = NULL;
	return !ud || api_auth_decide(ud, at, reason);
}

/* Answers an impersonation error as Kubernetes' filter does (403 refused, 500 malformed, 400 beyond our limits). */
static cJSON *impersonation_status(int rc, const struct api_impersonate_denial *d, const struct cm_buf *err)
{
	struct cm_buf why = CM_BUF_INIT;
	cJSON *st;

	if (rc == -EINVAL)
		return api_status_internal(err->data);
	if (rc == -E2BIG)
		return api_status_bad_request(err->data);
	if (rc != -EACCES || api_authz_forbidden_why(&d->at, d->reason, &why) < 0) {
		cm_buf_close(&why);
		return api_status_internal("out of memory");
	}
	cm_debug(1, "impersonation forbidden: %s", why.data);
	st = api_status_forbidden(d->at.group, d->at.resource, d->at.name, why.data);
	cm_buf_close(&why);
	return st;
}

static bool bound_alive(void *ud, int kind, const char *ns, const char *name, const char *uid)
{
	return api_authz_cache_bound_alive(ud, kind, ns, name, uid, cm_time_wall_ms() / 1000);
}

/* What authn.c needs that a holds: the token table, the ServiceAccount key, the bound-object check, the time. */
static void authn_input(struct api_auth *a, const char *authorization, struct api_authn_input *in)
{
	memset(in, 0, sizeof(*in));
	in->authorization = authorization;
	in->tokens = a->tokens;
	in->sa_key = a->sa_key.len ? a->sa_key.data : NULL;
	in->sa_keylen = a->sa_key.len;
	in->now_s = cm_time_wall_ms() / 1000;
	in->bound_alive = a->cache ? bound_alive : NULL;
	in->account_alive = a->cache ? api_authz_cache_account_alive : NULL;
	in->bound_ud = a->cache;
}

int api_auth_identify(struct api_auth *a, struct cm_http_req *req, bool tls, struct api_user *out, cJSON **status)
{
	struct api_authn_input in;
	struct headers hs = {.n = 0};
	struct api_impersonate_denial denied;
	struct cm_buf err = CM_BUF_INIT;
	int rc;

	if (!a || !tls) {
		*out = unsecured;
	} else {
		authn_input(a, cm_http_req_header(req, "Authorization"), &in);
		in.peer = cm_http_req_peer_identity(req);
		in.anonymous = a->anonymous;
		if (api_authn_resolve(&in, out) < 0) {
			*status = api_status_unauthorized(NULL);
			return -EACCES;
		}
	}
	cm_http_req_headers(req, collect_impersonation, &hs);
	rc = api_impersonate(out, hs.h, hs.n, allow_impersonation, a, &denied, &err);
	if (rc < 0)
		*status = impersonation_status(rc, &denied, &err);
	cm_buf_close(&err);
	return rc;
}

int api_auth_token(struct api_auth *a, const char *token, struct api_user *out)
{
	struct api_authn_input in;
	struct cm_buf hdr = CM_BUF_INIT;
	int rc;

	if (!a || !token || !*token)
		return -EACCES;
	if (cm_buf_printf(&hdr, "Bearer %s", token) < 0) {
		cm_buf_close(&hdr);
		return -ENOMEM;
	}
	/* no peer and no anonymous user: only the token can succeed */
	authn_input(a, hdr.data, &in);
	rc = api_authn_resolve(&in, out);
	cm_buf_close(&hdr);
	return rc;
}

cJSON *api_auth_create_refused(struct api_auth *a, const struct api_user *u, const char *group, const char *resource,
			       const char *ns)
{
	struct api_authz_attrs at = {0};
	struct cm_buf why = CM_BUF_INIT;
	const char *reason = NULL;
	cJSON *st;

	at.user = u;
	at.resource_request = true;
	at.verb = "create";
	at.group = group;
	at.resource = resource;
	at.ns = ns;
	if (!a || api_auth_decide(a, &at, &reason))
		return NULL;
	if (api_authz_forbidden_why(&at, reason, &why) < 0)
		st = api_status_internal("out of memory");
	else
		st = api_status_forbidden(group, resource, NULL, why.data);
	cm_buf_close(&why);
	return st ? st : api_status_internal("out of memory");
}

int api_auth_sa_token(const struct api_auth *a, const char *ns, const char *name, const char *uid,
		      const struct api_sa_bound *bound, int64_t ttl_s, struct cm_buf *out)
{
	if (!a || !a->sa_key.len)
		return -ENOTSUP;
	if (!out)
		return 0;
	return api_sa_token_sign(a->sa_key.data, a->sa_key.len, ns, name, uid, bound, cm_time_wall_ms() / 1000, ttl_s,
				 out);
}

static void reply_headers_429(struct api_ctx *c)
{
	cm_http_req_add_header(c->req, "Retry-After", "1");
	api_ctx_reply_status(c, api_status_too_many_requests("Too many requests, please try again later.", 1));
}

bool api_auth_gate(struct api_ctx *c, const char *method, const char *group, const char *plural, bool tls)
{
	struct api_auth *a = c->srv->auth;
	struct api_user u;
	struct api_authz_attrs at = {0};
	struct cm_fieldsel *fs = NULL;
	const char *reason;
	cJSON *st;
	bool mutating = strcmp(method, "GET") && strcmp(method, "HEAD");

	if (!a)
		return false;
	/* the source address was checked by api_auth_http_gate before routing */
	if (api_auth_identify(a, c->req, tls, &u, &st) < 0) {
		api_ctx_reply_status(c, st);
		return true;
	}
	if (mutating && a->max_mutating > 0) {
		if (c->srv->mutating_inflight >= a->max_mutating) {
			reply_headers_429(c);
			return true;
		}
		c->mutating = true;
		c->srv->mutating_inflight++;
	}
	at.user = &u;
	at.resource_request = true;
	at.verb = verb_of(method, c);
	at.ns = c->ns;
	at.group = group ? group : "";
	at.resource = plural;
	at.subresource = c->sub;
	at.name = c->name;
	/*
	 * As kube-apiserver: a list or watch of one name (fieldSelector
	 * metadata.name=X) is authorized as a request for X, so that the Node
	 * authorizer and RBAC's resourceNames can allow it (a kubelet watches
	 * the ConfigMaps and Secrets its pods mount this way).
	 */
	if (!c->name && (!strcmp(at.verb, "list") || !strcmp(at.verb, "watch")) &&
	    cm_fieldsel_parse(cm_http_req_query(c->req, "fieldSelector") ? cm_http_req_query(c->req, "fieldSelector") : "",
			      &fs, NULL) == 0)
		at.name = cm_fieldsel_required(fs, "metadata.name");
	if (api_auth_decide(a, &at, &reason)) {
		cm_fieldsel_free(fs);
		return false;
	}
	{
		struct cm_buf why = CM_BUF_INIT;

		if (api_authz_forbidden_why(&at, reason, &why) < 0) {
			cm_buf_close(&why);
			api_ctx_reply_status(c, api_status_internal("out of memory"));
		} else {
			cm_debug(1, "forbidden: %s", why.data); /* at -v 1: a scan would flood the log otherwise */
			api_ctx_reply_status(c, api_status_forbidden(at.group, plural, c->name, why.data));
		}
		cm_buf_close(&why);
	}
	cm_fieldsel_free(fs);
	return true;
}
