/* kubeconfig.c: finding and reading the kubeconfig, and resolving flags + context into a connection. */
#include "ctl/kubeconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/base64.h"
#include "common/fileio.h"
#include "common/json.h"
#include "common/timeutil.h"
#include "common/yaml.h"

/* Reads a whole file into out. Returns 0, -ENOENT, or another negative errno. */
static int read_file(const char *path, struct cm_buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t n;
	int rc = 0;

	if (!f)
		return -errno;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && !rc)
		rc = cm_buf_append(out, chunk, n);
	if (ferror(f))
		rc = -EIO;
	fclose(f);
	return rc;
}

int mc_kubeconfig_files(const struct mc_ctx *c, cJSON **out)
{
	const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");
	cJSON *files = cJSON_CreateArray();
	struct cm_buf b = CM_BUF_INIT;
	int rc = 0;

	if (!files)
		return -ENOMEM;
	if (c->kubeconfig && *c->kubeconfig) {
		rc = cJSON_AddItemToArray(files, cJSON_CreateString(c->kubeconfig)) ? 0 : -ENOMEM;
	} else if (env && *env) {
		/* as filepath.SplitList: empty parts are no file, and a repeated file is read once */
		for (const char *p = env; *p && !rc;) {
			size_t n = strcspn(p, ":");
			const cJSON *f;
			bool seen = false;
			cm_buf_reset(&b);
			rc = cm_buf_append(&b, p, n);
			cJSON_ArrayForEach(f, files) seen = seen || (b.data && !strcmp(f->valuestring, b.data));
			if (!rc && n && !seen && !cJSON_AddItemToArray(files, cJSON_CreateString(b.data)))
				rc = -ENOMEM;
			p += n + (p[n] == ':');
		}
	} else {
		rc = cm_buf_printf(&b, "%s/.kube/config", home ? home : ".");
		if (!rc && !cJSON_AddItemToArray(files, cJSON_CreateString(b.data)))
			rc = -ENOMEM;
	}
	cm_buf_close(&b);
	if (rc) {
		cJSON_Delete(files);
		return rc;
	}
	*out = files;
	return 0;
}

int mc_kubeconfig_default_file(const cJSON *files, char **out)
{
	const cJSON *f, *pick = cJSON_GetArrayItem(files, cJSON_GetArraySize(files) - 1);

	if (cJSON_GetArraySize(files) > 1) {
		cJSON_ArrayForEach(f, files)
		{
			if (access(f->valuestring, F_OK) == 0) {
				pick = f;
				break;
			}
		}
	}
	*out = pick ? strdup(pick->valuestring) : NULL;
	return *out ? 0 : pick ? -ENOMEM : -ENOENT;
}

/* Adds the entries of src[list] whose names dst[list] lacks: the first file to name an entry wins it whole. */
static int merge_list(cJSON *dst, const cJSON *src, const char *list)
{
	const cJSON *e;
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(dst, list);

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(src, list))
	{
		const char *name = cm_json_get_str(e, "name");
		cJSON *copy;
		if (!name || mc_kubeconfig_named(dst, list, name))
			continue;
		if (!arr && !(arr = cJSON_AddArrayToObject(dst, list)))
			return -ENOMEM;
		if (!(copy = cJSON_Duplicate(e, 1)) || !cJSON_AddItemToArray(arr, copy)) {
			cJSON_Delete(copy);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Merges one file into the result as client-go's loader does: maps by name, first wins; scalars, first set wins. */
static int merge_file(cJSON *dst, const cJSON *src)
{
	static const char *const lists[] = {"clusters", "users", "contexts"};
	const char *cur = cm_json_get_str(src, "current-context");
	const cJSON *prefs = cJSON_GetObjectItemCaseSensitive(src, "preferences");
	int rc = 0;

	for (size_t i = 0; i < 3 && !rc; i++)
		rc = merge_list(dst, src, lists[i]);
	if (!rc && cur && *cur && !*cm_json_str_or(dst, "current-context", "")) {
		cJSON_DeleteItemFromObjectCaseSensitive(dst, "current-context");
		rc = cJSON_AddStringToObject(dst, "current-context", cur) ? 0 : -ENOMEM;
	}
	if (!rc && cJSON_GetArraySize(prefs) > 0 && !cJSON_GetObjectItemCaseSensitive(dst, "preferences"))
		rc = cJSON_AddItemToObject(dst, "preferences", cJSON_Duplicate(prefs, 1)) ? 0 : -ENOMEM;
	return rc;
}

int mc_kubeconfig_load_all(const cJSON *files, cJSON **out, struct cm_buf *err)
{
	const cJSON *f;
	cJSON *merged = NULL;
	int rc = 0;

	cJSON_ArrayForEach(f, files)
	{
		cJSON *one = NULL;
		rc = mc_kubeconfig_load(f->valuestring, &one, err);
		if (rc == -ENOENT && cJSON_GetArraySize(files) > 1) {
			rc = 0; /* kubectl skips the missing files of $KUBECONFIG */
			continue;
		}
		if (!rc && !merged && !(merged = cJSON_CreateObject()))
			rc = -ENOMEM;
		if (!rc)
			rc = merge_file(merged, one);
		cJSON_Delete(one);
		if (rc)
			break;
	}
	if (!rc && !merged)
		rc = -ENOENT;
	if (rc) {
		cJSON_Delete(merged);
		return rc;
	}
	*out = merged;
	return 0;
}

int mc_kubeconfig_origin(const cJSON *files, const char *list, const char *name, char **out)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, files)
	{
		cJSON *one = NULL;
		bool has;
		if (mc_kubeconfig_load(f->valuestring, &one, NULL))
			continue;
		has = mc_kubeconfig_named(one, list, name) != NULL;
		cJSON_Delete(one);
		if (has) {
			*out = strdup(f->valuestring);
			return *out ? 0 : -ENOMEM;
		}
	}
	return -ENOENT;
}

static int by_name(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string ? x->string : cm_json_str_or(x, "name", ""), y->string ? y->string : cm_json_str_or(y, "name", ""));
}

/* Sorts the members of an object by key, or the elements of an array by their "name". */
static void sort_children(cJSON *j)
{
	int n = cJSON_GetArraySize(j);
	cJSON **v;

	if (n < 2 || !(v = malloc((size_t)n * sizeof(*v))))
		return;
	for (int i = 0; i < n; i++)
		v[i] = cJSON_DetachItemFromArray(j, 0);
	qsort(v, (size_t)n, sizeof(*v), by_name);
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(j, v[i]);
	free(v);
}

static void sort_keys(cJSON *j)
{
	cJSON *e;

	if (cJSON_IsObject(j))
		sort_children(j);
	cJSON_ArrayForEach(e, j) sort_keys(e);
}

/* Sets obj[key] to "" when missing: fields kubectl always writes. */
static void ensure_str(cJSON *obj, const char *key)
{
	if (obj && !cJSON_GetObjectItemCaseSensitive(obj, key))
		cJSON_AddStringToObject(obj, key, "");
}

void mc_kubeconfig_normalize(cJSON *kc)
{
	static const char *const lists[] = {"clusters", "contexts", "users"};
	static const char *const inner[] = {"cluster", "context", "user"};
	cJSON *e;

	ensure_str(kc, "apiVersion");
	if (!*cm_json_str_or(kc, "apiVersion", ""))
		cJSON_ReplaceItemInObjectCaseSensitive(kc, "apiVersion", cJSON_CreateString("v1"));
	cJSON_DeleteItemFromObjectCaseSensitive(kc, "kind");
	cJSON_AddStringToObject(kc, "kind", "Config");
	ensure_str(kc, "current-context");
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(kc, "preferences"))) {
		cJSON_DeleteItemFromObjectCaseSensitive(kc, "preferences");
		cJSON_AddObjectToObject(kc, "preferences");
	}
	for (size_t i = 0; i < 3; i++) {
		cJSON *arr = cJSON_GetObjectItemCaseSensitive(kc, lists[i]);
		cJSON_ArrayForEach(e, arr)
		{
			cJSON *in = cJSON_GetObjectItemCaseSensitive(e, inner[i]);
			if (!in)
				in = cJSON_AddObjectToObject(e, inner[i]);
			if (i == 0)
				ensure_str(in, "server");
			else if (i == 1) {
				ensure_str(in, "cluster");
				ensure_str(in, "user");
			}
		}
		sort_children(arr);
		/* kubectl writes an empty map as null */
		if (!cJSON_GetArraySize(arr)) {
			cJSON_DeleteItemFromObjectCaseSensitive(kc, lists[i]);
			cJSON_AddNullToObject(kc, lists[i]);
		}
	}
	sort_keys(kc);
}

int mc_kubeconfig_load(const char *path, cJSON **out, struct cm_buf *err)
{
	struct cm_buf text = CM_BUF_INIT;
	cJSON *docs = NULL;
	int rc = read_file(path, &text);

	if (rc)
		goto done;
	rc = cm_yaml_parse_all(text.data ? text.data : "", text.len, path, &docs, err);
	if (rc)
		goto done;
	*out = cJSON_DetachItemFromArray(docs, 0);
	if (!*out)
		*out = cJSON_CreateObject();
	if (!*out)
		rc = -ENOMEM;
done:
	cJSON_Delete(docs);
	cm_buf_close(&text);
	return rc;
}

int mc_kubeconfig_save(const char *path, const cJSON *kc)
{
	struct cm_buf text = CM_BUF_INIT;
	FILE *f;
	int rc = cm_yaml_emit(kc, &text);

	if (rc)
		goto done;
	f = fopen(path, "wb");
	if (!f) {
		rc = -errno;
		goto done;
	}
	if (fwrite(text.data, 1, text.len, f) != text.len)
		rc = -EIO;
	if (fclose(f) && !rc)
		rc = -EIO;
done:
	cm_buf_close(&text);
	return rc;
}

cJSON *mc_kubeconfig_named(const cJSON *kc, const char *list, const char *name)
{
	const cJSON *e;

	if (!name)
		return NULL;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(kc, list))
	{
		if (strcmp(cm_json_str_or(e, "name", ""), name) == 0)
			return (cJSON *)e;
	}
	return NULL;
}

/* Writes inline base64 data (certificate-authority-data, ...) to a private temp file curl can read. */
static int data_to_file(struct mc_ctx *c, size_t slot, const char *b64, const char **path)
{
	struct cm_buf raw = CM_BUF_INIT;
	char tmpl[] = "/tmp/minictl-XXXXXX";
	int fd, rc = cm_base64_decode(b64, strlen(b64), &raw);

	if (rc)
		goto done;
	fd = mkstemp(tmpl);
	if (fd < 0) {
		rc = -errno;
		goto done;
	}
	rc = cm_write_all(fd, raw.data, raw.len);
	close(fd);
	c->tmpfiles[slot] = strdup(tmpl);
	if (!c->tmpfiles[slot])
		rc = -ENOMEM;
	*path = c->tmpfiles[slot];
done:
	cm_buf_close(&raw);
	return rc;
}

static const char *keep(struct mc_ctx *c, size_t slot, const char *s)
{
	if (!s)
		return NULL;
	free(c->owned[slot]);
	c->owned[slot] = strdup(s);
	return c->owned[slot];
}

int mc_ctx_resolve(struct mc_ctx *c, struct cm_buf *err)
{
	const cJSON *context = NULL, *cluster = NULL, *user = NULL;
	const char *ctx_name, *server = NULL, *ns = NULL, *s;
	int rc;

	if ((rc = mc_kubeconfig_files(c, &c->kc_files)) || (rc = mc_kubeconfig_default_file(c->kc_files, &c->kc_path)))
		return rc;
	rc = mc_kubeconfig_load_all(c->kc_files, &c->kc, err);
	if (rc == -ENOENT && !(c->kubeconfig && *c->kubeconfig)) {
		rc = 0; /* no kubeconfig at all: flags and defaults alone */
	} else if (rc == -ENOENT) {
		return cm_buf_invalid(err, "stat %s: no such file or directory", c->kubeconfig);
	} else if (rc == -EINVAL && err && !err->len) {
		return cm_buf_invalid(err, "error loading config file \"%s\"", c->kc_path);
	} else if (rc) {
		return rc;
	}
	if (c->config_only)
		return 0;
	ctx_name = c->context ? c->context : cm_json_get_str(c->kc, "current-context");
	if (c->kc && ctx_name && *ctx_name) {
		context = cJSON_GetObjectItemCaseSensitive(mc_kubeconfig_named(c->kc, "contexts", ctx_name), "context");
		if (!context && c->context)
			return cm_buf_invalid(err, "context was not found for specified context: %s", c->context);
	}
	cluster = cJSON_GetObjectItemCaseSensitive(
		mc_kubeconfig_named(c->kc, "clusters", c->cluster ? c->cluster : cm_json_get_str(context, "cluster")),
		"cluster");
	user = cJSON_GetObjectItemCaseSensitive(
		mc_kubeconfig_named(c->kc, "users", c->user ? c->user : cm_json_get_str(context, "user")), "user");
	if (c->cluster && !cluster)
		return cm_buf_invalid(err, "no server found for cluster \"%s\"", c->cluster);

	server = c->server ? c->server : cm_json_get_str(cluster, "server");
	if (!server || !*server)
		server = "http://localhost:8080";
	{
		struct cm_buf u = CM_BUF_INIT;
		if (!strstr(server, "://"))
			cm_buf_puts(&u, "https://");
		cm_buf_puts(&u, server);
		while (u.len > 0 && u.data[u.len - 1] == '/')
			u.data[--u.len] = '\0';
		c->server_url = cm_buf_take(&u);
		if (!c->server_url)
			return -ENOMEM;
	}
	/* kubectl sends a token only over HTTPS; minictl does the same. */
	s = c->token ? c->token : cm_json_get_str(user, "token");
	if (s && *s && strncmp(c->server_url, "https://", 8) == 0)
		c->http.bearer_token = keep(c, 0, s);
	c->http.insecure_skip_verify = c->insecure;
	if (!c->insecure) {
		bool b = false;
		cm_json_get_bool(cluster, "insecure-skip-tls-verify", &b);
		c->http.insecure_skip_verify = b;
	}
	c->http.ca_file = keep(c, 1, c->ca_file ? c->ca_file : cm_json_get_str(cluster, "certificate-authority"));
	c->http.cert_file = keep(c, 2, c->cert_file ? c->cert_file : cm_json_get_str(user, "client-certificate"));
	c->http.key_file = keep(c, 3, c->key_file ? c->key_file : cm_json_get_str(user, "client-key"));
	if (!c->http.ca_file && (s = cm_json_get_str(cluster, "certificate-authority-data")) &&
	    (rc = data_to_file(c, 0, s, &c->http.ca_file)))
		return cm_buf_invalid(err, "certificate-authority-data: cannot decode");
	if (!c->http.cert_file && (s = cm_json_get_str(user, "client-certificate-data")) &&
	    (rc = data_to_file(c, 1, s, &c->http.cert_file)))
		return cm_buf_invalid(err, "client-certificate-data: cannot decode");
	if (!c->http.key_file && (s = cm_json_get_str(user, "client-key-data")) &&
	    (rc = data_to_file(c, 2, s, &c->http.key_file)))
		return cm_buf_invalid(err, "client-key-data: cannot decode");

	ns = c->ns_flag;
	c->ns_explicit = ns && *ns;
	if (!c->ns_explicit)
		ns = cm_json_get_str(context, "namespace");
	c->ns = strdup(ns && *ns ? ns : "default");
	if (!c->ns)
		return -ENOMEM;
	if (c->request_timeout && strcmp(c->request_timeout, "0") != 0) {
		int64_t ms;
		if (cm_duration_parse(c->request_timeout, &ms))
			return cm_buf_invalid(err, "invalid timeout value \"%s\"", c->request_timeout);
		c->timeout_ms = (long)ms;
	}
	return 0;
}
