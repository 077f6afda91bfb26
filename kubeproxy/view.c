/* view.c: decoding Services and Endpoints into typed views, and matching their ports by name. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "kubeproxy/view.h"

static int protocol_of(const cJSON *port)
{
	const char *p = cm_json_str_or(port, "protocol", "TCP");

	if (!strcmp(p, "TCP"))
		return IPPROTO_TCP;
	if (!strcmp(p, "UDP"))
		return IPPROTO_UDP;
	return 0;
}

void kp_svc_free(void *view)
{
	struct kp_svc_view *v = view;

	if (!v)
		return;
	for (size_t i = 0; i < v->nports; i++)
		free(v->ports[i].name);
	free(v->ports);
	free(v->cluster_ip);
	free(v->type);
	free(v->external_name);
	free(v->lb_ips);
	free(v);
}

int kp_svc_decode(const cJSON *obj, void **out)
{
	const cJSON *ports = cm_json_get(obj, "spec.ports"), *p;
	struct kp_svc_view *v;

	if (!cJSON_IsObject(obj))
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->cluster_ip = strdup(cm_json_str_or(obj, "spec.clusterIP", ""));
	if (!v->cluster_ip)
		goto nomem;
	v->type = strdup(cm_json_str_or(obj, "spec.type", "ClusterIP"));
	v->external_name = strdup(cm_json_str_or(obj, "spec.externalName", ""));
	if (!v->type || !v->external_name)
		goto nomem;
	v->local_traffic = !strcmp(cm_json_str_or(obj, "spec.externalTrafficPolicy", "Cluster"), "Local");
	const cJSON *ingress = cm_json_get(obj, "status.loadBalancer.ingress"), *ing;
	if (cJSON_IsArray(ingress) && cJSON_GetArraySize(ingress) > 0) {
		v->lb_ips = calloc((size_t)cJSON_GetArraySize(ingress), sizeof(*v->lb_ips));
		if (!v->lb_ips)
			goto nomem;
		cJSON_ArrayForEach(ing, ingress)
		{
			if (kp_addr_parse(cm_json_str_or(ing, "ip", ""), 0, &v->lb_ips[v->nlb_ips]) == 0)
				v->nlb_ips++;
		}
	}
	v->affinity = !strcmp(cm_json_str_or(obj, "spec.sessionAffinity", "None"), "ClientIP");
	v->affinity_timeout_s =
		(uint32_t)cm_json_int64_or(obj, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", 0);
	if (cJSON_IsArray(ports) && cJSON_GetArraySize(ports) > 0) {
		v->ports = calloc((size_t)cJSON_GetArraySize(ports), sizeof(*v->ports));
		if (!v->ports)
			goto nomem;
		cJSON_ArrayForEach(p, ports)
		{
			struct kp_svc_port_view *pv = &v->ports[v->nports];
			pv->protocol = protocol_of(p);
			pv->port = (int)cm_json_int64_or(p, "port", 0);
			pv->node_port = (int)cm_json_int64_or(p, "nodePort", 0);
			if (!pv->protocol || pv->port <= 0 || pv->port > 65535)
				continue;
			if (pv->node_port < 0 || pv->node_port > 65535)
				pv->node_port = 0;
			pv->name = strdup(cm_json_str_or(p, "name", ""));
			if (!pv->name)
				goto nomem;
			v->nports++;
		}
	}
	*out = v;
	return 0;
nomem:
	kp_svc_free(v);
	return -ENOMEM;
}

void kp_eps_free(void *view)
{
	struct kp_eps_view *v = view;

	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		for (size_t j = 0; j < v->subsets[i].nports; j++)
			free(v->subsets[i].ports[j].name);
		free(v->subsets[i].ports);
		for (size_t j = 0; v->subsets[i].nodes && j < v->subsets[i].nips; j++)
			free(v->subsets[i].nodes[j]);
		for (size_t j = 0; v->subsets[i].hostnames && j < v->subsets[i].nips; j++)
			free(v->subsets[i].hostnames[j]);
		free(v->subsets[i].nodes);
		free(v->subsets[i].hostnames);
		free(v->subsets[i].ips);
	}
	free(v->subsets);
	free(v);
}

static int subset_decode(const cJSON *s, struct kp_eps_subset *out)
{
	const cJSON *addrs = cm_json_get(s, "addresses"), *ports = cm_json_get(s, "ports"), *x;

	if (cJSON_IsArray(addrs) && cJSON_GetArraySize(addrs) > 0) {
		out->ips = calloc((size_t)cJSON_GetArraySize(addrs), sizeof(*out->ips));
		out->nodes = calloc((size_t)cJSON_GetArraySize(addrs), sizeof(*out->nodes));
		out->hostnames = calloc((size_t)cJSON_GetArraySize(addrs), sizeof(*out->hostnames));
		if (!out->ips || !out->nodes || !out->hostnames)
			return -ENOMEM;
		cJSON_ArrayForEach(x, addrs)
		{
			if (kp_addr_parse(cm_json_str_or(x, "ip", ""), 0, &out->ips[out->nips]) < 0)
				continue;
			/* counted once named, so a failure frees what was kept */
			out->nodes[out->nips] = strdup(cm_json_str_or(x, "nodeName", ""));
			out->hostnames[out->nips] = strdup(cm_json_str_or(x, "hostname", ""));
			if (!out->nodes[out->nips] || !out->hostnames[out->nips]) {
				/* freed by the caller as the first nips entries are */
				free(out->nodes[out->nips]);
				free(out->hostnames[out->nips]);
				return -ENOMEM;
			}
			out->nips++;
		}
	}
	if (cJSON_IsArray(ports) && cJSON_GetArraySize(ports) > 0) {
		out->ports = calloc((size_t)cJSON_GetArraySize(ports), sizeof(*out->ports));
		if (!out->ports)
			return -ENOMEM;
		cJSON_ArrayForEach(x, ports)
		{
			struct kp_eps_port *pv = &out->ports[out->nports];
			pv->protocol = protocol_of(x);
			pv->port = (int)cm_json_int64_or(x, "port", 0);
			if (!pv->protocol || pv->port <= 0 || pv->port > 65535)
				continue;
			pv->name = strdup(cm_json_str_or(x, "name", ""));
			if (!pv->name)
				return -ENOMEM;
			out->nports++;
		}
	}
	return 0;
}

int kp_eps_decode(const cJSON *obj, void **out)
{
	const cJSON *subsets = cm_json_get(obj, "subsets"), *s;
	struct kp_eps_view *v;

	if (!cJSON_IsObject(obj))
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (cJSON_IsArray(subsets) && cJSON_GetArraySize(subsets) > 0) {
		v->subsets = calloc((size_t)cJSON_GetArraySize(subsets), sizeof(*v->subsets));
		if (!v->subsets)
			goto nomem;
		cJSON_ArrayForEach(s, subsets)
		{
			/* counted first so a failure frees what the subset holds */
			int rc = subset_decode(s, &v->subsets[v->n++]);
			if (rc < 0)
				goto nomem;
		}
	}
	*out = v;
	return 0;
nomem:
	kp_eps_free(v);
	return -ENOMEM;
}

void kp_port_set_close(struct kp_port_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	free(s->ports);
	free(s->eps);
	memset(s, 0, sizeof(*s));
}

/* Endpoint count for port pv: an upper bound to size the storage. */
static size_t count_eps(const struct kp_svc_port_view *pv, const struct kp_eps_view *eps)
{
	size_t n = 0;

	for (size_t i = 0; eps && i < eps->n; i++)
		for (size_t j = 0; j < eps->subsets[i].nports; j++)
			if (!strcmp(eps->subsets[i].ports[j].name, pv->name) &&
			    eps->subsets[i].ports[j].protocol == pv->protocol)
				n += eps->subsets[i].nips;
	return n;
}

/*
 * Adds one engine port for service port pv: listening on cluster (family 0:
 * none) and node_port (0: none), to the endpoints matched by name, only
 * those on node when node is set.
 */
static int add_port(struct kp_port_set *s, size_t *used, const char *key, const char *suffix,
		    const struct kp_svc_view *svc, const struct kp_svc_port_view *pv,
		    const struct kp_addr *cluster, int node_port, const struct kp_eps_view *eps,
		    const char *node)
{
	struct kp_service_port *sp = &s->ports[s->n];
	struct cm_buf name = CM_BUF_INIT;

	if (*pv->name ? cm_buf_printf(&name, "%s:%s%s", key, pv->name, suffix)
		      : cm_buf_printf(&name, "%s:%d%s", key, pv->port, suffix))
		return -ENOMEM;
	s->names[s->n++] = name.data;
	sp->name = name.data;
	sp->protocol = pv->protocol;
	if (cluster && cluster->family) {
		sp->cluster = *cluster;
		sp->cluster.port = (uint16_t)pv->port;
	}
	sp->node_port = (uint16_t)node_port;
	sp->affinity = svc->affinity;
	sp->affinity_timeout_s = svc->affinity_timeout_s;
	sp->endpoints = &s->eps[*used];
	for (size_t k = 0; eps && k < eps->n; k++) {
		const struct kp_eps_subset *ss = &eps->subsets[k];
		for (size_t j = 0; j < ss->nports; j++) {
			if (strcmp(ss->ports[j].name, pv->name) || ss->ports[j].protocol != pv->protocol)
				continue;
			for (size_t a = 0; a < ss->nips; a++) {
				if (node && strcmp(ss->nodes[a], node))
					continue;
				s->eps[*used] = ss->ips[a];
				s->eps[(*used)++].port = (uint16_t)ss->ports[j].port;
				sp->nendpoints++;
			}
		}
	}
	return 0;
}

int kp_port_set_build(const char *key, const struct kp_svc_view *svc, const struct kp_eps_view *eps,
		      struct kp_port_set *out)
{
	return kp_port_set_build_node(key, svc, eps, NULL, out);
}

int kp_port_set_build_node(const char *key, const struct kp_svc_view *svc, const struct kp_eps_view *eps,
			   const char *node, struct kp_port_set *out)
{
	struct kp_port_set s = {0};
	struct kp_addr cluster = {0};
	bool has_ip = kp_addr_parse(svc->cluster_ip, 0, &cluster) == 0;
	/* Local: the NodePort (and the load balancer addresses) get this node's endpoints only */
	const char *local = svc->local_traffic && node ? node : NULL;
	size_t per = 1 + svc->nlb_ips + (local ? 1 : 0), total = 0, used = 0;
	int rc = 0;

	for (size_t i = 0; i < svc->nports; i++)
		total += count_eps(&svc->ports[i], eps) * per;
	s.ports = calloc(svc->nports ? svc->nports * per : 1, sizeof(*s.ports));
	s.names = calloc(svc->nports ? svc->nports * per : 1, sizeof(*s.names));
	s.eps = calloc(total ? total : 1, sizeof(*s.eps));
	if (!s.ports || !s.names || !s.eps)
		goto nomem;
	for (size_t i = 0; i < svc->nports && rc == 0; i++) {
		const struct kp_svc_port_view *pv = &svc->ports[i];
		struct cm_buf sfx = CM_BUF_INIT;

		rc = add_port(&s, &used, key, "", svc, pv, has_ip ? &cluster : NULL,
			      local ? 0 : pv->node_port, eps, NULL);
		if (rc == 0 && local && pv->node_port)
			rc = add_port(&s, &used, key, "@node", svc, pv, NULL, pv->node_port, eps, local);
		/* k3s's service load balancer: the ingress addresses (this node's) at the service port */
		for (size_t k = 0; rc == 0 && k < svc->nlb_ips; k++) {
			sfx.len = 0;
			if (cm_buf_puts(&sfx, "@lb-") || kp_addr_format(&svc->lb_ips[k], &sfx))
				rc = -ENOMEM;
			else
				rc = add_port(&s, &used, key, sfx.data, svc, pv, &svc->lb_ips[k], 0, eps, local);
			if (rc == 0)
				s.ports[s.n - 1].node_local = true;
		}
		cm_buf_close(&sfx);
	}
	if (rc < 0)
		goto nomem;
	*out = s;
	return 0;
nomem:
	kp_port_set_close(&s);
	return -ENOMEM;
}
