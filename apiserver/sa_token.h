/* sa_token.h: ServiceAccount tokens: HS256 JWTs the apiserver signs and verifies (pure, no I/O). */
#ifndef API_SA_TOKEN_H
#define API_SA_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define API_SA_ISSUER "https://kubernetes.default.svc.cluster.local"
#define API_SA_KEY_MIN 32 /* bytes of secret, as HS256 wants at least the hash's size */

/*
 * The object a token is bound to (Kubernetes' boundObjectRef): the token is
 * good only while an object of that kind, name (in the ServiceAccount's
 * namespace) and uid exists.
 */
enum api_sa_bound_kind { API_SA_UNBOUND, API_SA_BOUND_POD, API_SA_BOUND_SECRET };
struct api_sa_bound {
	enum api_sa_bound_kind kind;
	const char *name, *uid;
};

/* What a token says (strings owned by the struct, freed by api_sa_claims_close). */
struct api_sa_claims {
	char *ns, *name, *uid;
	int64_t exp; /* unix seconds */
	enum api_sa_bound_kind bound; /* API_SA_UNBOUND: bound_name and bound_uid are NULL */
	char *bound_name, *bound_uid;
};

/*
 * Signs a token for ServiceAccount ns/name (uid may be "") valid from now_s
 * for ttl_s seconds: header {"alg":"HS256","typ":"JWT"}, Kubernetes' claims
 * (iss, sub system:serviceaccount:NS:NAME, aud, iat, nbf, exp,
 * kubernetes.io.namespace/serviceaccount, and kubernetes.io.pod or .secret
 * {name, uid} when bound is given and not API_SA_UNBOUND). Appends to out.
 * 0, -EINVAL (short key) or -ENOMEM.
 */
int api_sa_token_sign(const void *key, size_t keylen, const char *ns, const char *name, const char *uid,
		      const struct api_sa_bound *bound, int64_t now_s, int64_t ttl_s, struct cm_buf *out);
/*
 * Verifies token (signature in constant time, issuer, audience, iat/nbf/exp
 * against now_s with 60 s of skew on nbf; a bound object's name and uid
 * present). Returns 0 and *out (caller closes),
 * -EACCES for a token that is not ours or has expired, or -ENOMEM.
 */
int api_sa_token_verify(const void *key, size_t keylen, const char *token, int64_t now_s, struct api_sa_claims *out);
void api_sa_claims_close(struct api_sa_claims *c);
/* Whether token looks like a JWT (three dot-separated parts): a token file entry never does. */
int api_sa_token_is_jwt(const char *token);

#endif
