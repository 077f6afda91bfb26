/* server.c: the apiserver's assembly: ranges, storage, one watch cache per resource, HTTP, default namespaces. */
#include "apiserver/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apiserver/authz.h"
#include "apiserver/object.h"
#include "apiserver/discovery.h"
#include "apiserver/openapi.h"
#include "apiserver/rest.h"
#include "apiserver/watch_cache.h"
#include "common/err.h"
#include "common/http_client.h"
#include "common/fileio.h"
#include "common/http_server.h"
#include "common/json.h"
#include "common/log.h"
#include "common/timeutil.h"

#define SERVER_MAX_BODY (16u << 20) /* larger than the API's limit, so the API answers 413 as a Status */

static void sa_created(int err, const struct api_kv_result *r, void *ud)
{
	(void)r;
	(void)ud;
	if (err && err != -ECANCELED && err != -CM_ECONFLICT)
		cm_warn("default serviceaccount: cannot create (%s)", cm_strerror(err));
}

/*
 * Every namespace gets a ServiceAccount "default" (kube-controller-manager's
 * serviceaccounts controller does it in Kubernetes; here the apiserver that
 * sees the namespace appear). Written only if absent, so several apiservers
 * seeing the same namespace write it once and an edited one is kept.
 */
static void ensure_default_sa(struct api_server *srv, const char *ns)
{
	struct cm_buf key = CM_BUF_INIT, val = CM_BUF_INIT;
	char now[CM_RFC3339_LEN];
	uint64_t a = api_rand(srv);

	api_obj_now(cm_time_wall_ms(), now);
	if (cm_buf_printf(&key, "/registry/serviceaccounts/%s/default", ns) == 0 &&
	    cm_buf_printf(&val,
			  "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"default\","
			  "\"namespace\":\"%s\",\"uid\":\"%08x-0000-4000-8000-%012llx\",\"creationTimestamp\":\"%s\"}}",
			  ns, (unsigned)(a >> 32), (unsigned long long)(a & 0xffffffffffffULL), now) == 0)
		api_storage_put(srv->store, key.data, val.data, val.len, 0, 0, NULL, 0, NULL, 0, sa_created, srv);
	cm_buf_close(&key);
	cm_buf_close(&val);
}

static void root_ca_created(int err, const struct api_kv_result *r, void *ud)
{
	(void)r;
	(void)ud;
	if (err && err != -ECANCELED && err != -CM_ECONFLICT)
		cm_warn("configmap kube-root-ca.crt: cannot create (%s)", cm_strerror(err));
}

/*
 * Every namespace gets the ConfigMap kube-root-ca.crt whose ca.crt is the
 * cluster's CA, which pods' credentials volume projects (kube-controller-
 * manager's root-ca-cert-publisher in Kubernetes). Without a CA (no TLS) its
 * ca.crt is empty, so such volumes still resolve. Written only if absent.
 */
static void ensure_root_ca(struct api_server *srv, const char *ns)
{
	struct cm_buf key = CM_BUF_INIT, val = CM_BUF_INIT;
	char now[CM_RFC3339_LEN], uid[40];
	cJSON *cm = cJSON_CreateObject(), *meta, *ann, *data;

	api_obj_now(cm_time_wall_ms(), now);
	api_rand_uid(srv, uid);
	if (cm && cJSON_AddStringToObject(cm, "apiVersion", "v1") && cJSON_AddStringToObject(cm, "kind", "ConfigMap") &&
	    (meta = cJSON_AddObjectToObject(cm, "metadata")) && cJSON_AddStringToObject(meta, "name", "kube-root-ca.crt") &&
	    cJSON_AddStringToObject(meta, "namespace", ns) && cJSON_AddStringToObject(meta, "uid", uid) &&
	    cJSON_AddStringToObject(meta, "creationTimestamp", now) &&
	    (ann = cJSON_AddObjectToObject(meta, "annotations")) &&
	    cJSON_AddStringToObject(ann, "kubernetes.io/description",
				    "Contains a CA bundle that can be used to verify the kube-apiserver when using "
				    "internal endpoints such as the internal service IP or kubernetes.default.svc. "
				    "No other usage is guaranteed across distributions of Kubernetes clusters.") &&
	    (data = cJSON_AddObjectToObject(cm, "data")) &&
	    cJSON_AddStringToObject(data, "ca.crt", srv->root_ca.data ? srv->root_ca.data : "") &&
	    cm_buf_printf(&key, "/registry/configmaps/%s/kube-root-ca.crt", ns) == 0 && cm_json_print(cm, &val) == 0)
		api_storage_put(srv->store, key.data, val.data, val.len, 0, 0, NULL, 0, NULL, 0, root_ca_created, srv);
	else
		cm_warn("configmap %s/kube-root-ca.crt: out of memory", ns);
	cJSON_Delete(cm);
	cm_buf_close(&key);
	cm_buf_close(&val);
}

/* The namespaces' watch cache keeps NamespaceLifecycle's table current (rest_write.c reads it) and adds default SAs. */
static void ns_event(void *ud, bool deleted, const char *key, int64_t rev, const char *obj, size_t len)
{
	struct api_server *srv = ud;
	const char *name = strrchr(key, '/');

	api_nscache_on_event(&srv->nscache, deleted, key, rev, obj, len);
	name = name ? name + 1 : key;
	if (!deleted && api_nscache_active(&srv->nscache, name)) {
		ensure_default_sa(srv, name);
		ensure_root_ca(srv, name);
	}
}

static void ns_reset(void *ud)
{
	struct api_server *srv = ud;

	api_nscache_on_reset(&srv->nscache);
}

static const struct api_wcache_observer nscache_observer = {ns_event, ns_reset};

static const char *const default_namespaces[] = {"default", "kube-system", "kube-public", "kube-node-lease"};

void api_config_defaults(struct api_config *cfg)
{
	static const char *const etcd[] = {"http://127.0.0.1:2379"};

	memset(cfg, 0, sizeof(*cfg));
	/* kube-apiserver listens on 0.0.0.0; here AlwaysAllow is the default, so loopback until asked */
	cfg->bind_address = "127.0.0.1";
	cfg->insecure_port = 8080;
	cfg->insecure_bind_address = "127.0.0.1";
	cfg->secure_port = 6443;
	cfg->etcd_servers.items = (const char **)etcd;
	cfg->etcd_servers.n = 1;
	cfg->service_cluster_ip_range = "10.96.0.0/12";
	cfg->cluster_cidr = "10.244.0.0/16";
	cfg->max_requests_inflight = 400;
	cfg->watch_cache_size = 1024;
	cfg->watch_max_buffer = 4 << 20;
	cfg->max_body = 3 << 20;
	cfg->etcd_timeout_ms = 10000;
	cfg->anonymous_auth = true;
	/* AlwaysAllow keeps a bare development cluster usable; RBAC is turned on with TLS (README: Security) */
	cfg->authorization_mode = "AlwaysAllow";
	cfg->max_mutating_requests_inflight = 200;
}

int api_parse_cidr(const char *s, uint32_t *base, int *bits)
{
	char ip[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	struct in_addr in;
	char *end;
	long b;

	if (!slash || (size_t)(slash - s) >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	b = strtol(slash + 1, &end, 10);
	if (*end || b < 8 || b > 30 || inet_pton(AF_INET, ip, &in) != 1)
		return -EINVAL;
	*bits = (int)b;
	*base = ntohl(in.s_addr) & (uint32_t)(0xffffffffu << (32 - b));
	return 0;
}

/* Whether addr is a loopback address (127.0.0.0/8, ::1, localhost). */
static bool is_loopback(const char *addr)
{
	struct in_addr in4;
	struct in6_addr in6;

	if (!strcmp(addr, "localhost"))
		return true;
	if (inet_pton(AF_INET, addr, &in4) == 1)
		return (ntohl(in4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, addr, &in6) == 1 && IN6_IS_ADDR_LOOPBACK(&in6);
}

/* The schema table compiled for unknown-field checks, and each resource's kind in it. */
static int field_schemas(struct api_server *srv)
{
	int rc = api_field_check_new(&srv->fields);

	for (int i = 0; !rc && i < API_NRES; i++) {
		const struct api_resource *r = &api_resources[i];
		char gv[128];

		snprintf(gv, sizeof(gv), "%s%s%s", r->group, *r->group ? "/" : "", r->version);
		srv->kind_schema[i] = api_field_check_kind(srv->fields, gv, r->kind);
	}
	return rc;
}

static uint64_t env_rand(void *ud)
{
	return api_rand(ud);
}

struct boot {
	struct api_server *srv;
	uv_timer_t timer;
};

static void boot_try(uv_timer_t *t);

static void ns_created(int err, const struct api_kv_result *r, void *ud)
{
	struct api_server *srv = ud;

	(void)r;
	if (err == -ECANCELED)
		return;
	if (err && err != -CM_ECONFLICT)
		cm_warn("default namespace: cannot create (%s)", cm_strerror(err));
	srv->boot_pending--;
}

static void create_default_namespaces(struct api_server *srv)
{
	char now[CM_RFC3339_LEN];

	api_obj_now(cm_time_wall_ms(), now);
	for (size_t i = 0; i < sizeof(default_namespaces) / sizeof(default_namespaces[0]); i++) {
		struct cm_buf key = CM_BUF_INIT, val = CM_BUF_INIT;
		uint64_t a = api_rand(srv);

		if (cm_buf_printf(&key, "/registry/namespaces/%s", default_namespaces[i]) == 0 &&
		    cm_buf_printf(&val,
				  "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\","
				  "\"uid\":\"%08x-0000-4000-8000-%012llx\",\"creationTimestamp\":\"%s\","
				  "\"labels\":{\"kubernetes.io/metadata.name\":\"%s\"}},\"spec\":{\"finalizers\":[\"kubernetes\"]},"
				  "\"status\":{\"phase\":\"Active\"}}",
				  default_namespaces[i], (unsigned)(a >> 32), (unsigned long long)(a & 0xffffffffffffULL), now,
				  default_namespaces[i]) == 0)
			if (api_storage_put(srv->store, key.data, val.data, val.len, 0, 0, NULL, 0, NULL, 0, ns_created, srv) == 0)
				srv->boot_pending++;
		cm_buf_close(&key);
		cm_buf_close(&val);
	}
}

static void boot_closed(uv_handle_t *h)
{
	free(h->data);
}

static void boot_got_rev(int err, const struct api_kv_result *r, void *ud)
{
	struct boot *b = ud;
	struct api_server *srv = b->srv;
	int rc = 0;

	if (err == -ECANCELED) {
		uv_close((uv_handle_t *)&b->timer, boot_closed);
		return;
	}
	if (err) {
		cm_warn("storage: cannot read the revision (%s), retrying", cm_strerror(err));
		uv_timer_start(&b->timer, boot_try, 1000, 0);
		return;
	}
	srv->boot_pending--;
	for (int i = 0; i < API_NRES && !rc; i++)
		rc = api_wcache_start(srv->caches[i], r->revision);
	if (rc < 0)
		cm_error("watch caches: cannot start (%s)", cm_strerror(rc));
	create_default_namespaces(srv);
	for (size_t i = 0; i < sizeof(default_namespaces) / sizeof(default_namespaces[0]); i++) {
		ensure_default_sa(srv, default_namespaces[i]);
		ensure_root_ca(srv, default_namespaces[i]);
	}
	api_auth_bootstrap(srv);
	api_kubesvc_start(srv);
	cm_info("watch caches started at revision %lld", (long long)r->revision);
	uv_close((uv_handle_t *)&b->timer, boot_closed);
}

static void boot_try(uv_timer_t *t)
{
	struct boot *b = t->data;

	if (api_storage_range(b->srv->store, "/registry/", NULL, 1, 0, true, boot_got_rev, b) < 0)
		uv_timer_start(&b->timer, boot_try, 1000, 0);
}

int api_server_start(uv_loop_t *loop, const struct api_config *cfg, struct api_server **out, struct cm_buf *err)
{
	struct api_server *srv = calloc(1, sizeof(*srv));
	struct cm_http_server_opts ho = {0};
	struct boot *b;
	int rc;

	if (!srv)
		return -ENOMEM;
	srv->loop = loop;
	srv->cfg.max_inflight = cfg->max_requests_inflight;
	srv->cfg.max_body = cfg->max_body > 0 ? cfg->max_body : 3 << 20;
	srv->cfg.watch_cache_size = cfg->watch_cache_size;
	srv->rng = (uint64_t)cm_time_wall_ms() * 6364136223846793005ULL ^ (uint64_t)getpid() << 17 ^ (uintptr_t)srv;
	if (!srv->rng)
		srv->rng = 1;
	if (api_parse_cidr(cfg->service_cluster_ip_range, &srv->ranges.svc_base, &srv->ranges.svc_bits) < 0) {
		cm_buf_printf(err, "invalid --service-cluster-ip-range \"%s\"", cfg->service_cluster_ip_range);
		free(srv);
		return -EINVAL;
	}
	if (api_parse_cidr(cfg->cluster_cidr, &srv->ranges.pod_base, &srv->ranges.pod_bits) < 0) {
		cm_buf_printf(err, "invalid --cluster-cidr \"%s\"", cfg->cluster_cidr);
		free(srv);
		return -EINVAL;
	}
	/*
	 * The plain port answers everyone as system:masters, so it stays on
	 * loopback unless --insecure-bind-address says otherwise, as
	 * kube-apiserver's did: the compose cluster's plain mode opens it on its
	 * private network. Say so loudly.
	 */
	if (cfg->insecure_port > 0 && !is_loopback(cfg->insecure_bind_address))
		cm_warn("--insecure-bind-address %s: the plain port serves anyone who reaches it as system:masters, "
			"without authentication; use the secure port (TLS) for other machines",
			cfg->insecure_bind_address);
	if (cfg->insecure_port <= 0 && !(cfg->tls_cert_file && cfg->tls_key_file)) {
		cm_buf_printf(err, "--insecure-port=0 and no --tls-cert-file/--tls-private-key-file: nothing to serve");
		free(srv);
		return -EINVAL;
	}
	{
		struct api_auth_config ac = {cfg->token_auth_file, cfg->anonymous_auth, cfg->authorization_mode,
					     &cfg->allowed_client_cidrs, cfg->max_mutating_requests_inflight,
					     cfg->service_account_key_file};

		rc = api_auth_new(&ac, &srv->auth, err);
		if (rc < 0) {
			free(srv);
			return rc;
		}
	}
	rc = api_openapi_new(&srv->openapi, err);
	if (!rc)
		rc = field_schemas(srv);
	if (!rc)
		rc = api_discovery_new(&srv->discovery);
	if (rc < 0) {
		api_field_check_free(srv->fields);
		api_openapi_free(srv->openapi);
		api_auth_free(srv->auth);
		free(srv);
		return rc;
	}
	srv->env.ranges = &srv->ranges;
	srv->env.rand = env_rand;
	srv->env.rand_ud = srv;
	rc = cm_metrics_new(&srv->metrics);
	if (!rc && !cfg->etcd_cert_file != !cfg->etcd_key_file) {
		cm_buf_printf(err, "--etcd-certfile and --etcd-keyfile go together");
		rc = -EINVAL;
	}
	if (!rc) {
		struct cm_http_client_opts eo = {.ca_file = cfg->etcd_ca_file, .cert_file = cfg->etcd_cert_file,
						 .key_file = cfg->etcd_key_file};

		rc = api_storage_new(loop, cfg->etcd_servers.items, cfg->etcd_servers.n, (long)cfg->etcd_timeout_ms,
				     &eo, srv->metrics, &srv->store);
		if (rc == -EINVAL && cfg->etcd_servers.n)
			cm_buf_printf(err, "--etcd-cafile, --etcd-certfile or --etcd-keyfile: a file is not readable");
	}
	{
		struct cm_http_client_opts ko = {.cert_file = cfg->kubelet_client_cert, .key_file = cfg->kubelet_client_key,
						 .ca_file = cfg->kubelet_ca, .insecure_skip_verify = !cfg->kubelet_ca};

		srv->kubelet_https = cfg->kubelet_client_cert || cfg->kubelet_ca;
		if (!rc && !cfg->kubelet_client_cert != !cfg->kubelet_client_key) {
			cm_buf_printf(err, "--kubelet-client-certificate and --kubelet-client-key go together");
			rc = -EINVAL;
		}
		if (!rc)
			rc = cm_http_client_new(loop, srv->kubelet_https ? &ko : NULL, &srv->kubelet_http);
	}
	if (rc < 0)
		goto fail;
	srv->m_watchers = cm_metrics_gauge(srv->metrics, "apiserver_registered_watchers", "open watch streams", NULL);
	for (int i = 0; i < API_NRES && !rc; i++)
		rc = api_wcache_new(loop, srv->store, &api_resources[i], (size_t)cfg->watch_cache_size,
				    (size_t)cfg->watch_max_buffer, srv->m_watchers,
				    &srv->caches[i]);
	if (rc < 0)
		goto fail;
	api_nscache_init(&srv->nscache);
	for (int i = 0; i < API_NRES; i++)
		if (!strcmp(api_resources[i].plural, "namespaces") && !api_resources[i].group[0])
			api_wcache_observe(srv->caches[i], &nscache_observer, srv);
	ho.max_body = SERVER_MAX_BODY;
	ho.idle_timeout_s = 3600;
	ho.metrics = srv->metrics;
	ho.gate = api_auth_http_gate;
	ho.gate_ud = srv;
	if (cfg->insecure_port > 0) {
		ho.bind_address = cfg->insecure_bind_address;
		ho.port = cfg->insecure_port;
		rc = cm_http_server_new(loop, &ho, &srv->http);
		if (rc < 0) {
			cm_buf_printf(err, "cannot listen on %s:%d: %s", cfg->insecure_bind_address, cfg->insecure_port,
				      cm_strerror(rc));
			goto fail;
		}
		rc = api_rest_routes(srv, srv->http);
		if (rc < 0)
			goto fail;
	}
	if (cfg->tls_cert_file && cfg->tls_key_file && cfg->secure_port >= 0) {
		ho.port = cfg->secure_port;
		ho.bind_address = cfg->bind_address;
		ho.tls_cert_file = cfg->tls_cert_file;
		ho.tls_key_file = cfg->tls_key_file;
		ho.tls_client_ca_file = cfg->client_ca_file;
		rc = cm_http_server_new(loop, &ho, &srv->https);
		if (rc < 0) {
			cm_buf_printf(err, "cannot serve TLS on port %d: %s", cfg->secure_port, cm_strerror(rc));
			goto fail;
		}
		rc = api_rest_routes(srv, srv->https);
		if (rc < 0)
			goto fail;
	}
	/* the "kubernetes" endpoints point at the port pods can use: HTTPS, else the plain one */
	if (api_kubesvc_init(srv, cfg->advertise_address, srv->https ? cfg->bind_address : cfg->insecure_bind_address,
			     srv->https ? cm_http_server_port(srv->https) : cm_http_server_port(srv->http)) < 0) {
		cm_buf_printf(err, "invalid --advertise-address \"%s\": an IPv4 address", cfg->advertise_address);
		rc = -EINVAL;
		goto fail;
	}
	{
		const char *ca = cfg->root_ca_file ? cfg->root_ca_file : cfg->client_ca_file;

		rc = ca ? cm_file_read(ca, 1 << 20, &srv->root_ca) : 0;
		if (rc < 0) {
			cm_buf_printf(err, "cannot read the root CA %s: %s", ca, cm_strerror(rc));
			goto fail;
		}
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		rc = -ENOMEM;
		goto fail;
	}
	b->srv = srv;
	srv->boot_pending = 1; /* the caches' start, then the default namespaces */
	rc = api_auth_start(srv->auth, srv);
	if (rc < 0) {
		free(b);
		goto fail;
	}
	uv_timer_init(loop, &b->timer);
	b->timer.data = b;
	uv_timer_start(&b->timer, boot_try, 0, 0);
	api_health_start(srv);
	*out = srv;
	return 0;
fail:
	if (!err->len)
		cm_buf_printf(err, "cannot start: %s", cm_strerror(rc));
	/* what was made is closed on the loop; the caller exits */
	for (int i = 0; i < API_NRES; i++)
		api_wcache_free(srv->caches[i]);
	if (srv->http)
		cm_http_server_close(srv->http, NULL, NULL);
	if (srv->https)
		cm_http_server_close(srv->https, NULL, NULL);
	api_auth_free(srv->auth);
	api_storage_free(srv->store);
	if (srv->kubelet_http)
		cm_http_client_close(srv->kubelet_http, NULL, NULL);
	api_nscache_close(&srv->nscache);
	cm_buf_close(&srv->root_ca);
	cm_metrics_free(srv->metrics); /* nothing was served: no request will count in it */
	api_openapi_free(srv->openapi);
	api_field_check_free(srv->fields);
	api_discovery_free(srv->discovery);
	free(srv);
	return rc;
}

int api_server_port(const struct api_server *s)
{
	return s->http ? cm_http_server_port(s->http) : -1;
}

static void http_closed(void *ud)
{
	struct api_server *srv = ud;

	if (--srv->closing_listeners > 0)
		return;
	api_storage_free(srv->store);
	cm_http_client_close(srv->kubelet_http, NULL, NULL);
	cm_metrics_free(srv->metrics);
	api_nscache_close(&srv->nscache);
	/* the storage answered the reconciler's calls with -ECANCELED: what its round held is ours */
	cJSON_Delete(srv->kubesvc.want);
	cJSON_Delete(srv->kubesvc.subsets);
	cm_buf_close(&srv->root_ca);
	api_openapi_free(srv->openapi);
	api_field_check_free(srv->fields);
	api_discovery_free(srv->discovery);
	if (srv->stop_done)
		srv->stop_done(srv->stop_ud);
	free(srv);
}

static void health_closed(uv_handle_t *h)
{
	http_closed(h->data);
}

void api_server_stop(struct api_server *s, void (*done)(void *ud), void *ud)
{
	s->stop_done = done;
	s->stop_ud = ud;
	for (int i = 0; i < API_NRES; i++) {
		api_wcache_free(s->caches[i]);
		s->caches[i] = NULL;
	}
	api_auth_free(s->auth); /* its storage calls end with -ECANCELED when the storage goes */
	s->auth = NULL;
	/* the listeners, the health timer and the reconciler's timer */
	s->closing_listeners = 1 + !!s->https + !!s->http + s->kubesvc.started;
	api_health_close(s, health_closed);
	if (s->kubesvc.started)
		api_kubesvc_close(s, health_closed);
	if (s->https)
		cm_http_server_close(s->https, http_closed, s);
	if (s->http)
		cm_http_server_close(s->http, http_closed, s);
}

int api_server_secure_port(const struct api_server *s)
{
	return s->https ? cm_http_server_port(s->https) : -1;
}
