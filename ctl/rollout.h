/* rollout.h: the rollout status of a deployment or daemon set, worded as kubectl's status viewers. */
#ifndef MC_ROLLOUT_H
#define MC_ROLLOUT_H

#include <cjson/cJSON.h>

#include "common/buf.h"

#define MC_ROLLOUT_WAITING 0
#define MC_ROLLOUT_DONE 1
#define MC_ROLLOUT_FAILED 2

/*
 * Appends the line kubectl prints for obj's rollout ("Waiting for deployment
 * \"web\" rollout to finish: 1 out of 3 new replicas have been updated...")
 * and returns MC_ROLLOUT_WAITING, MC_ROLLOUT_DONE, or MC_ROLLOUT_FAILED (the
 * progress deadline passed; the text is the error).
 */
int mc_rollout_status_text(const cJSON *obj, struct cm_buf *out);

#endif
