/* strategy_deployment.c: deployments, replicasets and daemonsets: defaults, checks, kubectl's columns. */
#include "apiserver/strategy.h"

#include <stdio.h>
#include <string.h>

#include "apiserver/object.h"
#include "apiserver/resources.h"
#include "apiserver/table.h"
#include "common/json.h"

static int deploy_defaults(cJSON *obj)
{
	int rc = api_workload_defaults(obj, true);

	if (!rc)
		rc = api_default_num(obj, "spec.revisionHistoryLimit", 10);
	if (!rc)
		rc = api_default_str(obj, "spec.strategy.type", "RollingUpdate");
	if (!rc && !strcmp(cm_json_str_or(obj, "spec.strategy.type", ""), "RollingUpdate")) {
		rc = api_default_str(obj, "spec.strategy.rollingUpdate.maxSurge", "25%");
		if (!rc)
			rc = api_default_str(obj, "spec.strategy.rollingUpdate.maxUnavailable", "25%");
	}
	if (!rc)
		rc = api_default_num(obj, "spec.progressDeadlineSeconds", 600);
	return rc;
}

static int deploy_create(cJSON *obj, const struct api_strategy_env *env)
{
	(void)env;
	return deploy_defaults(obj);
}

static int deploy_update(cJSON *obj, const cJSON *old)
{
	(void)old;
	return deploy_defaults(obj);
}

static int rs_create(cJSON *obj, const struct api_strategy_env *env)
{
	(void)env;
	return api_workload_defaults(obj, true);
}

static int rs_update(cJSON *obj, const cJSON *old)
{
	(void)old;
	return api_workload_defaults(obj, true);
}

static int ds_create(cJSON *obj, const struct api_strategy_env *env)
{
	int rc = api_workload_defaults(obj, false);

	(void)env;
	/* A ReplicaSet has no history of its own: only these two keep revisions. */
	if (!rc)
		rc = api_default_num(obj, "spec.revisionHistoryLimit", 10);
	if (!rc)
		rc = api_default_str(obj, "spec.updateStrategy.type", "RollingUpdate");
	return rc;
}

static int ds_update(cJSON *obj, const cJSON *old)
{
	(void)old;
	return ds_create(obj, NULL);
}

static void cell_ratio(cJSON *out, int64_t a, int64_t b)
{
	char s[48];

	snprintf(s, sizeof(s), "%lld/%lld", (long long)a, (long long)b);
	api_table_add_str(out, s);
}

/* -o wide's CONTAINERS, IMAGES and SELECTOR, as kubectl prints them for every workload. */
static int wide_cells(const cJSON *obj, cJSON *out)
{
	int rc = api_table_add_containers(out, cm_json_get(obj, "spec.template.spec.containers"));

	return rc ? rc : api_table_add_selector(out, cm_json_get(obj, "spec.selector"));
}

static int deploy_cells(const cJSON *obj, cJSON *out, int64_t now_ms)
{
	api_table_add_str(out, api_obj_meta_str(obj, "name"));
	cell_ratio(out, cm_json_int64_or(obj, "status.readyReplicas", 0), cm_json_int64_or(obj, "spec.replicas", 1));
	api_table_add_int(out, cm_json_int64_or(obj, "status.updatedReplicas", 0));
	api_table_add_int(out, cm_json_int64_or(obj, "status.availableReplicas", 0));
	api_table_add_age(out, obj, now_ms);
	return wide_cells(obj, out);
}

static int rs_cells(const cJSON *obj, cJSON *out, int64_t now_ms)
{
	api_table_add_str(out, api_obj_meta_str(obj, "name"));
	api_table_add_int(out, cm_json_int64_or(obj, "spec.replicas", 1));
	api_table_add_int(out, cm_json_int64_or(obj, "status.replicas", 0));
	api_table_add_int(out, cm_json_int64_or(obj, "status.readyReplicas", 0));
	api_table_add_age(out, obj, now_ms);
	return wide_cells(obj, out);
}

static int ds_cells(const cJSON *obj, cJSON *out, int64_t now_ms)
{
	api_table_add_str(out, api_obj_meta_str(obj, "name"));
	api_table_add_int(out, cm_json_int64_or(obj, "status.desiredNumberScheduled", 0));
	api_table_add_int(out, cm_json_int64_or(obj, "status.currentNumberScheduled", 0));
	api_table_add_int(out, cm_json_int64_or(obj, "status.numberReady", 0));
	api_table_add_int(out, cm_json_int64_or(obj, "status.updatedNumberScheduled", 0));
	api_table_add_int(out, cm_json_int64_or(obj, "status.numberAvailable", 0));
	api_table_add_labels(out, cm_json_get(obj, "spec.template.spec.nodeSelector"));
	api_table_add_age(out, obj, now_ms);
	return wide_cells(obj, out);
}

#define NAME_COL "{\"name\":\"Name\",\"type\":\"string\",\"format\":\"name\",\"description\":\"\",\"priority\":0}"
#define COL(n, t) ",{\"name\":\"" n "\",\"type\":\"" t "\",\"format\":\"\",\"description\":\"\",\"priority\":0}"
#define WIDE_COL(n) ",{\"name\":\"" n "\",\"type\":\"string\",\"format\":\"\",\"description\":\"\",\"priority\":1}"
#define WIDE_COLS WIDE_COL("Containers") WIDE_COL("Images") WIDE_COL("Selector")

const struct api_strategy api_strategy_deployment = {
	.prepare_create = deploy_create,
	.prepare_update = deploy_update,
	.validate = api_workload_validate,
	.columns = "[" NAME_COL COL("Ready", "string") COL("Up-to-date", "integer") COL("Available", "integer")
		   COL("Age", "string") WIDE_COLS "]",
	.cells = deploy_cells,
};

const struct api_strategy api_strategy_replicaset = {
	.prepare_create = rs_create,
	.prepare_update = rs_update,
	.validate = api_workload_validate,
	.columns = "[" NAME_COL COL("Desired", "integer") COL("Current", "integer") COL("Ready", "integer")
		   COL("Age", "string") WIDE_COLS "]",
	.cells = rs_cells,
};

const struct api_strategy api_strategy_daemonset = {
	.prepare_create = ds_create,
	.prepare_update = ds_update,
	.validate = api_workload_validate,
	.columns = "[" NAME_COL COL("Desired", "integer") COL("Current", "integer") COL("Ready", "integer")
		   COL("Up-to-date", "integer") COL("Available", "integer") COL("Node Selector", "string")
		   COL("Age", "string") WIDE_COLS "]",
	.cells = ds_cells,
};
