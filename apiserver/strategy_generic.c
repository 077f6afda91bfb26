/* strategy_generic.c: resources with no rules of their own (configmaps, secrets, ...), namespaces, and the columns of endpoints. */
#include "apiserver/strategy.h"

#include <errno.h>
#include <string.h>

#include "apiserver/object.h"
#include "apiserver/resources.h"
#include "apiserver/table.h"
#include "common/json.h"

const struct api_strategy api_strategy_generic = {0};

static int ns_prepare_create(cJSON *obj, const struct api_strategy_env *env)
{
	int rc;

	(void)env;
	rc = cm_json_set_str(obj, "status.phase", "Active");
	if (!rc)
		rc = api_default_json(obj, "spec.finalizers", "[\"kubernetes\"]");
	if (!rc)
		rc = api_default_str(obj, "metadata.labels.kubernetes\\.io/metadata\\.name",
				     cm_json_str_or(obj, "metadata.name", ""));
	return rc;
}

/* The main resource does not change spec.finalizers: that is the finalize subresource's. */
static int ns_prepare_update(cJSON *obj, const cJSON *old)
{
	cJSON *f = cm_json_get(old, "spec.finalizers");

	if (!f) {
		cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "spec"), "finalizers");
		return 0;
	}
	return cm_json_set(obj, "spec.finalizers", cm_json_copy(f));
}

static int ns_cells(const cJSON *obj, cJSON *out, int64_t now_ms)
{
	int rc = api_table_add_str(out, api_obj_meta_str(obj, "name"));

	if (!rc)
		rc = api_table_add_str(out, cm_json_get(obj, "metadata.deletionTimestamp")
						    ? "Terminating"
						    : cm_json_str_or(obj, "status.phase", "Active"));
	if (!rc)
		rc = api_table_add_age(out, obj, now_ms);
	return rc;
}

const struct api_strategy api_strategy_namespace = {
	.prepare_create = ns_prepare_create,
	.prepare_update = ns_prepare_update,
	.columns = "[{\"name\":\"Name\",\"type\":\"string\",\"format\":\"name\",\"description\":\"\",\"priority\":0},"
		   "{\"name\":\"Status\",\"type\":\"string\",\"format\":\"\",\"description\":\"\",\"priority\":0},"
		   "{\"name\":\"Age\",\"type\":\"string\",\"format\":\"\",\"description\":\"\",\"priority\":0}]",
	.cells = ns_cells,
};

/* "10.0.0.1:80,10.0.0.2:80 + 3 more...": the first three addresses by port, as kubectl's formatEndpoints. */
static int ep_cells(const cJSON *obj, cJSON *out, int64_t now_ms)
{
	const cJSON *ss, *p, *a, *subsets = cm_json_get(obj, "subsets");
	struct cm_buf b = CM_BUF_INIT;
	int shown = 0, count = 0, rc;

	cJSON_ArrayForEach(ss, subsets) {
		const cJSON *ports = cJSON_GetObjectItemCaseSensitive(ss, "ports");
		const cJSON *addrs = cJSON_GetObjectItemCaseSensitive(ss, "addresses");

		if (!cJSON_GetArraySize(ports)) {
			cJSON_ArrayForEach(a, addrs) {
				count++;
				if (shown < 3 && ++shown)
					cm_buf_printf(&b, "%s%s", b.len ? "," : "", cm_json_str_or(a, "ip", ""));
			}
			continue;
		}
		cJSON_ArrayForEach(p, ports) {
			cJSON_ArrayForEach(a, addrs) {
				const char *ip = cm_json_str_or(a, "ip", "");
				bool v6 = strchr(ip, ':') != NULL;

				count++;
				if (shown < 3 && ++shown)
					cm_buf_printf(&b, "%s%s%s%s:%lld", b.len ? "," : "", v6 ? "[" : "", ip, v6 ? "]" : "",
						      (long long)cm_json_int64_or(p, "port", 0));
			}
		}
	}
	if (count > shown)
		cm_buf_printf(&b, " + %d more...", count - shown);
	rc = api_table_add_str(out, api_obj_meta_str(obj, "name"));
	if (!rc)
		rc = api_table_add_str(out, !cJSON_GetArraySize(subsets) ? "<none>" : b.data ? b.data : "");
	if (!rc)
		rc = api_table_add_age(out, obj, now_ms);
	cm_buf_close(&b);
	return rc;
}

const struct api_strategy api_strategy_endpoints = {
	.columns = "[{\"name\":\"Name\",\"type\":\"string\",\"format\":\"name\",\"description\":\"\",\"priority\":0},"
		   "{\"name\":\"Endpoints\",\"type\":\"string\",\"format\":\"\",\"description\":\"\",\"priority\":0},"
		   "{\"name\":\"Age\",\"type\":\"string\",\"format\":\"\",\"description\":\"\",\"priority\":0}]",
	.cells = ep_cells,
};
