/* kubeconfig.h: the apiserver URLs named by a kubeconfig file (clusters[].cluster.server). */
#ifndef KP_KUBECONFIG_H
#define KP_KUBECONFIG_H
#include "common/buf.h"
#include "common/flags.h"

/*
 * Reads path (YAML or JSON) and appends to out, as owned copies, the server
 * URL of the current context's cluster, or of every cluster when no context
 * is current. Returns 0, -ENOENT (no server in the file), -EINVAL (not YAML,
 * with the reason in err), -errno from opening the file, or -ENOMEM.
 */
int kp_kubeconfig_servers(const char *path, struct cm_strlist *out, struct cm_buf *err);
#endif
