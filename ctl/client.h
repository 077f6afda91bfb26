/* client.h: minictl's run context: global flags, the kubeconfig, and blocking API requests that report errors as kubectl does. */
#ifndef MC_CLIENT_H
#define MC_CLIENT_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/http_client.h"

/*
 * One run of minictl. The global flags point into argv; the resolved
 * connection and kubeconfig are owned here and freed by mc_ctx_close.
 * Commands print to out/errout (stdout/stderr in the binary, files in tests).
 */
struct mc_ctx {
	FILE *out, *errout;
	/* global flags */
	const char *kubeconfig, *context, *cluster, *user, *server, *token, *ns_flag;
	const char *ca_file, *cert_file, *key_file, *request_timeout;
	bool insecure, all_ns;
	bool config_only;     /* config verbs: load the kubeconfig, resolve nothing */
	long v;
	/* resolved */
	cJSON *kc_files;      /* the kubeconfig files in loading order (JSON strings) */
	char *kc_path;        /* the file new entries are written to (kubectl's default file) */
	cJSON *kc;            /* the files merged, NULL if none was read */
	char *server_url;     /* "http://127.0.0.1:8080", no trailing slash */
	char *ns;             /* the namespace commands use */
	bool ns_explicit;     /* given with -n */
	struct cm_http_client_opts http;
	char *owned[6];       /* strings http points to, temp files of inline certificates */
	char *tmpfiles[3];
	long timeout_ms;
	int exit_code;        /* set with MC_FAIL: the exit status instead of 1 (exec's remote command) */
};

/* The result of a command: 0 success, MC_FAIL when an error was printed. */
#define MC_FAIL 1

void mc_ctx_init(struct mc_ctx *c, FILE *out, FILE *errout);
void mc_ctx_close(struct mc_ctx *c);

/*
 * Loads the kubeconfig (--kubeconfig, else the files of $KUBECONFIG merged,
 * else ~/.kube/config; a missing default file is not an error) and works out the
 * server, credentials and namespace from the flags and the current (or
 * --context) context. Returns 0, or -EINVAL with the message in err (a bad
 * file, an unknown context), or -ENOMEM.
 */
int mc_ctx_resolve(struct mc_ctx *c, struct cm_buf *err);

/*
 * Sends one request to path (starting with "/") on the server. accept and
 * ctype may be NULL (JSON). The body of the answer is appended to out and its
 * status stored in *status. Returns 0 whatever the status, or MC_FAIL after
 * printing kubectl's message for a transport failure ("The connection to the
 * server ... was refused - did you specify the right host or port?").
 */
int mc_request(struct mc_ctx *c, const char *method, const char *path, const char *accept, const char *ctype,
	       const char *body, size_t len, long *status, struct cm_buf *out);

/*
 * Prints an error answer as kubectl does: "Error from server (NotFound): pods
 * \"x\" not found", taken from the Status object in body (or the status line
 * when body is not one). Returns MC_FAIL.
 */
int mc_print_api_error(struct mc_ctx *c, long status, const char *body);

/*
 * GET path and parse the JSON answer into *out (owned by the caller).
 * Returns 0; -ENOENT for a 404 when quiet_404 (nothing printed); otherwise
 * MC_FAIL after printing the error.
 */
int mc_get_json(struct mc_ctx *c, const char *path, bool quiet_404, cJSON **out);

/*
 * Sends method with a JSON body (ctype NULL means application/json) and parses
 * the answer into *out when out is not NULL. Returns 0 or MC_FAIL (printed).
 */
int mc_send_json(struct mc_ctx *c, const char *method, const char *path, const char *ctype, const cJSON *body,
		 cJSON **out);

/* Prints "error: <msg>" to errout and returns MC_FAIL. */
int mc_errorf(struct mc_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends s escaped for a URL query value. Returns 0 or -ENOMEM. */
int mc_url_escape(struct cm_buf *out, const char *s);

#endif
