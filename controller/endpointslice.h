/* endpointslice.h: the pure part of the EndpointSlice controller: the slices a Service should have. */
#ifndef CTL_ENDPOINTSLICE_H
#define CTL_ENDPOINTSLICE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/objview.h"

#define CTL_SLICE_SERVICE_LABEL "kubernetes.io/service-name"
#define CTL_SLICE_MANAGED_BY_LABEL "endpointslice.kubernetes.io/managed-by"
#define CTL_SLICE_MANAGER "endpointslice-controller.k8s.io"
/* Kubernetes' --max-endpoints-per-slice default. */
#define CTL_SLICE_MAX_ENDPOINTS 100

/*
 * The discovery.k8s.io/v1 EndpointSlices svc (a Service tree) should have
 * over pods[0..n) (those of its namespace its selector picks; labels are not
 * re-checked). Pods with an IPv4 address that have not finished are
 * endpoints, terminating ones too: conditions serving (Ready), terminating
 * (deletionTimestamp) and ready (serving and not terminating, or the
 * Service's publishNotReadyAddresses), and hostname when
 * ctl_endpoint_hostname gives one. Endpoints that resolve to the same
 * ports share slices of at most CTL_SLICE_MAX_ENDPOINTS, sorted by IP. Each
 * slice is whole: metadata name ("<svc>-" and five characters drawn from the
 * Service's uid, ports and chunk, so that a retry names the same slice),
 * namespace, labels (the Service's, the service name, the manager, headless),
 * ownerReferences (the Service), addressType, endpoints, ports. No endpoint:
 * one placeholder slice with none, as Kubernetes keeps. Returns a new array
 * the caller owns, or NULL on -ENOMEM.
 */
cJSON *ctl_endpointslices_desired(const cJSON *svc, const struct cm_pod *const *pods, size_t n);

/* Whether slice (a tree) is one this controller manages for Service name (labels). */
bool ctl_endpointslice_managed(const cJSON *slice, const char *service);

/* Whether existing already holds what desired says (labels, owner, addressType, endpoints, ports). */
bool ctl_endpointslice_same(const cJSON *existing, const cJSON *desired);

#endif
