/* sim.c: registers hollow nodes, renews their Leases in slices, runs pods, finishes deletions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/apiclient.h"
#include "common/informer.h"
#include "common/json.h"
#include "common/log.h"
#include "common/objview.h"
#include "common/strmap.h"
#include "common/timeutil.h"
#include "hollownodes/sim.h"

struct hn_sim {
	const struct hn_config *cfg;
	uv_loop_t *loop;
	struct cm_api *api;
	struct cm_informer *pods;
	struct cm_strmap started; /* pod key -> (void*)1 once its Running status is sent */
	uv_timer_t lease_timer, run_timer;
	int stopping;
	/*
	 * Per node: NODE_OK once its Node exists, LEASE_OK once its Lease does.
	 * Registration keeps at most REG_WINDOW creates in flight so a thousand
	 * nodes do not time out together on a loaded apiserver; failed ones are
	 * tried again on the next lease tick.
	 */
	unsigned char *state;
	int next_reg, reg_inflight;
	/*
	 * Kubelets renew on their own clocks: node i renews on tick i % slices,
	 * one slice every lease_ms / slices, so a thousand renewals never hit the
	 * apiserver's in-flight limit at once.
	 */
	int slices, slice;
	/* Bound pods waiting for their ready time, earliest first (keys in queued). */
	struct due_pod *due_head, *due_tail;
	struct cm_strmap queued; /* pod key -> its struct due_pod */
};

struct due_pod {
	struct due_pod *prev, *next;
	int64_t due_ms;
	char key[];
};

enum { NODE_OK = 1, LEASE_OK = 2 };
#define REG_WINDOW 64

struct node_call {
	struct hn_sim *s;
	int i;
};

static void write_lease(struct hn_sim *s, int i);
static void pump_registrations(struct hn_sim *s);

void hn_config_defaults(struct hn_config *cfg)
{
	static const char *def_servers[] = {"http://127.0.0.1:8080"};

	memset(cfg, 0, sizeof(*cfg));
	cfg->servers.items = def_servers;
	cfg->servers.n = 1;
	cfg->nodes = 3;
	cfg->prefix = "hollow-";
	cfg->cpu = "4";
	cfg->memory = "8Gi";
	cfg->pods = "110";
	cfg->ready_delay_ms = 200;
	cfg->lease_ms = 2000;
}

static void ignore(const struct cm_api_resp *r, void *ud)
{
	(void)ud;
	if (r->err || (r->status >= 300 && r->status != 409 && r->status != 404))
		cm_debug(1, "hollownodes: write failed: %ld %s", r->status, cm_api_resp_message(r));
}

static void on_registered(const struct cm_api_resp *r, void *ud)
{
	struct node_call *nc = ud;
	struct hn_sim *s = nc->s;
	int i = nc->i;

	free(nc);
	if (r->err == -ECANCELED)
		return;
	s->reg_inflight--;
	if (r->err == 0 && (r->status == 201 || r->status == 200 || r->status == 409)) {
		s->state[i] |= NODE_OK;
		write_lease(s, i);
	} else {
		cm_debug(1, "hollownodes: registering node %d failed: %ld %s", i, r->status, cm_api_resp_message(r));
	}
	pump_registrations(s);
}

static void register_node(struct hn_sim *s, int i)
{
	char name[128], ip[32], now[CM_RFC3339_LEN];
	cJSON *n = cJSON_CreateObject(), *conds = cJSON_CreateArray(), *c = cJSON_CreateObject();
	cJSON *addrs = cJSON_CreateArray(), *a = cJSON_CreateObject();

	snprintf(name, sizeof(name), "%s%d", s->cfg->prefix, i);
	snprintf(ip, sizeof(ip), "10.%d.%d.%d", 100 + (i >> 16 & 127), i >> 8 & 255, i & 255);
	cm_time_format(cm_time_wall_ms(), 0, now);
	cJSON_AddStringToObject(n, "apiVersion", "v1");
	cJSON_AddStringToObject(n, "kind", "Node");
	cm_json_set_str(n, "metadata.name", name);
	cm_json_set_str(n, "metadata.labels.kubernetes\\.io/hostname", name);
	cm_json_set_str(n, "metadata.labels.type", "hollow");
	cm_json_set_str(n, "status.capacity.cpu", s->cfg->cpu);
	cm_json_set_str(n, "status.capacity.memory", s->cfg->memory);
	cm_json_set_str(n, "status.capacity.pods", s->cfg->pods);
	cm_json_set_str(n, "status.allocatable.cpu", s->cfg->cpu);
	cm_json_set_str(n, "status.allocatable.memory", s->cfg->memory);
	cm_json_set_str(n, "status.allocatable.pods", s->cfg->pods);
	cJSON_AddStringToObject(c, "type", "Ready");
	cJSON_AddStringToObject(c, "status", "True");
	cJSON_AddStringToObject(c, "reason", "KubeletReady");
	cJSON_AddStringToObject(c, "message", "hollow kubelet is posting ready status");
	cJSON_AddStringToObject(c, "lastHeartbeatTime", now);
	cJSON_AddStringToObject(c, "lastTransitionTime", now);
	cJSON_AddItemToArray(conds, c);
	cm_json_set(n, "status.conditions", conds);
	cJSON_AddStringToObject(a, "type", "InternalIP");
	cJSON_AddStringToObject(a, "address", ip);
	cJSON_AddItemToArray(addrs, a);
	cm_json_set(n, "status.addresses", addrs);
	cm_json_set_str(n, "status.nodeInfo.kubeletVersion", "v1.32.0-hollow");
	{
		struct node_call *nc = malloc(sizeof(*nc));
		if (nc) {
			*nc = (struct node_call){s, i};
			s->reg_inflight++;
			if (cm_api_call_json(s->api, "POST", "/api/v1/nodes", n, on_registered, nc)) {
				s->reg_inflight--;
				free(nc);
			}
		}
	}
	cJSON_Delete(n);
}

static void pump_registrations(struct hn_sim *s)
{
	while (!s->stopping && s->reg_inflight < REG_WINDOW && s->next_reg < s->cfg->nodes) {
		int i = s->next_reg++;
		if (!(s->state[i] & NODE_OK))
			register_node(s, i);
	}
}

static bool stopped(const struct hn_sim *s, const char *name)
{
	FILE *f;
	char line[256];
	bool found = false;

	if (!s->cfg->stopped_file || !(f = fopen(s->cfg->stopped_file, "r")))
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		found = strcmp(line, name) == 0;
	}
	fclose(f);
	return found;
}

static void on_lease(const struct cm_api_resp *r, void *ud)
{
	struct node_call *nc = ud;

	if (r->err == 0 && (r->status == 201 || r->status == 409))
		nc->s->state[nc->i] |= LEASE_OK;
	else if (r->err == 0 && r->status == 404)
		nc->s->state[nc->i] &= (unsigned char)~LEASE_OK; /* gone: created again next time */
	else if (r->err != -ECANCELED)
		cm_debug(1, "hollownodes: lease of node %d: %ld %s", nc->i, r->status, cm_api_resp_message(r));
	free(nc);
}

/* POST the first time; afterwards a merge patch keeps it fresh without a resourceVersion. */
static void write_lease(struct hn_sim *s, int i)
{
	char name[128], now[CM_RFC3339_LEN];
	struct cm_buf path = CM_BUF_INIT, body = CM_BUF_INIT;
	struct node_call *nc;

	snprintf(name, sizeof(name), "%s%d", s->cfg->prefix, i);
	if (stopped(s, name) || !(nc = malloc(sizeof(*nc))))
		return;
	*nc = (struct node_call){s, i};
	cm_time_format(cm_time_wall_ms(), 1, now);
	cm_api_path(&path, "coordination.k8s.io/v1", "leases", "kube-node-lease", NULL);
	if (!(s->state[i] & LEASE_OK)) {
		cm_buf_printf(&body,
			      "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":\"%s\","
			      "\"namespace\":\"kube-node-lease\"},\"spec\":{\"holderIdentity\":\"%s\",\"leaseDurationSeconds\":40,"
			      "\"renewTime\":\"%s\"}}",
			      name, name, now);
		if (cm_api_call(s->api, "POST", path.data, NULL, body.data, body.len, 0, on_lease, nc))
			free(nc);
	} else {
		cm_buf_printf(&path, "/%s", name);
		cm_buf_printf(&body, "{\"spec\":{\"renewTime\":\"%s\",\"holderIdentity\":\"%s\"}}", now, name);
		if (cm_api_call(s->api, "PATCH", path.data, "application/merge-patch+json", body.data, body.len, 0,
				on_lease, nc))
			free(nc);
	}
	cm_buf_close(&path);
	cm_buf_close(&body);
}

static void renew_leases(uv_timer_t *t)
{
	struct hn_sim *s = t->data;
	bool missing = false;
	int slice = s->slice;

	s->slice = (s->slice + 1) % s->slices;
	for (int i = slice; i < s->cfg->nodes; i += s->slices) {
		if (s->state[i] & NODE_OK)
			write_lease(s, i);
		else
			missing = true;
	}
	if (missing && s->next_reg >= s->cfg->nodes) {
		s->next_reg = 0; /* another round for the nodes whose create failed */
		pump_registrations(s);
	}
}

static bool mine(const struct hn_sim *s, const struct cm_pod *p)
{
	size_t l = strlen(s->cfg->prefix);
	return *p->node_name && strncmp(p->node_name, s->cfg->prefix, l) == 0;
}

static void run_pod(struct hn_sim *s, const char *key, const struct cm_pod *p)
{
	struct cm_buf path = CM_BUF_INIT, body = CM_BUF_INIT;
	char now[CM_RFC3339_LEN];
	unsigned h = 0;

	for (const char *c = key; *c; c++)
		h = h * 31 + (unsigned char)*c;
	cm_time_format(cm_time_wall_ms(), 0, now);
	cm_api_path(&path, "v1", "pods", p->m.ns, p->m.name);
	cm_buf_puts(&path, "/status");
	cm_buf_printf(&body,
		      "{\"status\":{\"phase\":\"Running\",\"podIP\":\"10.244.%u.%u\",\"podIPs\":[{\"ip\":\"10.244.%u.%u\"}],"
		      "\"hostIP\":\"10.100.0.1\",\"startTime\":\"%s\",\"conditions\":["
		      "{\"type\":\"PodScheduled\",\"status\":\"True\"},{\"type\":\"Initialized\",\"status\":\"True\"},"
		      "{\"type\":\"ContainersReady\",\"status\":\"True\"},{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"%s\"}],"
		      "\"containerStatuses\":[{\"name\":\"c\",\"ready\":true,\"restartCount\":0,\"image\":\"%s\",\"started\":true,"
		      "\"state\":{\"running\":{\"startedAt\":\"%s\"}}}]}}",
		      (h >> 8) & 255, h & 255, (h >> 8) & 255, h & 255, now, now, p->image, now);
	cm_api_call(s->api, "PATCH", path.data, "application/merge-patch+json", body.data, body.len, 0, ignore, NULL);
	cm_buf_close(&path);
	cm_buf_close(&body);
}

static void finish_delete(struct hn_sim *s, const struct cm_pod *p)
{
	struct cm_buf path = CM_BUF_INIT;

	cm_api_path(&path, "v1", "pods", p->m.ns, p->m.name);
	cm_buf_puts(&path, "?gracePeriodSeconds=0");
	cm_api_call(s->api, "DELETE", path.data, NULL, NULL, 0, 0, ignore, NULL);
	cm_buf_close(&path);
}

static bool waiting(const struct hn_sim *s, const char *key, const struct cm_pod *p)
{
	return mine(s, p) && !p->m.deleting && strcmp(p->phase, "Running") && !cm_strmap_get(&s->started, key);
}

static void due_unlink(struct hn_sim *s, struct due_pod *d)
{
	if (d->prev)
		d->prev->next = d->next;
	else
		s->due_head = d->next;
	if (d->next)
		d->next->prev = d->prev;
	else
		s->due_tail = d->prev;
	d->prev = d->next = NULL;
}

/* Inserted from the tail: pods are mostly seen bound in the order they were made. */
static void due_insert(struct hn_sim *s, struct due_pod *d)
{
	struct due_pod *at = s->due_tail;

	while (at && at->due_ms > d->due_ms)
		at = at->prev;
	d->prev = at;
	d->next = at ? at->next : s->due_head;
	if (d->next)
		d->next->prev = d;
	else
		s->due_tail = d;
	if (at)
		at->next = d;
	else
		s->due_head = d;
}

/* A bound pod of ours waits for created + ready delay (created_ms has a resolution of a second). */
static void queue_pod(struct hn_sim *s, const char *key, const struct cm_pod *p)
{
	size_t n = strlen(key) + 1;
	struct due_pod *d;

	if (!waiting(s, key, p) || cm_strmap_get(&s->queued, key) || !(d = calloc(1, sizeof(*d) + n)))
		return;
	memcpy(d->key, key, n);
	d->due_ms = p->m.created_ms + s->cfg->ready_delay_ms;
	if (cm_strmap_put(&s->queued, key, d, NULL) < 0) {
		free(d);
		return;
	}
	due_insert(s, d);
}

static void run_due(uv_timer_t *t)
{
	struct hn_sim *s = t->data;
	int64_t now = cm_time_wall_ms();
	struct due_pod *d;

	while ((d = s->due_head) && d->due_ms <= now) {
		const struct cm_pod *p = cm_informer_get(s->pods, d->key);

		due_unlink(s, d);
		if (p && waiting(s, d->key, p) && p->m.created_ms + s->cfg->ready_delay_ms > now) {
			/* the name was made again since: wait for the new pod's time */
			d->due_ms = p->m.created_ms + s->cfg->ready_delay_ms;
			due_insert(s, d);
			continue;
		}
		cm_strmap_del(&s->queued, d->key);
		if (p && waiting(s, d->key, p) && cm_strmap_put(&s->started, d->key, (void *)1, NULL) == 0)
			run_pod(s, d->key, p);
		free(d);
	}
}

static void on_pod(void *ud, const char *key, const void *view)
{
	struct hn_sim *s = ud;
	const struct cm_pod *p = view;

	if (mine(s, p) && p->m.deleting)
		finish_delete(s, p);
	else
		queue_pod(s, key, p);
}

static void on_pod_update(void *ud, const char *key, const void *old, const void *view)
{
	const struct cm_pod *o = old;

	if (!o->m.deleting)
		on_pod(ud, key, view);
}

static void on_pod_delete(void *ud, const char *key, const void *view)
{
	struct hn_sim *s = ud;
	struct due_pod *d = cm_strmap_del(&s->queued, key);

	(void)view;
	if (d) {
		due_unlink(s, d);
		free(d);
	}
	cm_strmap_del(&s->started, key);
}

int hn_sim_start(uv_loop_t *loop, const struct hn_config *cfg, struct hn_sim **out)
{
	struct hn_sim *s = calloc(1, sizeof(*s));
	struct cm_informer_opts po = {.path = "/api/v1/pods", .decode = cm_pod_decode, .free_view = cm_pod_free};
	struct cm_informer_handlers ph = {on_pod, on_pod_update, on_pod_delete, NULL, NULL};
	int rc;

	if (!s)
		return -ENOMEM;
	s->cfg = cfg;
	s->loop = loop;
	ph.ud = s;
	cm_strmap_init(&s->started);
	cm_strmap_init(&s->queued);
	s->slices = cfg->lease_ms >= 200 ? (int)(cfg->lease_ms / 100) : 1;
	rc = cm_api_new(loop, cfg->servers.items, cfg->servers.n, &s->api);
	if (!rc)
		rc = cm_informer_new(s->api, &po, &ph, &s->pods);
	if (rc) {
		cm_api_free(s->api);
		free(s);
		return rc;
	}
	s->state = calloc((size_t)(cfg->nodes > 0 ? cfg->nodes : 1), 1);
	if (!s->state) {
		cm_informer_free(s->pods);
		cm_api_free(s->api);
		free(s);
		return -ENOMEM;
	}
	pump_registrations(s);
	cm_info("hollownodes: registering %d nodes %s0..%s%d", cfg->nodes, cfg->prefix, cfg->prefix, cfg->nodes - 1);
	uv_timer_init(loop, &s->lease_timer);
	uv_timer_init(loop, &s->run_timer);
	s->lease_timer.data = s->run_timer.data = s;
	uv_timer_start(&s->lease_timer, renew_leases, (uint64_t)(cfg->lease_ms / s->slices),
		       (uint64_t)(cfg->lease_ms / s->slices));
	uv_timer_start(&s->run_timer, run_due, 50, 50);
	cm_informer_start(s->pods);
	*out = s;
	return 0;
}

void hn_sim_stop(struct hn_sim *s)
{
	if (s->stopping)
		return;
	s->stopping = 1;
	uv_close((uv_handle_t *)&s->lease_timer, NULL);
	uv_close((uv_handle_t *)&s->run_timer, NULL);
	cm_informer_free(s->pods);
	cm_api_free(s->api);
}

void hn_sim_free(struct hn_sim *s)
{
	if (!s)
		return;
	cm_strmap_close(&s->started);
	cm_strmap_close(&s->queued);
	while (s->due_head) {
		struct due_pod *d = s->due_head;

		due_unlink(s, d);
		free(d);
	}
	free(s->state);
	free(s);
}
