/* admission_sa.c: the ServiceAccount admission of pods, as Kubernetes' plugin: account name and credentials volume. */
#include "apiserver/admission_sa.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/validate.h"
#include "common/buf.h"
#include "common/json.h"

/* The volume's projection (Kubernetes' BoundServiceAccountTokenVolume shape). */
#define PROJECTED                                                                                                  \
	"{\"defaultMode\":420,\"sources\":["                                                                          \
	"{\"serviceAccountToken\":{\"expirationSeconds\":3607,\"path\":\"token\"}},"                                  \
	"{\"configMap\":{\"name\":\"kube-root-ca.crt\",\"items\":[{\"key\":\"ca.crt\",\"path\":\"ca.crt\"}]}},"       \
	"{\"downwardAPI\":{\"items\":[{\"path\":\"namespace\","                                                       \
	"\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"metadata.namespace\"}}]}}]}"

int api_sa_admit_name(cJSON *pod)
{
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(pod, "spec");
	const char *name;

	if (!cJSON_IsObject(spec))
		return 0;
	name = cm_json_get_str(spec, "serviceAccountName");
	if (!name || !*name)
		name = cm_json_get_str(spec, "serviceAccount");
	if (!name || !*name)
		name = "default";
	/* set_str replaces: name may point into the field it overwrites, so copy it first */
	char *keep = strdup(name);
	int rc = keep ? 0 : -ENOMEM;

	if (!rc)
		rc = cm_json_set_str(spec, "serviceAccountName", keep);
	if (!rc)
		rc = cm_json_set_str(spec, "serviceAccount", keep);
	free(keep);
	return rc;
}

static bool mounts_credentials(const cJSON *pod)
{
	const cJSON *c, *m;

	for (int k = 0; k < 2; k++) {
		cJSON_ArrayForEach(c, cm_json_get(pod, k ? "spec.initContainers" : "spec.containers"))
		{
			cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(c, "volumeMounts"))
			{
				if (!strcmp(cm_json_str_or(m, "mountPath", ""), API_SA_MOUNT_PATH))
					return true;
			}
		}
	}
	return false;
}

static bool is_mirror(const cJSON *pod)
{
	/* a key with dots: looked up directly, not as a path */
	return cJSON_GetObjectItemCaseSensitive(cm_json_get(pod, "metadata.annotations"), "kubernetes.io/config.mirror");
}

bool api_sa_needs_account(const cJSON *pod)
{
	return !cJSON_IsBool(cm_json_get(pod, "spec.automountServiceAccountToken")) && !mounts_credentials(pod) &&
	       !is_mirror(pod);
}

/* Adds the read-only mount of volume name to every container of list (an array, or absent). */
static int add_mounts(cJSON *list, const char *name)
{
	cJSON *c;

	cJSON_ArrayForEach(c, list) {
		cJSON *mounts = cJSON_GetObjectItemCaseSensitive(c, "volumeMounts"), *m;

		if (!cJSON_IsObject(c))
			continue;
		if (!cJSON_IsArray(mounts)) {
			cJSON_DeleteItemFromObjectCaseSensitive(c, "volumeMounts");
			if (!(mounts = cJSON_AddArrayToObject(c, "volumeMounts")))
				return -ENOMEM;
		}
		if (!(m = cJSON_CreateObject()) || !cJSON_AddItemToArray(mounts, m) ||
		    !cJSON_AddStringToObject(m, "name", name) || !cJSON_AddBoolToObject(m, "readOnly", 1) ||
		    !cJSON_AddStringToObject(m, "mountPath", API_SA_MOUNT_PATH))
			return -ENOMEM;
	}
	return 0;
}

int api_sa_admit_token(cJSON *pod, const cJSON *sa, uint64_t rnd)
{
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(pod, "spec"), *vols, *v = NULL, *p;
	const cJSON *own = cJSON_GetObjectItemCaseSensitive(spec, "automountServiceAccountToken");
	const cJSON *sa_own = cm_json_get(sa, "automountServiceAccountToken");
	char *vname = NULL;
	int rc;

	if (!cJSON_IsObject(spec) || mounts_credentials(pod) || is_mirror(pod))
		return 0;
	if (cJSON_IsBool(own) ? cJSON_IsFalse(own) : cJSON_IsFalse(sa_own))
		return 0;
	if ((rc = api_generate_name("kube-api-access-", rnd, &vname)) < 0)
		return rc;
	vols = cJSON_GetObjectItemCaseSensitive(spec, "volumes");
	if (!cJSON_IsArray(vols)) {
		cJSON_DeleteItemFromObjectCaseSensitive(spec, "volumes");
		vols = cJSON_AddArrayToObject(spec, "volumes");
	}
	rc = -ENOMEM;
	if (!vols || !(v = cJSON_CreateObject()) || !cJSON_AddStringToObject(v, "name", vname))
		goto out;
	if (!(p = cJSON_Parse(PROJECTED)))
		goto out;
	if (!cJSON_AddItemToObject(v, "projected", p)) {
		cJSON_Delete(p);
		goto out;
	}
	if (!cJSON_AddItemToArray(vols, v))
		goto out;
	v = NULL;
	rc = add_mounts(cJSON_GetObjectItemCaseSensitive(spec, "containers"), vname);
	if (!rc)
		rc = add_mounts(cJSON_GetObjectItemCaseSensitive(spec, "initContainers"), vname);
out:
	cJSON_Delete(v);
	free(vname);
	return rc;
}
