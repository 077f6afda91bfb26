/* protobuf.c: a schema-driven reader of the Kubernetes protobuf kinds kubectl's generators send. */
#include "apiserver/protobuf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/varint.h"

/*
 * The wire format is read field by field against a table per message (field
 * numbers from Kubernetes' generated.proto files). Go's gogo-protobuf writes
 * every non-pointer field even at its zero value, so a field this table does
 * not know is accepted only when it is empty; anything else is an error, not
 * a silent loss. Fields marked KEEP are pointers in Go (replicas, immutable):
 * their zero is a value the client chose and stays in the JSON.
 */

enum pb_kind {
	PB_STR,     /* string */
	PB_INT,     /* int32/int64 varint */
	PB_BOOL,    /* bool varint */
	PB_BYTES,   /* bytes, as base64 in JSON */
	PB_MSG,     /* nested message */
	PB_MAP_STR, /* map<string,string> */
	PB_MAP_B64, /* map<string,bytes>, values as base64 */
	PB_MAP_QTY, /* map<string,Quantity> (Quantity is {string = 1}) */
	PB_INTSTR,  /* IntOrString: {type = 1, intVal = 2, strVal = 3} */
	PB_DROP,    /* known and deliberately left out: status, timestamps the server sets */
};

enum { KEEP = 1, REPEATED = 2 };

struct pb_msg;

struct pb_field {
	uint32_t num;
	const char *json;
	enum pb_kind kind;
	int flags;
	const struct pb_msg *sub;
};

struct pb_msg {
	const char *name;
	const struct pb_field *f;
	size_t n;
};

#define MSG(var, label, ...)                                                                                   \
	static const struct pb_field var##_fields[] = {__VA_ARGS__};                                           \
	static const struct pb_msg var = {label, var##_fields, sizeof(var##_fields) / sizeof(var##_fields[0])}

MSG(object_meta, "ObjectMeta", {1, "name", PB_STR, 0, NULL}, {2, "generateName", PB_STR, 0, NULL},
    {3, "namespace", PB_STR, 0, NULL}, {5, "uid", PB_STR, 0, NULL}, {6, "resourceVersion", PB_STR, 0, NULL},
    {7, "generation", PB_DROP, 0, NULL}, {8, "creationTimestamp", PB_DROP, 0, NULL},
    {11, "labels", PB_MAP_STR, 0, NULL}, {12, "annotations", PB_MAP_STR, 0, NULL},
    {14, "finalizers", PB_STR, REPEATED, NULL});
MSG(ns_spec, "NamespaceSpec", {1, "finalizers", PB_STR, REPEATED, NULL});
MSG(namespace_msg, "Namespace", {1, "metadata", PB_MSG, 0, &object_meta}, {2, "spec", PB_MSG, 0, &ns_spec},
    {3, "status", PB_DROP, 0, NULL});
MSG(configmap_msg, "ConfigMap", {1, "metadata", PB_MSG, 0, &object_meta}, {2, "data", PB_MAP_STR, 0, NULL},
    {3, "binaryData", PB_MAP_B64, 0, NULL}, {4, "immutable", PB_BOOL, KEEP, NULL});
MSG(secret_msg, "Secret", {1, "metadata", PB_MSG, 0, &object_meta}, {2, "data", PB_MAP_B64, 0, NULL},
    {3, "type", PB_STR, 0, NULL}, {4, "stringData", PB_MAP_STR, 0, NULL}, {5, "immutable", PB_BOOL, KEEP, NULL});
MSG(selector_req, "LabelSelectorRequirement", {1, "key", PB_STR, 0, NULL}, {2, "operator", PB_STR, 0, NULL},
    {3, "values", PB_STR, REPEATED, NULL});
MSG(label_selector, "LabelSelector", {1, "matchLabels", PB_MAP_STR, 0, NULL},
    {2, "matchExpressions", PB_MSG, REPEATED, &selector_req});
MSG(container_port, "ContainerPort", {1, "name", PB_STR, 0, NULL}, {2, "hostPort", PB_INT, 0, NULL},
    {3, "containerPort", PB_INT, 0, NULL}, {4, "protocol", PB_STR, 0, NULL}, {5, "hostIP", PB_STR, 0, NULL});
MSG(env_var, "EnvVar", {1, "name", PB_STR, 0, NULL}, {2, "value", PB_STR, 0, NULL});
MSG(resources_msg, "ResourceRequirements", {1, "limits", PB_MAP_QTY, 0, NULL}, {2, "requests", PB_MAP_QTY, 0, NULL});
MSG(container_msg, "Container", {1, "name", PB_STR, 0, NULL}, {2, "image", PB_STR, 0, NULL},
    {3, "command", PB_STR, REPEATED, NULL}, {4, "args", PB_STR, REPEATED, NULL}, {5, "workingDir", PB_STR, 0, NULL},
    {6, "ports", PB_MSG, REPEATED, &container_port}, {7, "env", PB_MSG, REPEATED, &env_var},
    {8, "resources", PB_MSG, KEEP, &resources_msg}, {13, "terminationMessagePath", PB_STR, 0, NULL},
    {14, "imagePullPolicy", PB_STR, 0, NULL}, {16, "stdin", PB_BOOL, 0, NULL}, {17, "stdinOnce", PB_BOOL, 0, NULL},
    {18, "tty", PB_BOOL, 0, NULL}, {20, "terminationMessagePolicy", PB_STR, 0, NULL});
MSG(pod_spec, "PodSpec", {2, "containers", PB_MSG, REPEATED, &container_msg}, {3, "restartPolicy", PB_STR, 0, NULL},
    {4, "terminationGracePeriodSeconds", PB_INT, KEEP, NULL}, {6, "dnsPolicy", PB_STR, 0, NULL},
    {7, "nodeSelector", PB_MAP_STR, 0, NULL}, {8, "serviceAccountName", PB_STR, 0, NULL},
    {10, "nodeName", PB_STR, 0, NULL}, {11, "hostNetwork", PB_BOOL, 0, NULL}, {19, "schedulerName", PB_STR, 0, NULL},
    {20, "initContainers", PB_MSG, REPEATED, &container_msg});
MSG(pod_template, "PodTemplateSpec", {1, "metadata", PB_MSG, KEEP, &object_meta}, {2, "spec", PB_MSG, KEEP, &pod_spec});
MSG(rolling_update, "RollingUpdateDeployment", {1, "maxUnavailable", PB_INTSTR, 0, NULL},
    {2, "maxSurge", PB_INTSTR, 0, NULL});
MSG(deploy_strategy, "DeploymentStrategy", {1, "type", PB_STR, 0, NULL},
    {2, "rollingUpdate", PB_MSG, 0, &rolling_update});
MSG(deploy_spec, "DeploymentSpec", {1, "replicas", PB_INT, KEEP, NULL}, {2, "selector", PB_MSG, 0, &label_selector},
    {3, "template", PB_MSG, KEEP, &pod_template}, {4, "strategy", PB_MSG, KEEP, &deploy_strategy},
    {5, "minReadySeconds", PB_INT, 0, NULL}, {6, "revisionHistoryLimit", PB_INT, KEEP, NULL},
    {7, "paused", PB_BOOL, 0, NULL}, {9, "progressDeadlineSeconds", PB_INT, KEEP, NULL});
MSG(deployment_msg, "Deployment", {1, "metadata", PB_MSG, 0, &object_meta}, {2, "spec", PB_MSG, 0, &deploy_spec},
    {3, "status", PB_DROP, 0, NULL});
MSG(service_port, "ServicePort", {1, "name", PB_STR, 0, NULL}, {2, "protocol", PB_STR, 0, NULL},
    {3, "port", PB_INT, 0, NULL}, {4, "targetPort", PB_INTSTR, 0, NULL}, {5, "nodePort", PB_INT, 0, NULL},
    {6, "appProtocol", PB_STR, 0, NULL});
MSG(service_spec, "ServiceSpec", {1, "ports", PB_MSG, REPEATED, &service_port}, {2, "selector", PB_MAP_STR, 0, NULL},
    {3, "clusterIP", PB_STR, 0, NULL}, {4, "type", PB_STR, 0, NULL}, {5, "externalIPs", PB_STR, REPEATED, NULL},
    {7, "sessionAffinity", PB_STR, 0, NULL}, {8, "loadBalancerIP", PB_STR, 0, NULL},
    {10, "externalName", PB_STR, 0, NULL}, {11, "externalTrafficPolicy", PB_STR, 0, NULL},
    {18, "clusterIPs", PB_STR, REPEATED, NULL});
MSG(service_msg, "Service", {1, "metadata", PB_MSG, 0, &object_meta}, {2, "spec", PB_MSG, 0, &service_spec},
    {3, "status", PB_DROP, 0, NULL});
MSG(local_ref, "LocalObjectReference", {1, "name", PB_STR, 0, NULL});
MSG(serviceaccount_msg, "ServiceAccount", {1, "metadata", PB_MSG, 0, &object_meta},
    {3, "imagePullSecrets", PB_MSG, REPEATED, &local_ref}, {4, "automountServiceAccountToken", PB_BOOL, KEEP, NULL});
MSG(policy_rule, "PolicyRule", {1, "verbs", PB_STR, REPEATED, NULL}, {2, "apiGroups", PB_STR, REPEATED, NULL},
    {3, "resources", PB_STR, REPEATED, NULL}, {4, "resourceNames", PB_STR, REPEATED, NULL},
    {5, "nonResourceURLs", PB_STR, REPEATED, NULL});
MSG(role_msg, "Role", {1, "metadata", PB_MSG, 0, &object_meta}, {2, "rules", PB_MSG, REPEATED, &policy_rule});
MSG(rbac_subject, "Subject", {1, "kind", PB_STR, 0, NULL}, {2, "apiGroup", PB_STR, 0, NULL},
    {3, "name", PB_STR, 0, NULL}, {4, "namespace", PB_STR, 0, NULL});
MSG(role_ref, "RoleRef", {1, "apiGroup", PB_STR, 0, NULL}, {2, "kind", PB_STR, 0, NULL}, {3, "name", PB_STR, 0, NULL});
MSG(rolebinding_msg, "RoleBinding", {1, "metadata", PB_MSG, 0, &object_meta},
    {2, "subjects", PB_MSG, REPEATED, &rbac_subject}, {3, "roleRef", PB_MSG, KEEP, &role_ref});

MSG(ssar_resource, "ResourceAttributes", {1, "namespace", PB_STR, 0, NULL}, {2, "verb", PB_STR, 0, NULL},
    {3, "group", PB_STR, 0, NULL}, {4, "version", PB_STR, 0, NULL}, {5, "resource", PB_STR, 0, NULL},
    {6, "subresource", PB_STR, 0, NULL}, {7, "name", PB_STR, 0, NULL});
MSG(ssar_nonresource, "NonResourceAttributes", {1, "path", PB_STR, 0, NULL}, {2, "verb", PB_STR, 0, NULL});
MSG(ssar_spec, "SelfSubjectAccessReviewSpec", {1, "resourceAttributes", PB_MSG, 0, &ssar_resource},
    {2, "nonResourceAttributes", PB_MSG, 0, &ssar_nonresource});
MSG(ssar_msg, "SelfSubjectAccessReview", {1, "metadata", PB_MSG, 0, &object_meta},
    {2, "spec", PB_MSG, 0, &ssar_spec}, {3, "status", PB_DROP, 0, NULL});

MSG(ssrr_spec, "SelfSubjectRulesReviewSpec", {1, "namespace", PB_STR, 0, NULL});
MSG(ssrr_msg, "SelfSubjectRulesReview", {1, "metadata", PB_MSG, 0, &object_meta},
    {2, "spec", PB_MSG, 0, &ssrr_spec}, {3, "status", PB_DROP, 0, NULL});

/* kubectl create token: expirationSeconds is a pointer (KEEP), the status the server's */
MSG(bound_object_ref, "BoundObjectReference", {1, "kind", PB_STR, 0, NULL}, {2, "apiVersion", PB_STR, 0, NULL},
    {3, "name", PB_STR, 0, NULL}, {4, "uid", PB_STR, 0, NULL});
MSG(token_request_spec, "TokenRequestSpec", {1, "audiences", PB_STR, REPEATED, NULL},
    {3, "boundObjectRef", PB_MSG, 0, &bound_object_ref}, {4, "expirationSeconds", PB_INT, KEEP, NULL});
MSG(token_request_msg, "TokenRequest", {1, "metadata", PB_MSG, 0, &object_meta},
    {2, "spec", PB_MSG, 0, &token_request_spec}, {3, "status", PB_DROP, 0, NULL});

/* kubectl drain and delete --grace-period send these through the typed client; the pointers are KEEP. */
MSG(preconditions_msg, "Preconditions", {1, "uid", PB_STR, KEEP, NULL}, {2, "resourceVersion", PB_STR, KEEP, NULL});
MSG(delete_options_msg, "DeleteOptions", {1, "gracePeriodSeconds", PB_INT, KEEP, NULL},
    {2, "preconditions", PB_MSG, 0, &preconditions_msg}, {3, "orphanDependents", PB_BOOL, KEEP, NULL},
    {4, "propagationPolicy", PB_STR, KEEP, NULL}, {5, "dryRun", PB_STR, REPEATED, NULL});

/* The kinds decoded, by their TypeMeta. */
static const struct {
	const char *api_version, *kind;
	const struct pb_msg *msg;
} kinds[] = {
	{"v1", "Namespace", &namespace_msg},
	{"v1", "ConfigMap", &configmap_msg},
	{"v1", "Secret", &secret_msg},
	{"apps/v1", "Deployment", &deployment_msg},
	{"v1", "Service", &service_msg},
	{"v1", "ServiceAccount", &serviceaccount_msg},
	/* ClusterRole and ClusterRoleBinding have the same fields as far as kubectl create fills them */
	{"rbac.authorization.k8s.io/v1", "Role", &role_msg},
	{"rbac.authorization.k8s.io/v1", "ClusterRole", &role_msg},
	{"rbac.authorization.k8s.io/v1", "RoleBinding", &rolebinding_msg},
	{"rbac.authorization.k8s.io/v1", "ClusterRoleBinding", &rolebinding_msg},
	/* kubectl auth can-i */
	{"authorization.k8s.io/v1", "SelfSubjectAccessReview", &ssar_msg},
	{"authorization.k8s.io/v1", "SelfSubjectRulesReview", &ssrr_msg},
	{"authentication.k8s.io/v1", "TokenRequest", &token_request_msg},
	/* kubectl drain (without eviction) and other typed-client deletes */
	{"v1", "DeleteOptions", &delete_options_msg},
	{"meta.k8s.io/v1", "DeleteOptions", &delete_options_msg},
};

struct pb_rd {
	const uint8_t *p, *end;
};

/* One field as read off the wire: a varint, or the bytes of a length-delimited value. */
struct pb_val {
	uint32_t num;
	int wt;
	uint64_t v;
	const uint8_t *data;
	size_t len;
};

static int rd_varint(struct pb_rd *r, uint64_t *out)
{
	return cm_varint_get(&r->p, r->end, out);
}

static int rd_field(struct pb_rd *r, struct pb_val *f)
{
	uint64_t tag, n;

	if (rd_varint(r, &tag) < 0 || (tag >> 3) == 0 || (tag >> 3) > UINT32_MAX)
		return -EINVAL;
	f->num = (uint32_t)(tag >> 3);
	f->wt = (int)(tag & 7);
	f->v = 0;
	f->data = NULL;
	f->len = 0;
	switch (f->wt) {
	case 0:
		return rd_varint(r, &f->v);
	case 1:
	case 5:
		n = f->wt == 1 ? 8 : 4;
		if ((uint64_t)(r->end - r->p) < n)
			return -EINVAL;
		memcpy(&f->v, r->p, n); /* little-endian host, as every target of ours */
		r->p += n;
		return 0;
	case 2:
		if (rd_varint(r, &n) < 0 || n > (uint64_t)(r->end - r->p))
			return -EINVAL;
		f->data = r->p;
		f->len = (size_t)n;
		r->p += n;
		return 0;
	default:
		return -EINVAL; /* groups are not used by Kubernetes */
	}
}

static int decode_msg(const struct pb_msg *m, const uint8_t *data, size_t len, cJSON *obj, struct cm_buf *err);

static const struct pb_field *lookup(const struct pb_msg *m, uint32_t num)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->f[i].num == num)
			return &m->f[i];
	return NULL;
}

static cJSON *string_of(const uint8_t *data, size_t len)
{
	char *s = strndup((const char *)data, len);
	cJSON *j = s ? cJSON_CreateString(s) : NULL;

	free(s);
	return j;
}

static cJSON *base64_of(const uint8_t *data, size_t len)
{
	struct cm_buf b = CM_BUF_INIT;
	cJSON *j = NULL;

	if (cm_base64_encode(data, len, &b) == 0 && cm_buf_puts(&b, "") == 0)
		j = cJSON_CreateString(b.data ? b.data : "");
	cm_buf_close(&b);
	return j;
}

/* A map entry {key = 1, value = 2} added to the object map. */
static int decode_entry(const struct pb_field *fd, const struct pb_val *f, cJSON *map, struct cm_buf *err)
{
	struct pb_rd r = {f->data, f->data + f->len};
	struct pb_val e, key = {0}, val = {0};
	cJSON *v = NULL;

	while (r.p < r.end) {
		if (rd_field(&r, &e) < 0 || e.wt != 2 || (e.num != 1 && e.num != 2))
			goto bad;
		if (e.num == 1)
			key = e;
		else
			val = e;
	}
	if (fd->kind == PB_MAP_STR) {
		v = string_of(val.data ? val.data : (const uint8_t *)"", val.len);
	} else if (fd->kind == PB_MAP_B64) {
		v = base64_of(val.data ? val.data : (const uint8_t *)"", val.len);
	} else {
		cJSON *q = cJSON_CreateObject();
		static const struct pb_field qf[] = {{1, "s", PB_STR, KEEP, NULL}};
		static const struct pb_msg qty = {"Quantity", qf, 1};

		if (q && decode_msg(&qty, val.data, val.len, q, err) == 0) {
			cJSON *s = cJSON_GetObjectItemCaseSensitive(q, "s");
			v = cJSON_CreateString(cJSON_IsString(s) ? s->valuestring : "0");
		}
		cJSON_Delete(q);
		if (err->len)
			return -EINVAL;
	}
	char *k = strndup(key.data ? (const char *)key.data : "", key.len);
	if (!v || !k) {
		free(k);
		cJSON_Delete(v);
		return -ENOMEM;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(map, k);
	cJSON_AddItemToObject(map, k, v);
	free(k);
	return 0;
bad:
	cm_buf_printf(err, "malformed map entry in field %s", fd->json);
	return -EINVAL;
}

/* The JSON value of one known field, or *out NULL when it is at its zero value and left out. */
static int value_of(const struct pb_field *fd, const struct pb_val *f, cJSON **out, struct cm_buf *err)
{
	bool keep = fd->flags & (KEEP | REPEATED);
	bool varint = fd->kind == PB_INT || fd->kind == PB_BOOL;
	int rc;

	*out = NULL;
	if (varint != (f->wt == 0) || (!varint && f->wt != 2)) {
		cm_buf_printf(err, "field %s has the wrong wire type %d", fd->json, f->wt);
		return -EINVAL;
	}
	switch (fd->kind) {
	case PB_STR:
		if (f->len || keep)
			*out = string_of(f->data, f->len);
		break;
	case PB_BYTES:
		if (f->len || keep)
			*out = base64_of(f->data, f->len);
		break;
	case PB_INT:
		if (f->v || keep)
			*out = cJSON_CreateNumber((double)(int64_t)f->v);
		break;
	case PB_BOOL:
		if (f->v || keep)
			*out = cJSON_CreateBool(f->v != 0);
		break;
	case PB_MSG:
		*out = cJSON_CreateObject();
		if (!*out)
			return -ENOMEM;
		rc = decode_msg(fd->sub, f->data, f->len, *out, err);
		if (rc < 0 || (!keep && !(*out)->child)) {
			cJSON_Delete(*out);
			*out = NULL;
			return rc;
		}
		return 0;
	case PB_INTSTR: {
		struct pb_rd r = {f->data, f->data + f->len};
		struct pb_val e;
		uint64_t type = 0, iv = 0;
		const uint8_t *s = (const uint8_t *)"";
		size_t slen = 0;

		while (r.p < r.end) {
			if (rd_field(&r, &e) < 0) {
				cm_buf_printf(err, "malformed IntOrString in field %s", fd->json);
				return -EINVAL;
			}
			if (e.num == 1)
				type = e.v;
			else if (e.num == 2)
				iv = e.v;
			else if (e.num == 3 && e.wt == 2)
				s = e.data, slen = e.len;
		}
		*out = type ? string_of(s, slen) : cJSON_CreateNumber((double)(int32_t)iv);
		break;
	}
	default:
		return 0;
	}
	return 0;
}

static int decode_msg(const struct pb_msg *m, const uint8_t *data, size_t len, cJSON *obj, struct cm_buf *err)
{
	struct pb_rd r = {data, data + len};
	struct pb_val f;

	while (r.p < r.end) {
		const struct pb_field *fd;
		cJSON *v, *slot;
		int rc;

		if (rd_field(&r, &f) < 0) {
			cm_buf_printf(err, "malformed protobuf in %s", m->name);
			return -EINVAL;
		}
		fd = lookup(m, f.num);
		if (!fd) {
			if ((f.wt == 0 && f.v == 0) || (f.wt == 2 && f.len == 0))
				continue; /* a Go zero value: nothing was lost */
			cm_buf_printf(err, "field %u of %s is not supported in protobuf; send it as JSON", f.num, m->name);
			return -EINVAL;
		}
		if (fd->kind == PB_DROP)
			continue;
		if (fd->kind == PB_MAP_STR || fd->kind == PB_MAP_B64 || fd->kind == PB_MAP_QTY) {
			if (f.wt != 2)
				goto wire;
			slot = cJSON_GetObjectItemCaseSensitive(obj, fd->json);
			if (!slot && !(slot = cJSON_AddObjectToObject(obj, fd->json)))
				return -ENOMEM;
			rc = decode_entry(fd, &f, slot, err);
			if (rc < 0)
				return rc;
			continue;
		}
		rc = value_of(fd, &f, &v, err);
		if (rc < 0)
			return rc;
		if (!v)
			continue;
		if (fd->flags & REPEATED) {
			slot = cJSON_GetObjectItemCaseSensitive(obj, fd->json);
			if (!slot && !(slot = cJSON_AddArrayToObject(obj, fd->json))) {
				cJSON_Delete(v);
				return -ENOMEM;
			}
			cJSON_AddItemToArray(slot, v);
		} else {
			cJSON_DeleteItemFromObjectCaseSensitive(obj, fd->json); /* the last one wins */
			cJSON_AddItemToObject(obj, fd->json, v);
		}
	}
	return 0;
wire:
	cm_buf_printf(err, "field %u of %s has the wrong wire type", f.num, m->name);
	return -EINVAL;
}

int api_protobuf_decode(const void *body, size_t len, cJSON **out, struct cm_buf *err)
{
	static const uint8_t magic[4] = {'k', '8', 's', 0};
	struct pb_rd r = {(const uint8_t *)body + 4, (const uint8_t *)body + len};
	struct pb_val f, type = {0}, raw = {0};
	char av[64] = "", kind[64] = "";
	const struct pb_msg *m = NULL;
	cJSON *obj;
	int rc;

	if (len < 4 || memcmp(body, magic, 4) != 0) {
		cm_buf_puts(err, "not a Kubernetes protobuf envelope");
		return -EINVAL;
	}
	while (r.p < r.end) {
		if (rd_field(&r, &f) < 0) {
			cm_buf_puts(err, "malformed protobuf envelope");
			return -EINVAL;
		}
		if (f.num == 1 && f.wt == 2)
			type = f;
		else if (f.num == 2 && f.wt == 2)
			raw = f;
		else if ((f.num == 3 || f.num == 4) && f.wt == 2 && f.len) {
			cm_buf_puts(err, "encoded protobuf content is not supported");
			return -EINVAL;
		}
	}
	r = (struct pb_rd){type.data, type.data + type.len};
	while (type.data && r.p < r.end) {
		if (rd_field(&r, &f) < 0 || f.wt != 2 || f.len >= sizeof(av)) {
			cm_buf_puts(err, "malformed TypeMeta");
			return -EINVAL;
		}
		if (f.num == 1)
			memcpy(av, f.data, f.len), av[f.len] = '\0';
		else if (f.num == 2)
			memcpy(kind, f.data, f.len), kind[f.len] = '\0';
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i].api_version, av) && !strcmp(kinds[i].kind, kind))
			m = kinds[i].msg;
	if (!m) {
		cm_buf_printf(err, "protobuf bodies of %s %s are not supported; send JSON", av, kind);
		return -EINVAL;
	}
	obj = cJSON_CreateObject();
	if (!obj || !cJSON_AddStringToObject(obj, "apiVersion", av) || !cJSON_AddStringToObject(obj, "kind", kind)) {
		cJSON_Delete(obj);
		return -ENOMEM;
	}
	rc = decode_msg(m, raw.data ? raw.data : (const uint8_t *)"", raw.len, obj, err);
	if (rc < 0) {
		cJSON_Delete(obj);
		return rc;
	}
	*out = obj;
	return 0;
}
