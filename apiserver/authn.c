/* authn.c: who sent a request: a bearer token, a verified client certificate, or the anonymous user. */
#include "apiserver/authz.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "apiserver/sa_token.h"

static void add_group(struct api_user *u, const char *g)
{
	if (u->ngroups < API_AUTH_MAX_GROUPS && !api_user_in_group(u, g))
		u->groups[u->ngroups++] = g;
}

/* Copies s into u->store at *n; NULL when it does not fit. */
static const char *keep(struct api_user *u, size_t *n, const char *s)
{
	size_t len = strlen(s) + 1;
	char *at = u->store + *n;

	if (len > sizeof(u->store) - *n)
		return NULL;
	memcpy(at, s, len);
	*n += len;
	return at;
}

/* A ServiceAccount's identity, its strings in out->store. */
static int sa_user(const struct api_sa_claims *c, struct api_user *out)
{
	size_t cap = sizeof(out->store), n;
	int w;

	memset(out, 0, sizeof(*out));
	w = snprintf(out->store, cap, "system:serviceaccount:%s:%s", c->ns, c->name);
	if (w < 0 || (size_t)w >= cap)
		return -EACCES;
	n = (size_t)w + 1;
	w = snprintf(out->store + n, cap - n, "system:serviceaccounts:%s", c->ns);
	if (w < 0 || (size_t)w >= cap - n)
		return -EACCES;
	out->name = out->store;
	out->groups[0] = "system:serviceaccounts";
	out->groups[1] = out->store + n;
	out->groups[2] = "system:authenticated";
	out->ngroups = 3;
	n += (size_t)w + 1;
	out->uid = keep(out, &n, c->uid);
	if (!out->uid)
		return -EACCES;
	/* as Kubernetes: which pod holds the token, for audit and for whoever asks whoami */
	if (c->bound == API_SA_BOUND_POD) {
		out->extra_keys[0] = "authentication.kubernetes.io/pod-name";
		out->extra_values[0] = keep(out, &n, c->bound_name);
		out->extra_keys[1] = "authentication.kubernetes.io/pod-uid";
		out->extra_values[1] = keep(out, &n, c->bound_uid);
		if (!out->extra_values[0] || !out->extra_values[1])
			return -EACCES;
		out->nextra = 2;
	}
	return 0;
}

int api_authn_resolve(const struct api_authn_input *in, struct api_user *out)
{
	struct api_user u = {0};

	/* with no token authenticator the header is nobody's to judge, as in Kubernetes: it is ignored */
	if ((in->tokens || in->sa_key) && in->authorization && *in->authorization) {
		const char *t = in->authorization;
		const struct api_user *found;

		/* a token that is not ours is refused even when anonymous requests are allowed, as Kubernetes does */
		if (strncasecmp(t, "Bearer ", 7))
			return -EACCES;
		t += 7;
		while (*t == ' ')
			t++;
		if (in->sa_key && api_sa_token_is_jwt(t)) {
			struct api_sa_claims c;
			int rc = api_sa_token_verify(in->sa_key, in->sa_keylen, t, in->now_s, &c);

			if (rc < 0)
				return -EACCES;
			/* a token dies with its account, even if an account of the same name comes back, as in Kubernetes */
			if (!in->account_alive || !in->account_alive(in->bound_ud, c.ns, c.name, c.uid)) {
				api_sa_claims_close(&c);
				return -EACCES;
			}
			/* a bound token dies with its object, as Kubernetes' authenticator checks */
			if (c.bound != API_SA_UNBOUND &&
			    (!in->bound_alive || !in->bound_alive(in->bound_ud, c.bound, c.ns, c.bound_name, c.bound_uid))) {
				api_sa_claims_close(&c);
				return -EACCES;
			}
			rc = sa_user(&c, out);
			api_sa_claims_close(&c);
			return rc;
		}
		found = in->tokens ? api_tokens_lookup(in->tokens, t) : NULL;
		if (!found)
			return -EACCES;
		u = *found;
		add_group(&u, "system:authenticated");
		*out = u;
		return 0;
	}
	if (in->peer && in->peer->common_name && *in->peer->common_name) {
		u.name = in->peer->common_name;
		u.uid = "";
		for (size_t i = 0; i < in->peer->n_organizations; i++)
			add_group(&u, in->peer->organizations[i]);
		add_group(&u, "system:authenticated");
		*out = u;
		return 0;
	}
	if (!in->anonymous)
		return -EACCES;
	u.name = "system:anonymous";
	u.uid = "";
	add_group(&u, "system:unauthenticated");
	*out = u;
	return 0;
}
