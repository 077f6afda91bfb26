/* strategy.h: pieces the resource strategies share (pod template defaults and checks, default setters). */
#ifndef API_STRATEGY_H
#define API_STRATEGY_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "apiserver/field_error.h"

/* Sets obj.<path> to a string / number / copy of a JSON text unless present. 0 or -ENOMEM. */
int api_default_str(cJSON *obj, const char *path, const char *v);
int api_default_num(cJSON *obj, const char *path, double v);
int api_default_json(cJSON *obj, const char *path, const char *json);

/* Pod spec defaults (restartPolicy, schedulerName, grace, container pull policy, port protocol). */
int api_pod_spec_defaults(cJSON *spec);
/* Checks a pod spec; field is its path ("spec", "spec.template.spec"). */
void api_pod_spec_validate(const cJSON *spec, const char *field, struct api_ferrs *errs);
/* Checks spec.selector against spec.template.metadata.labels (workloads); old non-NULL: selector immutable. */
void api_workload_validate(const cJSON *obj, const cJSON *old, struct api_ferrs *errs);
/* Workload defaults: replicas (if with_replicas), template pod defaults; revisionHistoryLimit is the caller's (not a ReplicaSet field). */
int api_workload_defaults(cJSON *obj, bool with_replicas);

#endif
