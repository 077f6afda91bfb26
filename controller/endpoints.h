/* endpoints.h: the pure part of the Endpoints controller: a Service's subsets from the pods it selects. */
#ifndef CTL_ENDPOINTS_H
#define CTL_ENDPOINTS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/objview.h"

/* Whether labels (a JSON object or NULL) carry every key=value of a Service's spec.selector map. */
bool ctl_labels_match_map(const cJSON *selector, const cJSON *labels);

/* A service port (spec.ports[i]) on one pod: targetPort's number, or the named container port; 0 if the pod has none. */
int ctl_endpoints_target_port(const cJSON *sp, const struct cm_pod *p);

/*
 * The hostname p's address gets in svc's Endpoints and EndpointSlices:
 * spec.hostname when the pod's spec.subdomain names svc in its own
 * namespace, as Kubernetes sets it for any Service type (DNS then answers
 * HOST.SVC.NS.svc for headless ones only). NULL otherwise; borrowed from p.
 */
const char *ctl_endpoint_hostname(const cJSON *svc, const struct cm_pod *p);

/*
 * The Endpoints subsets of svc (a Service tree) over pods[0..n) (those of its
 * namespace its selector picks; the function does not re-check labels).
 * Pods with no IP, terminating or finished are left out; ready pods go to
 * addresses, the others to notReadyAddresses. Each service port maps to
 * its targetPort: a number, or a name resolved from the pod's container
 * ports (a pod without that name is left out of that port). An address
 * carries ctl_endpoint_hostname when there is one. Pods that
 * resolve to the same port numbers share a subset; addresses are sorted by
 * IP so equal inputs give equal JSON. Returns a new array (the caller owns
 * it; empty when no pod qualifies), or NULL on -ENOMEM.
 */
cJSON *ctl_endpoints_subsets(const cJSON *svc, const struct cm_pod *const *pods, size_t n);

#endif
