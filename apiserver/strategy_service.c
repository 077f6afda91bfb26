/* strategy_service.c: services: defaults, validation, cluster IP and NodePort allocation through etcd keys. */
#include "apiserver/strategy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/object.h"
#include "apiserver/resources.h"
#include "apiserver/table.h"
#include "common/json.h"

/*
 * Every allocated value is a key (/registry/ranges/serviceips/10.96.3.7,
 * /registry/ranges/servicenodeports/30080) that the service's create or
 * update transaction requires absent and writes: two services can never get
 * the same value, however many apiservers allocate at once. A loser of the
 * race draws again.
 */
#define IP_KEY "/registry/ranges/serviceips/%s"
#define PORT_KEY "/registry/ranges/servicenodeports/%lld"
#define NODEPORT_MIN 30000
#define NODEPORT_MAX 32767

static bool absent(const cJSON *obj, const char *path)
{
	const cJSON *v = cm_json_get(obj, path);

	return !v || cJSON_IsNull(v);
}

static bool headless_selectorless(const cJSON *obj)
{
	const cJSON *sel = cm_json_get(obj, "spec.selector");

	return !strcmp(cm_json_str_or(obj, "spec.clusterIP", ""), "None") && !(cJSON_IsObject(sel) && sel->child);
}

/* old's value of path copied into obj when obj lacks it; 1 if copied, 0 if not, -ENOMEM. */
static int keep_old(cJSON *obj, const cJSON *old, const char *path)
{
	const cJSON *o = old ? cm_json_get(old, path) : NULL;
	cJSON *c;

	if (!absent(obj, path) || !o || cJSON_IsNull(o))
		return 0;
	if (!(c = cm_json_copy(o)) || cm_json_set(obj, path, c) < 0)
		return -ENOMEM;
	return 1;
}

/* An ExternalName service has no IP families: a type change drops them when the client left them as they were. */
static void drop_if_unchanged(cJSON *obj, const cJSON *old, const char *field)
{
	cJSON *spec = cm_json_get(obj, "spec");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(spec, field);
	const cJSON *o = old ? cm_json_get(old, "spec") : NULL;

	if (v && (!o || cm_json_equal(v, cJSON_GetObjectItemCaseSensitive(o, field))))
		cJSON_DeleteItemFromObjectCaseSensitive(spec, field);
}

/*
 * What kube-apiserver fills in on a single-stack IPv4 cluster for every type
 * but ExternalName: one IPv4 family, SingleStack; a headless service without
 * selector asks for both families (RequireDualStack), as Kubernetes answers it
 * even where only IPv4 is configured. An update keeps what the stored object had.
 */
static int family_defaults(cJSON *obj, const cJSON *old)
{
	const char *t = cm_json_str_or(obj, "spec.type", "ClusterIP");
	bool dual = headless_selectorless(obj);
	int rc;

	if (!strcmp(t, "ExternalName")) {
		drop_if_unchanged(obj, old, "ipFamilies");
		drop_if_unchanged(obj, old, "ipFamilyPolicy");
		drop_if_unchanged(obj, old, "internalTrafficPolicy");
		return 0;
	}
	rc = api_default_str(obj, "spec.internalTrafficPolicy", "Cluster");
	if (!rc && (!strcmp(t, "NodePort") || !strcmp(t, "LoadBalancer")))
		rc = api_default_str(obj, "spec.externalTrafficPolicy", "Cluster");
	if (!rc && !strcmp(t, "LoadBalancer") && absent(obj, "spec.allocateLoadBalancerNodePorts"))
		rc = cm_json_set(obj, "spec.allocateLoadBalancerNodePorts", cJSON_CreateTrue());
	if (!rc && !strcmp(cm_json_str_or(obj, "spec.clusterIP", ""), "None") && absent(obj, "spec.clusterIPs"))
		rc = api_default_json(obj, "spec.clusterIPs", "[\"None\"]");
	if (!rc && (rc = keep_old(obj, old, "spec.ipFamilyPolicy")) == 0 && absent(obj, "spec.ipFamilyPolicy"))
		rc = cm_json_set_str(obj, "spec.ipFamilyPolicy", dual ? "RequireDualStack" : "SingleStack");
	if (rc < 0)
		return rc;
	if ((rc = keep_old(obj, old, "spec.ipFamilies")) != 0 || !absent(obj, "spec.ipFamilies"))
		return rc < 0 ? rc : 0;
	dual = dual && strcmp(cm_json_str_or(obj, "spec.ipFamilyPolicy", ""), "SingleStack");
	return cm_json_set(obj, "spec.ipFamilies", cJSON_Parse(dual ? "[\"IPv4\",\"IPv6\"]" : "[\"IPv4\"]"));
}

static int prepare(cJSON *obj, const cJSON *old)
{
	cJSON *ports = cm_json_get(obj, "spec.ports"), *p;
	int rc = api_default_str(obj, "spec.type", "ClusterIP");

	if (!rc)
		rc = api_default_str(obj, "spec.sessionAffinity", "None");
	if (!rc)
		rc = family_defaults(obj, old);
	cJSON_ArrayForEach(p, ports) {
		if (rc || !cJSON_IsObject(p))
			continue;
		rc = api_default_str(p, "protocol", "TCP");
		if (!rc && !cJSON_GetObjectItemCaseSensitive(p, "targetPort") &&
		    cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(p, "port")))
			rc = api_default_num(p, "targetPort", cJSON_GetObjectItemCaseSensitive(p, "port")->valuedouble);
	}
	return rc;
}

static int prepare_create(cJSON *obj, const struct api_strategy_env *env)
{
	(void)env;
	return prepare(obj, NULL);
}

static int prepare_update(cJSON *obj, const cJSON *old)
{
	return prepare(obj, old);
}

static bool needs_node_ports(const cJSON *obj)
{
	const char *t = cm_json_str_or(obj, "spec.type", "ClusterIP");

	return !strcmp(t, "NodePort") || !strcmp(t, "LoadBalancer");
}

/* IP families as a single-stack IPv4 cluster takes them (a headless service without selector may name both). */
static void validate_families(const cJSON *obj, struct api_ferrs *errs)
{
	static const char *const policies[] = {"SingleStack", "PreferDualStack", "RequireDualStack", NULL};
	static const char *const families[] = {"IPv4", "IPv6", NULL};
	static const char *const itps[] = {"Cluster", "Local", NULL};
	const char *pol = cm_json_get_str(obj, "spec.ipFamilyPolicy"), *itp = cm_json_get_str(obj, "spec.internalTrafficPolicy");
	const cJSON *fams = cm_json_get(obj, "spec.ipFamilies"), *f;
	bool loose = headless_selectorless(obj);
	char field[48];
	int i = 0;

	if (pol && !(!strcmp(pol, policies[0]) || !strcmp(pol, policies[1]) || !strcmp(pol, policies[2])))
		api_ferr_not_supported(errs, "spec.ipFamilyPolicy", pol, policies);
	else if (pol && !loose && !strcmp(pol, "RequireDualStack"))
		api_ferr_invalid(errs, "spec.ipFamilyPolicy", pol, "this cluster is not configured for dual-stack services");
	if (itp && strcmp(itp, "Cluster") && strcmp(itp, "Local"))
		api_ferr_not_supported(errs, "spec.internalTrafficPolicy", itp, itps);
	if (cJSON_GetArraySize(fams) > 2)
		api_ferr_invalid(errs, "spec.ipFamilies", "", "may specify no more than one IP for each IP family");
	cJSON_ArrayForEach(f, fams) {
		const char *v = cJSON_IsString(f) ? f->valuestring : "";

		snprintf(field, sizeof(field), "spec.ipFamilies[%d]", i++);
		if (strcmp(v, "IPv4") && strcmp(v, "IPv6"))
			api_ferr_not_supported(errs, field, v, families);
		else if (i == 2 && cJSON_IsString(fams->child) && !strcmp(fams->child->valuestring, v))
			api_ferr_duplicate(errs, field, v);
		else if (!loose && !strcmp(v, "IPv6"))
			api_ferr_invalid(errs, field, v, "not configured on this cluster");
	}
	if (pol && !strcmp(pol, "SingleStack") && cJSON_GetArraySize(fams) == 2)
		api_ferr_invalid(errs, "spec.ipFamilyPolicy", pol,
				 "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified");
}

static void validate(const cJSON *obj, const cJSON *old, struct api_ferrs *errs)
{
	static const char *const types[] = {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName", NULL};
	const char *t = cm_json_str_or(obj, "spec.type", "ClusterIP");
	const cJSON *ports = cm_json_get(obj, "spec.ports"), *p;
	bool ok = false;
	char f[64];
	int i = 0;

	for (int k = 0; types[k]; k++)
		ok |= !strcmp(t, types[k]);
	if (!ok)
		api_ferr_not_supported(errs, "spec.type", t, types);
	if (strcmp(t, "ExternalName") && strcmp(cm_json_str_or(obj, "spec.clusterIP", ""), "None") &&
	    cJSON_GetArraySize(ports) == 0)
		api_ferr_required(errs, "spec.ports", NULL);
	cJSON_ArrayForEach(p, ports) {
		int64_t port = cm_json_int64_or(p, "port", 0), np = cm_json_int64_or(p, "nodePort", 0);

		snprintf(f, sizeof(f), "spec.ports[%d].port", i);
		if (port < 1 || port > 65535)
			api_ferr_invalid_int(errs, f, port, "must be between 1 and 65535, inclusive");
		snprintf(f, sizeof(f), "spec.ports[%d].nodePort", i);
		if (np && (np < NODEPORT_MIN || np > NODEPORT_MAX))
			api_ferr_invalid_int(errs, f, np, "provided port is not in the valid range. The range of valid ports is 30000-32767");
		if (cJSON_GetArraySize(ports) > 1 && !cm_json_get_str(p, "name")) {
			snprintf(f, sizeof(f), "spec.ports[%d].name", i);
			api_ferr_required(errs, f, NULL);
		}
		i++;
	}
	validate_families(obj, errs);
	if (old) {
		const char *a = cm_json_get_str(obj, "spec.clusterIP"), *b = cm_json_get_str(old, "spec.clusterIP");

		if (a && b && strcmp(a, b))
			api_ferr_invalid(errs, "spec.clusterIP", a, "field is immutable");
	}
}

static int set_ip(cJSON *obj, const char *ip)
{
	cJSON *list = cJSON_CreateArray();
	int rc = cm_json_set_str(obj, "spec.clusterIP", ip);

	if (!list)
		return -ENOMEM;
	cJSON_AddItemToArray(list, cJSON_CreateString(ip));
	if (!rc)
		return cm_json_set(obj, "spec.clusterIPs", list);
	cJSON_Delete(list);
	return rc;
}

static int alloc_ip(cJSON *obj, const cJSON *old, const struct api_strategy_env *env, struct api_alloc *a,
		    struct api_ferrs *errs)
{
	const char *ip = cm_json_get_str(obj, "spec.clusterIP");
	const struct api_ranges *r = env->ranges;
	uint32_t size = r->svc_bits >= 31 ? 2 : 1u << (32 - r->svc_bits);
	struct in_addr in;
	char buf[INET_ADDRSTRLEN];

	if (!strcmp(cm_json_str_or(obj, "spec.type", ""), "ExternalName"))
		return 0;
	if (old && cm_json_get_str(old, "spec.clusterIP")) {
		/* kept: an update cannot change it (validated), and a missing one is the old one */
		if (!ip || !*ip)
			return set_ip(obj, cm_json_get_str(old, "spec.clusterIP"));
		return 0;
	}
	if (ip && !strcmp(ip, "None"))
		return 0;
	if (ip && *ip) {
		uint32_t h;

		if (inet_pton(AF_INET, ip, &in) != 1) {
			api_ferr_invalid(errs, "spec.clusterIP", ip, "must be a valid IP address");
			return 0;
		}
		h = ntohl(in.s_addr);
		if ((h & ~(size - 1)) != r->svc_base) {
			api_ferr_invalid(errs, "spec.clusterIP", ip,
					 "provided IP is not in the valid range. The range of valid IPs is the service CIDR");
			return 0;
		}
		a->user_chosen = true;
		free(a->taken_field);
		free(a->taken_value);
		a->taken_field = strdup("spec.clusterIP");
		a->taken_value = strdup(ip);
		return api_alloc_take(a, IP_KEY, ip);
	}
	/* skip the network address and the first host (the "kubernetes" service's) */
	in.s_addr = htonl(r->svc_base + 2 + (uint32_t)(env->rand(env->rand_ud) % (size > 4 ? size - 3 : 1)));
	inet_ntop(AF_INET, &in, buf, sizeof(buf));
	if (set_ip(obj, buf) < 0)
		return -ENOMEM;
	return api_alloc_take(a, IP_KEY, buf);
}

/* The old nodePort of the same port (by port and protocol), or 0. */
static int64_t old_node_port(const cJSON *old, const cJSON *p)
{
	const cJSON *ports = old ? cm_json_get(old, "spec.ports") : NULL, *o;

	cJSON_ArrayForEach(o, ports) {
		if (cm_json_int64_or(o, "port", -1) == cm_json_int64_or(p, "port", -2) &&
		    !strcmp(cm_json_str_or(o, "protocol", "TCP"), cm_json_str_or(p, "protocol", "TCP")))
			return cm_json_int64_or(o, "nodePort", 0);
	}
	return 0;
}

static bool port_in(const cJSON *obj, int64_t np)
{
	const cJSON *ports = obj ? cm_json_get(obj, "spec.ports") : NULL, *o;

	cJSON_ArrayForEach(o, ports) {
		if (needs_node_ports(obj) && cm_json_int64_or(o, "nodePort", 0) == np)
			return true;
	}
	return false;
}

static int alloc_ports(cJSON *obj, const cJSON *old, const struct api_strategy_env *env, struct api_alloc *a)
{
	cJSON *ports = cm_json_get(obj, "spec.ports"), *p;
	const cJSON *oports = old ? cm_json_get(old, "spec.ports") : NULL, *o;
	int rc = 0;

	cJSON_ArrayForEach(p, ports) {
		int64_t np = cm_json_int64_or(p, "nodePort", 0);

		if (!needs_node_ports(obj)) {
			cJSON_DeleteItemFromObjectCaseSensitive(p, "nodePort");
			continue;
		}
		if (!np && old)
			np = old_node_port(old, p);
		if (np && old && port_in(old, np)) {
			rc = api_default_num(p, "nodePort", (double)np);
		} else if (np) {
			a->user_chosen = true;
			free(a->taken_field);
			a->taken_field = strdup("spec.ports[].nodePort");
			rc = api_alloc_take(a, PORT_KEY, (long long)np);
		} else {
			do {
				np = NODEPORT_MIN + (int64_t)(env->rand(env->rand_ud) % (NODEPORT_MAX - NODEPORT_MIN + 1));
			} while (port_in(obj, np) || (old && port_in(old, np)));
			rc = api_default_num(p, "nodePort", (double)np);
			if (!rc)
				rc = api_alloc_take(a, PORT_KEY, (long long)np);
		}
		if (rc < 0)
			return rc;
	}
	/* ports the update dropped are released */
	cJSON_ArrayForEach(o, oports) {
		int64_t np = cm_json_int64_or(o, "nodePort", 0);

		if (np && needs_node_ports(old) && !port_in(obj, np) && (rc = api_alloc_release(a, PORT_KEY, (long long)np)) < 0)
			return rc;
	}
	return 0;
}

static int allocate(cJSON *obj, const cJSON *old, const struct api_strategy_env *env, struct api_alloc *a,
		    struct api_ferrs *errs)
{
	int rc = alloc_ip(obj, old, env, a, errs);

	if (!rc && !errs->n)
		rc = alloc_ports(obj, old, env, a);
	return rc;
}

static int release(const cJSON *obj, const struct api_strategy_env *env, struct api_alloc *a)
{
	const char *ip = cm_json_get_str(obj, "spec.clusterIP");
	const cJSON *ports = cm_json_get(obj, "spec.ports"), *p;
	int rc = 0;

	(void)env;
	if (ip && *ip && strcmp(ip, "None"))
		rc = api_alloc_release(a, IP_KEY, ip);
	cJSON_ArrayForEach(p, ports) {
		int64_t np = cm_json_int64_or(p, "nodePort", 0);

		if (!rc && np)
			rc = api_alloc_release(a, PORT_KEY, (long long)np);
	}
	return rc;
}

static int cells(const cJSON *obj, cJSON *out, int64_t now_ms)
{
	struct cm_buf ports = CM_BUF_INIT;
	const cJSON *p;
	const char *ext = cm_json_get_str(obj, "spec.externalName");
	int rc;

	cJSON_ArrayForEach(p, cm_json_get(obj, "spec.ports")) {
		cm_buf_printf(&ports, "%s%lld", ports.len ? "," : "", (long long)cm_json_int64_or(p, "port", 0));
		if (cm_json_int64_or(p, "nodePort", 0))
			cm_buf_printf(&ports, ":%lld", (long long)cm_json_int64_or(p, "nodePort", 0));
		cm_buf_printf(&ports, "/%s", cm_json_str_or(p, "protocol", "TCP"));
	}
	rc = api_table_add_str(out, api_obj_meta_str(obj, "name"));
	if (!rc)
		rc = api_table_add_str(out, cm_json_str_or(obj, "spec.type", "ClusterIP"));
	if (!rc)
		rc = api_table_add_str(out, cm_json_str_or(obj, "spec.clusterIP", "<none>"));
	if (!rc)
		rc = api_table_add_str(out, ext ? ext : !strcmp(cm_json_str_or(obj, "spec.type", ""), "LoadBalancer") ? "<pending>" : "<none>");
	if (!rc)
		rc = api_table_add_str(out, ports.len ? ports.data : "<none>");
	if (!rc)
		rc = api_table_add_age(out, obj, now_ms);
	if (!rc)
		rc = api_table_add_labels(out, cm_json_get(obj, "spec.selector"));
	cm_buf_close(&ports);
	return rc;
}

#define COL(n, p) "{\"name\":\"" n "\",\"type\":\"string\",\"format\":\"\",\"description\":\"\",\"priority\":" #p "}"

const struct api_strategy api_strategy_service = {
	.prepare_create = prepare_create,
	.prepare_update = prepare_update,
	.validate = validate,
	.allocate = allocate,
	.release = release,
	.columns = "[{\"name\":\"Name\",\"type\":\"string\",\"format\":\"name\",\"description\":\"\",\"priority\":0},"
		   COL("Type", 0) "," COL("Cluster-IP", 0) "," COL("External-IP", 0) "," COL("Port(s)", 0) ","
		   COL("Age", 0) "," COL("Selector", 1) "]",
	.cells = cells,
};
