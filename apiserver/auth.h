/* auth.h: who is asking (users, token files) and what they may do (RBAC, Node authorizer): the pure parts. */
#ifndef API_AUTH_H
#define API_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/buf.h"

#define API_AUTH_MAX_GROUPS 16
#define API_AUTH_MAX_EXTRA 16

/*
 * An authenticated identity. Strings borrowed from whoever made it (token
 * table, request), or for a ServiceAccount token from store: such a user must
 * not be copied (its pointers would still point into the original).
 */
struct api_user {
	const char *name;
	const char *uid; /* may be "" */
	const char *groups[API_AUTH_MAX_GROUPS];
	int ngroups;
	/* user.Info.Extra as pairs, a key once per value (only impersonation sets them) */
	const char *extra_keys[API_AUTH_MAX_EXTRA];
	const char *extra_values[API_AUTH_MAX_EXTRA];
	int nextra;
	char store[1024];
};

/* Whether u is in group g. */
bool api_user_in_group(const struct api_user *u, const char *g);

/* --- auth_token.c: Kubernetes' static token file --- */

/*
 * The table of `token,user,uid,"group1,group2"` lines. Blank lines and lines
 * starting with '#' are skipped; the groups column is optional.
 */
struct api_tokens;

/*
 * Parses text (len bytes). Returns 0 and *out (caller frees with
 * api_tokens_free), -EINVAL with "line N: why" in err (a line with fewer than
 * three columns, an empty token or user, a duplicate token, a bad quote, more
 * than API_AUTH_MAX_GROUPS groups), or -ENOMEM.
 */
int api_tokens_parse(const char *text, size_t len, struct api_tokens **out, struct cm_buf *err);
/* Reads and parses path: errors as api_tokens_parse, or -errno of the read (message in err). */
int api_tokens_load(const char *path, struct api_tokens **out, struct cm_buf *err);
void api_tokens_free(struct api_tokens *t);
/* The user a token names, or NULL; the user lives as long as t. Compares in constant time per entry. */
const struct api_user *api_tokens_lookup(const struct api_tokens *t, const char *token);
size_t api_tokens_count(const struct api_tokens *t);

/* --- what a request asks to do (Kubernetes' authorizer.Attributes) --- */
struct api_authz_attrs {
	const struct api_user *user;
	bool resource_request; /* false: a non-resource URL (path) */
	const char *verb;      /* get list watch create update patch delete deletecollection; or the HTTP verb lowered */
	const char *ns;        /* "" or NULL: cluster scope */
	const char *group;     /* "" core */
	const char *resource;  /* plural */
	const char *subresource; /* NULL or "status", "binding", "log", ... */
	const char *name;      /* NULL or "" when none */
	const char *path;      /* non-resource requests */
};

/*
 * The 403 message Kubernetes writes: `pods is forbidden: User "bob" cannot
 * create resource "pods" in API group "" in the namespace "default"`.
 * Appends to out; 0 or -ENOMEM.
 */
int api_authz_forbidden_message(const struct api_authz_attrs *a, const char *reason, struct cm_buf *out);
/* Its part after "is forbidden: " (`User "bob" cannot ...`), with ": reason" if reason is not empty. */
int api_authz_forbidden_why(const struct api_authz_attrs *a, const char *reason, struct cm_buf *out);

/* --- impersonate.c: acting as another user, as Kubernetes' impersonation filter --- */

struct api_header {
	const char *name, *value;
};

/* The authorizers' verdict on at; *reason (static text or NULL) may explain a denial. */
typedef bool (*api_authorize_fn)(void *ud, const struct api_authz_attrs *at, const char **reason);

/* What the caller was refused: at (its user the caller) with strings in buf or in the headers. */
struct api_impersonate_denial {
	struct api_authz_attrs at;
	const char *reason;
	char buf[256];
};

/*
 * Applies the Impersonate-User, -Uid, -Group (repeatable) and -Extra-<key>
 * (repeatable; key lower-cased and %-decoded) headers among h[0..n) to *u, the
 * authenticated caller. Each asks allow whether the caller may "impersonate":
 * users (name the user) or, for system:serviceaccount:NS:NAME, serviceaccounts
 * NAME in NS; groups; uids and userextras/<key> (name the value) in
 * authentication.k8s.io. The new user has the groups given (a ServiceAccount
 * without any: system:serviceaccounts and system:serviceaccounts:NS), plus
 * system:authenticated unless it or system:unauthenticated is there, or for
 * system:anonymous system:unauthenticated. Its strings are borrowed from h or
 * kept in u->store. Without Impersonate headers *u is left as it is.
 * Returns 0; -EINVAL when a uid, group or extra comes without a user, -E2BIG
 * for more groups, extras or bytes than an api_user holds (message in err for
 * both); -EACCES with *denied filled when the caller may not; *u unchanged on
 * failure. -ENOMEM from err.
 */
int api_impersonate(struct api_user *u, const struct api_header *h, size_t n, api_authorize_fn allow, void *ud,
		    struct api_impersonate_denial *denied, struct cm_buf *err);

/* --- rbac.c: evaluation of RBAC objects --- */

/*
 * The RBAC objects the evaluator sees: callbacks over the current
 * ClusterRoleBindings, RoleBindings of a namespace, and role lookup. Objects
 * are borrowed cJSON trees (rbac.authorization.k8s.io/v1 JSON).
 */
struct api_rbac_source {
	/* Calls fn for each ClusterRoleBinding until fn returns nonzero. */
	void (*cluster_role_bindings)(void *ud, int (*fn)(const cJSON *binding, void *arg), void *arg);
	/* Calls fn for each RoleBinding in ns until fn returns nonzero. */
	void (*role_bindings)(void *ud, const char *ns, int (*fn)(const cJSON *binding, void *arg), void *arg);
	/* The ClusterRole named name, or the Role ns/name; NULL if absent. */
	const cJSON *(*cluster_role)(void *ud, const char *name);
	const cJSON *(*role)(void *ud, const char *ns, const char *name);
	void *ud;
};

/* Whether one PolicyRule object allows the request. */
bool api_rbac_rule_allows(const cJSON *rule, const struct api_authz_attrs *a);
/* Whether a binding's subjects include the user (User, Group; ServiceAccount as system:serviceaccount:NS:NAME). */
bool api_rbac_subject_matches(const cJSON *binding, const struct api_user *u, const char *binding_ns);
/* Whether any ClusterRoleBinding, or RoleBinding of the request's namespace, grants the request to its user. */
bool api_rbac_allows(const struct api_rbac_source *src, const struct api_authz_attrs *a);
/*
 * Appends to resource_rules and non_resource_rules (JSON arrays) copies of the
 * PolicyRules u is granted by ClusterRoleBindings, and by the RoleBindings of
 * ns (resource rules only). 0 or -ENOMEM.
 */
int api_rbac_rules(const struct api_rbac_source *src, const struct api_user *u, const char *ns,
		   cJSON *resource_rules, cJSON *non_resource_rules);

/* --- authz_node.c: the Node authorizer --- */

enum api_authz_decision { API_AUTHZ_NO_OPINION, API_AUTHZ_ALLOW, API_AUTHZ_DENY };

/*
 * What the Node authorizer needs to know of pods: the node a pod is bound to
 * ("" none, NULL no such pod), and whether a pod bound to node names the
 * object kind (enum api_pod_ref: Secret, ConfigMap, claim, ServiceAccount)
 * ns/name: the edges of Kubernetes' node graph.
 */
struct api_node_graph {
	const char *(*pod_node)(void *ud, const char *ns, const char *name);
	bool (*node_refs)(void *ud, const char *node, int kind, const char *ns, const char *name);
	void *ud;
};

/*
 * The Node authorizer: a user system:node:NAME in group system:nodes may read
 * what a kubelet needs (Secrets and ConfigMaps by name, claims by get, only
 * those a pod bound to NAME names), write its own Node and Lease, write the
 * status of pods bound to NAME, create tokens of the ServiceAccounts its pods
 * run as, and create events. Other users: NO_OPINION. A node identity asking
 * for more: DENY (so RBAC cannot widen a kubelet's reach), with why (may be
 * NULL) set to Kubernetes' reason: "no relationship found between node 'NAME'
 * and this object" (only for a refused graph lookup), or left empty.
 */
enum api_authz_decision api_authz_node(const struct api_authz_attrs *a, const struct api_node_graph *g,
				       struct cm_buf *why);

#endif
