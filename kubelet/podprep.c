/* podprep.c: what a pod needs before its containers run: ConfigMaps and Secrets, volumes, env, the container config. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/base64.h"
#include "common/fileio.h"
#include "common/json.h"
#include "common/err.h"
#include "common/log.h"
#include "common/quantity.h"
#include "common/timeutil.h"
#include "common/informer.h"
#include "kubelet/envvars.h"
#include "kubelet/poddns.h"
#include "kubelet/worker.h"

struct fetch {
	struct kl_pod_worker *w;
	char *key; /* "configmaps/name", "secrets/name" or "tokens/volume/path" */
	bool optional;
};

/* Why the pod waits for key (a deps key), in Kubernetes' words: `configmap "x" not found`. */
static void missing(struct kl_pod_worker *w, const char *key, long status)
{
	const char *slash = strchr(key, '/');
	int kind = slash ? (int)(slash - key) : 0;

	if (w->prep_why[0])
		return; /* the first one is said */
	if (!strncmp(key, "tokens/", 7))
		snprintf(w->prep_why, sizeof(w->prep_why),
			 "serviceaccount token for volume %s not issued (status %ld)", key + 7, status);
	else if (slash) /* the plural kind without its s */
		snprintf(w->prep_why, sizeof(w->prep_why), "%.*s \"%s\" not found", kind - 1, key, slash + 1);
}

/*
 * The Node authorizer lets a kubelet read a pod's sources once the apiserver
 * has seen the pod bound here; a kubelet that saw it first gets 403 for a
 * moment, so that is asked again soon rather than after the usual 2 s.
 */
static int64_t retry_ms(struct kl_pod_worker *w)
{
	if (!w->prep_refused) {
		w->refused_rounds = 0;
		return 2000;
	}
	w->refused_rounds++;
	return w->refused_rounds > 3 ? 2000 : 250LL << (w->refused_rounds - 1);
}

static void fetched(const struct cm_http_response *r, void *ud)
{
	struct fetch *f = ud;
	struct kl_pod_worker *w = f->w;
	cJSON *obj = NULL;

	if (r->err == 0 && (r->status == 200 || r->status == 201) &&
	    cm_json_parse(r->body, r->len, &obj, NULL) == 0) {
		if (!strncmp(f->key, "tokens/", 7))
			kl_token_stamp(w, obj);
		cJSON_DeleteItemFromObject(w->deps, f->key);
		cJSON_AddItemToObject(w->deps, f->key, obj);
	} else if (!f->optional || r->status != 404) {
		/* optional forgives an absent source only: a refusal or an error is asked again */
		cm_warn("pod %s/%s: %s not available (%ld): will retry", w->ns, w->name, f->key, r->status);
		missing(w, f->key, r->status);
		w->prep_failed = true;
		w->prep_refused |= r->status == 403;
	}
	if (--w->fetching == 0) {
		w->prepared = !w->prep_failed;
		if (w->prep_failed) {
			w->prep_retry_at = cm_time_wall_ms() + retry_ms(w);
			for (size_t i = 0; i < w->n_ctrs; i++) {
				snprintf(w->ctrs[i].waiting_reason, sizeof(w->ctrs[i].waiting_reason),
					 "CreateContainerConfigError");
				snprintf(w->ctrs[i].waiting_msg, sizeof(w->ctrs[i].waiting_msg), "%s", w->prep_why);
			}
		}
	}
	free(f->key);
	free(f);
	kl_worker_unref(w);
}

/* Sends method path (body may be NULL) and keeps the answer as deps[key]; takes key. */
static void fetch(struct kl_pod_worker *w, char *key, const char *method, const char *path, const char *body,
		  bool optional)
{
	struct fetch *f = calloc(1, sizeof(*f));

	if (!key || !f) {
		free(key);
		free(f);
		w->prep_failed = true;
		return;
	}
	f->w = w;
	f->key = key;
	f->optional = optional;
	w->fetching++;
	w->refs++;
	if (kl_api_send(w->srv, method, path, body ? "application/json" : NULL, body, fetched, f) < 0) {
		w->fetching--;
		w->refs--;
		w->prep_failed = true;
		free(f->key);
		free(f);
	}
}

static void want(struct kl_pod_worker *w, cJSON *seen, const char *kind, const char *name, bool optional)
{
	struct cm_buf key = CM_BUF_INIT, path = CM_BUF_INIT;

	if (!name || cm_buf_printf(&key, "%s/%s", kind, name) < 0 || cJSON_GetObjectItemCaseSensitive(seen, key.data))
		goto out;
	cJSON_AddTrueToObject(seen, key.data);
	if (cm_buf_printf(&path, "/api/v1/namespaces/%s/%s", w->ns, key.data) < 0)
		goto out;
	fetch(w, cm_buf_take(&key), "GET", path.data, NULL, optional);
out:
	cm_buf_close(&key);
	cm_buf_close(&path);
}

/* The sources of a projected volume: ConfigMaps and Secrets to get, ServiceAccount tokens to ask for. */
static void want_projected(struct kl_pod_worker *w, cJSON *seen, const cJSON *vol)
{
	const cJSON *src;

	cJSON_ArrayForEach(src, cm_json_get(vol, "projected.sources"))
	{
		struct cm_buf key = CM_BUF_INIT, path = CM_BUF_INIT, body = CM_BUF_INIT;

		want(w, seen, "configmaps", cm_json_get_str(src, "configMap.name"),
		     cJSON_IsTrue(cm_json_get(src, "configMap.optional")));
		want(w, seen, "secrets", cm_json_get_str(src, "secret.name"),
		     cJSON_IsTrue(cm_json_get(src, "secret.optional")));
		if (!cm_json_get(src, "serviceAccountToken"))
			continue;
		if (kl_token_request(w, cm_json_get(src, "serviceAccountToken"), &path, &body) == 0 &&
		    kl_token_key(cm_json_str_or(vol, "name", ""), cm_json_get(src, "serviceAccountToken"), &key) == 0)
			fetch(w, cm_buf_take(&key), "POST", path.data, body.data, false);
		else
			w->prep_failed = true;
		cm_buf_close(&key);
		cm_buf_close(&path);
		cm_buf_close(&body);
	}
}

void kl_prep_fetch(struct kl_pod_worker *w)
{
	cJSON *seen = cJSON_CreateObject();
	const cJSON *c, *e, *v;

	w->prep_failed = false;
	w->prep_refused = false;
	w->prep_why[0] = '\0';
	w->token_refresh_at = 0;
	w->fetching++; /* held until every GET is sent, so none can finish the round early */
	for (size_t i = 0; i < w->n_ctrs; i++) {
		c = w->ctrs[i].spec;
		cJSON_ArrayForEach(e, cm_json_get(c, "env"))
		{
			bool opt;

			opt = cJSON_IsTrue(cm_json_get(e, "valueFrom.configMapKeyRef.optional"));
			want(w, seen, "configmaps", cm_json_get_str(e, "valueFrom.configMapKeyRef.name"), opt);
			opt = cJSON_IsTrue(cm_json_get(e, "valueFrom.secretKeyRef.optional"));
			want(w, seen, "secrets", cm_json_get_str(e, "valueFrom.secretKeyRef.name"), opt);
		}
		cJSON_ArrayForEach(e, cm_json_get(c, "envFrom"))
		{
			want(w, seen, "configmaps", cm_json_get_str(e, "configMapRef.name"),
			     cJSON_IsTrue(cm_json_get(e, "configMapRef.optional")));
			want(w, seen, "secrets", cm_json_get_str(e, "secretRef.name"),
			     cJSON_IsTrue(cm_json_get(e, "secretRef.optional")));
		}
	}
	cJSON_ArrayForEach(v, cm_json_get(w->pod, "spec.volumes"))
	{
		want(w, seen, "configmaps", cm_json_get_str(v, "configMap.name"),
		     cJSON_IsTrue(cm_json_get(v, "configMap.optional")));
		want(w, seen, "secrets", cm_json_get_str(v, "secret.secretName"),
		     cJSON_IsTrue(cm_json_get(v, "secret.optional")));
		want_projected(w, seen, v);
	}
	cJSON_Delete(seen);
	if (--w->fetching == 0)
		w->prepared = !w->prep_failed;
	if (w->prep_failed && !w->fetching)
		w->prep_retry_at = cm_time_wall_ms() + retry_ms(w);
}

/* imagePullPolicy as Kubernetes defaults it: Always for :latest or no tag, IfNotPresent otherwise. */
static const char *pull_policy(const cJSON *spec)
{
	const char *p = cm_json_get_str(spec, "imagePullPolicy"), *img = cm_json_str_or(spec, "image", "");
	const char *slash = strrchr(img, '/'), *tag = strchr(slash ? slash : img, ':');

	if (p && *p)
		return p;
	return !tag || !strcmp(tag, ":latest") ? "Always" : "IfNotPresent";
}

int kl_prep_dep_value(struct kl_pod_worker *w, const char *kind, const char *name, const char *key,
		     struct cm_buf *out)
{
	struct cm_buf k = CM_BUF_INIT;
	const cJSON *obj, *data;
	int rc = -ENOENT;

	cm_buf_printf(&k, "%s/%s", kind, name ? name : "");
	obj = cJSON_GetObjectItemCaseSensitive(w->deps, k.data);
	cm_buf_close(&k);
	if (!obj || !key)
		return -ENOENT;
	if (!strcmp(kind, "secrets")) {
		if ((data = cJSON_GetObjectItemCaseSensitive(cm_json_get(obj, "data"), key)) && cJSON_IsString(data))
			rc = cm_base64_decode(data->valuestring, strlen(data->valuestring), out);
		else if ((data = cJSON_GetObjectItemCaseSensitive(cm_json_get(obj, "stringData"), key)) &&
			 cJSON_IsString(data))
			rc = cm_buf_puts(out, data->valuestring);
	} else if ((data = cJSON_GetObjectItemCaseSensitive(cm_json_get(obj, "data"), key)) && cJSON_IsString(data)) {
		rc = cm_buf_puts(out, data->valuestring);
	}
	return rc;
}

#define NODE_FILE_MAX (1 << 20) /* the node's resolv.conf or hosts: more is not a name file */

/*
 * The pod's folder, resolv.conf and hosts: three file creations, each of
 * which waits on the file system's journal (behind every fsync on the
 * host), made on the thread pool. The texts are made on the loop, which
 * owns the pod; the thread gets copies.
 */
struct files_job {
	uv_work_t req;
	struct kl_pod_worker *w;
	char *dir;
	struct cm_buf resolv, hosts;
	unsigned which, written;
	int rc;
};

static void files_work(uv_work_t *req)
{
	struct files_job *j = req->data;

	/* not mkdir -p: the runtime's folder of pods exists; a fake runtime's made-up path is left alone */
	if (mkdir(j->dir, 0755) < 0 && errno != EEXIST)
		j->rc = -errno;
	else
		j->written = kl_dns_write(j->dir, &j->resolv, &j->hosts, j->which, &j->rc);
}

static void files_after(uv_work_t *req, int status)
{
	struct files_job *j = req->data;
	struct kl_pod_worker *w = j->w;

	w->files_busy = false;
	if (!w->removed) {
		if (status < 0 || j->rc < 0)
			cm_warn("pod %s/%s: resolv.conf or hosts not written in %s: %s", w->ns, w->name, j->dir,
				cm_strerror(status < 0 ? status : j->rc));
		w->files_done = true;
		w->dns_files = j->written;
		kl_server_kick(w->srv);
	}
	kl_worker_unref(w);
	free(j->dir);
	cm_buf_close(&j->resolv);
	cm_buf_close(&j->hosts);
	free(j);
}

int kl_prep_files(struct kl_pod_worker *w)
{
	struct kl_server *s = w->srv;
	struct cm_buf resolv = CM_BUF_INIT, hosts = CM_BUF_INIT;
	struct files_job *j = calloc(1, sizeof(*j));
	int rc;

	if (!j || !(j->dir = strdup(w->sb.dir))) {
		free(j);
		return -ENOMEM;
	}
	/* the node's files, read from the page cache (no journal involved); missing ones count as empty */
	(void)cm_file_read("/etc/resolv.conf", NODE_FILE_MAX, &resolv);
	if (cJSON_IsTrue(cm_json_get(w->pod, "spec.hostNetwork")))
		(void)cm_file_read("/etc/hosts", NODE_FILE_MAX, &hosts);
	rc = kl_dns_texts(w->pod, kl_worker_ip(w), s->cfg.cluster_dns, s->cfg.cluster_domain,
			  resolv.data ? resolv.data : "", hosts.data ? hosts.data : "", &j->resolv, &j->hosts,
			  &j->which);
	cm_buf_close(&resolv);
	cm_buf_close(&hosts);
	if (rc == -EINVAL)
		cm_warn("pod %s/%s: resolv.conf not written: its dnsPolicy or dnsConfig is not usable", w->ns, w->name);
	else if (rc < 0)
		goto fail;
	j->req.data = j;
	j->w = w;
	if ((rc = uv_queue_work(s->loop, &j->req, files_work, files_after)) < 0)
		goto fail;
	w->files_busy = true;
	w->refs++;
	return -EINPROGRESS;
fail:
	free(j->dir);
	cm_buf_close(&j->resolv);
	cm_buf_close(&j->hosts);
	free(j);
	return rc;
}

const char *kl_prep_field_ref(struct kl_pod_worker *w, const char *path)
{
	if (!path)
		return NULL;
	if (!strcmp(path, "status.podIP") || !strcmp(path, "status.podIPs"))
		return kl_worker_ip(w);
	if (!strcmp(path, "status.hostIP") || !strcmp(path, "status.hostIPs"))
		return w->srv->cfg.node_ip;
	if (!strcmp(path, "spec.nodeName"))
		return w->srv->cfg.node_name;
	return cm_json_get_str(w->pod, path); /* metadata.name, metadata.namespace, metadata.uid, ... */
}

struct svc_list {
	const cJSON **v;
	size_t n, cap;
};

static int collect_svc(const char *key, const void *view, void *ud)
{
	struct svc_list *l = ud;

	(void)key;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		const cJSON **v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = view;
	return 0;
}

/* The Services' variables (envvars.h), first in strs so that the container's own env wins. */
static void service_env(struct kl_pod_worker *w, cJSON *strs)
{
	struct svc_list l = {0};
	const cJSON *links = cm_json_get(w->pod, "spec.enableServiceLinks");

	if (!w->srv->svc_inf)
		return;
	cm_informer_foreach(w->srv->svc_inf, collect_svc, &l);
	if (kl_envvars_services(l.v, l.n, w->ns, !cJSON_IsFalse(links), strs) < 0)
		cm_warn("pod %s/%s: service environment variables incomplete: out of memory", w->ns, w->name);
	free(l.v);
}

/* Resolves env into names/values kept in strs (a cJSON array owning the strings); a name's last value wins. */
static void build_env(struct kl_pod_worker *w, const cJSON *c, cJSON *strs)
{
	const cJSON *e, *kv;
	struct cm_buf val = CM_BUF_INIT, name = CM_BUF_INIT;

	service_env(w, strs);

	cJSON_ArrayForEach(e, cm_json_get(c, "envFrom"))
	{
		const char *kind = cm_json_get(e, "secretRef") ? "secrets" : "configmaps";
		const char *src = cm_json_get_str(e, !strcmp(kind, "secrets") ? "secretRef.name" : "configMapRef.name");
		struct cm_buf key = CM_BUF_INIT;

		cm_buf_printf(&key, "%s/%s", kind, src ? src : "");
		cJSON_ArrayForEach(kv, cm_json_get(cJSON_GetObjectItemCaseSensitive(w->deps, key.data), "data"))
		{
			cm_buf_reset(&val);
			cm_buf_reset(&name);
			cm_buf_printf(&name, "%s%s", cm_json_str_or(e, "prefix", ""), kv->string);
			if (kl_prep_dep_value(w, kind, src, kv->string, &val) == 0) {
				cJSON_AddItemToArray(strs, cJSON_CreateString(name.data));
				cJSON_AddItemToArray(strs, cJSON_CreateString(val.data ? val.data : ""));
			}
		}
		cm_buf_close(&key);
	}
	cJSON_ArrayForEach(e, cm_json_get(c, "env"))
	{
		const char *n = cm_json_get_str(e, "name");
		const cJSON *from = cm_json_get(e, "valueFrom");

		cm_buf_reset(&val);
		if (!n)
			continue;
		if (!from) {
			cm_buf_puts(&val, cm_json_str_or(e, "value", ""));
		} else if (cm_json_get(from, "configMapKeyRef")) {
			if (kl_prep_dep_value(w, "configmaps", cm_json_get_str(from, "configMapKeyRef.name"),
				      cm_json_get_str(from, "configMapKeyRef.key"), &val) < 0)
				continue;
		} else if (cm_json_get(from, "secretKeyRef")) {
			if (kl_prep_dep_value(w, "secrets", cm_json_get_str(from, "secretKeyRef.name"),
				      cm_json_get_str(from, "secretKeyRef.key"), &val) < 0)
				continue;
		} else if (cm_json_get(from, "fieldRef")) {
			const char *f = kl_prep_field_ref(w, cm_json_get_str(from, "fieldRef.fieldPath"));

			if (!f)
				continue;
			cm_buf_puts(&val, f);
		} else {
			continue;
		}
		cJSON_AddItemToArray(strs, cJSON_CreateString(n));
		cJSON_AddItemToArray(strs, cJSON_CreateString(val.data ? val.data : ""));
	}
	kl_envvars_dedupe(strs);
	cm_buf_close(&val);
	cm_buf_close(&name);
}

static int64_t quantity(const cJSON *c, const char *path, bool milli)
{
	const char *s = cm_json_get_str(c, path);
	int64_t v = 0;

	if (s && (milli ? cm_quantity_parse_milli(s, &v) : cm_quantity_parse(s, &v)) < 0)
		v = 0;
	return v;
}

/* The spec's string array field as a NULL-terminated vector borrowing its strings; NULL when absent. 0 or -ENOMEM. */
static int spec_strings(const cJSON *spec, const char *field, const char ***out)
{
	const cJSON *a = cm_json_get(spec, field), *it;
	size_t n = 0;

	*out = NULL;
	if (!cJSON_IsArray(a))
		return 0;
	if (!(*out = calloc((size_t)cJSON_GetArraySize(a) + 1, sizeof(**out))))
		return -ENOMEM;
	cJSON_ArrayForEach(it, a)
		(*out)[n++] = cJSON_IsString(it) ? it->valuestring : "";
	return 0;
}

/*
 * A runtime with a registry is fetching the image (-EINPROGRESS: Kubernetes
 * shows ContainerCreating, or keeps the pull error it showed) or failed to
 * (-EREMOTEIO: ErrImagePull, then ImagePullBackOff while it retries).
 */
static void image_wait(struct kl_pod_worker *w, struct kl_ctr *c, int rc, const char *image)
{
	struct kl_runtime *rt = w->srv->rt;
	struct cm_buf why = CM_BUF_INIT;
	bool again = !strcmp(c->waiting_reason, "ErrImagePull") || !strcmp(c->waiting_reason, "ImagePullBackOff");

	if (rc == -EINPROGRESS) {
		if (!again)
			snprintf(c->waiting_reason, sizeof(c->waiting_reason), "ContainerCreating");
		c->backoff_until = 0;
		return;
	}
	if (!rt->ops->last_error || rt->ops->last_error(rt, &why) < 0)
		cm_buf_puts(&why, "the pull failed");
	snprintf(c->waiting_reason, sizeof(c->waiting_reason), "%s", again ? "ImagePullBackOff" : "ErrImagePull");
	snprintf(c->waiting_msg, sizeof(c->waiting_msg), "%s\"%s\": %s", again ? "Back-off pulling image " : "",
		 image, why.data ? why.data : "");
	c->pull_failures++;
	cm_warn("pod %s/%s: container %s: image %s: %s (next pull in %llds)", w->ns, w->name, c->name, image,
		why.data ? why.data : "", (long long)(kl_image_backoff_delay(c->pull_failures) / 1000));
	c->backoff_until = cm_time_wall_ms() + kl_image_backoff_delay(c->pull_failures);
	cm_buf_close(&why);
}

int kl_prep_start(struct kl_pod_worker *w, struct kl_ctr *c)
{
	struct kl_server *s = w->srv;
	struct kl_container_config cfg = {0};
	cJSON *strs = cJSON_CreateArray(), *cmd = cJSON_CreateArray();
	const cJSON *it;
	struct kl_env *env = NULL;
	struct kl_mount *mounts = NULL;
	const char **argv = NULL, **spec_cmd = NULL, **spec_args = NULL;
	struct cm_buf *paths = NULL;
	char *id = NULL, hostname[KL_DNS_UTS_MAX + 1];
	size_t n_env, n_m = (size_t)cJSON_GetArraySize(cm_json_get(c->spec, "volumeMounts")), i = 0;
	int rc = -ENOMEM;

	if (!strs || !cmd)
		goto out;
	cJSON_ArrayForEach(it, cm_json_get(c->spec, "command"))
		cJSON_AddItemToArray(cmd, cJSON_CreateString(cJSON_GetStringValue(it) ? it->valuestring : ""));
	if (!cJSON_GetArraySize(cmd) && cJSON_GetArraySize(cm_json_get(c->spec, "args")) &&
	    strstr(cm_json_str_or(c->spec, "image", ""), "echoserver"))
		cJSON_AddItemToArray(cmd, cJSON_CreateString("echoserver"));
	cfg.n_command = (size_t)cJSON_GetArraySize(cmd);
	cJSON_ArrayForEach(it, cm_json_get(c->spec, "args"))
		cJSON_AddItemToArray(cmd, cJSON_CreateString(cJSON_GetStringValue(it) ? it->valuestring : ""));
	build_env(w, c->spec, strs);
	n_env = (size_t)cJSON_GetArraySize(strs) / 2;
	argv = calloc((size_t)cJSON_GetArraySize(cmd) + 1, sizeof(*argv));
	env = calloc(n_env + 1, sizeof(*env));
	mounts = calloc(n_m + 3, sizeof(*mounts)); /* + resolv.conf and hosts */
	paths = calloc(n_m + 3, sizeof(*paths));
	if (!argv || !env || !mounts || !paths || spec_strings(c->spec, "command", &spec_cmd) < 0 ||
	    spec_strings(c->spec, "args", &spec_args) < 0)
		goto out;
	cJSON_ArrayForEach(it, cmd)
		argv[i++] = it->valuestring;
	for (i = 0; i < n_env; i++) {
		env[i].name = cJSON_GetArrayItem(strs, (int)(2 * i))->valuestring;
		env[i].value = cJSON_GetArrayItem(strs, (int)(2 * i + 1))->valuestring;
	}
	i = 0;
	cJSON_ArrayForEach(it, cm_json_get(c->spec, "volumeMounts"))
	{
		if (kl_volume_path(w, cm_json_str_or(it, "name", ""), &paths[i]) < 0)
			continue;
		if (cm_json_get_str(it, "subPath") && *cm_json_get_str(it, "subPath"))
			cm_buf_printf(&paths[i], "/%s", cm_json_get_str(it, "subPath"));
		mounts[i].host_path = paths[i].data;
		mounts[i].path = cm_json_str_or(it, "mountPath", "/mnt");
		mounts[i].read_only = cJSON_IsTrue(cm_json_get(it, "readOnly"));
		i++;
	}
	i += (size_t)kl_dns_mounts(c->spec, w->sb.dir, w->dns_files, mounts + i, paths + i);
	cfg.pod_uid = w->uid;
	cfg.pod_namespace = w->ns;
	cfg.pod_name = w->name;
	cfg.name = c->name;
	cfg.attempt = c->id ? c->attempt + 1 : c->attempt;
	cfg.image = cm_json_str_or(c->spec, "image", "");
	cfg.command = argv;
	cfg.env = env;
	cfg.n_env = n_env;
	cfg.working_dir = cm_json_get_str(c->spec, "workingDir");
	cfg.mounts = mounts;
	cfg.n_mounts = i;
	cfg.memory_limit = quantity(c->spec, "resources.limits.memory", false);
	cfg.cpu_limit_m = quantity(c->spec, "resources.limits.cpu", true);
	cfg.netns_path = w->sb.netns_path;
	(void)kl_dns_uts_hostname(w->pod, s->cfg.cluster_domain, hostname); /* too long: no sandbox was made */
	cfg.hostname = hostname;
	cfg.pull_policy = pull_policy(c->spec);
	cfg.spec_command = spec_cmd;
	cfg.spec_args = spec_args;
	rc = s->rt->ops->container_start(s->rt, &cfg, &id);
	if (rc == -EINPROGRESS || rc == -EREMOTEIO) {
		image_wait(w, c, rc, cfg.image);
		goto out;
	}
	if (rc == -EEXIST) {
		/* that attempt exists (a start raced a kubelet restart): take the next one */
		c->attempt = cfg.attempt;
		rc = -EAGAIN;
		goto out;
	}
	if (rc < 0) {
		/* the process runtime has no registry to pull from: the store is all there is */
		bool never = !strcmp(pull_policy(c->spec), "Never");

		snprintf(c->waiting_reason, sizeof(c->waiting_reason), "%s",
			 rc != -ENOENT ? "CreateContainerError" : never ? "ErrImageNeverPull" : "ImagePullBackOff");
		if (rc == -ENOENT && never && s->rt->ops->last_error) /* a runtime with a registry: Kubernetes' words */
			snprintf(c->waiting_msg, sizeof(c->waiting_msg),
				 "Container image \"%s\" is not present with pull policy of Never", cfg.image);
		else if (rc == -ENOENT && never)
			snprintf(c->waiting_msg, sizeof(c->waiting_msg),
				 "Container image \"%s\" is not present with pull policy of Never (not in --image-dir; "
				 "only the echoserver image runs on the host filesystem, or any with --allow-host-images)",
				 cfg.image);
		else if (rc == -ENOENT)
			snprintf(c->waiting_msg, sizeof(c->waiting_msg),
				 "Back-off pulling image \"%s\": the process runtime has no registry; import it into "
				 "--image-dir with `kubelet images import` (docker save or OCI archive)", cfg.image);
		else
			snprintf(c->waiting_msg, sizeof(c->waiting_msg), "start failed: %s", cm_strerror(rc));
		cm_warn("pod %s/%s: container %s: %s", w->ns, w->name, c->name, c->waiting_msg);
		/* an image missing from the store backs off as a failed pull does (it may be imported meanwhile) */
		if (rc == -ENOENT && !never)
			c->backoff_until = cm_time_wall_ms() + kl_image_backoff_delay(++c->pull_failures);
		else
			c->backoff_until = cm_time_wall_ms() + 2000;
		goto out;
	}
	cm_info("pod %s/%s: container %s started (attempt %d)", w->ns, w->name, c->name, cfg.attempt);
	c->pull_failures = 0;
	if (c->id) {
		/* as the kubelet's container GC: one dead attempt (and its log, for logs --previous) is kept */
		struct cm_buf log = CM_BUF_INIT;

		if (c->prev_log)
			unlink(c->prev_log);
		free(c->prev_log);
		c->prev_log = s->rt->ops->log_path(s->rt, c->id, &log) == 0 ? cm_buf_take(&log) : NULL;
		cm_buf_close(&log);
	}
	if (c->prev_id)
		s->rt->ops->container_remove(s->rt, c->prev_id);
	free(c->prev_id);
	c->prev_id = c->id;
	c->id = id;
	c->attempt = cfg.attempt;
	id = NULL;
	rc = 0;
out:
	for (i = 0; paths && i < n_m + 2; i++)
		cm_buf_close(&paths[i]);
	free(paths);
	free(id);
	free(argv);
	free(spec_cmd);
	free(spec_args);
	free(env);
	free(mounts);
	cJSON_Delete(strs);
	cJSON_Delete(cmd);
	return rc;
}
