/* cmd_describe.c: minictl describe: kubectl's layouts for pods, deployments, replicasets, services, nodes, and the object's Events. */
#include <errno.h>
#include <stdarg.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/timeutil.h"
#include "ctl/cli.h"
#include "ctl/describe.h"
#include "ctl/get.h"
#include "ctl/print.h"
#include "ctl/target.h"

/* Lines are written with tabs between cells and aligned by mc_tabwrite at the end. */
void mc_desc_line(struct cm_buf *b, int level, const char *fmt, ...)
{
	va_list ap;

	for (int i = 0; i < level; i++)
		cm_buf_puts(b, "  ");
	va_start(ap, fmt);
	cm_buf_vprintf(b, fmt, ap);
	va_end(ap);
	cm_buf_putc(b, '\n');
}

static const char *str(const cJSON *o, const char *path, const char *def)
{
	return cm_json_str_or(o, path, def);
}

/* A map (labels, annotations, selectors) as "k=v" one per line, or <none>. */
void mc_desc_map(struct cm_buf *b, int level, const char *title, const cJSON *m)
{
	const cJSON *e;
	bool first = true, any = false;

	/* kubectl never shows the last-applied configuration */
	cJSON_ArrayForEach(e, m) if (strcmp(e->string, "kubectl.kubernetes.io/last-applied-configuration")) any = true;
	if (!any) {
		mc_desc_line(b, level, "%s:\t<none>", title);
		return;
	}
	cJSON_ArrayForEach(e, m)
	{
		const char *v = cJSON_IsString(e) ? e->valuestring : "";
		char shown[520];
		if (!strcmp(e->string, "kubectl.kubernetes.io/last-applied-configuration"))
			continue;
		/* kubectl shortens long annotation values */
		snprintf(shown, sizeof(shown), "%s", v);
		if (strlen(v) > 200)
			strcpy(shown + 197, "...");
		if (first)
			mc_desc_line(b, level, "%s:\t%s=%s", title, e->string, shown);
		else
			mc_desc_line(b, level, "\t%s=%s", e->string, shown);
		first = false;
	}
}

static void selector_text(const cJSON *m, struct cm_buf *out)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, m) cm_buf_printf(out, "%s%s=%s", e == m->child ? "" : ",", e->string,
					       cJSON_IsString(e) ? e->valuestring : "");
	if (!out->len)
		cm_buf_puts(out, "<none>");
}

void mc_desc_time(const char *ts, char *when, size_t n)
{
	int64_t ms;

	snprintf(when, n, "<unknown>");
	if (ts && !cm_time_parse(ts, &ms)) {
		time_t t = (time_t)(ms / 1000);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, n, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	}
}

static void time_line(struct cm_buf *b, const char *title, const char *ts)
{
	char when[64];

	mc_desc_time(ts, when, sizeof(when));
	mc_desc_line(b, 0, "%s:\t%s", title, when);
}

static void meta_header(struct cm_buf *b, const cJSON *o, bool namespaced)
{
	mc_desc_line(b, 0, "Name:\t%s", str(o, "metadata.name", ""));
	if (namespaced)
		mc_desc_line(b, 0, "Namespace:\t%s", str(o, "metadata.namespace", ""));
}

/* pad goes before each container's name: kubectl indents the names of a Pod Template's containers by one more space. */
static void containers(struct cm_buf *b, int level, const cJSON *list, const cJSON *statuses, const char *pad)
{
	const cJSON *ctr;

	cJSON_ArrayForEach(ctr, list)
	{
		const cJSON *port = cm_json_get(ctr, "ports.0"), *env = cJSON_GetObjectItem(ctr, "env"), *e, *st = NULL;
		mc_desc_line(b, level, "%s%s:", pad, str(ctr, "name", ""));
		cJSON_ArrayForEach(e, statuses) if (!strcmp(str(e, "name", ""), str(ctr, "name", ""))) st = e;
		if (st && cm_json_get_str(st, "containerID"))
			mc_desc_line(b, level + 1, "Container ID:\t%s", str(st, "containerID", ""));
		mc_desc_line(b, level + 1, "Image:\t%s", str(ctr, "image", ""));
		if (port)
			mc_desc_line(b, level + 1, "Port:\t%lld/%s", (long long)cm_json_int64_or(port, "containerPort", 0),
			     str(port, "protocol", "TCP"));
		else
			mc_desc_line(b, level + 1, "Port:\t<none>");
		mc_desc_line(b, level + 1, "Host Port:\t%s", port && cm_json_get(port, "hostPort") ? "set" : "<none>");
		if (cJSON_GetObjectItem(ctr, "command")) {
			mc_desc_line(b, level + 1, "Command:");
			cJSON_ArrayForEach(e, cJSON_GetObjectItem(ctr, "command")) mc_desc_line(b, level + 2, "%s", e->valuestring ? e->valuestring : "");
		}
		if (cJSON_GetObjectItem(ctr, "args")) {
			mc_desc_line(b, level + 1, "Args:");
			cJSON_ArrayForEach(e, cJSON_GetObjectItem(ctr, "args")) mc_desc_line(b, level + 2, "%s", e->valuestring ? e->valuestring : "");
		}
		if (st) {
			const char *state = cm_json_get(st, "state.running") ? "Running" : cm_json_get(st, "state.terminated") ? "Terminated" : "Waiting";
			mc_desc_line(b, level + 1, "State:\t%s", state);
			if (!strcmp(state, "Waiting") && cm_json_get_str(st, "state.waiting.reason"))
				mc_desc_line(b, level + 2, "Reason:\t%s", str(st, "state.waiting.reason", ""));
			if (!strcmp(state, "Terminated"))
				mc_desc_line(b, level + 2, "Exit Code:\t%lld", (long long)cm_json_int64_or(st, "state.terminated.exitCode", 0));
			mc_desc_line(b, level + 1, "Ready:\t%s", cJSON_IsTrue(cJSON_GetObjectItem(st, "ready")) ? "True" : "False");
			mc_desc_line(b, level + 1, "Restart Count:\t%lld", (long long)cm_json_int64_or(st, "restartCount", 0));
		}
		if (cm_json_get(ctr, "resources.limits")) {
			mc_desc_line(b, level + 1, "Limits:");
			cJSON_ArrayForEach(e, cm_json_get(ctr, "resources.limits")) mc_desc_line(b, level + 2, "%s:\t%s", e->string, e->valuestring ? e->valuestring : "");
		}
		if (cm_json_get(ctr, "resources.requests")) {
			mc_desc_line(b, level + 1, "Requests:");
			cJSON_ArrayForEach(e, cm_json_get(ctr, "resources.requests")) mc_desc_line(b, level + 2, "%s:\t%s", e->string, e->valuestring ? e->valuestring : "");
		}
		if (!env || !env->child) {
			mc_desc_line(b, level + 1, "Environment:\t<none>");
		} else {
			mc_desc_line(b, level + 1, "Environment:");
			cJSON_ArrayForEach(e, env)
			{
				if (cm_json_get(e, "valueFrom"))
					mc_desc_line(b, level + 2, "%s:\t<set to a reference>", str(e, "name", ""));
				else
					mc_desc_line(b, level + 2, "%s:\t%s", str(e, "name", ""), str(e, "value", ""));
			}
		}
		if (!cm_json_get(ctr, "volumeMounts.0")) {
			mc_desc_line(b, level + 1, "Mounts:\t<none>");
		} else {
			mc_desc_line(b, level + 1, "Mounts:");
			cJSON_ArrayForEach(e, cJSON_GetObjectItem(ctr, "volumeMounts"))
				mc_desc_line(b, level + 2, "%s from %s (%s)", str(e, "mountPath", ""), str(e, "name", ""),
				     cJSON_IsTrue(cJSON_GetObjectItem(e, "readOnly")) ? "ro" : "rw");
		}
	}
}

static void describe_pod(struct cm_buf *b, const cJSON *o)
{
	const cJSON *e;
	const char *node = cm_json_get_str(o, "spec.nodeName");

	meta_header(b, o, true);
	mc_desc_line(b, 0, "Priority:\t%lld", (long long)cm_json_int64_or(o, "spec.priority", 0));
	mc_desc_line(b, 0, "Service Account:\t%s", str(o, "spec.serviceAccountName", "default"));
	if (node)
		mc_desc_line(b, 0, "Node:\t%s/%s", node, str(o, "status.hostIP", ""));
	else
		mc_desc_line(b, 0, "Node:\t<none>");
	if (cm_json_get_str(o, "status.startTime"))
		time_line(b, "Start Time", cm_json_get_str(o, "status.startTime"));
	mc_desc_map(b, 0, "Labels", cm_json_get(o, "metadata.labels"));
	mc_desc_map(b, 0, "Annotations", cm_json_get(o, "metadata.annotations"));
	mc_desc_line(b, 0, "Status:\t%s", cm_json_get(o, "metadata.deletionTimestamp") ? "Terminating" : str(o, "status.phase", "Pending"));
	mc_desc_line(b, 0, "IP:\t%s", str(o, "status.podIP", ""));
	if (cm_json_get(o, "status.podIPs.0")) {
		mc_desc_line(b, 0, "IPs:");
		cJSON_ArrayForEach(e, cm_json_get(o, "status.podIPs")) mc_desc_line(b, 1, "IP:\t%s", str(e, "ip", ""));
	} else {
		mc_desc_line(b, 0, "IPs:\t<none>");
	}
	{
		const cJSON *ref = cm_json_get(o, "metadata.ownerReferences.0");
		if (ref)
			mc_desc_line(b, 0, "Controlled By:\t%s/%s", str(ref, "kind", ""), str(ref, "name", ""));
	}
	if (cm_json_get(o, "spec.initContainers.0")) {
		mc_desc_line(b, 0, "Init Containers:");
		containers(b, 1, cm_json_get(o, "spec.initContainers"), cm_json_get(o, "status.initContainerStatuses"), "");
	}
	mc_desc_line(b, 0, "Containers:");
	containers(b, 1, cm_json_get(o, "spec.containers"), cm_json_get(o, "status.containerStatuses"), "");
	if (cm_json_get(o, "status.conditions.0")) {
		mc_desc_line(b, 0, "Conditions:");
		mc_desc_line(b, 1, "Type\tStatus");
		cJSON_ArrayForEach(e, cm_json_get(o, "status.conditions")) mc_desc_line(b, 1, "%s \t%s ", str(e, "type", ""), str(e, "status", ""));
	}
	if (!cm_json_get(o, "spec.volumes.0")) {
		mc_desc_line(b, 0, "Volumes:\t<none>");
	} else {
		mc_desc_line(b, 0, "Volumes:");
		cJSON_ArrayForEach(e, cm_json_get(o, "spec.volumes"))
		{
			mc_desc_line(b, 1, "%s:", str(e, "name", ""));
			if (cm_json_get(e, "emptyDir"))
				mc_desc_line(b, 2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)");
			else if (cm_json_get(e, "configMap"))
				mc_desc_line(b, 2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t%s", str(e, "configMap.name", ""));
			else if (cm_json_get(e, "secret"))
				mc_desc_line(b, 2, "Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t%s", str(e, "secret.secretName", ""));
			else if (cm_json_get(e, "hostPath"))
				mc_desc_line(b, 2, "Type:\tHostPath (bare host directory volume)\n    Path:\t%s", str(e, "hostPath.path", ""));
		}
	}
	mc_desc_line(b, 0, "QoS Class:\t%s", str(o, "status.qosClass", "BestEffort"));
	{
		struct cm_buf s = CM_BUF_INIT;
		selector_text(cm_json_get(o, "spec.nodeSelector"), &s);
		mc_desc_line(b, 0, "Node-Selectors:\t%s", s.data);
		cm_buf_close(&s);
	}
	if (!cm_json_get(o, "spec.tolerations.0")) {
		mc_desc_line(b, 0, "Tolerations:\t<none>");
	} else {
		bool first = true;
		cJSON_ArrayForEach(e, cm_json_get(o, "spec.tolerations"))
		{
			struct cm_buf t = CM_BUF_INIT;
			cm_buf_puts(&t, str(e, "key", ""));
			if (cm_json_get_str(e, "value"))
				cm_buf_printf(&t, "=%s", str(e, "value", ""));
			if (cm_json_get_str(e, "effect"))
				cm_buf_printf(&t, ":%s", str(e, "effect", ""));
			if (!strcmp(str(e, "operator", ""), "Exists") && !cm_json_get_str(e, "value"))
				cm_buf_puts(&t, " op=Exists");
			if (cm_json_get(e, "tolerationSeconds"))
				cm_buf_printf(&t, " for %llds", (long long)cm_json_int64_or(e, "tolerationSeconds", 0));
			mc_desc_line(b, 0, "%s\t%s", first ? "Tolerations:" : "", t.data);
			first = false;
			cm_buf_close(&t);
		}
	}
}

static void pod_template(struct cm_buf *b, const cJSON *tmpl)
{
	mc_desc_line(b, 0, "Pod Template:");
	mc_desc_map(b, 1, "Labels", cm_json_get(tmpl, "metadata.labels"));
	if (cm_json_get(tmpl, "metadata.annotations"))
		mc_desc_map(b, 1, "Annotations", cm_json_get(tmpl, "metadata.annotations"));
	mc_desc_line(b, 1, "Containers:");
	containers(b, 1, cm_json_get(tmpl, "spec.containers"), NULL, " ");
	mc_desc_line(b, 1, "Volumes:\t%s", cm_json_get(tmpl, "spec.volumes.0") ? "(see spec)" : "<none>");
	mc_desc_line(b, 1, "Node-Selectors:\t%s", cm_json_get(tmpl, "spec.nodeSelector") ? "(set)" : "<none>");
	mc_desc_line(b, 1, "Tolerations:\t%s", cm_json_get(tmpl, "spec.tolerations.0") ? "(set)" : "<none>");
}

static void describe_deployment(struct cm_buf *b, const cJSON *o)
{
	struct cm_buf sel = CM_BUF_INIT;
	const cJSON *e;

	meta_header(b, o, true);
	time_line(b, "CreationTimestamp", cm_json_get_str(o, "metadata.creationTimestamp"));
	mc_desc_map(b, 0, "Labels", cm_json_get(o, "metadata.labels"));
	mc_desc_map(b, 0, "Annotations", cm_json_get(o, "metadata.annotations"));
	selector_text(cm_json_get(o, "spec.selector.matchLabels"), &sel);
	mc_desc_line(b, 0, "Selector:\t%s", sel.data);
	{
		int64_t want = cm_json_int64_or(o, "spec.replicas", 1);
		int64_t upd = cm_json_int64_or(o, "status.updatedReplicas", 0), tot = cm_json_int64_or(o, "status.replicas", 0);
		int64_t av = cm_json_int64_or(o, "status.availableReplicas", 0), un = cm_json_int64_or(o, "status.unavailableReplicas", 0);
		mc_desc_line(b, 0, "Replicas:\t%lld desired | %lld updated | %lld total | %lld available | %lld unavailable",
		     (long long)want, (long long)upd, (long long)tot, (long long)av, (long long)un);
	}
	mc_desc_line(b, 0, "StrategyType:\t%s", str(o, "spec.strategy.type", "RollingUpdate"));
	mc_desc_line(b, 0, "MinReadySeconds:\t%lld", (long long)cm_json_int64_or(o, "spec.minReadySeconds", 0));
	if (!strcmp(str(o, "spec.strategy.type", "RollingUpdate"), "RollingUpdate")) {
		char us[32], su[32];
		const cJSON *mu = cm_json_get(o, "spec.strategy.rollingUpdate.maxUnavailable");
		const cJSON *ms = cm_json_get(o, "spec.strategy.rollingUpdate.maxSurge");
		snprintf(us, sizeof(us), "%s", cJSON_IsString(mu) ? mu->valuestring : "25%");
		if (cJSON_IsNumber(mu))
			snprintf(us, sizeof(us), "%d", mu->valueint);
		snprintf(su, sizeof(su), "%s", cJSON_IsString(ms) ? ms->valuestring : "25%");
		if (cJSON_IsNumber(ms))
			snprintf(su, sizeof(su), "%d", ms->valueint);
		mc_desc_line(b, 0, "RollingUpdateStrategy:\t%s max unavailable, %s max surge", us, su);
	}
	pod_template(b, cm_json_get(o, "spec.template"));
	if (cm_json_get(o, "status.conditions.0")) {
		mc_desc_line(b, 0, "Conditions:");
		mc_desc_line(b, 1, "Type\tStatus\tReason");
		mc_desc_line(b, 1, "----\t------\t------");
		cJSON_ArrayForEach(e, cm_json_get(o, "status.conditions"))
			mc_desc_line(b, 1, "%s \t%s \t%s", str(e, "type", ""), str(e, "status", ""), str(e, "reason", ""));
	}
	cm_buf_close(&sel);
}

static void describe_replicaset(struct cm_buf *b, const cJSON *o)
{
	struct cm_buf sel = CM_BUF_INIT;
	const cJSON *ref = cm_json_get(o, "metadata.ownerReferences.0");

	meta_header(b, o, true);
	selector_text(cm_json_get(o, "spec.selector.matchLabels"), &sel);
	mc_desc_line(b, 0, "Selector:\t%s", sel.data);
	mc_desc_map(b, 0, "Labels", cm_json_get(o, "metadata.labels"));
	mc_desc_map(b, 0, "Annotations", cm_json_get(o, "metadata.annotations"));
	if (ref)
		mc_desc_line(b, 0, "Controlled By:\t%s/%s", str(ref, "kind", ""), str(ref, "name", ""));
	mc_desc_line(b, 0, "Replicas:\t%lld current / %lld desired", (long long)cm_json_int64_or(o, "status.replicas", 0),
	     (long long)cm_json_int64_or(o, "spec.replicas", 1));
	mc_desc_line(b, 0, "Pods Status:\t%lld Running / %lld Waiting / %lld Succeeded / %lld Failed",
	     (long long)cm_json_int64_or(o, "status.readyReplicas", 0),
	     (long long)(cm_json_int64_or(o, "status.replicas", 0) - cm_json_int64_or(o, "status.readyReplicas", 0)), 0LL, 0LL);
	pod_template(b, cm_json_get(o, "spec.template"));
	cm_buf_close(&sel);
}

static void describe_service(struct cm_buf *b, const cJSON *o, const cJSON *endpoints)
{
	struct cm_buf sel = CM_BUF_INIT, eps = CM_BUF_INIT;
	const cJSON *p, *s, *a;

	meta_header(b, o, true);
	mc_desc_map(b, 0, "Labels", cm_json_get(o, "metadata.labels"));
	mc_desc_map(b, 0, "Annotations", cm_json_get(o, "metadata.annotations"));
	selector_text(cm_json_get(o, "spec.selector"), &sel);
	mc_desc_line(b, 0, "Selector:\t%s", sel.data);
	mc_desc_line(b, 0, "Type:\t%s", str(o, "spec.type", "ClusterIP"));
	mc_desc_line(b, 0, "IP Family Policy:\t%s", str(o, "spec.ipFamilyPolicy", "SingleStack"));
	mc_desc_line(b, 0, "IP Families:\t%s", str(o, "spec.ipFamilies.0", "IPv4"));
	mc_desc_line(b, 0, "IP:\t%s", str(o, "spec.clusterIP", "None"));
	mc_desc_line(b, 0, "IPs:\t%s", str(o, "spec.clusterIPs.0", str(o, "spec.clusterIP", "None")));
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(endpoints, "subsets"))
	{
		cJSON_ArrayForEach(a, cJSON_GetObjectItem(s, "addresses"))
		{
			cJSON_ArrayForEach(p, cJSON_GetObjectItem(s, "ports"))
				cm_buf_printf(&eps, "%s%s:%lld", eps.len ? "," : "", str(a, "ip", ""),
					      (long long)cm_json_int64_or(p, "port", 0));
		}
	}
	cJSON_ArrayForEach(p, cm_json_get(o, "spec.ports"))
	{
		const cJSON *tp = cJSON_GetObjectItem(p, "targetPort");
		mc_desc_line(b, 0, "Port:\t%s  %lld/%s", str(p, "name", "<unset>"), (long long)cm_json_int64_or(p, "port", 0),
		     str(p, "protocol", "TCP"));
		if (cJSON_IsString(tp))
			mc_desc_line(b, 0, "TargetPort:\t%s/%s", tp->valuestring, str(p, "protocol", "TCP"));
		else
			mc_desc_line(b, 0, "TargetPort:\t%lld/%s", (long long)cm_json_int64_or(p, "targetPort", 0), str(p, "protocol", "TCP"));
		if (cm_json_get(p, "nodePort"))
			mc_desc_line(b, 0, "NodePort:\t%s  %lld/%s", str(p, "name", "<unset>"), (long long)cm_json_int64_or(p, "nodePort", 0),
			     str(p, "protocol", "TCP"));
		mc_desc_line(b, 0, "Endpoints:\t%s", eps.len ? eps.data : "<none>");
	}
	mc_desc_line(b, 0, "Session Affinity:\t%s", str(o, "spec.sessionAffinity", "None"));
	if (cm_json_get(o, "spec.externalTrafficPolicy"))
		mc_desc_line(b, 0, "External Traffic Policy:\t%s", str(o, "spec.externalTrafficPolicy", "Cluster"));
	if (cm_json_get(o, "spec.internalTrafficPolicy"))
		mc_desc_line(b, 0, "Internal Traffic Policy:\t%s", str(o, "spec.internalTrafficPolicy", "Cluster"));
	cm_buf_close(&sel);
	cm_buf_close(&eps);
}

static void describe_generic(struct cm_buf *b, const cJSON *o, bool namespaced)
{
	const cJSON *e;

	meta_header(b, o, namespaced);
	mc_desc_map(b, 0, "Labels", cm_json_get(o, "metadata.labels"));
	mc_desc_map(b, 0, "Annotations", cm_json_get(o, "metadata.annotations"));
	if (!strcmp(str(o, "kind", ""), "Namespace")) {
		mc_desc_line(b, 0, "Status:\t%s", str(o, "status.phase", "Active"));
		cm_buf_putc(b, '\n');
		mc_desc_line(b, 0, "No resource quota.");
		cm_buf_putc(b, '\n');
		mc_desc_line(b, 0, "No LimitRange resource.");
		return;
	}
	if (cm_json_get(o, "data") && (!strcmp(str(o, "kind", ""), "ConfigMap") || !strcmp(str(o, "kind", ""), "Secret"))) {
		bool secret = !strcmp(str(o, "kind", ""), "Secret");
		cm_buf_putc(b, '\n');
		if (secret)
			mc_desc_line(b, 0, "Type:\t%s\n", str(o, "type", "Opaque"));
		mc_desc_line(b, 0, "Data");
		mc_desc_line(b, 0, "====");
		cJSON_ArrayForEach(e, cm_json_get(o, "data"))
		{
			if (secret) {
				mc_desc_line(b, 0, "%s:\t%zu bytes", e->string, cJSON_IsString(e) ? strlen(e->valuestring) * 3 / 4 : 0);
			} else {
				mc_desc_line(b, 0, "%s:", e->string);
				mc_desc_line(b, 0, "----");
				mc_desc_line(b, 0, "%s", cJSON_IsString(e) ? e->valuestring : "");
				cm_buf_putc(b, '\n');
			}
		}
		return;
	}
	if (cm_json_get(o, "spec")) {
		struct cm_buf j = CM_BUF_INIT;
		mc_json_pretty(cm_json_get(o, "spec"), &j);
		mc_desc_line(b, 0, "Spec:\t%s", j.data);
		cm_buf_close(&j);
	}
}

/* Events of the object (matched by uid, else by name and kind), oldest first. */
static void events(struct mc_ctx *c, struct cm_buf *b, const cJSON *o)
{
	struct cm_buf path = CM_BUF_INIT;
	cJSON *list = NULL, *e;
	const char *ns = cm_json_get_str(o, "metadata.namespace"), *uid = str(o, "metadata.uid", "");
	struct cm_buf rows = CM_BUF_INIT;
	size_t n = 0;
	int64_t now = cm_time_wall_ms();

	cm_buf_printf(&path, "/api/v1/namespaces/%s/events", ns ? ns : "default");
	if (mc_get_json(c, path.data, true, &list)) {
		cm_buf_close(&path);
		mc_desc_line(b, 0, "Events:\t<none>");
		return;
	}
	mc_sort_objects(cJSON_GetObjectItem(list, "items"), ".lastTimestamp");
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(list, "items"))
	{
		const char *euid = cm_json_get_str(e, "involvedObject.uid");
		char age[64];
		int64_t t;
		if (euid ? strcmp(euid, uid)
			 : (strcmp(str(e, "involvedObject.name", ""), str(o, "metadata.name", "")) ||
			    strcmp(str(e, "involvedObject.kind", ""), str(o, "kind", ""))))
			continue;
		if (cm_time_parse(str(e, "lastTimestamp", str(e, "eventTime", "")), &t))
			snprintf(age, sizeof(age), "<unknown>");
		else
			mc_age_format((now - t) / 1000, age, sizeof(age));
		if (cm_json_int64_or(e, "count", 1) > 1) {
			int64_t f;
			char first[32] = "";
			if (!cm_time_parse(str(e, "firstTimestamp", ""), &f))
				mc_age_format((now - f) / 1000, first, sizeof(first));
			size_t l = strlen(age);
			snprintf(age + l, sizeof(age) - l, " (x%lld over %s)", (long long)cm_json_int64_or(e, "count", 1), first);
		}
		cm_buf_printf(&rows, "  %s\t%s\t%s\t%s\t%s\n", str(e, "type", "Normal"), str(e, "reason", ""), age,
			      str(e, "source.component", str(e, "reportingComponent", "")), str(e, "message", ""));
		n++;
	}
	if (!n) {
		mc_desc_line(b, 0, "Events:\t<none>");
	} else {
		mc_desc_line(b, 0, "Events:");
		mc_desc_line(b, 1, "Type\tReason\tAge\tFrom\tMessage");
		mc_desc_line(b, 1, "----\t------\t----\t----\t-------");
		cm_buf_puts(b, rows.data);
	}
	cJSON_Delete(list);
	cm_buf_close(&path);
	cm_buf_close(&rows);
}

static void describe_one(struct mc_ctx *c, const struct mc_resource *r, const cJSON *o, struct cm_buf *b)
{
	const char *k = r->kind;

	if (!strcmp(k, "Pod")) {
		describe_pod(b, o);
	} else if (!strcmp(k, "Deployment")) {
		describe_deployment(b, o);
	} else if (!strcmp(k, "ReplicaSet")) {
		describe_replicaset(b, o);
	} else if (!strcmp(k, "Service")) {
		struct cm_buf p = CM_BUF_INIT;
		cJSON *ep = NULL;
		cm_buf_printf(&p, "/api/v1/namespaces/%s/endpoints/%s", str(o, "metadata.namespace", ""), str(o, "metadata.name", ""));
		mc_get_json(c, p.data, true, &ep);
		describe_service(b, o, ep);
		cJSON_Delete(ep);
		cm_buf_close(&p);
	} else if (!strcmp(k, "Node")) {
		mc_describe_node(c, b, o);
	} else {
		describe_generic(b, o, r->namespaced);
	}
	if (strcmp(k, "ConfigMap") && strcmp(k, "Secret") && strcmp(k, "Namespace") && strcmp(k, "Event"))
		events(c, b, o);
}

int mc_run_describe(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	struct mc_strv pos = {0}, dash = {0};
	struct mc_targets ts = {0};
	struct mc_get_opts go = {0};
	bool failed = false, first = true;
	const struct mc_flag flags[] = {
		{"selector", 'l', MC_FLAG_STRING, &go.selector, "''", "Describe only objects whose labels match, e.g. app=web,tier!=db (=, ==, !=)."},
		{"all-namespaces", 'A', MC_FLAG_BOOL, &go.all_ns, "false", "Look in every namespace, not only the current one (--namespace is ignored)."},
		{"show-events", 0, MC_FLAG_BOOL, &go.show_kind, "true", "Add the events recorded about each object."},
	};
	int rc = mc_cmd_parse(c, cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &pos, &dash);

	if (rc)
		goto done;
	if ((rc = mc_targets_parse(c, &pos, 0, &ts)))
		goto done;
	for (size_t i = 0; i < ts.n; i++) {
		cJSON *objs = cJSON_CreateArray(), *o;
		struct mc_target t = ts.v[i];
		bool prefix = false;
		if (mc_get_objects(c, &go, &t, objs)) {
			/* a name that is not found may be a prefix, as kubectl allows */
			if (t.name) {
				struct mc_target all = {t.res, NULL};
				cJSON *every = cJSON_CreateArray();
				if (!mc_get_objects(c, &go, &all, every)) {
					cJSON_ArrayForEach(o, every) if (!strncmp(str(o, "metadata.name", ""), t.name, strlen(t.name)))
					{
						cJSON_AddItemToArray(objs, cJSON_Duplicate(o, 1));
						prefix = true;
					}
				}
				cJSON_Delete(every);
			}
			if (!prefix) {
				failed = true;
				cJSON_Delete(objs);
				continue;
			}
		}
		cJSON_ArrayForEach(o, objs)
		{
			struct cm_buf text = CM_BUF_INIT, out = CM_BUF_INIT;
			describe_one(c, t.res, o, &text);
			mc_tabwrite(text.data ? text.data : "", &out);
			if (!first)
				fputs("\n\n", c->out);
			first = false;
			fputs(out.data ? out.data : "", c->out);
			cm_buf_close(&text);
			cm_buf_close(&out);
		}
		if (!cJSON_GetArraySize(objs) && !t.name)
			fprintf(c->errout, "No resources found in %s namespace.\n", c->ns);
		cJSON_Delete(objs);
	}
	rc = failed ? MC_FAIL : 0;
done:
	mc_targets_close(&ts);
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}
