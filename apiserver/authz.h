/* authz.h: the apiserver's access control: source addresses, authentication, authorization, mutating limit. */
#ifndef API_AUTHZ_H
#define API_AUTHZ_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "apiserver/auth.h"
#include "apiserver/storage.h"
#include "common/flags.h"
#include "common/http_server.h"

/* What authn.c needs of a request, so the decision is a function a test can call. */
struct api_authn_input {
	const char *authorization;               /* the Authorization header, or NULL */
	const struct cm_http_peer_identity *peer; /* a verified client certificate, or NULL */
	const struct api_tokens *tokens;         /* --token-auth-file, or NULL */
	bool anonymous;                          /* --anonymous-auth */
	const void *sa_key;                      /* --service-account-key-file's secret, or NULL */
	size_t sa_keylen;
	int64_t now_s;                           /* the time SA tokens are checked against */
	/*
	 * Whether the object a bound token names still exists with that uid
	 * (kind API_SA_BOUND_POD or _SECRET, in ns); NULL refuses every bound token.
	 */
	bool (*bound_alive)(void *ud, int kind, const char *ns, const char *name, const char *uid);
	/* Whether ServiceAccount ns/name exists with uid (not being deleted); NULL refuses every ServiceAccount token. */
	bool (*account_alive)(void *ud, const char *ns, const char *name, const char *uid);
	void *bound_ud; /* both callbacks' */
};

/*
 * Authenticates: a bearer token (a ServiceAccount JWT signed with sa_key:
 * system:serviceaccount:NS:NAME in groups system:serviceaccounts and
 * system:serviceaccounts:NS, refused when the account is gone or is another of
 * the same name (account_alive) or the object it is bound to is gone
 * (bound_alive), with extras authentication.kubernetes.io/pod-name and
 * pod-uid when bound to a pod; else it must be in the table; with neither the
 * header is ignored), else a client
 * certificate (CN user, O groups), else the anonymous user
 * (system:anonymous, group system:unauthenticated) if allowed. Authenticated
 * users get the group system:authenticated. *out borrows from in's strings.
 * Returns 0, or -EACCES (answer 401).
 */
int api_authn_resolve(const struct api_authn_input *in, struct api_user *out);

struct api_auth_config {
	const char *token_auth_file;   /* NULL: no tokens */
	bool anonymous;                /* --anonymous-auth (true) */
	const char *mode;              /* --authorization-mode: "AlwaysAllow", "AlwaysDeny", "RBAC", "Node", comma-separated */
	const struct cm_strlist *allowed_cidrs; /* empty: every source */
	int max_mutating;              /* --max-mutating-requests-inflight; 0: no limit */
	const char *sa_key_file;       /* --service-account-key-file: HMAC secret of ServiceAccount tokens */
};

struct api_auth;
struct api_ctx;
struct api_server;

/*
 * Reads the token file, parses the mode and CIDRs (cfg is not kept). Returns
 * 0 and *out, -EINVAL with a message in err, -errno of the token file, or -ENOMEM.
 */
int api_auth_new(const struct api_auth_config *cfg, struct api_auth **out, struct cm_buf *err);
/*
 * With RBAC or Node: starts following RBAC objects and pods in srv's storage;
 * with ServiceAccount tokens, pods and secrets (what bound tokens are checked
 * against) and ServiceAccounts; srv->boot_pending counts the load. NULL a does nothing. 0 or -ENOMEM.
 */
int api_auth_start(struct api_auth *a, struct api_server *srv);
/* Stops following storage and frees (what is in flight ends before the storage goes). NULL does nothing. */
void api_auth_free(struct api_auth *a);
/* Whether RBAC is on (bootstrap roles are written then). */
bool api_auth_rbac_enabled(const struct api_auth *a);
/* Whether ServiceAccount tokens can be issued (--service-account-key-file): pods get credentials then. */
bool api_auth_sa_tokens(const struct api_auth *a);
/* Whether the authorizers' caches have loaded (the server is not ready before). */
bool api_auth_ready(const struct api_auth *a);

/*
 * The one check before a resource request is dispatched: source address,
 * authentication (on the TLS listener; the plain listener, loopback only, is
 * trusted as kube-apiserver's insecure port was), mutating-request limit,
 * authorization. Answers 403/401/429 itself and returns true then; false lets
 * the request through. plural is the resource named in the path.
 */
bool api_auth_gate(struct api_ctx *c, const char *method, const char *group, const char *plural, bool tls);
/*
 * Who sent req: on the TLS listener as api_authn_resolve says, on the plain
 * one (or without a) the trusted local user system:unsecured (group
 * system:masters); then, if the request carries Impersonate-* headers, the
 * user it may act as (api_impersonate, authorized by a). Returns 0, or a
 * negative errno with *status the Status to answer (the caller's): -EACCES
 * 401 or impersonation refused 403, -EINVAL 500 (groups without a user, as
 * Kubernetes answers), -E2BIG 400.
 */
int api_auth_identify(struct api_auth *a, struct cm_http_req *req, bool tls, struct api_user *out, cJSON **status);
/*
 * Whether the authorizers allow at; *reason (NULL, or text valid until the
 * next call on a) explains a Node authorizer denial.
 */
bool api_auth_decide(struct api_auth *a, const struct api_authz_attrs *at, const char **reason);
/*
 * What u may do in ns, as SelfSubjectRulesReview lists it: appends PolicyRules to
 * the two JSON arrays; *incomplete when an authorizer cannot list its grants.
 * a NULL: no access control (everything). 0 or -ENOMEM.
 */
int api_auth_rules(struct api_auth *a, const struct api_user *u, const char *ns, cJSON *resource_rules,
		   cJSON *non_resource_rules, bool *incomplete);
/*
 * Routes SelfSubjectAccessReview, SelfSubjectRulesReview, SubjectAccessReview
 * and LocalSubjectAccessReview on http (authz_review.c). Returns 0 or -ENOMEM.
 */
int api_auth_routes(struct api_server *srv, struct cm_http_server *http, bool tls);
/* Whether the client's address is in --allowed-client-cidrs (or there is no list). */
bool api_auth_source_allowed(const struct api_auth *a, struct cm_http_req *req);
/*
 * The HTTP servers' gate (cm_http_server_opts.gate, ud the api_server), run
 * before any route: refuses a source outside --allowed-client-cidrs (403),
 * and for non-resource paths (/version, /healthz, /metrics, discovery,
 * unknown paths) authenticates (401) and authorizes the lowered method on the
 * path (403 with Kubernetes' message). Returns 1 when it answered, else 0.
 */
int api_auth_http_gate(struct cm_http_req *req, void *ud);
/*
 * Signs a ServiceAccount token for ns/name (uid may be "") valid for ttl_s
 * seconds, bound to an object if bound is not NULL, into out (NULL: only
 * whether tokens can be signed). 0, -ENOTSUP without
 * --service-account-key-file, -EINVAL or -ENOMEM.
 */
struct api_sa_bound;
int api_auth_sa_token(const struct api_auth *a, const char *ns, const char *name, const char *uid,
		      const struct api_sa_bound *bound, int64_t ttl_s, struct cm_buf *out);
/*
 * Authenticates token as a request bearing it would be (TokenReview): 0 and
 * *out (borrowing from a), -EACCES when it is not a valid token (or a has no
 * token authenticator), or -ENOMEM.
 */
int api_auth_token(struct api_auth *a, const char *token, struct api_user *out);
/*
 * Whether u may create resource in group in ns ("" or NULL: cluster scope),
 * which the review endpoints ask for their callers: NULL when allowed (always
 * with a NULL a), else the Status to answer (403, or 500 out of memory), the
 * caller's to free.
 */
cJSON *api_auth_create_refused(struct api_auth *a, const struct api_user *u, const char *group, const char *resource,
			       const char *ns);
/* Routes SelfSubjectReview (kubectl auth whoami) and TokenReview on http (authn_review.c). Returns 0 or -ENOMEM. */
int api_authn_review_route(struct api_server *srv, struct cm_http_server *http, bool tls);
/* Writes the bootstrap ClusterRoles and ClusterRoleBindings that are missing (counted in srv->boot_pending). */
void api_auth_bootstrap(struct api_server *srv);

#endif
