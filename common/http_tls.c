/* http_tls.c: the server's client-certificate check: verify a TLS peer against the client CA once per connection, keep its subject. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "common/http_server_impl.h"
#include "common/log.h"

/* Most O values kept from a subject: Kubernetes users rarely have more than a few groups. */
#define MAX_ORGS 16

void cm_http_conn_free(struct cm_http_conn *tc)
{
	if (!tc)
		return;
	free(tc->cn);
	for (size_t i = 0; i < tc->id.n_organizations; i++)
		free(tc->orgs[i]);
	free(tc);
}

/* One attribute of the subject DN (index idx of oid), malloc'ed; NULL if absent or on -ENOMEM. */
static char *dn_part(gnutls_x509_crt_t crt, const char *oid, unsigned idx)
{
	size_t size = 0;
	int rc = gnutls_x509_crt_get_dn_by_oid(crt, oid, idx, 0, NULL, &size);
	if (rc != GNUTLS_E_SHORT_MEMORY_BUFFER)
		return NULL;
	char *s = malloc(size + 1);
	if (!s)
		return NULL;
	if (gnutls_x509_crt_get_dn_by_oid(crt, oid, idx, 0, s, &size) < 0) {
		free(s);
		return NULL;
	}
	s[size] = '\0';
	return s;
}

/* Reads CN and every O of the leaf certificate into tc. Returns 0 or -EINVAL. */
static int read_subject(struct cm_http_conn *tc, const gnutls_datum_t *leaf)
{
	gnutls_x509_crt_t crt;
	if (gnutls_x509_crt_init(&crt) < 0)
		return -ENOMEM;
	if (gnutls_x509_crt_import(crt, leaf, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return -EINVAL;
	}
	tc->cn = dn_part(crt, GNUTLS_OID_X520_COMMON_NAME, 0);
	if (!tc->cn)
		tc->cn = strdup("");
	for (unsigned i = 0; i < MAX_ORGS; i++) {
		char *o = dn_part(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, i);
		if (!o)
			break;
		tc->orgs[tc->id.n_organizations++] = o;
	}
	gnutls_x509_crt_deinit(crt);
	if (!tc->cn)
		return -ENOMEM;
	tc->id.common_name = tc->cn;
	tc->id.organizations = (const char *const *)tc->orgs;
	return 0;
}

/*
 * Verifies the peer's chain against the trust list MHD loaded from the client
 * CA, its validity period and that it may be used for client authentication.
 */
static int verify(struct cm_http_conn *tc, gnutls_session_t session, const char **why)
{
	unsigned n = 0;
	const gnutls_datum_t *certs = gnutls_certificate_get_peers(session, &n);
	if (!certs || n == 0) {
		*why = "client certificate required";
		return 0;
	}
	gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID,
					 (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};
	unsigned status = 0;
	int rc = gnutls_certificate_verify_peers(session, &purpose, 1, &status);
	if (rc < 0 || status != 0) {
		gnutls_datum_t msg = {NULL, 0};
		if (rc >= 0 &&
		    gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &msg, 0) == 0) {
			cm_info("http: client certificate refused: %s", (const char *)msg.data);
			gnutls_free(msg.data);
		} else {
			cm_info("http: client certificate refused: %s", gnutls_strerror(rc));
		}
		*why = "invalid client certificate";
		return -1;
	}
	if (read_subject(tc, &certs[0]) < 0) {
		*why = "unreadable client certificate";
		return -1;
	}
	return 1;
}

int cm_http_tls_check_peer(struct cm_http_server *s, struct MHD_Connection *conn,
			   const struct cm_http_peer_identity **id, const char **why)
{
	*id = NULL;
	*why = NULL;
	if (!s->tls_trust)
		return 0;
	const union MHD_ConnectionInfo *ctx =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	const union MHD_ConnectionInfo *sess =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	struct cm_http_conn *tc = ctx ? ctx->socket_context : NULL;
	if (!tc || !sess || !sess->tls_session) {
		/* No per-connection state (out of memory at accept): refuse rather than guess. */
		*why = "client certificate not checked";
		return -EACCES;
	}
	if (!tc->checked) {
		tc->checked = 1;
		tc->verdict = verify(tc, (gnutls_session_t)sess->tls_session, &tc->why);
	}
	*why = tc->why;
	if (tc->verdict < 0 || (tc->verdict == 0 && s->tls_client_required))
		return -EACCES;
	if (tc->verdict > 0)
		*id = &tc->id;
	return 0;
}
