/* pod_refs.h: the objects a pod names (Secrets, ConfigMaps, claims, its ServiceAccount), the edges of the Node authorizer's graph. */
#ifndef API_POD_REFS_H
#define API_POD_REFS_H

#include <cjson/cJSON.h>

/* What a pod may name; the values are one letter so that index keys stay short. */
enum api_pod_ref {
	API_POD_REF_SECRET = 's',
	API_POD_REF_CONFIGMAP = 'c',
	API_POD_REF_PVC = 'p',
	API_POD_REF_SA = 'a',
};

/*
 * Calls fn(kind, name, ud) for each object pod names in its own namespace:
 * Secrets and ConfigMaps of volumes (projected sources too), of env valueFrom
 * and envFrom of every container, init and ephemeral container, Secrets of
 * imagePullSecrets and of volume plugins' secretRef; claims of volumes
 * (an ephemeral volume's is POD-VOLUME); the ServiceAccount (none named:
 * "default"). A name may come more than once. Stops at the first fn that
 * returns nonzero and returns that value; else 0. Names are borrowed from pod.
 */
int api_pod_refs(const cJSON *pod, int (*fn)(int kind, const char *name, void *ud), void *ud);

#endif
