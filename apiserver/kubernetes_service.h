/* kubernetes_service.h: the "kubernetes" Service in default and its Endpoints: every live apiserver, from leases. */
#ifndef API_KUBERNETES_SERVICE_H
#define API_KUBERNETES_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <uv.h>

/* How often an apiserver renews its lease, and how long one stays live without renewal (Kubernetes: 10 s, 15 s). */
#define API_KUBESVC_RENEW_MS 5000
#define API_KUBESVC_LEASE_S 15

struct api_server;

/* The reconciler's state, part of struct api_server. */
struct api_kubesvc {
	uv_timer_t timer;
	char identity[40];     /* the lease's name: "apiserver-" and a hash of host, address and port */
	char uid[40];          /* the lease's uid and creation time, kept across renewals */
	char created[40];
	char address[64];      /* the advertise address the endpoints list */
	int port;              /* the port they list: HTTPS, else the plain one */
	bool started, busy;
	bool service_done;     /* the Service exists (written once; an administrator's edits are kept) */
	int step;
	int64_t lease_rev;     /* our lease's mod_revision, for the next renewal (0: absent) */
	cJSON *want;           /* the object this step writes (Service, lease) */
	cJSON *subsets;        /* this round's live apiservers, as Endpoints subsets */
};

/*
 * Chooses the advertise address (advertise if non-NULL and not empty, else
 * bind, else, when bind is a wildcard, the host's first non-loopback IPv4
 * address, else 127.0.0.1) and the port. Returns 0 or -EINVAL (advertise is
 * not an IPv4 address).
 */
int api_kubesvc_init(struct api_server *srv, const char *advertise, const char *bind, int port);
/* Starts renewing the lease and reconciling the Service and its endpoints; the first round runs now. */
void api_kubesvc_start(struct api_server *srv);
/* Stops; cb runs when the timer is closed (data: srv). Only after api_kubesvc_start. */
void api_kubesvc_close(struct api_server *srv, uv_close_cb cb);

/*
 * The Endpoints' subsets for the lease objects in leases (a JSON array of
 * Leases): those with the kube-apiserver identity label whose renewTime plus
 * leaseDurationSeconds is after now_ms, grouped by port, addresses sorted.
 * Returns a new array (owned by the caller), or NULL out of memory.
 */
cJSON *api_kubesvc_subsets(const cJSON *leases, int64_t now_ms);

#endif
