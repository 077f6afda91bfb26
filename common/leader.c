/* leader.c: acquire and renew a Lease with optimistic updates; give up after the renew deadline. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/leader.h"
#include "common/log.h"
#include "common/timeutil.h"

struct cm_leader {
	struct cm_api *api;
	char *ns, *name, *identity;
	struct cm_leader_opts o;
	uv_timer_t timer;
	bool leading;
	int in_flight;   /* a GET or write is out: the timer waits for it */
	int freeing;
	int64_t last_renew;     /* monotonic ms of our last successful write */
	char *seen_holder;      /* what we last saw in the Lease, and when */
	char *seen_renew;
	int64_t seen_at;
};

static void tick(uv_timer_t *t);

int cm_leader_new(struct cm_api *api, const struct cm_leader_opts *opts, struct cm_leader **out)
{
	struct cm_leader *l;

	if (!opts->name || !opts->identity)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->api = api;
	l->o = *opts;
	l->ns = strdup(opts->ns ? opts->ns : "kube-system");
	l->name = strdup(opts->name);
	l->identity = strdup(opts->identity);
	l->seen_holder = strdup("");
	l->seen_renew = strdup("");
	if (!l->ns || !l->name || !l->identity || !l->seen_holder || !l->seen_renew) {
		free(l->ns);
		free(l->name);
		free(l->identity);
		free(l->seen_holder);
		free(l->seen_renew);
		free(l);
		return -ENOMEM;
	}
	if (l->o.lease_ms <= 0)
		l->o.lease_ms = 15000;
	if (l->o.renew_deadline_ms <= 0)
		l->o.renew_deadline_ms = 10000;
	if (l->o.retry_ms <= 0)
		l->o.retry_ms = 2000;
	uv_timer_init(cm_api_loop(api), &l->timer);
	l->timer.data = l;
	*out = l;
	return 0;
}

static void release(uv_handle_t *h)
{
	struct cm_leader *l = h->data;

	if (l->in_flight)
		return; /* the reply frees it */
	free(l->ns);
	free(l->name);
	free(l->identity);
	free(l->seen_holder);
	free(l->seen_renew);
	free(l);
}

void cm_leader_free(struct cm_leader *l)
{
	if (!l)
		return;
	l->freeing = 1;
	uv_close((uv_handle_t *)&l->timer, release);
}

bool cm_leader_is_leader(const struct cm_leader *l)
{
	return l->leading;
}

void cm_leader_start(struct cm_leader *l)
{
	uv_timer_start(&l->timer, tick, 0, (uint64_t)l->o.retry_ms);
}

static void set_leading(struct cm_leader *l, bool on)
{
	if (on == l->leading)
		return;
	l->leading = on;
	if (on) {
		cm_info("leader: %s became leader of lease %s/%s", l->identity, l->ns, l->name);
		if (l->o.on_start)
			l->o.on_start(l->o.ud);
	} else {
		cm_warn("leader: %s lost lease %s/%s", l->identity, l->ns, l->name);
		if (l->o.on_stop)
			l->o.on_stop(l->o.ud);
	}
}

/* Ends a call: frees if the leader was freed meanwhile. Returns 1 if it was. */
static int reply_begin(struct cm_leader *l)
{
	l->in_flight = 0;
	if (l->freeing) {
		if (uv_is_closing((uv_handle_t *)&l->timer))
			release((uv_handle_t *)&l->timer);
		return 1;
	}
	return 0;
}

static void on_write(const struct cm_api_resp *r, void *ud)
{
	struct cm_leader *l = ud;

	if (reply_begin(l))
		return;
	if (r->err == 0 && (r->status == 200 || r->status == 201)) {
		l->last_renew = cm_time_mono_ms();
		set_leading(l, true);
	} else {
		cm_debug(1, "leader: write of lease %s/%s failed: %ld %s", l->ns, l->name, r->status,
			 cm_api_resp_message(r));
	}
}

/* Writes the Lease held by us: a create (obj NULL) or an update of obj. */
static void write_lease(struct cm_leader *l, cJSON *obj)
{
	char now[CM_RFC3339_LEN];
	struct cm_buf path = CM_BUF_INIT;
	cJSON *spec;
	int create = obj == NULL, rc = 0;
	const char *holder;

	cm_time_format(cm_time_wall_ms(), 1, now);
	if (create) {
		obj = cJSON_CreateObject();
		if (!obj)
			return;
		cJSON_AddStringToObject(obj, "apiVersion", "coordination.k8s.io/v1");
		cJSON_AddStringToObject(obj, "kind", "Lease");
		cm_json_set_str(obj, "metadata.name", l->name);
		cm_json_set_str(obj, "metadata.namespace", l->ns);
	}
	spec = cm_json_get(obj, "spec");
	holder = cm_json_str_or(obj, "spec.holderIdentity", "");
	if (!spec || strcmp(holder, l->identity) != 0) {
		cm_json_set(obj, "spec.acquireTime", cJSON_CreateString(now));
		cm_json_set(obj, "spec.leaseTransitions",
			    cJSON_CreateNumber((double)(cm_json_int64_or(obj, "spec.leaseTransitions", -1) + 1)));
	}
	cm_json_set_str(obj, "spec.holderIdentity", l->identity);
	cm_json_set(obj, "spec.leaseDurationSeconds", cJSON_CreateNumber((double)(l->o.lease_ms / 1000)));
	cm_json_set_str(obj, "spec.renewTime", now);
	rc = cm_api_path(&path, "coordination.k8s.io/v1", "leases", l->ns, create ? NULL : l->name);
	if (!rc)
		rc = cm_api_call_json(l->api, create ? "POST" : "PUT", path.data, obj, on_write, l);
	if (!rc)
		l->in_flight = 1;
	cm_buf_close(&path);
	if (create)
		cJSON_Delete(obj);
}

static void on_get(const struct cm_api_resp *r, void *ud)
{
	struct cm_leader *l = ud;
	int64_t now = cm_time_mono_ms();
	const char *holder, *renew;

	if (reply_begin(l))
		return;
	if (r->err || (r->status != 200 && r->status != 404)) {
		cm_debug(1, "leader: cannot read lease %s/%s: %s", l->ns, l->name, cm_api_resp_message(r));
		return;
	}
	if (r->status == 404) {
		write_lease(l, NULL);
		return;
	}
	holder = cm_json_str_or(r->obj, "spec.holderIdentity", "");
	renew = cm_json_str_or(r->obj, "spec.renewTime", "");
	if (strcmp(holder, l->seen_holder) != 0 || strcmp(renew, l->seen_renew) != 0) {
		char *h = strdup(holder), *rn = strdup(renew);
		if (h && rn) {
			free(l->seen_holder);
			free(l->seen_renew);
			l->seen_holder = h;
			l->seen_renew = rn;
			l->seen_at = now;
		} else {
			free(h);
			free(rn);
		}
	}
	if (strcmp(holder, l->identity) == 0 || !*holder || now - l->seen_at >= l->o.lease_ms) {
		cJSON *copy = cm_json_copy(r->obj);
		if (copy) {
			write_lease(l, copy);
			cJSON_Delete(copy);
		}
	} else {
		set_leading(l, false); /* someone else holds a live lease */
	}
}

static void tick(uv_timer_t *t)
{
	struct cm_leader *l = t->data;
	struct cm_buf path = CM_BUF_INIT;

	if (l->leading && cm_time_mono_ms() - l->last_renew > l->o.renew_deadline_ms)
		set_leading(l, false);
	if (l->in_flight || l->freeing)
		return;
	if (cm_api_path(&path, "coordination.k8s.io/v1", "leases", l->ns, l->name) == 0 &&
	    cm_api_call(l->api, "GET", path.data, NULL, NULL, 0, l->o.retry_ms, on_get, l) == 0)
		l->in_flight = 1;
	cm_buf_close(&path);
}
