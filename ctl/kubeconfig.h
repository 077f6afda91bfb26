/* kubeconfig.h: the kubeconfig file: where it is, reading and writing it, looking up its named entries. */
#ifndef MC_KUBECONFIG_H
#define MC_KUBECONFIG_H

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "ctl/client.h"

/* The file to use: --kubeconfig, else the first of $KUBECONFIG, else ~/.kube/config. *out is owned by the caller. Returns 0 or -ENOMEM. */
int mc_kubeconfig_path(const struct mc_ctx *c, char **out);
/* Reads path (YAML) into *out (caller owns). Returns 0, -ENOENT, -EINVAL with a positioned message in err, or -ENOMEM. */
int mc_kubeconfig_load(const char *path, cJSON **out, struct cm_buf *err);
/* Writes kc to path as YAML. Returns 0 or a negative errno. */
int mc_kubeconfig_save(const char *path, const cJSON *kc);
/* The element of kc[list] ("clusters", "users", "contexts") whose name is name; borrowed, NULL if none. */
cJSON *mc_kubeconfig_named(const cJSON *kc, const char *list, const char *name);

#endif
