/* strategy_node.c: nodes: a /24 pod CIDR per node from --cluster-cidr (allocated through an etcd key), columns. */
#include "apiserver/strategy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/object.h"
#include "apiserver/resources.h"
#include "apiserver/table.h"
#include "common/json.h"

#define CIDR_KEY "/registry/ranges/podcidrs/%s"
#define NODE_BITS 24

static void cidr_key_part(const char *cidr, char *out, size_t n)
{
	snprintf(out, n, "%s", cidr);
	for (char *p = out; *p; p++)
		if (*p == '/')
			*p = '_';
}

static int set_cidr(cJSON *obj, const char *cidr)
{
	cJSON *list = cJSON_CreateArray();
	int rc = cm_json_set_str(obj, "spec.podCIDR", cidr);

	if (!list)
		return -ENOMEM;
	cJSON_AddItemToArray(list, cJSON_CreateString(cidr));
	if (!rc)
		return cm_json_set(obj, "spec.podCIDRs", list);
	cJSON_Delete(list);
	return rc;
}

static int allocate(cJSON *obj, const cJSON *old, const struct api_strategy_env *env, struct api_alloc *a,
		    struct api_ferrs *errs)
{
	const char *cidr = cm_json_get_str(obj, "spec.podCIDR");
	const char *was = old ? cm_json_get_str(old, "spec.podCIDR") : NULL;
	const struct api_ranges *r = env->ranges;
	int bits = r->pod_bits < NODE_BITS ? NODE_BITS : r->pod_bits;
	uint32_t count = 1u << (bits - r->pod_bits);
	char ip[INET_ADDRSTRLEN], buf[INET_ADDRSTRLEN + 16], key[64];
	struct in_addr in;

	if (was && *was) {
		if (cidr && *cidr && strcmp(cidr, was))
			api_ferr_forbidden(errs, "spec.podCIDR", "node updates may not change podCIDR except from \"\" to valid");
		else if (!cidr || !*cidr)
			return set_cidr(obj, was);
		return 0;
	}
	if (cidr && *cidr) {
		a->user_chosen = true;
		free(a->taken_field);
		free(a->taken_value);
		a->taken_field = strdup("spec.podCIDR");
		a->taken_value = strdup(cidr);
		cidr_key_part(cidr, key, sizeof(key));
		return api_alloc_take(a, CIDR_KEY, key);
	}
	in.s_addr = htonl(r->pod_base + ((uint32_t)(env->rand(env->rand_ud) % count) << (32 - bits)));
	inet_ntop(AF_INET, &in, ip, sizeof(ip));
	snprintf(buf, sizeof(buf), "%s/%d", ip, bits);
	if (set_cidr(obj, buf) < 0)
		return -ENOMEM;
	cidr_key_part(buf, key, sizeof(key));
	return api_alloc_take(a, CIDR_KEY, key);
}

static int release(const cJSON *obj, const struct api_strategy_env *env, struct api_alloc *a)
{
	const char *cidr = cm_json_get_str(obj, "spec.podCIDR");
	char key[64];

	(void)env;
	if (!cidr || !*cidr)
		return 0;
	cidr_key_part(cidr, key, sizeof(key));
	return api_alloc_release(a, CIDR_KEY, key);
}

static int prepare_update(cJSON *obj, const cJSON *old)
{
	(void)obj;
	(void)old;
	return 0;
}

static int cells(const cJSON *obj, cJSON *out, int64_t now_ms)
{
	const cJSON *conds = cm_json_get(obj, "status.conditions"), *c, *labels = cm_json_get(obj, "metadata.labels"),
		    *l, *addrs = cm_json_get(obj, "status.addresses");
	const char *status = "Unknown", *ip = "<none>", *ext = "<none>";
	/* -o wide: what the kubelet reports of its machine, "<unknown>" where it is silent (as kubectl) */
	static const char *const info[] = {"status.nodeInfo.osImage", "status.nodeInfo.kernelVersion",
					   "status.nodeInfo.containerRuntimeVersion"};
	struct cm_buf st = CM_BUF_INIT, roles = CM_BUF_INIT;
	int rc;

	cJSON_ArrayForEach(c, conds) {
		if (!strcmp(cm_json_str_or(c, "type", ""), "Ready"))
			status = !strcmp(cm_json_str_or(c, "status", ""), "True") ? "Ready" : "NotReady";
	}
	cm_buf_puts(&st, status);
	if (cJSON_IsTrue(cm_json_get(obj, "spec.unschedulable")))
		cm_buf_puts(&st, ",SchedulingDisabled");
	cJSON_ArrayForEach(l, labels) {
		if (!strncmp(l->string, "node-role.kubernetes.io/", 24))
			cm_buf_printf(&roles, "%s%s", roles.len ? "," : "", l->string + 24);
	}
	cJSON_ArrayForEach(c, addrs) {
		if (!strcmp(cm_json_str_or(c, "type", ""), "InternalIP") && !strcmp(ip, "<none>"))
			ip = cm_json_str_or(c, "address", "<none>");
		if (!strcmp(cm_json_str_or(c, "type", ""), "ExternalIP") && !strcmp(ext, "<none>"))
			ext = cm_json_str_or(c, "address", "<none>");
	}
	rc = api_table_add_str(out, api_obj_meta_str(obj, "name"));
	if (!rc)
		rc = api_table_add_str(out, st.data);
	if (!rc)
		rc = api_table_add_str(out, roles.len ? roles.data : "<none>");
	if (!rc)
		rc = api_table_add_age(out, obj, now_ms);
	if (!rc)
		rc = api_table_add_str(out, cm_json_str_or(obj, "status.nodeInfo.kubeletVersion", ""));
	if (!rc)
		rc = api_table_add_str(out, ip);
	if (!rc)
		rc = api_table_add_str(out, ext);
	for (size_t i = 0; i < 3 && !rc; i++) {
		const char *v = cm_json_str_or(obj, info[i], "");

		rc = api_table_add_str(out, *v ? v : "<unknown>");
	}
	cm_buf_close(&st);
	cm_buf_close(&roles);
	return rc;
}

#define COL(n, p) "{\"name\":\"" n "\",\"type\":\"string\",\"format\":\"\",\"description\":\"\",\"priority\":" #p "}"

const struct api_strategy api_strategy_node = {
	.prepare_update = prepare_update,
	.allocate = allocate,
	.release = release,
	.columns = "[{\"name\":\"Name\",\"type\":\"string\",\"format\":\"name\",\"description\":\"\",\"priority\":0},"
		   COL("Status", 0) "," COL("Roles", 0) "," COL("Age", 0) "," COL("Version", 0) ","
		   COL("Internal-IP", 1) "," COL("External-IP", 1) "," COL("OS-Image", 1) ","
		   COL("Kernel-Version", 1) "," COL("Container-Runtime", 1) "]",
	.cells = cells,
};
