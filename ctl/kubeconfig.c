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

int mc_kubeconfig_path(const struct mc_ctx *c, char **out)
{
	const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");
	struct cm_buf b = CM_BUF_INIT;

	if (c->kubeconfig && *c->kubeconfig)
		cm_buf_puts(&b, c->kubeconfig);
	else if (env && *env)
		cm_buf_printf(&b, "%.*s", (int)strcspn(env, ":"), env);
	else
		cm_buf_printf(&b, "%s/.kube/config", home ? home : ".");
	*out = cm_buf_take(&b);
	return *out ? 0 : -ENOMEM;
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

	rc = mc_kubeconfig_path(c, &c->kc_path);
	if (rc)
		return rc;
	rc = mc_kubeconfig_load(c->kc_path, &c->kc, err);
	if (rc == -ENOENT && !(c->kubeconfig && *c->kubeconfig)) {
		rc = 0; /* no default kubeconfig: flags and defaults alone */
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
