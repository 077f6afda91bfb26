/* kubernetes_service.c: the "kubernetes" Service and Endpoints, kept to the apiservers whose leases are fresh. */
#include "apiserver/kubernetes_service.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apiserver/object.h"
#include "apiserver/rest.h"
#include "apiserver/storage.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/timeutil.h"

#define LEASE_PREFIX "/registry/coordination.k8s.io/leases/kube-system/"
#define SERVICE_KEY "/registry/services/default/kubernetes"
#define ENDPOINTS_KEY "/registry/endpoints/default/kubernetes"
#define SLICE_KEY "/registry/discovery.k8s.io/endpointslices/default/kubernetes"
#define IDENTITY_LABEL "apiserver.kubernetes.io/identity"
#define ADDRESS_ANN "minik8s.io/advertise-address"
#define PORT_ANN "minik8s.io/advertise-port"

enum { STEP_SERVICE, STEP_LEASE, STEP_LIST, STEP_ENDPOINTS, STEP_SLICE, STEP_DONE };

static void step(struct api_server *srv);

/* The first non-loopback IPv4 address of the host, into out; -ENOENT if none. */
static int host_address(char *out, size_t cap)
{
	uv_interface_address_t *ifs;
	int n, rc = -ENOENT;

	if (uv_interface_addresses(&ifs, &n) < 0)
		return -ENOENT;
	for (int i = 0; i < n && rc; i++)
		if (!ifs[i].is_internal && ifs[i].address.address4.sin_family == AF_INET &&
		    inet_ntop(AF_INET, &ifs[i].address.address4.sin_addr, out, (socklen_t)cap))
			rc = 0;
	uv_free_interface_addresses(ifs, n);
	return rc;
}

int api_kubesvc_init(struct api_server *srv, const char *advertise, const char *bind, int port)
{
	struct api_kubesvc *ks = &srv->kubesvc;
	struct in_addr in;
	char host[256] = "";
	uint64_t h = 1469598103934665603ULL;
	const char *addr = advertise && *advertise ? advertise : bind;

	if (advertise && *advertise && inet_pton(AF_INET, advertise, &in) != 1)
		return -EINVAL;
	if (!addr || !*addr || !strcmp(addr, "0.0.0.0") || !strcmp(addr, "::")) {
		if (host_address(ks->address, sizeof(ks->address)) < 0)
			snprintf(ks->address, sizeof(ks->address), "127.0.0.1");
	} else {
		snprintf(ks->address, sizeof(ks->address), "%s", addr);
	}
	ks->port = port;
	/* stable across restarts (the lease is renewed, not doubled), distinct for two apiservers on one host */
	gethostname(host, sizeof(host) - 1);
	for (const char *s = host; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	for (const char *s = ks->address; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	h = (h ^ (uint64_t)port) * 1099511628211ULL;
	snprintf(ks->identity, sizeof(ks->identity), "apiserver-%016llx", (unsigned long long)h);
	api_rand_uid(srv, ks->uid);
	api_obj_now(cm_time_wall_ms(), ks->created);
	return 0;
}

/* ---- which apiservers are live ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Adds addr to the subset of port in subsets (made when missing), once. */
static int add_address(cJSON *subsets, const char *addr, int64_t port)
{
	cJSON *s, *addrs = NULL, *a, *p;

	cJSON_ArrayForEach(s, subsets) {
		if (cm_json_int64_or(cJSON_GetArrayItem(cm_json_get(s, "ports"), 0), "port", -1) == port)
			addrs = cJSON_GetObjectItemCaseSensitive(s, "addresses");
	}
	if (!addrs) {
		if (!(s = cJSON_CreateObject()) || !cJSON_AddItemToArray(subsets, s) ||
		    !(addrs = cJSON_AddArrayToObject(s, "addresses")) || !(p = cJSON_AddArrayToObject(s, "ports")) ||
		    !(a = cJSON_CreateObject()) || !cJSON_AddItemToArray(p, a) || !cJSON_AddStringToObject(a, "name", "https") ||
		    !cJSON_AddNumberToObject(a, "port", (double)port) || !cJSON_AddStringToObject(a, "protocol", "TCP"))
			return -ENOMEM;
	}
	cJSON_ArrayForEach(a, addrs) {
		if (!strcmp(cm_json_str_or(a, "ip", ""), addr))
			return 0;
	}
	if (!(a = cJSON_CreateObject()) || !cJSON_AddItemToArray(addrs, a) || !cJSON_AddStringToObject(a, "ip", addr))
		return -ENOMEM;
	return 0;
}

static int cmp_subset_port(const void *a, const void *b)
{
	int64_t x = cm_json_int64_or(cJSON_GetArrayItem(cm_json_get(*(cJSON *const *)a, "ports"), 0), "port", 0);
	int64_t y = cm_json_int64_or(cJSON_GetArrayItem(cm_json_get(*(cJSON *const *)b, "ports"), 0), "port", 0);

	return x < y ? -1 : x > y;
}

/* Sorts each subset's addresses by ip and the subsets by port, so equal sets compare equal. */
static int sort_subsets(cJSON *subsets)
{
	int n = cJSON_GetArraySize(subsets);
	cJSON **all = calloc((size_t)n + 1, sizeof(*all)), *s;

	/*
	 * Detached into a plain array, sorted, added back: moving items within a
	 * cJSON array (detach, then insert) lost one (found by make asan).
	 */
	if (!all)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		all[i] = cJSON_DetachItemFromArray(subsets, 0);
	qsort(all, (size_t)n, sizeof(*all), cmp_subset_port);
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(subsets, all[i]);
	free(all);
	cJSON_ArrayForEach(s, subsets) {
		cJSON *addrs = cJSON_GetObjectItemCaseSensitive(s, "addresses"), *fresh;
		int m = cJSON_GetArraySize(addrs);
		const char **ips = calloc((size_t)m + 1, sizeof(*ips));

		if (!ips)
			return -ENOMEM;
		for (int i = 0; i < m; i++)
			ips[i] = cm_json_str_or(cJSON_GetArrayItem(addrs, i), "ip", "");
		qsort(ips, (size_t)m, sizeof(*ips), cmp_str);
		fresh = cJSON_CreateArray();
		for (int i = 0; fresh && i < m; i++) {
			cJSON *a = cJSON_CreateObject();

			if (!a || !cJSON_AddItemToArray(fresh, a) || !cJSON_AddStringToObject(a, "ip", ips[i])) {
				cJSON_Delete(fresh);
				fresh = NULL;
			}
		}
		free(ips);
		if (!fresh || !cJSON_ReplaceItemInObjectCaseSensitive(s, "addresses", fresh)) {
			cJSON_Delete(fresh);
			return -ENOMEM;
		}
	}
	return 0;
}

cJSON *api_kubesvc_subsets(const cJSON *leases, int64_t now_ms)
{
	cJSON *subsets = cJSON_CreateArray();
	const cJSON *l;

	if (!subsets)
		return NULL;
	cJSON_ArrayForEach(l, leases) {
		const cJSON *labels = cm_json_get(l, "metadata.labels"), *ann = cm_json_get(l, "metadata.annotations");
		/* keys with dots are read directly, not as paths */
		const char *id = cm_json_get_str(cJSON_GetObjectItemCaseSensitive(labels, IDENTITY_LABEL), "");
		const char *addr = cm_json_get_str(cJSON_GetObjectItemCaseSensitive(ann, ADDRESS_ANN), "");
		const char *port = cm_json_get_str(cJSON_GetObjectItemCaseSensitive(ann, PORT_ANN), "");
		int64_t renewed, p;
		char *end;

		if (!id || strcmp(id, "kube-apiserver") || !addr || !port ||
		    cm_time_parse(cm_json_str_or(l, "spec.renewTime", ""), &renewed) < 0 ||
		    renewed + cm_json_int64_or(l, "spec.leaseDurationSeconds", 0) * 1000 <= now_ms)
			continue;
		p = strtoll(port, &end, 10);
		if (*end || p <= 0 || p > 65535)
			continue;
		if (add_address(subsets, addr, p) < 0) {
			cJSON_Delete(subsets);
			return NULL;
		}
	}
	if (sort_subsets(subsets) < 0) {
		cJSON_Delete(subsets);
		return NULL;
	}
	return subsets;
}

/* ---- the rounds: Service, our lease, the leases, Endpoints, EndpointSlice ---- */

/* A new object of kind with name and namespace, a fresh uid and creation time; NULL out of memory. */
static cJSON *new_object(struct api_server *srv, const char *api_version, const char *kind, const char *ns,
			 const char *name)
{
	cJSON *o = cJSON_CreateObject(), *meta;
	char uid[40], now[CM_RFC3339_LEN];

	api_rand_uid(srv, uid);
	api_obj_now(cm_time_wall_ms(), now);
	if (!o || !cJSON_AddStringToObject(o, "apiVersion", api_version) || !cJSON_AddStringToObject(o, "kind", kind) ||
	    !(meta = cJSON_AddObjectToObject(o, "metadata")) || !cJSON_AddStringToObject(meta, "name", name) ||
	    !cJSON_AddStringToObject(meta, "namespace", ns) || !cJSON_AddStringToObject(meta, "uid", uid) ||
	    !cJSON_AddStringToObject(meta, "creationTimestamp", now)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Ends this step: the next one runs, or the round ends. */
static void next(struct api_server *srv)
{
	struct api_kubesvc *ks = &srv->kubesvc;

	cJSON_Delete(ks->want);
	ks->want = NULL;
	ks->step++;
	step(srv);
}

static int put(struct api_server *srv, const char *key, const cJSON *obj, int64_t mod_rev,
	       const struct api_txn_put *extra, size_t nextra, api_kv_cb cb, void *ud)
{
	struct cm_buf val = CM_BUF_INIT;
	int rc = cm_json_print(obj, &val);

	if (!rc)
		rc = api_storage_put(srv->store, key, val.data, val.len, 0, mod_rev, extra, nextra, NULL, 0, cb, ud);
	cm_buf_close(&val);
	return rc;
}

static void service_written(int err, const struct api_kv_result *r, void *ud)
{
	struct api_server *srv = ud;

	if (err == -ECANCELED)
		return;
	if (!err || (err == -CM_ECONFLICT && r->n))
		srv->kubesvc.service_done = true;
	else if (err == -CM_ECONFLICT)
		cm_warn("service default/kubernetes: its cluster IP is taken by another service");
	else
		cm_warn("service default/kubernetes: cannot create (%s), trying again", cm_strerror(err));
	next(srv);
}

/* The Service: the range's first address, port 443 named https, no selector (the endpoints are ours). */
static int put_service(struct api_server *srv)
{
	struct api_kubesvc *ks = &srv->kubesvc;
	struct in_addr in = {htonl(srv->ranges.svc_base + 1)};
	char ip[INET_ADDRSTRLEN], ipkey[80], spec[512];
	struct api_txn_put take;
	cJSON *labels, *s;

	inet_ntop(AF_INET, &in, ip, sizeof(ip));
	snprintf(ipkey, sizeof(ipkey), "/registry/ranges/serviceips/%s", ip);
	snprintf(spec, sizeof(spec),
		 "{\"type\":\"ClusterIP\",\"clusterIP\":\"%s\",\"clusterIPs\":[\"%s\"],\"ports\":[{\"name\":\"https\","
		 "\"port\":443,\"protocol\":\"TCP\",\"targetPort\":%d}],\"sessionAffinity\":\"None\","
		 "\"ipFamilies\":[\"IPv4\"],\"ipFamilyPolicy\":\"SingleStack\",\"internalTrafficPolicy\":\"Cluster\"}",
		 ip, ip, ks->port);
	if (!(ks->want = new_object(srv, "v1", "Service", "default", "kubernetes")) ||
	    !(labels = cJSON_AddObjectToObject(cJSON_GetObjectItemCaseSensitive(ks->want, "metadata"), "labels")) ||
	    !cJSON_AddStringToObject(labels, "component", "apiserver") ||
	    !cJSON_AddStringToObject(labels, "provider", "kubernetes") || !(s = cJSON_Parse(spec)) ||
	    !cJSON_AddItemToObject(ks->want, "spec", s) || !cJSON_AddObjectToObject(ks->want, "status"))
		return -ENOMEM;
	/* the IP's allocation key, as a created Service takes it: no other Service can get it */
	take.key = ipkey;
	take.value = SERVICE_KEY;
	take.value_len = strlen(SERVICE_KEY);
	return put(srv, SERVICE_KEY, ks->want, 0, &take, 1, service_written, srv);
}

static int put_lease(struct api_server *srv);

static void lease_written(int err, const struct api_kv_result *r, void *ud)
{
	struct api_server *srv = ud;
	struct api_kubesvc *ks = &srv->kubesvc;

	if (err == -ECANCELED)
		return;
	if (!err) {
		ks->lease_rev = r->revision;
		next(srv);
		return;
	}
	/* a conflict brings the stored lease (ours, from before a restart): renewed over it at once */
	if (err == -CM_ECONFLICT && r->n && ks->lease_rev != r->kvs[0].mod_rev) {
		ks->lease_rev = r->kvs[0].mod_rev;
		cJSON_Delete(ks->want);
		ks->want = NULL;
		if (put_lease(srv) == 0)
			return;
	}
	if (err == -CM_ECONFLICT)
		ks->lease_rev = r->n ? r->kvs[0].mod_rev : 0;
	/* without our lease the endpoints would be computed without us: not this round */
	cm_warn("lease kube-system/%s: cannot renew (%s)", ks->identity, cm_strerror(err));
	ks->step = STEP_DONE - 1;
	next(srv);
}

static int put_lease(struct api_server *srv)
{
	struct api_kubesvc *ks = &srv->kubesvc;
	char now[CM_RFC3339_LEN], port[16], key[128];
	cJSON *meta, *labels, *ann, *spec;

	cm_time_format(cm_time_wall_ms(), 1, now);
	snprintf(port, sizeof(port), "%d", ks->port);
	snprintf(key, sizeof(key), LEASE_PREFIX "%s", ks->identity);
	if (!(ks->want = cJSON_CreateObject()) ||
	    !cJSON_AddStringToObject(ks->want, "apiVersion", "coordination.k8s.io/v1") ||
	    !cJSON_AddStringToObject(ks->want, "kind", "Lease") ||
	    !(meta = cJSON_AddObjectToObject(ks->want, "metadata")) ||
	    !cJSON_AddStringToObject(meta, "name", ks->identity) ||
	    !cJSON_AddStringToObject(meta, "namespace", "kube-system") || !cJSON_AddStringToObject(meta, "uid", ks->uid) ||
	    !cJSON_AddStringToObject(meta, "creationTimestamp", ks->created) ||
	    !(labels = cJSON_AddObjectToObject(meta, "labels")) ||
	    !cJSON_AddStringToObject(labels, IDENTITY_LABEL, "kube-apiserver") ||
	    !(ann = cJSON_AddObjectToObject(meta, "annotations")) ||
	    !cJSON_AddStringToObject(ann, ADDRESS_ANN, ks->address) || !cJSON_AddStringToObject(ann, PORT_ANN, port) ||
	    !(spec = cJSON_AddObjectToObject(ks->want, "spec")) ||
	    !cJSON_AddStringToObject(spec, "holderIdentity", ks->identity) ||
	    !cJSON_AddNumberToObject(spec, "leaseDurationSeconds", API_KUBESVC_LEASE_S) ||
	    !cJSON_AddStringToObject(spec, "renewTime", now))
		return -ENOMEM;
	return put(srv, key, ks->want, ks->lease_rev, NULL, 0, lease_written, srv);
}

static void leases_listed(int err, const struct api_kv_result *r, void *ud)
{
	struct api_server *srv = ud;
	struct api_kubesvc *ks = &srv->kubesvc;
	cJSON *leases, *subsets;

	if (err == -ECANCELED)
		return;
	if (err) {
		cm_warn("leases kube-system/apiserver-*: cannot list (%s)", cm_strerror(err));
		ks->step = STEP_DONE - 1;
		next(srv);
		return;
	}
	if (!(leases = cJSON_CreateArray()))
		goto oom;
	for (size_t i = 0; i < r->n; i++) {
		cJSON *l = NULL;

		if (cm_json_parse(r->kvs[i].value, r->kvs[i].value_len, &l, NULL) == 0)
			cJSON_AddItemToArray(leases, l);
	}
	subsets = api_kubesvc_subsets(leases, cm_time_wall_ms());
	cJSON_Delete(leases);
	if (!subsets)
		goto oom;
	/* kept for the next two steps: the Endpoints and the slice are made from it */
	cJSON_Delete(ks->subsets);
	ks->subsets = subsets;
	ks->step++;
	step(srv);
	return;
oom:
	ks->step = STEP_DONE - 1;
	next(srv);
}

/* ---- syncing one object: read, compare the fields we own, write on its revision ---- */

struct sync {
	struct api_server *srv;
	cJSON *want;               /* owned */
	const char *key;
	const char *const *fields; /* the top-level fields that must match */
};

static void sync_free(struct sync *s)
{
	cJSON_Delete(s->want);
	free(s);
}

static void synced(int err, const struct api_kv_result *r, void *ud)
{
	struct sync *s = ud;
	struct api_server *srv = s->srv;

	(void)r;
	if (err == -ECANCELED) {
		sync_free(s);
		return;
	}
	/* a conflict: another apiserver wrote it meanwhile; the next round looks again */
	if (err && err != -CM_ECONFLICT)
		cm_warn("%s: cannot write (%s)", s->key, cm_strerror(err));
	sync_free(s);
	next(srv);
}

static void sync_got(int err, const struct api_kv_result *r, void *ud)
{
	struct sync *s = ud;
	struct api_server *srv = s->srv;
	static const char *const keep[] = {"uid", "creationTimestamp"};
	cJSON *old = NULL, *meta = cJSON_GetObjectItemCaseSensitive(s->want, "metadata");
	int64_t mod_rev = 0;
	bool same = false;
	int rc;

	if (err == -ECANCELED) {
		sync_free(s);
		return;
	}
	if (err && err != -ENOENT) {
		cm_warn("%s: cannot read (%s)", s->key, cm_strerror(err));
		goto done;
	}
	if (!err && cm_json_parse(r->kvs[0].value, r->kvs[0].value_len, &old, NULL) == 0) {
		mod_rev = r->kvs[0].mod_rev;
		same = true;
		for (int i = 0; s->fields[i]; i++)
			same = same && cm_json_equal(cJSON_GetObjectItemCaseSensitive(old, s->fields[i]),
						     cJSON_GetObjectItemCaseSensitive(s->want, s->fields[i]));
		/* an update keeps the object's identity */
		for (size_t i = 0; i < 2; i++) {
			const char *v = api_obj_meta_str(old, keep[i]);

			if (v && cm_json_set_str(meta, keep[i], v) < 0)
				same = true; /* out of memory: try again next round */
		}
		cJSON_Delete(old);
	} else if (!err) {
		mod_rev = r->kvs[0].mod_rev; /* unreadable: replaced */
	}
	if (same)
		goto done;
	rc = put(srv, s->key, s->want, mod_rev, NULL, 0, synced, s);
	if (rc == 0)
		return; /* s goes with the answer */
done:
	sync_free(s);
	next(srv);
}

/* Makes key hold want's fields (want taken). 0, or -ENOMEM (want freed). */
static int sync_start(struct api_server *srv, const char *key, cJSON *want, const char *const *fields)
{
	struct sync *s = malloc(sizeof(*s));
	int rc;

	if (!s) {
		cJSON_Delete(want);
		return -ENOMEM;
	}
	s->srv = srv;
	s->want = want;
	s->key = key;
	s->fields = fields;
	rc = api_storage_get(srv->store, key, sync_got, s);
	if (rc < 0)
		sync_free(s);
	return rc;
}

static int sync_endpoints(struct api_server *srv)
{
	static const char *const fields[] = {"subsets", NULL};
	cJSON *ep = new_object(srv, "v1", "Endpoints", "default", "kubernetes"), *subsets;

	if (!ep || !(subsets = cm_json_copy(srv->kubesvc.subsets)) || !cJSON_AddItemToObject(ep, "subsets", subsets)) {
		cJSON_Delete(ep);
		return -ENOMEM;
	}
	return sync_start(srv, ENDPOINTS_KEY, ep, fields);
}

/* The slice holds the first port's apiservers: a slice has one port list (Endpoints hold them all). */
static int sync_slice(struct api_server *srv)
{
	static const char *const fields[] = {"endpoints", "ports", "addressType", NULL};
	cJSON *sl = new_object(srv, "discovery.k8s.io/v1", "EndpointSlice", "default", "kubernetes");
	const cJSON *first = cJSON_GetArrayItem(srv->kubesvc.subsets, 0), *a;
	cJSON *labels, *eps, *ports, *e, *addrs, *cond;

	if (!sl || !(labels = cJSON_AddObjectToObject(cJSON_GetObjectItemCaseSensitive(sl, "metadata"), "labels")) ||
	    !cJSON_AddStringToObject(labels, "kubernetes.io/service-name", "kubernetes") ||
	    !cJSON_AddStringToObject(sl, "addressType", "IPv4") || !(eps = cJSON_AddArrayToObject(sl, "endpoints")))
		goto oom;
	ports = first ? cm_json_copy(cm_json_get(first, "ports")) : cJSON_CreateArray();
	if (!ports || !cJSON_AddItemToObject(sl, "ports", ports))
		goto oom;
	cJSON_ArrayForEach(a, cm_json_get(first, "addresses")) {
		if (!(e = cJSON_CreateObject()) || !cJSON_AddItemToArray(eps, e) ||
		    !(addrs = cJSON_AddArrayToObject(e, "addresses")) ||
		    !cJSON_AddItemToArray(addrs, cJSON_CreateString(cm_json_str_or(a, "ip", ""))) ||
		    !(cond = cJSON_AddObjectToObject(e, "conditions")) || !cJSON_AddBoolToObject(cond, "ready", 1))
			goto oom;
	}
	return sync_start(srv, SLICE_KEY, sl, fields);
oom:
	cJSON_Delete(sl);
	return -ENOMEM;
}

static void step(struct api_server *srv)
{
	struct api_kubesvc *ks = &srv->kubesvc;
	int rc = 0;

	for (;;) {
		switch (ks->step) {
		case STEP_SERVICE:
			if (ks->service_done) {
				ks->step++;
				continue;
			}
			rc = put_service(srv);
			break;
		case STEP_LEASE:
			rc = put_lease(srv);
			break;
		case STEP_LIST:
			rc = api_storage_range(srv->store, LEASE_PREFIX "apiserver-", NULL, 0, 0, false, leases_listed,
					       srv);
			break;
		case STEP_ENDPOINTS:
			rc = sync_endpoints(srv);
			break;
		case STEP_SLICE:
			rc = sync_slice(srv);
			break;
		default:
			cJSON_Delete(ks->want);
			ks->want = NULL;
			cJSON_Delete(ks->subsets);
			ks->subsets = NULL;
			ks->busy = false;
			return;
		}
		if (rc == 0)
			return;
		cm_warn("service default/kubernetes: round stopped (%s)", cm_strerror(rc));
		ks->step = STEP_DONE;
	}
}

static void on_tick(uv_timer_t *t)
{
	struct api_server *srv = t->data;
	struct api_kubesvc *ks = &srv->kubesvc;

	if (ks->busy)
		return;
	ks->busy = true;
	ks->step = STEP_SERVICE;
	step(srv);
}

void api_kubesvc_start(struct api_server *srv)
{
	struct api_kubesvc *ks = &srv->kubesvc;

	if (ks->started)
		return;
	ks->started = true;
	uv_timer_init(srv->loop, &ks->timer);
	ks->timer.data = srv;
	uv_timer_start(&ks->timer, on_tick, 0, API_KUBESVC_RENEW_MS);
}

void api_kubesvc_close(struct api_server *srv, uv_close_cb cb)
{
	struct api_kubesvc *ks = &srv->kubesvc;

	/*
	 * A round in flight ends here: its storage calls come back cancelled and
	 * leave what they hold, so it goes now; one that still completes finds
	 * the round over (past STEP_DONE) and starts nothing.
	 */
	cJSON_Delete(ks->want);
	ks->want = NULL;
	cJSON_Delete(ks->subsets);
	ks->subsets = NULL;
	ks->step = STEP_DONE;
	uv_timer_stop(&ks->timer);
	uv_close((uv_handle_t *)&ks->timer, cb);
}
