/* view.h: the few fields of Services and Endpoints the proxy reads, and the ports it derives from them. */
#ifndef KP_VIEW_H
#define KP_VIEW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "kubeproxy/proxy.h"

struct kp_svc_port_view {
	char *name; /* "" when unnamed */
	int protocol; /* IPPROTO_TCP or IPPROTO_UDP */
	int port, node_port;
};

/* A Service: strings owned, never NULL. */
struct kp_svc_view {
	char *cluster_ip; /* "" or "None" when it has none */
	char *type;       /* spec.type: "ClusterIP" when absent */
	char *external_name; /* spec.externalName ("" unless type ExternalName) */
	bool local_traffic; /* externalTrafficPolicy: Local */
	struct kp_addr *lb_ips; /* status.loadBalancer.ingress[].ip (port 0) */
	size_t nlb_ips;
	bool affinity;    /* sessionAffinity ClientIP */
	uint32_t affinity_timeout_s;
	struct kp_svc_port_view *ports;
	size_t nports;
};

struct kp_eps_port {
	char *name;
	int protocol;
	int port;
};

struct kp_eps_subset {
	struct kp_addr *ips; /* ready addresses only (port 0); notReadyAddresses get no traffic */
	char **nodes;        /* each ip's nodeName, "" when not given; owned */
	char **hostnames;    /* each ip's hostname, "" when not given; owned */
	size_t nips;
	struct kp_eps_port *ports;
	size_t nports;
};

struct kp_eps_view {
	struct kp_eps_subset *subsets;
	size_t n;
};

/*
 * Informer decode functions (cm_view_decode_fn): read obj into a new view
 * owned by the caller. Ports with a protocol other than TCP or UDP (SCTP) and
 * addresses that are not IP literals are skipped. Return 0, -EINVAL (not an
 * object), or -ENOMEM.
 */
int kp_svc_decode(const cJSON *obj, void **out);
void kp_svc_free(void *view);
int kp_eps_decode(const cJSON *obj, void **out);
void kp_eps_free(void *view);

/* What the engine should serve for one service: the ports with their endpoints. */
struct kp_port_set {
	struct kp_service_port *ports;
	size_t n;
	struct kp_addr *eps;  /* storage for every port's endpoints */
	char **names;         /* storage for the ports' names */
};

/*
 * Builds the ports of service key ("ns/name") from its Service and Endpoints
 * (eps may be NULL: no endpoints yet). A service port gets the addresses of
 * every subset that has a port of the same name and protocol, at that port:
 * Kubernetes' matching by port name. A port is named "ns/name:portname", or
 * "ns/name:port" when unnamed. Returns 0 with *out to close with
 * kp_port_set_close, or -ENOMEM (*out untouched).
 */
int kp_port_set_build(const char *key, const struct kp_svc_view *svc, const struct kp_eps_view *eps,
		      struct kp_port_set *out);
/*
 * The same as seen from node (NULL: as kp_port_set_build): each
 * status.loadBalancer.ingress IP gets a port "...:name@lb-IP" listening at
 * IP:port; with externalTrafficPolicy Local the NodePort moves to a port
 * "...:name@node" (and the load balancer ports keep to) the endpoints whose
 * nodeName is node, while the ClusterIP keeps every endpoint.
 */
int kp_port_set_build_node(const char *key, const struct kp_svc_view *svc, const struct kp_eps_view *eps,
			   const char *node, struct kp_port_set *out);
void kp_port_set_close(struct kp_port_set *s);
#endif
