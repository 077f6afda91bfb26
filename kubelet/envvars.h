/* envvars.h: the environment variables a pod's containers get for Services (service links), as the kubelet sets them. */
#ifndef KL_ENVVARS_H
#define KL_ENVVARS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/*
 * Appends to strs (a cJSON array of alternating names and values, which
 * owns the new strings) the variables of the Services a container in pod
 * namespace ns sees: with links, every Service of ns that has a cluster IP
 * ({NAME}_SERVICE_HOST, _SERVICE_PORT, _SERVICE_PORT_{PORTNAME} and the
 * Docker link forms {NAME}_PORT, {NAME}_PORT_{PORT}_{PROTO}[_PROTO|_PORT|_ADDR]);
 * always the `kubernetes` Service of `default`, unless a Service of ns has
 * that name. svcs (n Service objects, borrowed) may be in any namespace and
 * order; the output is ordered by Service name. 0 or -ENOMEM (strs may then
 * hold part of the variables).
 */
int kl_envvars_services(const cJSON *const *svcs, size_t n, const char *ns, bool links, cJSON *strs);

/*
 * Removes from strs (names and values, as above) every pair whose name
 * appears again later: the last definition wins, as a container's explicit
 * env wins over envFrom and service variables that come before it.
 */
void kl_envvars_dedupe(cJSON *strs);

#endif
