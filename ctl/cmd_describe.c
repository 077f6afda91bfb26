/* cmd_describe.c: minictl describe: kubectl's layouts for pods, deployments, replicasets, services, nodes, and the object's Events. */
#include <errno.h>
#include <stdarg.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/timeutil.h"
#include "ctl/cli.h"
#include "ctl/get.h"
#include "ctl/print.h"
#include "ctl/target.h"

/* Lines are written with tabs between cells and aligned by mc_tabwrite at the end. */
static void line(struct cm_buf *b, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void line(struct cm_buf *b, int level, const char *fmt, ...)
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
static void map_lines(struct cm_buf *b, int level, const char *title, const cJSON *m)
{
	const cJSON *e;
	bool first = true, any = false;

	/* kubectl never shows the last-applied configuration */
	cJSON_ArrayForEach(e, m) if (strcmp(e->string, "kubectl.kubernetes.io/last-applied-configuration")) any = true;
	if (!any) {
		line(b, level, "%s:\t<none>", title);
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
			line(b, level, "%s:\t%s=%s", title, e->string, shown);
		else
			line(b, level, "\t%s=%s", e->string, shown);
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

/* A timestamp as kubectl describe prints one (RFC 1123 with a numeric zone), or "<unknown>". */
static void fmt_time(const char *ts, char *when, size_t n)
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

	fmt_time(ts, when, sizeof(when));
	line(b, 0, "%s:\t%s", title, when);
}

static void meta_header(struct cm_buf *b, const cJSON *o, bool namespaced)
{
	line(b, 0, "Name:\t%s", str(o, "metadata.name", ""));
	if (namespaced)
		line(b, 0, "Namespace:\t%s", str(o, "metadata.namespace", ""));
}

/* pad goes before each container's name: kubectl indents the names of a Pod Template's containers by one more space. */
static void containers(struct cm_buf *b, int level, const cJSON *list, const cJSON *statuses, const char *pad)
{
	const cJSON *ctr;

	cJSON_ArrayForEach(ctr, list)
	{
		const cJSON *port = cm_json_get(ctr, "ports.0"), *env = cJSON_GetObjectItem(ctr, "env"), *e, *st = NULL;
		line(b, level, "%s%s:", pad, str(ctr, "name", ""));
		cJSON_ArrayForEach(e, statuses) if (!strcmp(str(e, "name", ""), str(ctr, "name", ""))) st = e;
		if (st && cm_json_get_str(st, "containerID"))
			line(b, level + 1, "Container ID:\t%s", str(st, "containerID", ""));
		line(b, level + 1, "Image:\t%s", str(ctr, "image", ""));
		if (port)
			line(b, level + 1, "Port:\t%lld/%s", (long long)cm_json_int64_or(port, "containerPort", 0),
			     str(port, "protocol", "TCP"));
		else
			line(b, level + 1, "Port:\t<none>");
		line(b, level + 1, "Host Port:\t%s", port && cm_json_get(port, "hostPort") ? "set" : "<none>");
		if (cJSON_GetObjectItem(ctr, "command")) {
			line(b, level + 1, "Command:");
			cJSON_ArrayForEach(e, cJSON_GetObjectItem(ctr, "command")) line(b, level + 2, "%s", e->valuestring ? e->valuestring : "");
		}
		if (cJSON_GetObjectItem(ctr, "args")) {
			line(b, level + 1, "Args:");
			cJSON_ArrayForEach(e, cJSON_GetObjectItem(ctr, "args")) line(b, level + 2, "%s", e->valuestring ? e->valuestring : "");
		}
		if (st) {
			const char *state = cm_json_get(st, "state.running") ? "Running" : cm_json_get(st, "state.terminated") ? "Terminated" : "Waiting";
			line(b, level + 1, "State:\t%s", state);
			if (!strcmp(state, "Waiting") && cm_json_get_str(st, "state.waiting.reason"))
				line(b, level + 2, "Reason:\t%s", str(st, "state.waiting.reason", ""));
			if (!strcmp(state, "Terminated"))
				line(b, level + 2, "Exit Code:\t%lld", (long long)cm_json_int64_or(st, "state.terminated.exitCode", 0));
			line(b, level + 1, "Ready:\t%s", cJSON_IsTrue(cJSON_GetObjectItem(st, "ready")) ? "True" : "False");
			line(b, level + 1, "Restart Count:\t%lld", (long long)cm_json_int64_or(st, "restartCount", 0));
		}
		if (cm_json_get(ctr, "resources.limits")) {
			line(b, level + 1, "Limits:");
			cJSON_ArrayForEach(e, cm_json_get(ctr, "resources.limits")) line(b, level + 2, "%s:\t%s", e->string, e->valuestring ? e->valuestring : "");
		}
		if (cm_json_get(ctr, "resources.requests")) {
			line(b, level + 1, "Requests:");
			cJSON_ArrayForEach(e, cm_json_get(ctr, "resources.requests")) line(b, level + 2, "%s:\t%s", e->string, e->valuestring ? e->valuestring : "");
		}
		if (!env || !env->child) {
			line(b, level + 1, "Environment:\t<none>");
		} else {
			line(b, level + 1, "Environment:");
			cJSON_ArrayForEach(e, env)
			{
				if (cm_json_get(e, "valueFrom"))
					line(b, level + 2, "%s:\t<set to a reference>", str(e, "name", ""));
				else
					line(b, level + 2, "%s:\t%s", str(e, "name", ""), str(e, "value", ""));
			}
		}
		if (!cm_json_get(ctr, "volumeMounts.0")) {
			line(b, level + 1, "Mounts:\t<none>");
		} else {
			line(b, level + 1, "Mounts:");
			cJSON_ArrayForEach(e, cJSON_GetObjectItem(ctr, "volumeMounts"))
				line(b, level + 2, "%s from %s (%s)", str(e, "mountPath", ""), str(e, "name", ""),
				     cJSON_IsTrue(cJSON_GetObjectItem(e, "readOnly")) ? "ro" : "rw");
		}
	}
}

static void describe_pod(struct cm_buf *b, const cJSON *o)
{
	const cJSON *e;
	const char *node = cm_json_get_str(o, "spec.nodeName");

	meta_header(b, o, true);
	line(b, 0, "Priority:\t%lld", (long long)cm_json_int64_or(o, "spec.priority", 0));
	line(b, 0, "Service Account:\t%s", str(o, "spec.serviceAccountName", "default"));
	if (node)
		line(b, 0, "Node:\t%s/%s", node, str(o, "status.hostIP", ""));
	else
		line(b, 0, "Node:\t<none>");
	if (cm_json_get_str(o, "status.startTime"))
		time_line(b, "Start Time", cm_json_get_str(o, "status.startTime"));
	map_lines(b, 0, "Labels", cm_json_get(o, "metadata.labels"));
	map_lines(b, 0, "Annotations", cm_json_get(o, "metadata.annotations"));
	line(b, 0, "Status:\t%s", cm_json_get(o, "metadata.deletionTimestamp") ? "Terminating" : str(o, "status.phase", "Pending"));
	line(b, 0, "IP:\t%s", str(o, "status.podIP", ""));
	if (cm_json_get(o, "status.podIPs.0")) {
		line(b, 0, "IPs:");
		cJSON_ArrayForEach(e, cm_json_get(o, "status.podIPs")) line(b, 1, "IP:\t%s", str(e, "ip", ""));
	} else {
		line(b, 0, "IPs:\t<none>");
	}
	{
		const cJSON *ref = cm_json_get(o, "metadata.ownerReferences.0");
		if (ref)
			line(b, 0, "Controlled By:\t%s/%s", str(ref, "kind", ""), str(ref, "name", ""));
	}
	if (cm_json_get(o, "spec.initContainers.0")) {
		line(b, 0, "Init Containers:");
		containers(b, 1, cm_json_get(o, "spec.initContainers"), cm_json_get(o, "status.initContainerStatuses"), "");
	}
	line(b, 0, "Containers:");
	containers(b, 1, cm_json_get(o, "spec.containers"), cm_json_get(o, "status.containerStatuses"), "");
	if (cm_json_get(o, "status.conditions.0")) {
		line(b, 0, "Conditions:");
		line(b, 1, "Type\tStatus");
		cJSON_ArrayForEach(e, cm_json_get(o, "status.conditions")) line(b, 1, "%s \t%s ", str(e, "type", ""), str(e, "status", ""));
	}
	if (!cm_json_get(o, "spec.volumes.0")) {
		line(b, 0, "Volumes:\t<none>");
	} else {
		line(b, 0, "Volumes:");
		cJSON_ArrayForEach(e, cm_json_get(o, "spec.volumes"))
		{
			line(b, 1, "%s:", str(e, "name", ""));
			if (cm_json_get(e, "emptyDir"))
				line(b, 2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)");
			else if (cm_json_get(e, "configMap"))
				line(b, 2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t%s", str(e, "configMap.name", ""));
			else if (cm_json_get(e, "secret"))
				line(b, 2, "Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t%s", str(e, "secret.secretName", ""));
			else if (cm_json_get(e, "hostPath"))
				line(b, 2, "Type:\tHostPath (bare host directory volume)\n    Path:\t%s", str(e, "hostPath.path", ""));
		}
	}
	line(b, 0, "QoS Class:\t%s", str(o, "status.qosClass", "BestEffort"));
	{
		struct cm_buf s = CM_BUF_INIT;
		selector_text(cm_json_get(o, "spec.nodeSelector"), &s);
		line(b, 0, "Node-Selectors:\t%s", s.data);
		cm_buf_close(&s);
	}
	if (!cm_json_get(o, "spec.tolerations.0")) {
		line(b, 0, "Tolerations:\t<none>");
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
			line(b, 0, "%s\t%s", first ? "Tolerations:" : "", t.data);
			first = false;
			cm_buf_close(&t);
		}
	}
}

static void pod_template(struct cm_buf *b, const cJSON *tmpl)
{
	line(b, 0, "Pod Template:");
	map_lines(b, 1, "Labels", cm_json_get(tmpl, "metadata.labels"));
	if (cm_json_get(tmpl, "metadata.annotations"))
		map_lines(b, 1, "Annotations", cm_json_get(tmpl, "metadata.annotations"));
	line(b, 1, "Containers:");
	containers(b, 1, cm_json_get(tmpl, "spec.containers"), NULL, " ");
	line(b, 1, "Volumes:\t%s", cm_json_get(tmpl, "spec.volumes.0") ? "(see spec)" : "<none>");
	line(b, 1, "Node-Selectors:\t%s", cm_json_get(tmpl, "spec.nodeSelector") ? "(set)" : "<none>");
	line(b, 1, "Tolerations:\t%s", cm_json_get(tmpl, "spec.tolerations.0") ? "(set)" : "<none>");
}

static void describe_deployment(struct cm_buf *b, const cJSON *o)
{
	struct cm_buf sel = CM_BUF_INIT;
	const cJSON *e;

	meta_header(b, o, true);
	time_line(b, "CreationTimestamp", cm_json_get_str(o, "metadata.creationTimestamp"));
	map_lines(b, 0, "Labels", cm_json_get(o, "metadata.labels"));
	map_lines(b, 0, "Annotations", cm_json_get(o, "metadata.annotations"));
	selector_text(cm_json_get(o, "spec.selector.matchLabels"), &sel);
	line(b, 0, "Selector:\t%s", sel.data);
	{
		int64_t want = cm_json_int64_or(o, "spec.replicas", 1);
		int64_t upd = cm_json_int64_or(o, "status.updatedReplicas", 0), tot = cm_json_int64_or(o, "status.replicas", 0);
		int64_t av = cm_json_int64_or(o, "status.availableReplicas", 0), un = cm_json_int64_or(o, "status.unavailableReplicas", 0);
		line(b, 0, "Replicas:\t%lld desired | %lld updated | %lld total | %lld available | %lld unavailable",
		     (long long)want, (long long)upd, (long long)tot, (long long)av, (long long)un);
	}
	line(b, 0, "StrategyType:\t%s", str(o, "spec.strategy.type", "RollingUpdate"));
	line(b, 0, "MinReadySeconds:\t%lld", (long long)cm_json_int64_or(o, "spec.minReadySeconds", 0));
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
		line(b, 0, "RollingUpdateStrategy:\t%s max unavailable, %s max surge", us, su);
	}
	pod_template(b, cm_json_get(o, "spec.template"));
	if (cm_json_get(o, "status.conditions.0")) {
		line(b, 0, "Conditions:");
		line(b, 1, "Type\tStatus\tReason");
		line(b, 1, "----\t------\t------");
		cJSON_ArrayForEach(e, cm_json_get(o, "status.conditions"))
			line(b, 1, "%s \t%s \t%s", str(e, "type", ""), str(e, "status", ""), str(e, "reason", ""));
	}
	cm_buf_close(&sel);
}

static void describe_replicaset(struct cm_buf *b, const cJSON *o)
{
	struct cm_buf sel = CM_BUF_INIT;
	const cJSON *ref = cm_json_get(o, "metadata.ownerReferences.0");

	meta_header(b, o, true);
	selector_text(cm_json_get(o, "spec.selector.matchLabels"), &sel);
	line(b, 0, "Selector:\t%s", sel.data);
	map_lines(b, 0, "Labels", cm_json_get(o, "metadata.labels"));
	map_lines(b, 0, "Annotations", cm_json_get(o, "metadata.annotations"));
	if (ref)
		line(b, 0, "Controlled By:\t%s/%s", str(ref, "kind", ""), str(ref, "name", ""));
	line(b, 0, "Replicas:\t%lld current / %lld desired", (long long)cm_json_int64_or(o, "status.replicas", 0),
	     (long long)cm_json_int64_or(o, "spec.replicas", 1));
	line(b, 0, "Pods Status:\t%lld Running / %lld Waiting / %lld Succeeded / %lld Failed",
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
	map_lines(b, 0, "Labels", cm_json_get(o, "metadata.labels"));
	map_lines(b, 0, "Annotations", cm_json_get(o, "metadata.annotations"));
	selector_text(cm_json_get(o, "spec.selector"), &sel);
	line(b, 0, "Selector:\t%s", sel.data);
	line(b, 0, "Type:\t%s", str(o, "spec.type", "ClusterIP"));
	line(b, 0, "IP Family Policy:\t%s", str(o, "spec.ipFamilyPolicy", "SingleStack"));
	line(b, 0, "IP Families:\t%s", str(o, "spec.ipFamilies.0", "IPv4"));
	line(b, 0, "IP:\t%s", str(o, "spec.clusterIP", "None"));
	line(b, 0, "IPs:\t%s", str(o, "spec.clusterIPs.0", str(o, "spec.clusterIP", "None")));
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
		line(b, 0, "Port:\t%s  %lld/%s", str(p, "name", "<unset>"), (long long)cm_json_int64_or(p, "port", 0),
		     str(p, "protocol", "TCP"));
		if (cJSON_IsString(tp))
			line(b, 0, "TargetPort:\t%s/%s", tp->valuestring, str(p, "protocol", "TCP"));
		else
			line(b, 0, "TargetPort:\t%lld/%s", (long long)cm_json_int64_or(p, "targetPort", 0), str(p, "protocol", "TCP"));
		if (cm_json_get(p, "nodePort"))
			line(b, 0, "NodePort:\t%s  %lld/%s", str(p, "name", "<unset>"), (long long)cm_json_int64_or(p, "nodePort", 0),
			     str(p, "protocol", "TCP"));
		line(b, 0, "Endpoints:\t%s", eps.len ? eps.data : "<none>");
	}
	line(b, 0, "Session Affinity:\t%s", str(o, "spec.sessionAffinity", "None"));
	if (cm_json_get(o, "spec.externalTrafficPolicy"))
		line(b, 0, "External Traffic Policy:\t%s", str(o, "spec.externalTrafficPolicy", "Cluster"));
	cm_buf_close(&sel);
	cm_buf_close(&eps);
}

static void describe_node(struct cm_buf *b, const cJSON *o)
{
	static const char *const info[][2] = {
		{"Machine ID", "machineID"}, {"System UUID", "systemUUID"}, {"Boot ID", "bootID"},
		{"Kernel Version", "kernelVersion"}, {"OS Image", "osImage"}, {"Operating System", "operatingSystem"},
		{"Architecture", "architecture"}, {"Container Runtime Version", "containerRuntimeVersion"},
		{"Kubelet Version", "kubeletVersion"}, {"Kube-Proxy Version", "kubeProxyVersion"}};
	const cJSON *e;
	struct cm_buf roles = CM_BUF_INIT;

	meta_header(b, o, false);
	cJSON_ArrayForEach(e, cm_json_get(o, "metadata.labels"))
	{
		if (!strncmp(e->string, "node-role.kubernetes.io/", 24))
			cm_buf_printf(&roles, "%s%s", roles.len ? "," : "", e->string + 24);
	}
	line(b, 0, "Roles:\t%s", roles.len ? roles.data : "<none>");
	cm_buf_close(&roles);
	map_lines(b, 0, "Labels", cm_json_get(o, "metadata.labels"));
	map_lines(b, 0, "Annotations", cm_json_get(o, "metadata.annotations"));
	time_line(b, "CreationTimestamp", cm_json_get_str(o, "metadata.creationTimestamp"));
	if (!cm_json_get(o, "spec.taints.0")) {
		line(b, 0, "Taints:\t<none>");
	} else {
		bool first = true;
		cJSON_ArrayForEach(e, cm_json_get(o, "spec.taints"))
		{
			line(b, 0, "%s\t%s%s%s:%s", first ? "Taints:" : "", str(e, "key", ""), cm_json_get_str(e, "value") ? "=" : "",
			     str(e, "value", ""), str(e, "effect", ""));
			first = false;
		}
	}
	line(b, 0, "Unschedulable:\t%s", cJSON_IsTrue(cm_json_get(o, "spec.unschedulable")) ? "true" : "false");
	line(b, 0, "Conditions:");
	line(b, 1, "Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage");
	line(b, 1, "----\t------\t-----------------\t------------------\t------\t-------");
	cJSON_ArrayForEach(e, cm_json_get(o, "status.conditions"))
	{
		char hb[64], tr[64];
		fmt_time(cm_json_get_str(e, "lastHeartbeatTime"), hb, sizeof(hb));
		fmt_time(cm_json_get_str(e, "lastTransitionTime"), tr, sizeof(tr));
		line(b, 1, "%s \t%s \t%s \t%s \t%s \t%s", str(e, "type", ""), str(e, "status", ""), hb, tr,
		     str(e, "reason", ""), str(e, "message", ""));
	}
	line(b, 0, "Addresses:");
	cJSON_ArrayForEach(e, cm_json_get(o, "status.addresses")) line(b, 1, "%s:\t%s", str(e, "type", ""), str(e, "address", ""));
	line(b, 0, "Capacity:");
	cJSON_ArrayForEach(e, cm_json_get(o, "status.capacity")) line(b, 1, "%s:\t%s", e->string, cJSON_IsString(e) ? e->valuestring : "");
	line(b, 0, "Allocatable:");
	cJSON_ArrayForEach(e, cm_json_get(o, "status.allocatable")) line(b, 1, "%s:\t%s", e->string, cJSON_IsString(e) ? e->valuestring : "");
	line(b, 0, "System Info:");
	for (size_t i = 0; i < sizeof(info) / sizeof(info[0]); i++)
		line(b, 1, "%s:\t%s", info[i][0], str(cm_json_get(o, "status.nodeInfo"), info[i][1], ""));
	if (cm_json_get_str(o, "spec.podCIDR")) {
		struct cm_buf cidrs = CM_BUF_INIT;
		line(b, 0, "PodCIDR:\t%s", str(o, "spec.podCIDR", ""));
		cJSON_ArrayForEach(e, cm_json_get(o, "spec.podCIDRs"))
			cm_buf_printf(&cidrs, "%s%s", cidrs.len ? "," : "", cJSON_IsString(e) ? e->valuestring : "");
		line(b, 0, "PodCIDRs:\t%s", cidrs.len ? cidrs.data : str(o, "spec.podCIDR", ""));
		cm_buf_close(&cidrs);
	}
}

static void describe_generic(struct cm_buf *b, const cJSON *o, bool namespaced)
{
	const cJSON *e;

	meta_header(b, o, namespaced);
	map_lines(b, 0, "Labels", cm_json_get(o, "metadata.labels"));
	map_lines(b, 0, "Annotations", cm_json_get(o, "metadata.annotations"));
	if (!strcmp(str(o, "kind", ""), "Namespace")) {
		line(b, 0, "Status:\t%s", str(o, "status.phase", "Active"));
		cm_buf_putc(b, '\n');
		line(b, 0, "No resource quota.");
		cm_buf_putc(b, '\n');
		line(b, 0, "No LimitRange resource.");
		return;
	}
	if (cm_json_get(o, "data") && (!strcmp(str(o, "kind", ""), "ConfigMap") || !strcmp(str(o, "kind", ""), "Secret"))) {
		bool secret = !strcmp(str(o, "kind", ""), "Secret");
		cm_buf_putc(b, '\n');
		if (secret)
			line(b, 0, "Type:\t%s\n", str(o, "type", "Opaque"));
		line(b, 0, "Data");
		line(b, 0, "====");
		cJSON_ArrayForEach(e, cm_json_get(o, "data"))
		{
			if (secret) {
				line(b, 0, "%s:\t%zu bytes", e->string, cJSON_IsString(e) ? strlen(e->valuestring) * 3 / 4 : 0);
			} else {
				line(b, 0, "%s:", e->string);
				line(b, 0, "----");
				line(b, 0, "%s", cJSON_IsString(e) ? e->valuestring : "");
				cm_buf_putc(b, '\n');
			}
		}
		return;
	}
	if (cm_json_get(o, "spec")) {
		struct cm_buf j = CM_BUF_INIT;
		mc_json_pretty(cm_json_get(o, "spec"), &j);
		line(b, 0, "Spec:\t%s", j.data);
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
		line(b, 0, "Events:\t<none>");
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
		line(b, 0, "Events:\t<none>");
	} else {
		line(b, 0, "Events:");
		line(b, 1, "Type\tReason\tAge\tFrom\tMessage");
		line(b, 1, "----\t------\t----\t----\t-------");
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
		describe_node(b, o);
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
