/* server.h: the apiserver: configuration, the server state every handler shares, start and stop. */
#ifndef API_SERVER_H
#define API_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "apiserver/resources.h"
#include "common/buf.h"
#include "common/flags.h"
#include "common/metrics.h"

struct api_config {
	const char *bind_address;     /* --bind-address: the HTTPS port's address; "127.0.0.1" */
	/*
	 * --insecure-port: the plain-HTTP port (8080), 0 turns it off. It has no
	 * authentication: every request is system:masters, so it must listen on
	 * loopback only (--insecure-bind-address, "127.0.0.1"; anything else is refused).
	 */
	int insecure_port;
	const char *insecure_bind_address;
	int secure_port;              /* HTTPS port (6443), served when both TLS files are given; 0 picks a free one */
	const char *tls_cert_file, *tls_key_file;
	struct cm_strlist etcd_servers;
	/* --etcd-cafile, --etcd-certfile, --etcd-keyfile: TLS towards https:// members (kube-apiserver's flags) */
	const char *etcd_ca_file, *etcd_cert_file, *etcd_key_file;
	const char *service_cluster_ip_range; /* "10.96.0.0/12" */
	const char *cluster_cidr;             /* "10.244.0.0/16" */
	int max_requests_inflight;            /* 400; 0 means no limit */
	int watch_cache_size;                 /* events kept per resource: 1024 */
	int64_t watch_max_buffer;             /* bytes queued to a watcher before it is closed: 4 MiB */
	int64_t max_body;                     /* 3 MiB, as kube-apiserver */
	int64_t etcd_timeout_ms;
	/* access control (authz.h) */
	const char *token_auth_file;          /* --token-auth-file: token,user,uid,"groups" */
	const char *client_ca_file;           /* --client-ca-file: verifies client certificates on the TLS port */
	bool anonymous_auth;                  /* true: unauthenticated TLS requests are system:anonymous */
	const char *authorization_mode;       /* "AlwaysAllow" (default), "RBAC", "Node,RBAC", "AlwaysDeny" */
	struct cm_strlist allowed_client_cidrs; /* empty: any source */
	int max_mutating_requests_inflight;   /* 200; 0 means no limit */
	const char *service_account_key_file; /* HMAC secret signing ServiceAccount tokens; NULL: none */
	/*
	 * --advertise-address: the address the "kubernetes" Endpoints list for
	 * this apiserver (NULL: the serving port's bind address, or the host's
	 * first non-loopback address when that is 0.0.0.0).
	 */
	const char *advertise_address;
	/* --root-ca-file: the CA pods get as kube-root-ca.crt's ca.crt (NULL: --client-ca-file) */
	const char *root_ca_file;
	/*
	 * The pods/log proxy towards kubelets: with a client certificate or a CA it
	 * speaks HTTPS (without a CA, as Kubernetes, the kubelet's certificate is
	 * not verified); with neither, plain HTTP as a development kubelet serves.
	 */
	const char *kubelet_client_cert, *kubelet_client_key, *kubelet_ca;
};

/* Fills cfg with kube-apiserver's defaults (strings static). */
void api_config_defaults(struct api_config *cfg);
/* Parses a CIDR "a.b.c.d/n". Returns 0 or -EINVAL. */
int api_parse_cidr(const char *s, uint32_t *base, int *bits);

struct api_server;
struct api_wcache;

/*
 * Starts serving on loop: storage client, one watch cache per resource, HTTP.
 * cfg is copied (its strings must outlive the server). Returns 0 and *out,
 * -EINVAL with a message in err (a bad range), -EADDRINUSE, or -ENOMEM.
 */
int api_server_start(uv_loop_t *loop, const struct api_config *cfg, struct api_server **out,
		     struct cm_buf *err);
/* The port the plain-HTTP listener bound. */
int api_server_port(const struct api_server *s);
/* The port the TLS listener bound, or -1 if there is none. */
int api_server_secure_port(const struct api_server *s);
/* Stops listening, ends watches, frees everything, then calls done (may be NULL). */
void api_server_stop(struct api_server *s, void (*done)(void *ud), void *ud);

#endif
