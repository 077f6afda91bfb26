/* volumes.c: a pod's volumes: folders, files of ConfigMaps, Secrets, the downward API, ServiceAccount tokens. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/fileio.h"
#include "common/json.h"
#include "common/log.h"
#include "common/quantity.h"
#include "kubelet/voldir.h"
#include "kubelet/worker.h"

#define MODE_DEFAULT 0644 /* defaultMode 420, as Kubernetes defaults it */

/* A volume's or item's mode field (decimal in JSON: 420 is 0644), or def; only permission bits. */
static mode_t mode_of(const cJSON *obj, const char *field, mode_t def)
{
	int64_t m;

	if (cm_json_get_int64(obj, field, &m) < 0 || m < 0 || m > 0777)
		return def;
	return (mode_t)m;
}

int kl_volume_path(struct kl_pod_worker *w, const char *name, struct cm_buf *out)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, cm_json_get(w->pod, "spec.volumes"))
	{
		if (strcmp(cm_json_str_or(v, "name", ""), name))
			continue;
		if (cm_json_get(v, "hostPath"))
			return cm_buf_puts(out, cm_json_str_or(v, "hostPath.path", "/"));
		return cm_buf_printf(out, "%s/volumes/%s", w->sb.dir, name);
	}
	return -ENOENT;
}

/* Adds a ConfigMap's or Secret's keys (or the listed items) to p; one not fetched adds nothing. */
static int project(struct kl_pod_worker *w, const char *kind, const char *name, const cJSON *items,
		   struct kl_payload *p, mode_t mode)
{
	struct cm_buf key = CM_BUF_INIT, val = CM_BUF_INIT;
	const cJSON *obj, *it;
	int rc = 0;

	cm_buf_printf(&key, "%s/%s", kind, name);
	obj = cJSON_GetObjectItemCaseSensitive(w->deps, key.data);
	if (cJSON_GetArraySize(items) > 0) {
		cJSON_ArrayForEach(it, items)
		{
			cm_buf_reset(&val);
			if (rc == 0 && kl_prep_dep_value(w, kind, name, cm_json_get_str(it, "key"), &val) == 0)
				rc = kl_payload_add(p, cm_json_str_or(it, "path", cm_json_str_or(it, "key", "x")),
						    val.data ? val.data : "", val.len, mode_of(it, "mode", mode));
		}
	} else {
		cJSON_ArrayForEach(it, cm_json_get(obj, "data"))
		{
			cm_buf_reset(&val);
			if (rc == 0 && kl_prep_dep_value(w, kind, name, it->string, &val) == 0)
				rc = kl_payload_add(p, it->string, val.data ? val.data : "", val.len, mode);
		}
	}
	cm_buf_close(&key);
	cm_buf_close(&val);
	return rc;
}

static int by_key(const void *a, const void *b)
{
	return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* Labels or annotations as the downward API writes them: key="value" lines, sorted, values quoted. */
static int map_lines(const cJSON *map, struct cm_buf *out)
{
	size_t n = (size_t)cJSON_GetArraySize(map), i = 0;
	const cJSON **v = calloc(n + 1, sizeof(*v)), *it;
	int rc = 0;

	if (!v)
		return -ENOMEM;
	cJSON_ArrayForEach(it, map)
		v[i++] = it;
	qsort(v, n, sizeof(*v), by_key);
	for (i = 0; i < n && rc == 0; i++) {
		cJSON *s = cJSON_CreateString(cJSON_GetStringValue(v[i]) ? v[i]->valuestring : "");
		char *q = s ? cJSON_PrintUnformatted(s) : NULL; /* a JSON string: quotes and escapes as Go's %q mostly */

		rc = q ? cm_buf_printf(out, "%s%s=%s", i ? "\n" : "", v[i]->string, q) : -ENOMEM;
		free(q);
		cJSON_Delete(s);
	}
	free(v);
	return rc;
}

/* A resourceFieldRef's value: the container's limit or request in units of divisor (1 core, 1 byte by default). */
static int resource_value(struct kl_pod_worker *w, const cJSON *ref, struct cm_buf *out)
{
	const char *res = cm_json_str_or(ref, "resource", ""), *cname = cm_json_get_str(ref, "containerName");
	const char *div = cm_json_str_or(ref, "divisor", "1");
	bool cpu = strstr(res, "cpu") != NULL;
	const cJSON *spec = NULL;
	struct cm_buf path = CM_BUF_INIT;
	int64_t v = 0, d = 0;
	int rc;

	for (size_t i = 0; i < w->n_ctrs && !spec; i++)
		if (!cname || !strcmp(w->ctrs[i].name, cname))
			spec = w->ctrs[i].spec;
	if (!spec || (strncmp(res, "limits.", 7) && strncmp(res, "requests.", 9)))
		return -EINVAL;
	if ((rc = cm_buf_printf(&path, "resources.%s", res)) < 0)
		return rc;
	if (cpu ? cm_quantity_parse_milli(cm_json_str_or(spec, path.data, "0"), &v) < 0 ||
			  cm_quantity_parse_milli(div, &d) < 0
		: cm_quantity_parse(cm_json_str_or(spec, path.data, "0"), &v) < 0 || cm_quantity_parse(div, &d) < 0)
		rc = -EINVAL;
	cm_buf_close(&path);
	if (rc < 0 || d <= 0)
		return -EINVAL;
	/* no limit set: Kubernetes writes the node's allocatable; minik8s knows its capacity when configured */
	if (!v && !strncmp(res, "limits.", 7))
		v = cpu ? w->srv->cfg.capacity_cpu_m : w->srv->cfg.capacity_memory;
	return cm_buf_printf(out, "%lld", (long long)((v + d - 1) / d)); /* rounded up, as Kubernetes */
}

/* The downward API items (of a downwardAPI volume or projected source) into p. */
static int downward(struct kl_pod_worker *w, const cJSON *items, struct kl_payload *p, mode_t mode)
{
	struct cm_buf val = CM_BUF_INIT;
	const cJSON *it;
	int rc = 0;

	cJSON_ArrayForEach(it, items)
	{
		const char *fp = cm_json_get_str(it, "fieldRef.fieldPath"), *f;

		if (rc < 0)
			break;
		cm_buf_reset(&val);
		if (fp && (!strcmp(fp, "metadata.labels") || !strcmp(fp, "metadata.annotations")))
			rc = map_lines(cm_json_get(w->pod, fp), &val);
		else if (fp && (f = kl_prep_field_ref(w, fp)))
			rc = cm_buf_puts(&val, f);
		else if (cm_json_get(it, "resourceFieldRef"))
			rc = resource_value(w, cm_json_get(it, "resourceFieldRef"), &val);
		else
			rc = -EINVAL;
		if (rc == 0)
			rc = kl_payload_add(p, cm_json_str_or(it, "path", ""), val.data ? val.data : "", val.len,
					    mode_of(it, "mode", mode));
		else if (rc != -ENOMEM) {
			/* a field minik8s does not know leaves its file out, not the pod waiting */
			cm_warn("pod %s/%s: downward API file %s not written: %s", w->ns, w->name,
				cm_json_str_or(it, "path", ""), cm_strerror(rc));
			rc = 0;
		}
	}
	cm_buf_close(&val);
	return rc;
}

/* The volume named vol in the pod, or NULL. */
static const cJSON *volume(struct kl_pod_worker *w, const char *vol, size_t len)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, cm_json_get(w->pod, "spec.volumes"))
	{
		const char *n = cm_json_str_or(v, "name", "");

		if (strlen(n) == len && !strncmp(n, vol, len))
			return v;
	}
	return NULL;
}

/* A projected volume's sources into p, in order: a later source's file replaces an earlier one's. */
static int projected(struct kl_pod_worker *w, const cJSON *v, struct kl_payload *p)
{
	mode_t mode = mode_of(v, "projected.defaultMode", MODE_DEFAULT);
	const char *vol = cm_json_str_or(v, "name", "");
	const cJSON *src, *sa;
	int rc = 0;

	cJSON_ArrayForEach(src, cm_json_get(v, "projected.sources"))
	{
		struct cm_buf key = CM_BUF_INIT;

		if (rc < 0)
			break;
		if (cm_json_get(src, "configMap"))
			rc = project(w, "configmaps", cm_json_str_or(src, "configMap.name", ""),
				     cm_json_get(src, "configMap.items"), p, mode);
		else if (cm_json_get(src, "secret"))
			rc = project(w, "secrets", cm_json_str_or(src, "secret.name", ""),
				     cm_json_get(src, "secret.items"), p, mode);
		else if (cm_json_get(src, "downwardAPI"))
			rc = downward(w, cm_json_get(src, "downwardAPI.items"), p, mode);
		else if ((sa = cm_json_get(src, "serviceAccountToken")) && (rc = kl_token_key(vol, sa, &key)) == 0) {
			const char *tok = cm_json_get_str(cJSON_GetObjectItemCaseSensitive(w->deps, key.data), "status.token");

			if (tok) /* not issued yet: the pod waits for it, so only a refresh can miss it */
				rc = kl_payload_add(p, cm_json_str_or(sa, "path", "token"), tok, strlen(tok), mode);
		}
		cm_buf_close(&key);
	}
	return rc;
}

/* The files volume v holds into p. 0, -ENOENT for a volume that is only a folder (emptyDir, hostPath), -errno. */
static int payload_of(struct kl_pod_worker *w, const cJSON *v, struct kl_payload *p)
{
	if (cm_json_get(v, "configMap"))
		return project(w, "configmaps", cm_json_str_or(v, "configMap.name", ""), cm_json_get(v, "configMap.items"),
			       p, mode_of(v, "configMap.defaultMode", MODE_DEFAULT));
	if (cm_json_get(v, "secret"))
		return project(w, "secrets", cm_json_str_or(v, "secret.secretName", ""), cm_json_get(v, "secret.items"),
			       p, mode_of(v, "secret.defaultMode", MODE_DEFAULT));
	if (cm_json_get(v, "downwardAPI"))
		return downward(w, cm_json_get(v, "downwardAPI.items"), p, mode_of(v, "downwardAPI.defaultMode", MODE_DEFAULT));
	if (cm_json_get(v, "projected"))
		return projected(w, v, p);
	return -ENOENT;
}

/* Makes volume v's folder dir hold its files now (kl_voldir_write); a volume with no files is left alone. */
static int write_volume(struct kl_pod_worker *w, const cJSON *v, const char *dir, bool first)
{
	struct kl_payload p = {0};
	bool changed = false;
	int rc = payload_of(w, v, &p);

	if (rc == -ENOENT)
		return 0;
	if (rc == 0)
		rc = kl_voldir_write(dir, &p, &changed);
	if (rc == 0 && changed && !first)
		cm_info("pod %s/%s: volume %s updated (%zu files)", w->ns, w->name, cm_json_str_or(v, "name", ""), p.n);
	kl_payload_close(&p);
	return rc;
}

int kl_volume_write_token(struct kl_pod_worker *w, const char *key)
{
	const char *vol = key + strlen("tokens/"), *rel = strchr(vol, '/');
	const cJSON *v = rel ? volume(w, vol, (size_t)(rel - vol)) : NULL;
	struct cm_buf dir = CM_BUF_INIT;
	int rc;

	if (!v || !cJSON_GetObjectItemCaseSensitive(w->deps, key))
		return -ENOENT;
	if ((rc = kl_volume_path(w, cm_json_str_or(v, "name", ""), &dir)) == 0)
		rc = write_volume(w, v, dir.data, false);
	cm_buf_close(&dir);
	return rc;
}

int kl_prep_volumes(struct kl_pod_worker *w)
{
	struct cm_buf dir = CM_BUF_INIT;
	const cJSON *v;
	int rc = 0;
	bool made = false;

	cJSON_ArrayForEach(v, cm_json_get(w->pod, "spec.volumes"))
	{
		const char *name = cm_json_str_or(v, "name", "");

		cm_buf_reset(&dir);
		if (kl_volume_path(w, name, &dir) < 0)
			continue;
		if (cm_json_get(v, "hostPath")) {
			if (!strcmp(cm_json_str_or(v, "hostPath.type", ""), "DirectoryOrCreate"))
				mkdir(dir.data, 0755);
			continue;
		}
		if (!made) {
			/* made only for a pod that has such a volume: a file creation is not free on a busy disk */
			char *slash = strrchr(dir.data, '/');

			*slash = '\0';
			mkdir(dir.data, 0755);
			*slash = '/';
			made = true;
		}
		if (mkdir(dir.data, 0755) < 0 && errno != EEXIST) {
			rc = -errno;
			break;
		}
		if ((rc = write_volume(w, v, dir.data, true)) < 0)
			break;
	}
	if (rc < 0)
		cm_warn("pod %s/%s: volume %s not made: %s", w->ns, w->name, dir.data, cm_strerror(rc));
	cm_buf_close(&dir);
	return rc;
}

int kl_volumes_refresh(struct kl_pod_worker *w)
{
	struct cm_buf dir = CM_BUF_INIT;
	const cJSON *v;
	int rc = 0, err;

	cJSON_ArrayForEach(v, cm_json_get(w->pod, "spec.volumes"))
	{
		if (cm_json_get(v, "hostPath") || cm_json_get(v, "emptyDir"))
			continue;
		cm_buf_reset(&dir);
		if (kl_volume_path(w, cm_json_str_or(v, "name", ""), &dir) < 0)
			continue;
		if ((err = write_volume(w, v, dir.data, false)) < 0) {
			cm_warn("pod %s/%s: volume %s not updated: %s", w->ns, w->name, dir.data, cm_strerror(err));
			rc = rc ? rc : err;
		}
	}
	cm_buf_close(&dir);
	return rc;
}

int kl_volume_sources(const struct kl_pod_worker *w, kl_volume_source_fn fn, void *ud)
{
	const cJSON *v, *src;
	int rc = 0;

	cJSON_ArrayForEach(v, cm_json_get(w->pod, "spec.volumes"))
	{
		if (rc == 0 && cm_json_get_str(v, "configMap.name"))
			rc = fn(ud, "configmaps", cm_json_get_str(v, "configMap.name"),
				cJSON_IsTrue(cm_json_get(v, "configMap.optional")));
		if (rc == 0 && cm_json_get_str(v, "secret.secretName"))
			rc = fn(ud, "secrets", cm_json_get_str(v, "secret.secretName"),
				cJSON_IsTrue(cm_json_get(v, "secret.optional")));
		cJSON_ArrayForEach(src, cm_json_get(v, "projected.sources"))
		{
			if (rc == 0 && cm_json_get_str(src, "configMap.name"))
				rc = fn(ud, "configmaps", cm_json_get_str(src, "configMap.name"),
					cJSON_IsTrue(cm_json_get(src, "configMap.optional")));
			if (rc == 0 && cm_json_get_str(src, "secret.name"))
				rc = fn(ud, "secrets", cm_json_get_str(src, "secret.name"),
					cJSON_IsTrue(cm_json_get(src, "secret.optional")));
		}
	}
	return rc;
}
