/* filter.h: the scheduler's pure decisions: does a pod fit a node, how good is the fit, and why not. */
#ifndef SCH_FILTER_H
#define SCH_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/objview.h"

/*
 * What is already on a node: the requests of the pods bound (or assumed)
 * there, their count and host ports. The scheduler keeps one per node,
 * updated from pod events; tests build them by hand.
 */
struct sch_node_usage {
	int64_t cpu_milli, mem_milli;
	int64_t pods;
	int *ports; /* host ports in use */
	size_t nports;
};

/* Why a node was filtered out, one per filter, as Kubernetes words them. */
enum sch_reason {
	SCH_FIT = 0,
	SCH_NOT_READY,      /* "node(s) were not ready" */
	SCH_UNSCHEDULABLE,  /* "node(s) were unschedulable" */
	SCH_SELECTOR,       /* "node(s) didn't match Pod's node affinity/selector" */
	SCH_TAINT,          /* "node(s) had untolerated taint {key: value}" */
	SCH_PORTS,          /* "node(s) didn't have free ports for the requested pod ports" */
	SCH_TOO_MANY_PODS,  /* "Too many pods" */
	SCH_CPU,            /* "Insufficient cpu" */
	SCH_MEMORY,         /* "Insufficient memory" */
	SCH_NREASONS
};

/*
 * Runs the filters in Kubernetes' order; returns SCH_FIT or the first reason
 * the node fails. *taint (may be NULL) receives the untolerated taint for
 * SCH_TAINT (borrowed from node).
 */
enum sch_reason sch_filter(const struct cm_pod *pod, const struct cm_node *node,
			   const struct sch_node_usage *use, const struct cm_taint **taint);

/*
 * Scores a feasible node, higher is better: least-allocated (mean free share
 * of cpu and memory after placing the pod, 0..100) plus spreading
 * (100 * (1 - same/(max+1)), where same is how many pods of the pod's owner
 * the node holds and max the most any node holds). Pure integer arithmetic.
 */
int64_t sch_score(const struct cm_pod *pod, const struct cm_node *node, const struct sch_node_usage *use,
		  int64_t same_owner, int64_t max_same_owner);

/*
 * The FailedScheduling message from counts per reason, as kube-scheduler
 * writes it: "0/3 nodes are available: 2 Insufficient cpu, 1 node(s) had
 * untolerated taint {dedicated: gpu}." (reasons sorted as strings). taint
 * names the taint quoted for SCH_TAINT (may be NULL). Returns 0 or -ENOMEM.
 */
int sch_fit_error(size_t nnodes, const size_t counts[SCH_NREASONS], const struct cm_taint *taint,
		  struct cm_buf *out);

#endif
