/* admission_sa.h: the ServiceAccount admission of pods: the default account and its API credentials volume. */
#ifndef API_ADMISSION_SA_H
#define API_ADMISSION_SA_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* Where Kubernetes mounts a pod's API credentials (token, ca.crt, namespace). */
#define API_SA_MOUNT_PATH "/var/run/secrets/kubernetes.io/serviceaccount"

/*
 * Sets spec.serviceAccountName (and its deprecated twin spec.serviceAccount)
 * to "default" unless the pod names an account. Returns 0 or -ENOMEM.
 */
int api_sa_admit_name(cJSON *pod);
/*
 * Whether the pod's credentials depend on its ServiceAccount's
 * automountServiceAccountToken: false when the pod decides itself (its own
 * field set, a mount at API_SA_MOUNT_PATH, or a mirror pod).
 */
bool api_sa_needs_account(const cJSON *pod);
/*
 * Adds the projected volume kube-api-access-XXXXX (suffix drawn from rnd) with
 * the token (TokenRequest, 3607 s), kube-root-ca.crt's ca.crt and the
 * namespace, and a read-only mount of it at API_SA_MOUNT_PATH in every
 * container and init container, unless automount is off (the pod's field,
 * else sa's, which may be NULL: unknown) or the pod already mounts that path.
 * Returns 0 or -ENOMEM (the pod then may hold part of the change).
 */
int api_sa_admit_token(cJSON *pod, const cJSON *sa, uint64_t rnd);

#endif
