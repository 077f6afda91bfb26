/* strategy_workload.c: rules the apps/v1 workloads share: selector vs template labels, replicas, template defaults. */
#include "apiserver/strategy.h"

#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/selector.h"

int api_workload_defaults(cJSON *obj, bool with_replicas)
{
	int rc = with_replicas ? api_default_num(obj, "spec.replicas", 1) : 0;

	if (!rc)
		rc = api_pod_spec_defaults(cm_json_get(obj, "spec.template.spec"));
	return rc;
}

void api_workload_validate(const cJSON *obj, const cJSON *old, struct api_ferrs *errs)
{
	const cJSON *sel = cm_json_get(obj, "spec.selector");
	const cJSON *labels = cm_json_get(obj, "spec.template.metadata.labels");
	struct cm_selector *s = NULL;
	struct cm_buf err = CM_BUF_INIT;
	int64_t replicas;

	if (!cJSON_IsObject(sel)) {
		api_ferr_required(errs, "spec.selector", NULL);
	} else if (cm_selector_from_json(sel, &s, &err) < 0) {
		api_ferr_invalid(errs, "spec.selector", "", err.data ? err.data : "invalid selector");
	} else if (cm_selector_empty(s)) {
		api_ferr_invalid(errs, "spec.selector", "", "empty selector is invalid for deployment");
	} else if (!cm_selector_matches(s, labels)) {
		api_ferr_invalid(errs, "spec.template.metadata.labels", "", "`selector` does not match template `labels`");
	}
	cm_selector_free(s);
	cm_buf_close(&err);
	if (cm_json_get_int64(obj, "spec.replicas", &replicas) == 0 && replicas < 0)
		api_ferr_invalid_int(errs, "spec.replicas", replicas, "must be greater than or equal to 0");
	api_pod_spec_validate(cm_json_get(obj, "spec.template.spec"), "spec.template.spec", errs);
	if (old && sel && cm_json_get(old, "spec.selector") && !cm_json_equal(sel, cm_json_get(old, "spec.selector")))
		api_ferr_invalid(errs, "spec.selector", "", "field is immutable");
}
