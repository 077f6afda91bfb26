/* daemonset.h: the pure part of the DaemonSet controller: which nodes a DaemonSet's pod belongs on. */
#ifndef CTL_DAEMONSET_H
#define CTL_DAEMONSET_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "common/objview.h"

/*
 * Whether a DaemonSet whose pod template spec is pod_spec runs a pod on
 * node: the node is not being deleted, carries every label of the
 * template's nodeSelector, and every NoSchedule or NoExecute taint is
 * tolerated by the template's tolerations or by those every daemon pod
 * gets (not-ready, unreachable, unschedulable, as Kubernetes adds).
 * Cordoned nodes still run daemons, as in Kubernetes.
 */
bool ctl_daemonset_should_run(const struct cm_node *node, const cJSON *pod_spec);

#endif
