/* config.h: an etcdlite member's configuration, from etcd's flags, and the ids derived from it. */
#ifndef EL_CONFIG_H
#define EL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define EL_MAX_MEMBERS 9

struct el_peer_conf {
	char name[64];
	char peer_url[256]; /* one URL per member: the first given */
	uint64_t id;
};

struct el_config {
	const char *name;
	const char *data_dir;
	const char *listen_client_urls;
	const char *advertise_client_urls;
	const char *listen_peer_urls;
	const char *initial_advertise_peer_urls;
	/* --listen-metrics-urls: /health and /metrics over plain HTTP (NULL: not served), so probes
	 * need no client certificate when the client port requires one, as etcd's */
	const char *listen_metrics_urls;
	const char *initial_cluster;       /* "m1=http://127.0.0.1:2380,m2=..." */
	const char *initial_cluster_state; /* "new" or "existing": both start from the data dir */
	const char *initial_cluster_token;
	int64_t heartbeat_ms;
	int64_t election_ms;
	int64_t snapshot_count;
	int64_t request_timeout_ms;
	int64_t max_request_bytes;
	/* --max-concurrent-streams: watch streams one client (address) may hold; etcd's default is 2^32-1 */
	int64_t max_concurrent_streams;
	int64_t progress_notify_ms;
	/* TLS as etcd's flags: an https:// listen URL needs the cert and key; a
	 * trusted CA asks clients for certificates, client_cert_auth requires them. */
	struct el_tls_conf {
		const char *cert_file;
		const char *key_file;
		const char *trusted_ca_file;
		bool client_cert_auth;
	} client_tls, peer_tls; /* peer_tls is also what this member presents to its peers */
	/* Derived by el_config_resolve. */
	struct el_peer_conf members[EL_MAX_MEMBERS];
	size_t n_members;
	uint64_t id;
	uint64_t cluster_id;
};

/* Fills c with etcd's defaults (ports 2379/2380, 100 ms heartbeat, 1000 ms election). */
void el_config_defaults(struct el_config *c);
/*
 * Parses initial_cluster, finds this member by name and checks its peer URL,
 * derives member and cluster ids (a hash of peer URL and token, like etcd).
 * Returns 0, or -EINVAL with the reason in err.
 */
int el_config_resolve(struct el_config *c, struct cm_buf *err);
/* Splits "http://host:port" into host and port. Returns 0 or -EINVAL. */
int el_url_host_port(const char *url, char *host, size_t hostlen, int *port);
/* True if url starts with "https://". */
bool el_url_is_https(const char *url);

#endif
