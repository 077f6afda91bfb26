/* kubeconfig.h: the kubeconfig file: where it is, reading and writing it, looking up its named entries. */
#ifndef MC_KUBECONFIG_H
#define MC_KUBECONFIG_H

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "ctl/client.h"

/*
 * The kubeconfig files in kubectl's loading order: --kubeconfig alone, else
 * the files of $KUBECONFIG (split on ':', empty parts and repeats dropped),
 * else ~/.kube/config. *out is a JSON array of strings owned by the caller.
 * Returns 0 or -ENOMEM.
 */
int mc_kubeconfig_files(const struct mc_ctx *c, cJSON **out);
/*
 * The file kubectl writes a new entry or a new current-context to: the only
 * file, else the first of files that exists, else the last. *out owned by the
 * caller. Returns 0, -ENOENT for an empty list, or -ENOMEM.
 */
int mc_kubeconfig_default_file(const cJSON *files, char **out);
/*
 * Reads files and merges them as kubectl does: a cluster, user or context
 * comes whole from the first file that names it, current-context from the
 * first file that sets it. Missing files are skipped when there are several.
 * Returns 0 (*out owned by the caller), -ENOENT when no file was read,
 * -EINVAL with a positioned message in err, or -ENOMEM.
 */
int mc_kubeconfig_load_all(const cJSON *files, cJSON **out, struct cm_buf *err);
/* The file the entry name of list came from (the first that names it), as kubectl's LocationOfOrigin. *out owned by the caller. 0, -ENOENT or -ENOMEM. */
int mc_kubeconfig_origin(const cJSON *files, const char *list, const char *name, char **out);
/* Puts kc in the shape kubectl writes and prints: keys sorted, entries sorted by name, empty lists null, required fields present. */
void mc_kubeconfig_normalize(cJSON *kc);
/* Reads path (YAML) into *out (caller owns). Returns 0, -ENOENT, -EINVAL with a positioned message in err, or -ENOMEM. */
int mc_kubeconfig_load(const char *path, cJSON **out, struct cm_buf *err);
/* Writes kc to path as YAML. Returns 0 or a negative errno. */
int mc_kubeconfig_save(const char *path, const cJSON *kc);
/* The element of kc[list] ("clusters", "users", "contexts") whose name is name; borrowed, NULL if none. */
cJSON *mc_kubeconfig_named(const cJSON *kc, const char *list, const char *name);

#endif
