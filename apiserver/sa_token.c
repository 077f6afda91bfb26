/* sa_token.c: ServiceAccount tokens as HS256 JWTs (HMAC-SHA256 from GnuTLS, already linked for TLS). */
#include "apiserver/sa_token.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <gnutls/crypto.h>

#include "common/base64.h"
#include "common/json.h"

#define HS256_LEN 32
#define MAX_TOKEN 8192

/* Appends base64url without padding (RFC 7515). */
static int b64url(const void *data, size_t len, struct cm_buf *out)
{
	size_t start = out->len;
	int rc = cm_base64_encode(data, len, out);

	if (rc)
		return rc;
	for (size_t i = start; i < out->len; i++)
		if (out->data[i] == '+')
			out->data[i] = '-';
		else if (out->data[i] == '/')
			out->data[i] = '_';
	while (out->len > start && out->data[out->len - 1] == '=')
		out->data[--out->len] = '\0';
	return 0;
}

static int unb64url(const char *s, size_t len, struct cm_buf *out)
{
	struct cm_buf std = CM_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < len && !rc; i++) {
		char ch = s[i];

		if (ch == '+' || ch == '/' || ch == '=')
			rc = -EINVAL; /* the standard alphabet is not base64url */
		else
			rc = cm_buf_putc(&std, ch == '-' ? '+' : ch == '_' ? '/' : ch);
	}
	if (!rc)
		rc = cm_base64_decode(std.data ? std.data : "", std.len, out);
	cm_buf_close(&std);
	return rc;
}

static int hmac(const void *key, size_t keylen, const char *data, size_t len, unsigned char mac[HS256_LEN])
{
	return gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, keylen, data, len, mac) < 0 ? -EINVAL : 0;
}

/* The claim naming a bound object's kind, as Kubernetes writes it under "kubernetes.io". */
static const char *bound_claim(enum api_sa_bound_kind k)
{
	return k == API_SA_BOUND_POD ? "pod" : k == API_SA_BOUND_SECRET ? "secret" : NULL;
}

static bool add_bound(cJSON *k8s, const struct api_sa_bound *b)
{
	cJSON *o;

	if (!b || b->kind == API_SA_UNBOUND)
		return true;
	o = cJSON_AddObjectToObject(k8s, bound_claim(b->kind));
	return o && cJSON_AddStringToObject(o, "name", b->name) && cJSON_AddStringToObject(o, "uid", b->uid);
}

int api_sa_token_sign(const void *key, size_t keylen, const char *ns, const char *name, const char *uid,
		      const struct api_sa_bound *bound, int64_t now_s, int64_t ttl_s, struct cm_buf *out)
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	struct cm_buf tok = CM_BUF_INIT, claims = CM_BUF_INIT;
	unsigned char mac[HS256_LEN];
	cJSON *c = cJSON_CreateObject(), *k8s, *sa, *aud;
	char sub[512];
	int rc = -ENOMEM;

	if (keylen < API_SA_KEY_MIN) {
		cJSON_Delete(c);
		return -EINVAL;
	}
	if (snprintf(sub, sizeof(sub), "system:serviceaccount:%s:%s", ns, name) >= (int)sizeof(sub)) {
		cJSON_Delete(c);
		return -EINVAL;
	}
	if (!c || !cJSON_AddStringToObject(c, "iss", API_SA_ISSUER) || !(aud = cJSON_AddArrayToObject(c, "aud")) ||
	    !cJSON_AddStringToObject(c, "sub", sub) || !cJSON_AddNumberToObject(c, "iat", (double)now_s) ||
	    !cJSON_AddNumberToObject(c, "nbf", (double)now_s) || !cJSON_AddNumberToObject(c, "exp", (double)(now_s + ttl_s)) ||
	    !(k8s = cJSON_AddObjectToObject(c, "kubernetes.io")) || !cJSON_AddStringToObject(k8s, "namespace", ns) ||
	    !add_bound(k8s, bound) || !(sa = cJSON_AddObjectToObject(k8s, "serviceaccount")) || !cJSON_AddStringToObject(sa, "name", name) ||
	    !cJSON_AddStringToObject(sa, "uid", uid ? uid : ""))
		goto out;
	cJSON_AddItemToArray(aud, cJSON_CreateString(API_SA_ISSUER));
	if (cm_json_print(c, &claims) < 0 || b64url(header, sizeof(header) - 1, &tok) < 0 || cm_buf_putc(&tok, '.') < 0 ||
	    b64url(claims.data, claims.len, &tok) < 0)
		goto out;
	if ((rc = hmac(key, keylen, tok.data, tok.len, mac)) < 0)
		goto out;
	rc = -ENOMEM;
	if (cm_buf_putc(&tok, '.') < 0 || b64url(mac, sizeof(mac), &tok) < 0 ||
	    cm_buf_append(out, tok.data, tok.len) < 0)
		goto out;
	rc = 0;
out:
	cJSON_Delete(c);
	cm_buf_close(&claims);
	cm_buf_close(&tok);
	return rc;
}

int api_sa_token_is_jwt(const char *token)
{
	const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;

	return d1 && d2 && !strchr(d2 + 1, '.');
}

/* Whether the user name in sub matches the claims' namespace and name. */
static int sub_matches(const char *sub, const char *ns, const char *name)
{
	static const char pre[] = "system:serviceaccount:";
	size_t nl = strlen(ns);

	return !strncmp(sub, pre, sizeof(pre) - 1) && !strncmp(sub + sizeof(pre) - 1, ns, nl) &&
	       sub[sizeof(pre) - 1 + nl] == ':' && !strcmp(sub + sizeof(pre) + nl, name);
}

int api_sa_token_verify(const void *key, size_t keylen, const char *token, int64_t now_s, struct api_sa_claims *out)
{
	const char *d1, *d2;
	unsigned char mac[HS256_LEN];
	struct cm_buf sig = CM_BUF_INIT, hdr = CM_BUF_INIT, body = CM_BUF_INIT;
	cJSON *h = NULL, *c = NULL;
	const cJSON *aud, *k8s;
	const char *ns, *name, *sub;
	double exp, nbf;
	unsigned diff = 0;
	int rc = -EACCES;

	if (keylen < API_SA_KEY_MIN || strlen(token) > MAX_TOKEN || !api_sa_token_is_jwt(token))
		return -EACCES;
	d1 = strchr(token, '.');
	d2 = strchr(d1 + 1, '.');
	if (hmac(key, keylen, token, (size_t)(d2 - token), mac) < 0 || unb64url(d2 + 1, strlen(d2 + 1), &sig) < 0 ||
	    sig.len != HS256_LEN)
		goto out;
	for (size_t i = 0; i < HS256_LEN; i++)
		diff |= (unsigned)(mac[i] ^ (unsigned char)sig.data[i]);
	if (diff)
		goto out;
	/* signed by us: what follows can only fail on a token we issued that has expired, or memory */
	if (unb64url(token, (size_t)(d1 - token), &hdr) < 0 || unb64url(d1 + 1, (size_t)(d2 - d1 - 1), &body) < 0)
		goto out;
	h = cJSON_ParseWithLength(hdr.data ? hdr.data : "", hdr.len);
	c = cJSON_ParseWithLength(body.data ? body.data : "", body.len);
	if (!h || !c || strcmp(cm_json_str_or(h, "alg", ""), "HS256"))
		goto out;
	aud = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "aud"), 0);
	k8s = cJSON_GetObjectItemCaseSensitive(c, "kubernetes.io");
	ns = cm_json_str_or(k8s, "namespace", NULL);
	name = cm_json_str_or(k8s, "serviceaccount.name", NULL);
	sub = cm_json_str_or(c, "sub", "");
	exp = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "exp"));
	nbf = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "nbf"));
	/* NaN (a missing claim) fails both comparisons */
	if (!ns || !name || strcmp(cm_json_str_or(c, "iss", ""), API_SA_ISSUER) || !cJSON_IsString(aud) ||
	    strcmp(aud->valuestring, API_SA_ISSUER) || !sub_matches(sub, ns, name) || !(exp > (double)now_s) ||
	    !(nbf <= (double)now_s + 60))
		goto out;
	rc = -ENOMEM;
	memset(out, 0, sizeof(*out));
	out->ns = strdup(ns);
	out->name = strdup(name);
	out->uid = strdup(cm_json_str_or(k8s, "serviceaccount.uid", ""));
	out->exp = (int64_t)exp;
	for (enum api_sa_bound_kind k = API_SA_BOUND_POD; k <= API_SA_BOUND_SECRET; k++) {
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(k8s, bound_claim(k));

		if (!b)
			continue;
		out->bound = k;
		out->bound_name = strdup(cm_json_str_or(b, "name", ""));
		out->bound_uid = strdup(cm_json_str_or(b, "uid", ""));
		if (out->bound_name && out->bound_uid && (!*out->bound_name || !*out->bound_uid)) {
			/* ours, but naming nothing to check against: not a token this server signs */
			api_sa_claims_close(out);
			rc = -EACCES;
			goto out;
		}
		break;
	}
	if (!out->ns || !out->name || !out->uid || (out->bound && (!out->bound_name || !out->bound_uid))) {
		api_sa_claims_close(out);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(h);
	cJSON_Delete(c);
	cm_buf_close(&sig);
	cm_buf_close(&hdr);
	cm_buf_close(&body);
	return rc;
}

void api_sa_claims_close(struct api_sa_claims *c)
{
	free(c->ns);
	free(c->name);
	free(c->uid);
	free(c->bound_name);
	free(c->bound_uid);
	memset(c, 0, sizeof(*c));
}
