/* config.c: etcd-style flags resolved into member ids and peer addresses. */
#include "etcdlite/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void el_config_defaults(struct el_config *c)
{
	memset(c, 0, sizeof(*c));
	c->name = "default";
	c->listen_client_urls = "http://127.0.0.1:2379";
	c->advertise_client_urls = NULL; /* the first listen URL */
	c->listen_peer_urls = "http://127.0.0.1:2380";
	c->initial_advertise_peer_urls = NULL;
	c->initial_cluster = NULL; /* "<name>=<first advertise peer URL>" */
	c->initial_cluster_state = "new";
	c->initial_cluster_token = "etcd-cluster";
	c->heartbeat_ms = 100;
	c->election_ms = 1000;
	c->snapshot_count = 100000;
	c->request_timeout_ms = 5000;
	c->max_request_bytes = 1572864; /* etcd's 1.5 MiB */
	c->max_concurrent_streams = 4294967295LL;
	c->progress_notify_ms = 600000;
}

/* FNV-1a, 64 bits: stable ids from strings, as etcd derives them from a hash. */
static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

int el_url_host_port(const char *url, char *host, size_t hostlen, int *port)
{
	const char *p = strstr(url, "://"), *colon, *end;
	char *endp;
	long v;

	p = p ? p + 3 : url;
	end = p + strcspn(p, "/,");
	colon = memchr(p, ':', (size_t)(end - p));
	if (!colon || (size_t)(colon - p) >= hostlen)
		return -EINVAL;
	memcpy(host, p, (size_t)(colon - p));
	host[colon - p] = '\0';
	v = strtol(colon + 1, &endp, 10);
	if (endp != end || v < 0 || v > 65535)
		return -EINVAL;
	*port = (int)v;
	return 0;
}

bool el_url_is_https(const char *url)
{
	return url && strncmp(url, "https://", 8) == 0;
}

/* An https:// listen URL needs a certificate and key; a CA or cert-auth needs TLS on. */
static int check_tls(const char *what, const char *url, const struct el_tls_conf *t,
		     const char *prefix, struct cm_buf *err)
{
	if (!!t->cert_file != !!t->key_file) {
		cm_buf_printf(err, "--%scert-file and --%skey-file go together", prefix, prefix);
		return -EINVAL;
	}
	if (el_url_is_https(url) && !t->cert_file) {
		cm_buf_printf(err, "%s %s is https: --%scert-file and --%skey-file are required", what,
			      url, prefix, prefix);
		return -EINVAL;
	}
	if (t->client_cert_auth && !t->trusted_ca_file) {
		cm_buf_printf(err, "--%sclient-cert-auth needs --%strusted-ca-file", prefix, prefix);
		return -EINVAL;
	}
	return 0;
}

static int add_member(struct el_config *c, const char *item, struct cm_buf *err)
{
	const char *eq = strchr(item, '=');
	struct el_peer_conf *m;
	size_t nlen;

	if (!eq || eq == item || !eq[1]) {
		cm_buf_printf(err, "--initial-cluster: expected name=URL, got \"%s\"", item);
		return -EINVAL;
	}
	nlen = (size_t)(eq - item);
	for (size_t i = 0; i < c->n_members; i++)
		if (strlen(c->members[i].name) == nlen && !strncmp(c->members[i].name, item, nlen)) {
			/* Extra URLs for a member: we use the first. */
			return 0;
		}
	if (c->n_members == EL_MAX_MEMBERS) {
		cm_buf_printf(err, "--initial-cluster: at most %d members", EL_MAX_MEMBERS);
		return -EINVAL;
	}
	m = &c->members[c->n_members];
	if (nlen >= sizeof(m->name) || strlen(eq + 1) >= sizeof(m->peer_url)) {
		cm_buf_printf(err, "--initial-cluster: entry too long: \"%s\"", item);
		return -EINVAL;
	}
	memcpy(m->name, item, nlen);
	m->name[nlen] = '\0';
	snprintf(m->peer_url, sizeof(m->peer_url), "%s", eq + 1);
	{
		char host[256];
		int port;
		if (el_url_host_port(m->peer_url, host, sizeof(host), &port)) {
			cm_buf_printf(err, "--initial-cluster: bad URL \"%s\"", m->peer_url);
			return -EINVAL;
		}
	}
	m->id = fnv1a(fnv1a(0xcbf29ce484222325ull, m->peer_url), c->initial_cluster_token);
	if (m->id == 0)
		m->id = 1;
	c->n_members++;
	return 0;
}

int el_config_resolve(struct el_config *c, struct cm_buf *err)
{
	char buf[4096], *save = NULL, *item;
	const char *adv = c->initial_advertise_peer_urls ? c->initial_advertise_peer_urls
							 : c->listen_peer_urls;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t self = EL_MAX_MEMBERS;

	if (!c->name || !*c->name) {
		cm_buf_puts(err, "--name must not be empty");
		return -EINVAL;
	}
	if (c->initial_cluster)
		snprintf(buf, sizeof(buf), "%s", c->initial_cluster);
	else
		snprintf(buf, sizeof(buf), "%s=%.*s", c->name, (int)strcspn(adv, ","), adv);
	c->n_members = 0;
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save))
		if (add_member(c, item, err))
			return -EINVAL;
	for (size_t i = 0; i < c->n_members; i++)
		if (!strcmp(c->members[i].name, c->name))
			self = i;
	if (self == EL_MAX_MEMBERS) {
		cm_buf_printf(err, "--initial-cluster has no member named \"%s\" (see --name)", c->name);
		return -EINVAL;
	}
	if (strncmp(adv, c->members[self].peer_url, strlen(c->members[self].peer_url)) != 0) {
		cm_buf_printf(err, "--initial-advertise-peer-urls %s does not match --initial-cluster's %s=%s",
			      adv, c->name, c->members[self].peer_url);
		return -EINVAL;
	}
	for (size_t i = 0; i < c->n_members; i++)
		for (size_t j = i + 1; j < c->n_members; j++)
			if (c->members[i].id == c->members[j].id) {
				cm_buf_printf(err, "--initial-cluster: members %s and %s share a peer URL",
					      c->members[i].name, c->members[j].name);
				return -EINVAL;
			}
	c->id = c->members[self].id;
	/* The cluster id hashes every member id in --initial-cluster order. */
	for (size_t i = 0; i < c->n_members; i++) {
		char idbuf[32];
		snprintf(idbuf, sizeof(idbuf), "%llx", (unsigned long long)c->members[i].id);
		h = fnv1a(h, idbuf);
	}
	c->cluster_id = fnv1a(h, c->initial_cluster_token);
	if (!c->advertise_client_urls)
		c->advertise_client_urls = c->listen_client_urls;
	if (check_tls("--listen-client-urls", c->listen_client_urls, &c->client_tls, "", err) ||
	    check_tls("--listen-peer-urls", c->listen_peer_urls, &c->peer_tls, "peer-", err))
		return -EINVAL;
	if (c->heartbeat_ms <= 0 || c->election_ms < 5 * c->heartbeat_ms) {
		cm_buf_puts(err, "--election-timeout must be at least 5 times --heartbeat-interval");
		return -EINVAL;
	}
	return 0;
}
