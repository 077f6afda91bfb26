/* pod_refs.c: the objects a pod names, walked as Kubernetes' node graph walks them (pod -> secret, configmap, claim, account). */
#include "apiserver/pod_refs.h"

#include <string.h>

#include "common/buf.h"
#include "common/json.h"

/* Volume plugins whose credentials are a Secret named at VOLUME.<plugin>.<path>. */
static const char *const volume_secrets[] = {
	"azureFile.secretName",	     "cephfs.secretRef.name",	"cinder.secretRef.name",
	"flexVolume.secretRef.name", "iscsi.secretRef.name",	"rbd.secretRef.name",
	"scaleIO.secretRef.name",    "storageos.secretRef.name", "csi.nodePublishSecretRef.name",
	NULL,
};

/* fn on a name when there is one: a reference without a name is no edge. */
static int visit(int kind, const char *name, int (*fn)(int, const char *, void *), void *ud)
{
	return name && *name ? fn(kind, name, ud) : 0;
}

static int container_refs(const cJSON *list, int (*fn)(int, const char *, void *), void *ud)
{
	const cJSON *c, *e;
	int rc = 0;

	cJSON_ArrayForEach(c, list)
	{
		cJSON_ArrayForEach(e, cm_json_get(c, "env"))
		{
			if ((rc = visit(API_POD_REF_SECRET, cm_json_get_str(e, "valueFrom.secretKeyRef.name"), fn, ud)) ||
			    (rc = visit(API_POD_REF_CONFIGMAP, cm_json_get_str(e, "valueFrom.configMapKeyRef.name"), fn,
					ud)))
				return rc;
		}
		cJSON_ArrayForEach(e, cm_json_get(c, "envFrom"))
		{
			if ((rc = visit(API_POD_REF_SECRET, cm_json_get_str(e, "secretRef.name"), fn, ud)) ||
			    (rc = visit(API_POD_REF_CONFIGMAP, cm_json_get_str(e, "configMapRef.name"), fn, ud)))
				return rc;
		}
	}
	return 0;
}

/* An ephemeral volume's claim is named after the pod and the volume, as the ephemeral volume controller makes it. */
static int ephemeral_claim(const cJSON *pod, const cJSON *vol, int (*fn)(int, const char *, void *), void *ud)
{
	struct cm_buf name = CM_BUF_INIT;
	int rc = 0;

	if (!cm_json_get(vol, "ephemeral"))
		return 0;
	if (cm_buf_printf(&name, "%s-%s", cm_json_str_or(pod, "metadata.name", ""), cm_json_str_or(vol, "name", "")) ==
	    0)
		rc = visit(API_POD_REF_PVC, name.data, fn, ud);
	cm_buf_close(&name);
	return rc;
}

static int volume_refs(const cJSON *pod, const cJSON *vol, int (*fn)(int, const char *, void *), void *ud)
{
	const cJSON *src;
	int rc;

	if ((rc = visit(API_POD_REF_SECRET, cm_json_get_str(vol, "secret.secretName"), fn, ud)) ||
	    (rc = visit(API_POD_REF_CONFIGMAP, cm_json_get_str(vol, "configMap.name"), fn, ud)) ||
	    (rc = visit(API_POD_REF_PVC, cm_json_get_str(vol, "persistentVolumeClaim.claimName"), fn, ud)) ||
	    (rc = ephemeral_claim(pod, vol, fn, ud)))
		return rc;
	for (const char *const *p = volume_secrets; *p; p++)
		if ((rc = visit(API_POD_REF_SECRET, cm_json_get_str(vol, *p), fn, ud)))
			return rc;
	cJSON_ArrayForEach(src, cm_json_get(vol, "projected.sources"))
	{
		if ((rc = visit(API_POD_REF_SECRET, cm_json_get_str(src, "secret.name"), fn, ud)) ||
		    (rc = visit(API_POD_REF_CONFIGMAP, cm_json_get_str(src, "configMap.name"), fn, ud)))
			return rc;
	}
	return 0;
}

int api_pod_refs(const cJSON *pod, int (*fn)(int kind, const char *name, void *ud), void *ud)
{
	static const char *const containers[] = {"spec.containers", "spec.initContainers", "spec.ephemeralContainers",
						 NULL};
	const char *sa = cm_json_str_or(pod, "spec.serviceAccountName", "");
	const cJSON *v;
	int rc;

	if ((rc = fn(API_POD_REF_SA, *sa ? sa : "default", ud)))
		return rc;
	for (const char *const *c = containers; *c; c++)
		if ((rc = container_refs(cm_json_get(pod, *c), fn, ud)))
			return rc;
	cJSON_ArrayForEach(v, cm_json_get(pod, "spec.imagePullSecrets"))
		if ((rc = visit(API_POD_REF_SECRET, cm_json_get_str(v, "name"), fn, ud)))
			return rc;
	cJSON_ArrayForEach(v, cm_json_get(pod, "spec.volumes"))
		if ((rc = volume_refs(pod, v, fn, ud)))
			return rc;
	return 0;
}
