/* strategy_pod.c: pods: defaults, validation (spec immutable but images), initial status, kubectl's columns. */
#include "apiserver/strategy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/object.h"
#include "apiserver/resources.h"
#include "apiserver/table.h"
#include "apiserver/validate.h"
#include "common/json.h"

int api_default_str(cJSON *obj, const char *path, const char *v)
{
	if (cm_json_get(obj, path))
		return 0;
	return cm_json_set_str(obj, path, v);
}

int api_default_num(cJSON *obj, const char *path, double v)
{
	cJSON *n;

	if (cm_json_get(obj, path))
		return 0;
	n = cJSON_CreateNumber(v);
	return n ? cm_json_set(obj, path, n) : -ENOMEM;
}

int api_default_json(cJSON *obj, const char *path, const char *json)
{
	cJSON *n;

	if (cm_json_get(obj, path))
		return 0;
	n = cJSON_Parse(json);
	return n ? cm_json_set(obj, path, n) : -ENOMEM;
}

static int container_defaults(cJSON *c)
{
	const char *image = cm_json_get_str(c, "image");
	const char *colon = image ? strrchr(image, ':') : NULL;
	bool latest = !colon || strchr(colon, '/') || !strcmp(colon, ":latest");
	cJSON *ports = cJSON_GetObjectItemCaseSensitive(c, "ports"), *p;
	int rc = api_default_str(c, "imagePullPolicy", latest ? "Always" : "IfNotPresent");

	if (!rc)
		rc = api_default_str(c, "terminationMessagePath", "/dev/termination-log");
	if (!rc)
		rc = api_default_str(c, "terminationMessagePolicy", "File");
	cJSON_ArrayForEach(p, ports) {
		if (!rc && cJSON_IsObject(p))
			rc = api_default_str(p, "protocol", "TCP");
	}
	return rc;
}

int api_pod_spec_defaults(cJSON *spec)
{
	cJSON *cs, *c;
	int rc;

	if (!cJSON_IsObject(spec))
		return 0;
	rc = api_default_str(spec, "restartPolicy", "Always");
	if (!rc)
		rc = api_default_str(spec, "dnsPolicy", "ClusterFirst");
	if (!rc)
		rc = api_default_str(spec, "schedulerName", "default-scheduler");
	if (!rc)
		rc = api_default_num(spec, "terminationGracePeriodSeconds", 30);
	if (!rc)
		rc = api_default_json(spec, "securityContext", "{}");
	for (int k = 0; k < 2 && !rc; k++) {
		cs = cJSON_GetObjectItemCaseSensitive(spec, k ? "initContainers" : "containers");
		cJSON_ArrayForEach(c, cs) {
			if (!rc && cJSON_IsObject(c))
				rc = container_defaults(c);
		}
	}
	return rc;
}

void api_pod_spec_validate(const cJSON *spec, const char *field, struct api_ferrs *errs)
{
	const cJSON *cs = cJSON_GetObjectItemCaseSensitive(spec, "containers"), *c;
	const char *rp = cm_json_get_str(spec, "restartPolicy");
	static const char *const policies[] = {"Always", "OnFailure", "Never", NULL};
	static const char *const dns_labels[] = {"hostname", "subdomain"};
	char f[160];
	int i = 0;

	if (!cJSON_IsObject(spec)) {
		api_ferr_required(errs, field, NULL);
		return;
	}
	if (!cJSON_IsArray(cs) || cJSON_GetArraySize(cs) == 0) {
		snprintf(f, sizeof(f), "%s.containers", field);
		api_ferr_required(errs, f, NULL);
	}
	cJSON_ArrayForEach(c, cs) {
		const char *name = cm_json_get_str(c, "name"), *image = cm_json_get_str(c, "image");
		const cJSON *o;
		int j = 0;

		snprintf(f, sizeof(f), "%s.containers[%d].name", field, i);
		if (!name || !*name)
			api_ferr_required(errs, f, NULL);
		else
			api_validate_name(errs, f, name, API_NAME_DNS1123_LABEL, false);
		cJSON_ArrayForEach(o, cs) {
			if (j++ >= i)
				break;
			if (name && cm_json_get_str(o, "name") && !strcmp(name, cm_json_get_str(o, "name")))
				api_ferr_duplicate(errs, f, name);
		}
		snprintf(f, sizeof(f), "%s.containers[%d].image", field, i);
		if (!image || !*image)
			api_ferr_required(errs, f, NULL);
		i++;
	}
	if (rp) {
		bool ok = false;

		for (int k = 0; policies[k]; k++)
			ok |= !strcmp(rp, policies[k]);
		if (!ok) {
			snprintf(f, sizeof(f), "%s.restartPolicy", field);
			api_ferr_not_supported(errs, f, rp, policies);
		}
	}
	/* DNS labels: the kubelet's hostname, and the names HOST.SUBDOMAIN the Endpoints and DNS give the pod */
	for (size_t k = 0; k < sizeof(dns_labels) / sizeof(dns_labels[0]); k++) {
		const char *v = cm_json_get_str(spec, dns_labels[k]);

		if (v && *v) {
			snprintf(f, sizeof(f), "%s.%s", field, dns_labels[k]);
			api_validate_name(errs, f, v, API_NAME_DNS1123_LABEL, false);
		}
	}
}

/*
 * A host-network pod's container ports are ports of the node: each gets
 * hostPort = containerPort, as Kubernetes defaults pods (not templates, since
 * 1.28), so the scheduler's port filter keeps two of them off one node.
 */
static int host_network_ports(cJSON *spec)
{
	cJSON *c, *p;

	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(spec, "hostNetwork")))
		return 0;
	for (int k = 0; k < 2; k++) {
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(spec, k ? "initContainers" : "containers"))
		{
			cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(c, "ports"))
			{
				const cJSON *cp = cJSON_GetObjectItemCaseSensitive(p, "containerPort");
				int rc;

				if (!cJSON_IsObject(p) || !cJSON_IsNumber(cp) || cm_json_int64_or(p, "hostPort", 0) > 0)
					continue;
				cJSON_DeleteItemFromObjectCaseSensitive(p, "hostPort"); /* an explicit 0 */
				if ((rc = api_default_num(p, "hostPort", cp->valuedouble)))
					return rc;
			}
		}
	}
	return 0;
}

static int pod_defaults(cJSON *obj)
{
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	int rc = api_pod_spec_defaults(spec);

	return rc ? rc : host_network_ports(spec);
}

static int prepare_create(cJSON *obj, const struct api_strategy_env *env)
{
	cJSON *st = cJSON_CreateObject();

	(void)env;
	if (!st)
		return -ENOMEM;
	cJSON_AddStringToObject(st, "phase", "Pending");
	cJSON_AddStringToObject(st, "qosClass", "BestEffort");
	if (cm_json_set(obj, "status", st) < 0)
		return -ENOMEM;
	return pod_defaults(obj);
}

static int prepare_update(cJSON *obj, const cJSON *old)
{
	(void)old;
	return pod_defaults(obj);
}

/* A copy of spec with the fields an update may change blanked. */
static cJSON *mutable_blanked(const cJSON *spec)
{
	cJSON *s = cm_json_copy(spec), *cs, *c;
	static const char *const may[] = {"activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds",
					  "nodeName", "schedulingGates"};

	if (!s)
		return NULL;
	for (size_t i = 0; i < sizeof(may) / sizeof(may[0]); i++)
		cJSON_DeleteItemFromObjectCaseSensitive(s, may[i]);
	for (int k = 0; k < 2; k++) {
		cs = cJSON_GetObjectItemCaseSensitive(s, k ? "initContainers" : "containers");
		cJSON_ArrayForEach(c, cs) {
			cJSON_DeleteItemFromObjectCaseSensitive(c, "image");
		}
	}
	return s;
}

static void validate(const cJSON *obj, const cJSON *old, struct api_ferrs *errs)
{
	api_pod_spec_validate(cJSON_GetObjectItemCaseSensitive(obj, "spec"), "spec", errs);
	if (old) {
		cJSON *a = mutable_blanked(cJSON_GetObjectItemCaseSensitive(obj, "spec"));
		cJSON *b = mutable_blanked(cJSON_GetObjectItemCaseSensitive(old, "spec"));
		const char *nn = cm_json_get_str(obj, "spec.nodeName"), *on = cm_json_get_str(old, "spec.nodeName");

		if (a && b && !cm_json_equal(a, b))
			api_ferr_forbidden(errs, "spec",
					   "pod updates may not change fields other than `spec.containers[*].image`,"
					   "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
					   "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
					   "(allow it to be set to 1 if it was previously negative)");
		if (on && *on && (!nn || strcmp(nn, on)))
			api_ferr_forbidden(errs, "spec.nodeName", "field is immutable");
		cJSON_Delete(a);
		cJSON_Delete(b);
	}
}

/* kubectl's STATUS column: Terminating, a waiting or terminated reason, or the phase. */
static const char *pod_reason(const cJSON *obj)
{
	const cJSON *cs = cm_json_get(obj, "status.containerStatuses"), *c;
	const char *reason = cm_json_get_str(obj, "status.reason");

	if (!reason)
		reason = cm_json_str_or(obj, "status.phase", "Pending");
	cJSON_ArrayForEach(c, cs) {
		const char *w = cm_json_get_str(c, "state.waiting.reason");
		const char *t = cm_json_get_str(c, "state.terminated.reason");

		if (w && *w)
			reason = w;
		else if (t && *t)
			reason = t;
	}
	if (cm_json_get(obj, "metadata.deletionTimestamp"))
		reason = "Terminating";
	return reason;
}

static int cells(const cJSON *obj, cJSON *out, int64_t now_ms)
{
	const cJSON *cs = cm_json_get(obj, "status.containerStatuses"), *c;
	int total = cJSON_GetArraySize(cm_json_get(obj, "spec.containers")), ready = 0;
	int64_t restarts = 0;
	char rd[32];
	const char *ip = cm_json_get_str(obj, "status.podIP"), *node = cm_json_get_str(obj, "spec.nodeName");
	int rc;

	cJSON_ArrayForEach(c, cs) {
		ready += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "ready"));
		restarts += cm_json_int64_or(c, "restartCount", 0);
	}
	snprintf(rd, sizeof(rd), "%d/%d", ready, total);
	rc = api_table_add_str(out, api_obj_meta_str(obj, "name"));
	if (!rc)
		rc = api_table_add_str(out, rd);
	if (!rc)
		rc = api_table_add_str(out, pod_reason(obj));
	if (!rc)
		rc = api_table_add_int(out, restarts);
	if (!rc)
		rc = api_table_add_age(out, obj, now_ms);
	if (!rc)
		rc = api_table_add_str(out, ip && *ip ? ip : "<none>");
	if (!rc)
		rc = api_table_add_str(out, node && *node ? node : "<none>");
	if (!rc)
		rc = api_table_add_str(out, "<none>");
	if (!rc)
		rc = api_table_add_str(out, "<none>");
	return rc;
}

#define COL(n, t, p) "{\"name\":\"" n "\",\"type\":\"" t "\",\"format\":\"\",\"description\":\"\",\"priority\":" #p "}"

const struct api_strategy api_strategy_pod = {
	.prepare_create = prepare_create,
	.prepare_update = prepare_update,
	.validate = validate,
	.columns = "[{\"name\":\"Name\",\"type\":\"string\",\"format\":\"name\",\"description\":\"\",\"priority\":0},"
		   COL("Ready", "string", 0) "," COL("Status", "string", 0) "," COL("Restarts", "string", 0) ","
		   COL("Age", "string", 0) "," COL("IP", "string", 1) "," COL("Node", "string", 1) ","
		   COL("Nominated Node", "string", 1) "," COL("Readiness Gates", "string", 1) "]",
	.cells = cells,
};
