/* servicelb.h: the pure part of the service load balancer: a LoadBalancer Service's ingress from the nodes. */
#ifndef CTL_SERVICELB_H
#define CTL_SERVICELB_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/objview.h"

/*
 * The status.loadBalancer.ingress svc (a Service tree) should have, as
 * k3s's service load balancer gives it: for type LoadBalancer, one {"ip"}
 * per Ready node with an InternalIP, sorted and without repeats (every
 * node's kube-proxy accepts on its own address at the service port); for
 * any other type, none. nodes[0..n) are borrowed. Returns a new array (the
 * caller owns it), or NULL on -ENOMEM.
 */
cJSON *ctl_servicelb_ingress(const cJSON *svc, const struct cm_node *const *nodes, size_t n);
#endif
