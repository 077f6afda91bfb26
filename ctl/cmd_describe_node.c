/* cmd_describe_node.c: describe node as kubectl prints it: the Node, its Lease, its pods' requests and limits. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/timeutil.h"
#include "ctl/describe.h"
#include "ctl/podres.h"
#include "ctl/print.h"

#define POD_PAGE "500"
#define MAX_PAGES 1000 /* 500,000 pods: more than a node can hold */

static const char *str(const cJSON *o, const char *path, const char *def)
{
	return cm_json_str_or(o, path, def);
}

/* The "message" of a Status answer, or the status code. */
static void api_message(long status, const struct cm_buf *body, struct cm_buf *out)
{
	cJSON *st = NULL;

	if (body->data && !cm_json_parse(body->data, body->len, &st, NULL) && cm_json_get_str(st, "message"))
		cm_buf_puts(out, cm_json_get_str(st, "message"));
	else
		cm_buf_printf(out, "the server answered %ld", status);
	cJSON_Delete(st);
}

/* kubectl prints a Lease's times in RFC 1123 with a numeric zone, "<unset>" when absent. */
static void lease_time(struct cm_buf *b, const char *title, const cJSON *lease, const char *field)
{
	char when[64];
	const char *ts = cm_json_get_str(cm_json_get(lease, "spec"), field);

	if (ts)
		mc_desc_time(ts, when, sizeof(when));
	mc_desc_line(b, 1, "%s:\t%s", title, ts ? when : "<unset>");
}

static void lease_lines(struct mc_ctx *c, struct cm_buf *b, const char *node)
{
	struct cm_buf path = CM_BUF_INIT, body = CM_BUF_INIT, msg = CM_BUF_INIT;
	long status = 0;
	cJSON *lease = NULL;

	cm_buf_puts(&path, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/");
	mc_url_escape(&path, node);
	if (mc_request(c, "GET", path.data, NULL, NULL, NULL, 0, &status, &body))
		goto done; /* the transport failure is printed */
	if (status != 200 || !body.data || cm_json_parse(body.data, body.len, &lease, NULL)) {
		api_message(status, &body, &msg);
		mc_desc_line(b, 0, "Lease:\tFailed to get lease: %s", msg.data);
		goto done;
	}
	mc_desc_line(b, 0, "Lease:");
	mc_desc_line(b, 1, "HolderIdentity:\t%s", str(lease, "spec.holderIdentity", "<unset>"));
	lease_time(b, "AcquireTime", lease, "acquireTime");
	lease_time(b, "RenewTime", lease, "renewTime");
done:
	cJSON_Delete(lease);
	cm_buf_close(&path);
	cm_buf_close(&body);
	cm_buf_close(&msg);
}

/*
 * The node's pods that are neither Succeeded nor Failed, in every namespace,
 * read page by page as kubectl does. Returns 0 (*out the caller's), -EACCES
 * when not allowed to list pods, or MC_FAIL (printed).
 */
static int node_pods(struct mc_ctx *c, const char *node, cJSON **out)
{
	struct cm_buf sel = CM_BUF_INIT, cont = CM_BUF_INIT;
	cJSON *all = cJSON_CreateArray();
	int rc = all ? 0 : mc_errorf(c, "out of memory");

	cm_buf_printf(&sel, "spec.nodeName=%s,status.phase!=Succeeded,status.phase!=Failed", node);
	for (int page = 0; !rc && page < MAX_PAGES; page++) {
		struct cm_buf path = CM_BUF_INIT, body = CM_BUF_INIT;
		cJSON *list = NULL, *items = NULL, *item;
		long status = 0;
		const char *next;

		cm_buf_puts(&path, "/api/v1/pods?fieldSelector=");
		mc_url_escape(&path, sel.data);
		cm_buf_puts(&path, "&limit=" POD_PAGE);
		if (cont.len) {
			cm_buf_puts(&path, "&continue=");
			mc_url_escape(&path, cont.data);
		}
		rc = mc_request(c, "GET", path.data, NULL, NULL, NULL, 0, &status, &body);
		if (!rc && status == 403)
			rc = -EACCES;
		else if (!rc && status != 200)
			rc = mc_print_api_error(c, status, body.data);
		else if (!rc && cm_json_parse(body.data ? body.data : "", body.len, &list, NULL))
			rc = mc_errorf(c, "the server sent an answer that is not JSON");
		if (!rc)
			items = cJSON_DetachItemFromObjectCaseSensitive(list, "items");
		while ((item = cJSON_DetachItemFromArray(items, 0)))
			cJSON_AddItemToArray(all, item);
		cJSON_Delete(items);
		next = cm_json_get_str(list, "metadata.continue");
		cm_buf_reset(&cont);
		if (!rc && next && *next)
			cm_buf_puts(&cont, next);
		cJSON_Delete(list);
		cm_buf_close(&path);
		cm_buf_close(&body);
		if (!cont.len)
			break;
	}
	cm_buf_close(&sel);
	cm_buf_close(&cont);
	if (rc) {
		cJSON_Delete(all);
		return rc;
	}
	*out = all;
	return 0;
}

/* int64(float64(part) / float64(whole) * 100), as kubectl computes its percentages; 0 of nothing. */
static long long percent(int64_t part, int64_t whole)
{
	return whole ? (long long)((double)part / (double)whole * 100) : 0;
}

/* "350m (18%)" */
static void amount(struct cm_buf *out, const struct mc_qty *q, int64_t part, int64_t whole)
{
	mc_qty_format(q, out);
	cm_buf_printf(out, " (%lld%%)", percent(part, whole));
}

static struct mc_qty alloc_of(const cJSON *alloc, const char *name)
{
	struct mc_qty q = {0};

	mc_qty_parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(alloc, name)), &q);
	return q;
}

static void pod_lines(struct cm_buf *b, const cJSON *pods, const cJSON *alloc)
{
	struct mc_qty cpu = alloc_of(alloc, "cpu"), mem = alloc_of(alloc, "memory");
	int64_t now = cm_time_wall_ms();
	const cJSON *p;

	mc_desc_line(b, 0, "Non-terminated Pods:\t(%d in total)", cJSON_GetArraySize(pods));
	mc_desc_line(b, 1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge");
	mc_desc_line(b, 1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---");
	cJSON_ArrayForEach(p, pods) {
		struct mc_qty cr = mc_pod_resource(p, "requests", "cpu"), cl = mc_pod_resource(p, "limits", "cpu");
		struct mc_qty mr = mc_pod_resource(p, "requests", "memory"), ml = mc_pod_resource(p, "limits", "memory");
		struct cm_buf cells = CM_BUF_INIT;
		char age[32];

		amount(&cells, &cr, cr.milli, cpu.milli);
		cm_buf_putc(&cells, '\t');
		amount(&cells, &cl, cl.milli, cpu.milli);
		cm_buf_putc(&cells, '\t');
		amount(&cells, &mr, mc_qty_value(&mr), mc_qty_value(&mem));
		cm_buf_putc(&cells, '\t');
		amount(&cells, &ml, mc_qty_value(&ml), mc_qty_value(&mem));
		mc_age_of(p, now, age, sizeof(age));
		mc_desc_line(b, 1, "%s\t%s\t\t%s\t%s", str(p, "metadata.namespace", ""), str(p, "metadata.name", ""),
			     cells.data ? cells.data : "", age);
		cm_buf_close(&cells);
	}
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One "Allocated resources" line: the pods' total of name against the node's; cpu in milli-units, else in units. */
static void allocated_line(struct cm_buf *b, const cJSON *pods, const cJSON *alloc, const char *name, bool pct)
{
	struct mc_qty req = {0}, lim = {0}, whole = alloc_of(alloc, name);
	bool milli = !strcmp(name, "cpu");
	struct cm_buf cells = CM_BUF_INIT;
	const cJSON *p;

	cJSON_ArrayForEach(p, pods) {
		struct mc_qty r = mc_pod_resource(p, "requests", name), l = mc_pod_resource(p, "limits", name);

		mc_qty_add(&req, &r);
		mc_qty_add(&lim, &l);
	}
	if (pct) {
		int64_t w = milli ? whole.milli : mc_qty_value(&whole);

		amount(&cells, &req, milli ? req.milli : mc_qty_value(&req), w);
		cm_buf_putc(&cells, '\t');
		amount(&cells, &lim, milli ? lim.milli : mc_qty_value(&lim), w);
	} else {
		/* extended resources: no percentages */
		mc_qty_format(&req, &cells);
		cm_buf_putc(&cells, '\t');
		mc_qty_format(&lim, &cells);
	}
	mc_desc_line(b, 1, "%s\t%s", name, cells.data ? cells.data : "");
	cm_buf_close(&cells);
}

static void allocated_lines(struct cm_buf *b, const cJSON *pods, const cJSON *alloc)
{
	int n = cJSON_GetArraySize(alloc), nhuge = 0, next = 0;
	const char **huge = calloc((size_t)n + 1, sizeof(*huge)), **ext = calloc((size_t)n + 1, sizeof(*ext));
	const cJSON *e;

	mc_desc_line(b, 0, "Allocated resources:");
	mc_desc_line(b, 0, "  (Total limits may be over 100 percent, i.e., overcommitted.)");
	mc_desc_line(b, 1, "Resource\tRequests\tLimits");
	mc_desc_line(b, 1, "--------\t--------\t------");
	allocated_line(b, pods, alloc, "cpu", true);
	allocated_line(b, pods, alloc, "memory", true);
	allocated_line(b, pods, alloc, "ephemeral-storage", true);
	if (!huge || !ext)
		goto done;
	cJSON_ArrayForEach(e, alloc) {
		if (!strncmp(e->string, "hugepages-", 10))
			huge[nhuge++] = e->string;
		else if (strcmp(e->string, "cpu") && strcmp(e->string, "memory") &&
			 strcmp(e->string, "ephemeral-storage") && strcmp(e->string, "pods"))
			ext[next++] = e->string;
	}
	qsort(huge, (size_t)nhuge, sizeof(*huge), by_str);
	qsort(ext, (size_t)next, sizeof(*ext), by_str);
	for (int i = 0; i < nhuge; i++)
		allocated_line(b, pods, alloc, huge[i], true);
	for (int i = 0; i < next; i++)
		allocated_line(b, pods, alloc, ext[i], false);
done:
	free(huge);
	free(ext);
}

/* A ResourceList as kubectl prints one: names sorted, nothing at all when empty. */
static void resource_list(struct cm_buf *b, const char *title, const cJSON *list)
{
	int n = 0;
	const char **names = calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(*names));
	const cJSON *e;

	if (!names || !cJSON_GetArraySize(list))
		goto done;
	cJSON_ArrayForEach(e, list) names[n++] = e->string;
	qsort(names, (size_t)n, sizeof(*names), by_str);
	mc_desc_line(b, 0, "%s:", title);
	for (int i = 0; i < n; i++) {
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(list, names[i]));

		mc_desc_line(b, 1, "%s:\t%s", names[i], v ? v : "");
	}
done:
	free(names);
}

void mc_describe_node(struct mc_ctx *c, struct cm_buf *b, const cJSON *o)
{
	static const char *const info[][2] = {
		{"Machine ID", "machineID"}, {"System UUID", "systemUUID"}, {"Boot ID", "bootID"},
		{"Kernel Version", "kernelVersion"}, {"OS Image", "osImage"}, {"Operating System", "operatingSystem"},
		{"Architecture", "architecture"}, {"Container Runtime Version", "containerRuntimeVersion"},
		{"Kubelet Version", "kubeletVersion"}, {"Kube-Proxy Version", "kubeProxyVersion"}};
	const char *name = str(o, "metadata.name", "");
	const cJSON *e, *alloc = cm_json_get(o, "status.allocatable");
	struct cm_buf roles = CM_BUF_INIT;
	cJSON *pods = NULL;
	char when[64];
	int rc;

	mc_desc_line(b, 0, "Name:\t%s", name);
	cJSON_ArrayForEach(e, cm_json_get(o, "metadata.labels")) {
		if (!strncmp(e->string, "node-role.kubernetes.io/", 24))
			cm_buf_printf(&roles, "%s%s", roles.len ? "," : "", e->string + 24);
	}
	mc_desc_line(b, 0, "Roles:\t%s", roles.len ? roles.data : "<none>");
	cm_buf_close(&roles);
	mc_desc_map(b, 0, "Labels", cm_json_get(o, "metadata.labels"));
	mc_desc_map(b, 0, "Annotations", cm_json_get(o, "metadata.annotations"));
	mc_desc_time(cm_json_get_str(o, "metadata.creationTimestamp"), when, sizeof(when));
	mc_desc_line(b, 0, "CreationTimestamp:\t%s", when);
	if (!cm_json_get(o, "spec.taints.0")) {
		mc_desc_line(b, 0, "Taints:\t<none>");
	} else {
		bool first = true;

		cJSON_ArrayForEach(e, cm_json_get(o, "spec.taints")) {
			mc_desc_line(b, 0, "%s\t%s%s%s:%s", first ? "Taints:" : "", str(e, "key", ""),
				     cm_json_get_str(e, "value") ? "=" : "", str(e, "value", ""), str(e, "effect", ""));
			first = false;
		}
	}
	mc_desc_line(b, 0, "Unschedulable:\t%s", cJSON_IsTrue(cm_json_get(o, "spec.unschedulable")) ? "true" : "false");
	lease_lines(c, b, name);
	if (cm_json_get(o, "status.conditions.0")) {
		mc_desc_line(b, 0, "Conditions:");
		mc_desc_line(b, 1, "Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage");
		mc_desc_line(b, 1, "----\t------\t-----------------\t------------------\t------\t-------");
		cJSON_ArrayForEach(e, cm_json_get(o, "status.conditions")) {
			char hb[64], tr[64];

			mc_desc_time(cm_json_get_str(e, "lastHeartbeatTime"), hb, sizeof(hb));
			mc_desc_time(cm_json_get_str(e, "lastTransitionTime"), tr, sizeof(tr));
			mc_desc_line(b, 1, "%s \t%s \t%s \t%s \t%s \t%s", str(e, "type", ""), str(e, "status", ""), hb, tr,
				     str(e, "reason", ""), str(e, "message", ""));
		}
	}
	mc_desc_line(b, 0, "Addresses:");
	cJSON_ArrayForEach(e, cm_json_get(o, "status.addresses"))
		mc_desc_line(b, 1, "%s:\t%s", str(e, "type", ""), str(e, "address", ""));
	resource_list(b, "Capacity", cm_json_get(o, "status.capacity"));
	resource_list(b, "Allocatable", alloc);
	mc_desc_line(b, 0, "System Info:");
	for (size_t i = 0; i < sizeof(info) / sizeof(info[0]); i++)
		mc_desc_line(b, 1, "%s:\t%s", info[i][0], str(cm_json_get(o, "status.nodeInfo"), info[i][1], ""));
	if (cm_json_get_str(o, "spec.podCIDR")) {
		struct cm_buf cidrs = CM_BUF_INIT;

		mc_desc_line(b, 0, "PodCIDR:\t%s", str(o, "spec.podCIDR", ""));
		cJSON_ArrayForEach(e, cm_json_get(o, "spec.podCIDRs"))
			cm_buf_printf(&cidrs, "%s%s", cidrs.len ? "," : "", cJSON_IsString(e) ? e->valuestring : "");
		mc_desc_line(b, 0, "PodCIDRs:\t%s", cidrs.len ? cidrs.data : str(o, "spec.podCIDR", ""));
		cm_buf_close(&cidrs);
	}
	if (cm_json_get_str(o, "spec.providerID"))
		mc_desc_line(b, 0, "ProviderID:\t%s", str(o, "spec.providerID", ""));
	/* kubectl takes the percentages of allocatable, of capacity when a node reports no allocatable */
	if (!cJSON_GetArraySize(alloc))
		alloc = cm_json_get(o, "status.capacity");
	rc = node_pods(c, name, &pods);
	if (rc == -EACCES) {
		mc_desc_line(b, 0, "Pods:\tnot authorized");
	} else if (rc == 0) {
		pod_lines(b, pods, alloc);
		allocated_lines(b, pods, alloc);
	}
	cJSON_Delete(pods);
}
