/* envvars.c: Service environment variables (service links) for a pod's containers. */
#include "kubelet/envvars.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"

#define MASTER_NS "default"
#define MASTER_NAME "kubernetes"

/* A name as an environment variable prefix: upper case, '-' as '_'. */
static int env_name(const char *name, struct cm_buf *out)
{
	for (const char *p = name; *p; p++)
		if (cm_buf_putc(out, *p == '-' ? '_' : (char)toupper((unsigned char)*p)) < 0)
			return -ENOMEM;
	return 0;
}

static int add(cJSON *strs, const char *name, const char *value)
{
	cJSON *n = cJSON_CreateString(name), *v = cJSON_CreateString(value);

	if (!n || !v || !cJSON_AddItemToArray(strs, n)) {
		cJSON_Delete(n);
		cJSON_Delete(v);
		return -ENOMEM;
	}
	if (!cJSON_AddItemToArray(strs, v)) {
		cJSON_Delete(v);
		return -ENOMEM;
	}
	return 0;
}

/* add() of the variable prefix+suffix. */
static int addf(cJSON *strs, const struct cm_buf *prefix, const char *suffix, const char *value)
{
	struct cm_buf n = CM_BUF_INIT;
	int rc = cm_buf_printf(&n, "%s%s", prefix->data, suffix);

	if (!rc)
		rc = add(strs, n.data, value);
	cm_buf_close(&n);
	return rc;
}

static bool has_cluster_ip(const cJSON *svc)
{
	const char *ip = cm_json_get_str(svc, "spec.clusterIP");

	return ip && *ip && strcmp(ip, "None");
}

/* The variables of one Service with a cluster IP. */
static int service_vars(const cJSON *svc, cJSON *strs)
{
	const char *ip = cm_json_get_str(svc, "spec.clusterIP");
	struct cm_buf pre = CM_BUF_INIT, suf = CM_BUF_INIT, val = CM_BUF_INIT, host = CM_BUF_INIT;
	const cJSON *ports = cm_json_get(svc, "spec.ports"), *p;
	bool first = true;
	int rc;

	/* an IPv6 address in a URL takes brackets */
	rc = cm_buf_printf(&host, strchr(ip, ':') ? "[%s]" : "%s", ip);
	if (!rc)
		rc = env_name(cm_json_str_or(svc, "metadata.name", ""), &pre);
	if (!rc)
		rc = addf(strs, &pre, "_SERVICE_HOST", ip);
	cJSON_ArrayForEach(p, ports)
	{
		int64_t port = 0;
		const char *pname = cm_json_str_or(p, "name", ""), *proto = cm_json_str_or(p, "protocol", "TCP");
		char num[24], lower[16];
		size_t i;

		if (rc)
			break;
		cm_json_get_int64(p, "port", &port);
		snprintf(num, sizeof(num), "%lld", (long long)port);
		for (i = 0; proto[i] && i + 1 < sizeof(lower); i++)
			lower[i] = (char)tolower((unsigned char)proto[i]);
		lower[i] = '\0';
		cm_buf_reset(&val);
		rc = cm_buf_printf(&val, "%s://%s:%s", lower, host.data, num);
		if (!rc && first)
			rc = addf(strs, &pre, "_SERVICE_PORT", num);
		if (!rc && first)
			rc = addf(strs, &pre, "_PORT", val.data);
		first = false;
		if (!rc && *pname) {
			cm_buf_reset(&suf);
			rc = cm_buf_puts(&suf, "_SERVICE_PORT_");
			if (!rc)
				rc = env_name(pname, &suf);
			if (!rc)
				rc = addf(strs, &pre, suf.data, num);
		}
		cm_buf_reset(&suf);
		if (!rc)
			rc = cm_buf_printf(&suf, "_PORT_%s_", num);
		if (!rc)
			rc = env_name(proto, &suf);
		if (!rc)
			rc = addf(strs, &pre, suf.data, val.data);
		if (!rc)
			rc = cm_buf_puts(&pre, suf.data); /* {NAME}_PORT_{PORT}_{PROTO} now prefixes the rest */
		if (!rc)
			rc = addf(strs, &pre, "_PROTO", lower);
		if (!rc)
			rc = addf(strs, &pre, "_PORT", num);
		if (!rc)
			rc = addf(strs, &pre, "_ADDR", ip);
		if (!rc) {
			cm_buf_reset(&pre);
			rc = env_name(cm_json_str_or(svc, "metadata.name", ""), &pre);
		}
	}
	cm_buf_close(&pre);
	cm_buf_close(&suf);
	cm_buf_close(&val);
	cm_buf_close(&host);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(cm_json_str_or(*(const cJSON *const *)a, "metadata.name", ""),
		      cm_json_str_or(*(const cJSON *const *)b, "metadata.name", ""));
}

int kl_envvars_services(const cJSON *const *svcs, size_t n, const char *ns, bool links, cJSON *strs)
{
	const cJSON **pick = calloc(n + 1, sizeof(*pick)), *master = NULL;
	size_t k = 0;
	int rc = 0;

	if (!pick)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *sns = cm_json_str_or(svcs[i], "metadata.namespace", "");
		const char *name = cm_json_str_or(svcs[i], "metadata.name", "");

		if (!has_cluster_ip(svcs[i]))
			continue;
		if (!strcmp(sns, MASTER_NS) && !strcmp(name, MASTER_NAME))
			master = svcs[i];
		if (links && !strcmp(sns, ns))
			pick[k++] = svcs[i];
	}
	if (master) {
		bool shadowed = false;

		for (size_t i = 0; i < k; i++)
			shadowed |= !strcmp(cm_json_str_or(pick[i], "metadata.name", ""), MASTER_NAME);
		if (!shadowed)
			pick[k++] = master;
	}
	qsort(pick, k, sizeof(*pick), by_name);
	for (size_t i = 0; i < k && !rc; i++)
		rc = service_vars(pick[i], strs);
	free(pick);
	return rc;
}

void kl_envvars_dedupe(cJSON *strs)
{
	cJSON *seen = cJSON_CreateObject();
	int i = cJSON_GetArraySize(strs) - 2;

	/* without memory to remember names, duplicates stay: the runtime then sees both */
	for (; seen && i >= 0; i -= 2) {
		const char *name = cJSON_GetStringValue(cJSON_GetArrayItem(strs, i));

		if (!name)
			continue;
		if (cJSON_GetObjectItemCaseSensitive(seen, name)) {
			cJSON_DeleteItemFromArray(strs, i + 1);
			cJSON_DeleteItemFromArray(strs, i);
		} else {
			cJSON_AddTrueToObject(seen, name);
		}
	}
	cJSON_Delete(seen);
}
