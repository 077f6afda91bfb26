/* node.c: the kubelet's Node (capacity, addresses, conditions, kubelet port) and its Lease in kube-node-lease. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "common/json.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "kubelet/kubelet.h"
#include "kubelet/nodeinfo.h"

#define RUNTIME_VERSION "0.1" /* our runtimes' own version, until a backend reports its engine's */

/* The Node's status as this kubelet sees it, JSON for a merge patch or a create. */
static void node_status(struct kl_server *s, struct cm_buf *out, bool whole)
{
	char now[CM_RFC3339_LEN], host[256] = "";
	struct sysinfo si;
	int64_t cpu_m = s->cfg.capacity_cpu_m, mem = s->cfg.capacity_memory;
	static const char *const conds[][4] = {
		{"Ready", "True", "KubeletReady", "kubelet is posting ready status"},
		{"MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"},
		{"DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
		{"PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
	};

	cm_time_format(cm_time_wall_ms(), 0, now);
	gethostname(host, sizeof(host) - 1);
	if (!cpu_m)
		cpu_m = sysconf(_SC_NPROCESSORS_ONLN) * 1000;
	if (!mem && sysinfo(&si) == 0)
		mem = (int64_t)si.totalram * si.mem_unit;
	if (whole)
		cm_buf_printf(out, "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"%s\",\"labels\":{"
				   "\"kubernetes.io/hostname\":\"%s\",\"kubernetes.io/os\":\"linux\"}},\"spec\":{},",
			      s->cfg.node_name, s->cfg.node_name);
	else
		cm_buf_puts(out, "{");
	cm_buf_printf(out, "\"status\":{\"capacity\":{\"cpu\":\"%lldm\",\"memory\":\"%lld\",\"pods\":\"%lld\"},"
			   "\"allocatable\":{\"cpu\":\"%lldm\",\"memory\":\"%lld\",\"pods\":\"%lld\"},"
			   "\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"%s\"},{\"type\":\"Hostname\",\"address\":\"%s\"}],"
			   "\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":%d}},",
		      (long long)cpu_m, (long long)mem, (long long)s->cfg.max_pods, (long long)cpu_m, (long long)mem,
		      (long long)s->cfg.max_pods, s->cfg.node_ip, host, kl_server_port(s));
	if (s->node_info) {
		cm_buf_puts(out, "\"nodeInfo\":");
		cm_json_print(s->node_info, out);
		cm_buf_putc(out, ',');
	}
	cm_buf_puts(out, "\"conditions\":[");
	for (size_t i = 0; i < sizeof(conds) / sizeof(conds[0]); i++)
		cm_buf_printf(out, "%s{\"type\":\"%s\",\"status\":\"%s\",\"reason\":\"%s\",\"message\":\"%s\","
				   "\"lastHeartbeatTime\":\"%s\",\"lastTransitionTime\":\"%s\"}",
			      i ? "," : "", conds[i][0], conds[i][1], conds[i][2], conds[i][3], now, now);
	cm_buf_puts(out, "]}}");
}

static void patched(const struct cm_http_response *r, void *ud)
{
	struct kl_server *s = ud;

	if (r->err || r->status >= 300)
		cm_warn("node %s: status update failed (%ld): %.200s", s->cfg.node_name, r->status,
			r->err ? cm_strerror(r->err) : r->body);
}

static void patch_status(struct kl_server *s)
{
	struct cm_buf body = CM_BUF_INIT, path = CM_BUF_INIT;

	node_status(s, &body, false);
	cm_buf_printf(&path, "/api/v1/nodes/%s/status", s->cfg.node_name);
	kl_api_send(s, "PATCH", path.data, "application/merge-patch+json", body.data, patched, s);
	cm_buf_close(&body);
	cm_buf_close(&path);
}

static void created(const struct cm_http_response *r, void *ud)
{
	struct kl_server *s = ud;

	if (r->err || (r->status >= 300 && r->status != 409)) {
		cm_warn("node %s: registration failed (%ld): %.200s; retrying on the next heartbeat",
			s->cfg.node_name, r->status, r->err ? cm_strerror(r->err) : r->body);
		return;
	}
	s->node_registered = true;
	cm_info("node %s: registered%s", s->cfg.node_name, r->status == 409 ? " (existed: status updated)" : "");
	patch_status(s); /* a create may drop status; an existing Node needs today's */
}

void kl_node_start(struct kl_server *s)
{
	struct kl_node_facts facts;

	/* read once: none of it changes while the kubelet runs, and the heartbeat stays off the disk */
	kl_node_facts_read(&facts);
	if (kl_node_info(&facts, s->rt->ops->name, RUNTIME_VERSION, &s->node_info) < 0)
		cm_warn("node %s: no memory for nodeInfo; the Node goes without it", s->cfg.node_name);
	kl_node_facts_free(&facts);
	kl_node_heartbeat(s);
}

static void lease_created(const struct cm_http_response *r, void *ud)
{
	struct kl_server *s = ud;

	if (r->err || (r->status >= 300 && r->status != 409))
		cm_warn("node %s: lease not created (%ld)", s->cfg.node_name, r->status);
}

static void lease_body(struct kl_server *s, struct cm_buf *b, bool whole)
{
	char now[CM_RFC3339_LEN];

	cm_time_format(cm_time_wall_ms(), 1, now);
	if (whole)
		cm_buf_printf(b, "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":\"%s\","
				 "\"namespace\":\"kube-node-lease\"},", s->cfg.node_name);
	else
		cm_buf_puts(b, "{");
	cm_buf_printf(b, "\"spec\":{\"holderIdentity\":\"%s\",\"leaseDurationSeconds\":%lld,\"renewTime\":\"%s\"}}",
		      s->cfg.node_name, (long long)s->cfg.lease_duration_s, now);
}

static void lease_renewed(const struct cm_http_response *r, void *ud)
{
	struct kl_server *s = ud;
	struct cm_buf body = CM_BUF_INIT;

	if (r->err == 0 && r->status == 404) {
		lease_body(s, &body, true);
		kl_api_send(s, "POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
			    "application/json", body.data, lease_created, s);
	} else if (r->err || r->status >= 300) {
		cm_warn("node %s: lease renewal failed (%ld)", s->cfg.node_name, r->status);
	}
	cm_buf_close(&body);
}

void kl_node_heartbeat(struct kl_server *s)
{
	struct cm_buf body = CM_BUF_INIT, path = CM_BUF_INIT;

	if (s->stopping)
		return;
	if (!s->node_registered) {
		/* create, or (409) take over the Node a previous run registered */
		node_status(s, &body, true);
		kl_api_send(s, "POST", "/api/v1/nodes", "application/json", body.data, created, s);
		cm_buf_reset(&body);
	} else {
		patch_status(s);
	}
	lease_body(s, &body, false);
	cm_buf_printf(&path, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/%s", s->cfg.node_name);
	kl_api_send(s, "PATCH", path.data, "application/merge-patch+json", body.data, lease_renewed, s);
	cm_buf_close(&body);
	cm_buf_close(&path);
}
