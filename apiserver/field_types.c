/* field_types.c: the JSON types of the fields clients most often get wrong, checked as kube-apiserver's decoder would. */
#include "apiserver/field_types.h"

#include <math.h>
#include <string.h>

#include "apiserver/status.h"
#include "common/buf.h"
#include "common/json.h"

/*
 * kube-apiserver decodes a body into Go structs, so `data: {enabled: true}` in
 * a ConfigMap or `replicas: "3"` is a 400 before any validation. This server
 * keeps JSON trees; without these checks such objects were stored and broke
 * their readers later. The table holds the fields where the mistake is common
 * (unquoted YAML booleans and numbers in string maps, quoted replicas).
 */
enum field_type { MAP_OF_STRINGS, INT32 };

static const struct {
	const char *plural, *path, *go_field;
	enum field_type type;
} fields[] = {
	{"configmaps", "data", "ConfigMap.data", MAP_OF_STRINGS},
	{"configmaps", "binaryData", "ConfigMap.binaryData", MAP_OF_STRINGS},
	{"secrets", "data", "Secret.data", MAP_OF_STRINGS},
	{"secrets", "stringData", "Secret.stringData", MAP_OF_STRINGS},
	{"deployments", "spec.replicas", "DeploymentSpec.spec.replicas", INT32},
	{"replicasets", "spec.replicas", "ReplicaSetSpec.spec.replicas", INT32},
};

static bool int32_ok(const cJSON *v)
{
	return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) && v->valuedouble >= -2147483648.0 &&
	       v->valuedouble <= 2147483647.0;
}

static cJSON *mismatch(const struct api_resource *r, const cJSON *v, const char *go_field, const char *want)
{
	struct cm_buf m = CM_BUF_INIT;
	cJSON *st;

	cm_buf_printf(&m, "%s in version \"%s\" cannot be handled as a %s: json: cannot unmarshal %s into Go struct "
			  "field %s of type %s", r->kind, r->version, r->kind, cm_json_go_type_name(v), go_field, want);
	st = api_status_bad_request(m.data ? m.data : "cannot be handled");
	cm_buf_close(&m);
	return st;
}

cJSON *api_field_types_check(const struct api_resource *r, const cJSON *obj)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const cJSON *v, *e;

		if (strcmp(fields[i].plural, r->plural) || !(v = cm_json_get(obj, fields[i].path)) || cJSON_IsNull(v))
			continue;
		if (fields[i].type == INT32) {
			if (!int32_ok(v))
				return mismatch(r, v, fields[i].go_field, "int32");
			continue;
		}
		if (!cJSON_IsObject(v))
			return mismatch(r, v, fields[i].go_field, "map[string]string");
		cJSON_ArrayForEach(e, v) {
			if (!cJSON_IsString(e) && !cJSON_IsNull(e))
				return mismatch(r, e, fields[i].go_field, "string");
		}
	}
	return NULL;
}
