/* authn.c: who sent a request: a bearer token, a verified client certificate, or the anonymous user. */
#include "apiserver/authz.h"

#include <string.h>
#include <strings.h>

static void add_group(struct api_user *u, const char *g)
{
	if (u->ngroups < API_AUTH_MAX_GROUPS && !api_user_in_group(u, g))
		u->groups[u->ngroups++] = g;
}

int api_authn_resolve(const struct api_authn_input *in, struct api_user *out)
{
	struct api_user u = {0};

	/* with no token authenticator the header is nobody's to judge, as in Kubernetes: it is ignored */
	if (in->tokens && in->authorization && *in->authorization) {
		const char *t = in->authorization;
		const struct api_user *found;

		/* a token that is not ours is refused even when anonymous requests are allowed, as Kubernetes does */
		if (strncasecmp(t, "Bearer ", 7))
			return -EACCES;
		t += 7;
		while (*t == ' ')
			t++;
		found = api_tokens_lookup(in->tokens, t);
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
