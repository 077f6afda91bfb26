/* poddns.c: the files that make names work inside a pod: resolv.conf per dnsPolicy, and hosts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "kubelet/poddns.h"

#define MAX_SEARCH 32 /* glibc reads at most 6; Kubernetes allows 32 */

/* Appends the words after key ("search", "options") on the lines of text that start with it. */
static void host_words(const char *text, const char *key, cJSON *into)
{
	size_t klen = strlen(key);

	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		if (len > klen && !strncmp(line, key, klen) && (line[klen] == ' ' || line[klen] == '\t')) {
			char *copy = strndup(line + klen, len - klen), *save = NULL;
			for (char *w = copy ? strtok_r(copy, " \t\r", &save) : NULL; w; w = strtok_r(NULL, " \t\r", &save))
				cJSON_AddItemToArray(into, cJSON_CreateString(w));
			free(copy);
		}
		line = eol ? eol + 1 : NULL;
	}
}

static bool has_str(const cJSON *arr, const char *s)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, arr)
		if (cJSON_IsString(e) && !strcmp(e->valuestring, s))
			return true;
	return false;
}

static void add_unique(cJSON *arr, const char *s)
{
	if (s && *s && !has_str(arr, s))
		cJSON_AddItemToArray(arr, cJSON_CreateString(s));
}

int kl_dns_resolv_conf(const cJSON *pod, const char *cluster_dns, const char *domain, const char *host_resolv,
		       struct cm_buf *out)
{
	const char *policy = cm_json_str_or(pod, "spec.dnsPolicy", "ClusterFirst");
	bool host_net = cJSON_IsTrue(cm_json_get(pod, "spec.hostNetwork"));
	const cJSON *cfg = cm_json_get(pod, "spec.dnsConfig"), *e;
	cJSON *ns = cJSON_CreateArray(), *search = cJSON_CreateArray(), *opts = cJSON_CreateArray();
	struct cm_buf b = CM_BUF_INIT;
	int rc = 0, n = 0;

	if (!ns || !search || !opts) {
		rc = -ENOMEM;
		goto out;
	}
	bool cluster_first = !strcmp(policy, "ClusterFirstWithHostNet") || (!strcmp(policy, "ClusterFirst") && !host_net);
	if (strcmp(policy, "ClusterFirst") && strcmp(policy, "ClusterFirstWithHostNet") && strcmp(policy, "Default") &&
	    strcmp(policy, "None")) {
		rc = -EINVAL;
		goto out;
	}
	if (cluster_first && cluster_dns && *cluster_dns) {
		const char *pns = cm_json_str_or(pod, "metadata.namespace", "default");
		add_unique(ns, cluster_dns);
		cm_buf_printf(&b, "%s.svc.%s", pns, domain);
		add_unique(search, b.data);
		cm_buf_reset(&b);
		cm_buf_printf(&b, "svc.%s", domain);
		add_unique(search, b.data);
		add_unique(search, domain);
		host_words(host_resolv, "search", search);
		add_unique(opts, "ndots:5");
	} else if (strcmp(policy, "None")) {
		/* Default, or ClusterFirst without a cluster DNS: the node's own file */
		host_words(host_resolv, "nameserver", ns);
		host_words(host_resolv, "search", search);
		host_words(host_resolv, "options", opts);
	}
	cJSON_ArrayForEach(e, cm_json_get(cfg, "nameservers"))
		add_unique(ns, cJSON_GetStringValue(e));
	cJSON_ArrayForEach(e, cm_json_get(cfg, "searches"))
		add_unique(search, cJSON_GetStringValue(e));
	cJSON_ArrayForEach(e, cm_json_get(cfg, "options"))
	{
		const char *name = cm_json_str_or(e, "name", ""), *val = cm_json_get_str(e, "value");
		cm_buf_reset(&b);
		if (val)
			cm_buf_printf(&b, "%s:%s", name, val);
		else
			cm_buf_puts(&b, name);
		add_unique(opts, b.data);
	}
	if (!strcmp(policy, "None") && cJSON_GetArraySize(ns) == 0) {
		rc = -EINVAL;
		goto out;
	}
	cJSON_ArrayForEach(e, ns)
		rc |= cm_buf_printf(out, "nameserver %s\n", e->valuestring);
	if (cJSON_GetArraySize(search)) {
		rc |= cm_buf_puts(out, "search");
		cJSON_ArrayForEach(e, search)
			if (n++ < MAX_SEARCH)
				rc |= cm_buf_printf(out, " %s", e->valuestring);
		rc |= cm_buf_puts(out, "\n");
	}
	if (cJSON_GetArraySize(opts)) {
		rc |= cm_buf_puts(out, "options");
		cJSON_ArrayForEach(e, opts)
			rc |= cm_buf_printf(out, " %s", e->valuestring);
		rc |= cm_buf_puts(out, "\n");
	}
	rc = rc ? -ENOMEM : 0;
out:
	cm_buf_close(&b);
	cJSON_Delete(ns);
	cJSON_Delete(search);
	cJSON_Delete(opts);
	return rc;
}

void kl_dns_hostname(const cJSON *pod, char out[64])
{
	const char *host = cm_json_str_or(pod, "spec.hostname", "");
	size_t n;

	if (!*host)
		host = cm_json_str_or(pod, "metadata.name", "pod");
	snprintf(out, 64, "%s", host);
	/* a generated name can pass 63 characters; the cut must still end a valid label */
	for (n = strlen(out); n > 1 && (out[n - 1] == '-' || out[n - 1] == '.'); n--)
		out[n - 1] = '\0';
}

/* spec.hostAliases under their own header, one line per ip, as both kinds of hosts file end. */
static int alias_lines(const cJSON *pod, struct cm_buf *out)
{
	const cJSON *aliases = cm_json_get(pod, "spec.hostAliases"), *a, *h;
	int rc = 0;

	if (cJSON_GetArraySize(aliases) > 0)
		rc |= cm_buf_puts(out, "\n# Entries added by HostAliases.\n");
	cJSON_ArrayForEach(a, aliases)
	{
		rc |= cm_buf_puts(out, cm_json_str_or(a, "ip", ""));
		cJSON_ArrayForEach(h, cm_json_get(a, "hostnames"))
			if (cJSON_IsString(h))
				rc |= cm_buf_printf(out, "\t%s", h->valuestring);
		rc |= cm_buf_puts(out, "\n");
	}
	return rc;
}

/* The FQDN of pod under host (its hostname) appended to out, as kl_dns_fqdn says. */
static int fqdn(const cJSON *pod, const char *host, const char *domain, struct cm_buf *out)
{
	const char *sub = cm_json_str_or(pod, "spec.subdomain", "");

	if (!*sub || !domain || !*domain)
		return -ENOENT;
	return cm_buf_printf(out, "%s.%s.%s.svc.%s", host, sub, cm_json_str_or(pod, "metadata.namespace", "default"),
			     domain) < 0 ? -ENOMEM : 0;
}

int kl_dns_fqdn(const cJSON *pod, const char *domain, struct cm_buf *out)
{
	char host[64];

	kl_dns_hostname(pod, host);
	return fqdn(pod, host, domain, out);
}

int kl_dns_uts_hostname(const cJSON *pod, const char *domain, char out[KL_DNS_UTS_MAX + 1])
{
	struct cm_buf f = CM_BUF_INIT;
	int rc = 0;

	kl_dns_hostname(pod, out);
	if (cJSON_IsTrue(cm_json_get(pod, "spec.setHostnameAsFQDN")) && (rc = fqdn(pod, out, domain, &f)) != -ENOENT) {
		if (rc == 0 && f.len > KL_DNS_UTS_MAX)
			rc = -ENAMETOOLONG;
		else if (rc == 0)
			memcpy(out, f.data, f.len + 1);
	}
	cm_buf_close(&f);
	return rc == -ENOENT ? 0 : rc;
}

int kl_dns_hosts(const cJSON *pod, const char *ip, const char *domain, struct cm_buf *out)
{
	char host[64];
	struct cm_buf f = CM_BUF_INIT;
	int rc = 0;

	kl_dns_hostname(pod, host);
	rc |= cm_buf_puts(out, "# Kubernetes-managed hosts file.\n"
			       "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
			       "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\n"
			       "fe00::2\tip6-allrouters\n");
	if (ip && *ip) {
		/* the FQDN first, so that getent hosts and hostname -f give it */
		if (fqdn(pod, host, domain, &f) == 0)
			rc |= cm_buf_printf(out, "%s\t%s\t%s\n", ip, f.data, host);
		else
			rc |= cm_buf_printf(out, "%s\t%s\n", ip, host);
	}
	rc |= alias_lines(pod, out);
	cm_buf_close(&f);
	return rc ? -ENOMEM : 0;
}

int kl_dns_hosts_host_network(const cJSON *pod, const char *host_hosts, struct cm_buf *out)
{
	int rc = cm_buf_puts(out, "# Kubernetes-managed hosts file (host network).\n");

	rc |= cm_buf_puts(out, host_hosts ? host_hosts : "");
	rc |= alias_lines(pod, out);
	return rc ? -ENOMEM : 0;
}

static int write_file(const char *path, const struct cm_buf *text)
{
	FILE *f = fopen(path, "w");
	int rc = 0;

	if (!f)
		return -errno;
	if (text->len && fwrite(text->data, 1, text->len, f) != text->len)
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

static bool mounts_path(const cJSON *container, const char *path)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, cm_json_get(container, "volumeMounts"))
		if (!strcmp(cm_json_str_or(m, "mountPath", ""), path))
			return true;
	return false;
}

int kl_dns_texts(const cJSON *pod, const char *ip, const char *cluster_dns, const char *domain,
		 const char *host_resolv, const char *host_hosts, struct cm_buf *resolv, struct cm_buf *hosts,
		 unsigned *which)
{
	int rc = 0, r;

	*which = 0;
	if ((r = kl_dns_resolv_conf(pod, cluster_dns, domain, host_resolv, resolv)) == 0)
		*which |= KL_DNS_RESOLV;
	else
		rc = r;
	if (cJSON_IsTrue(cm_json_get(pod, "spec.hostNetwork")))
		r = kl_dns_hosts_host_network(pod, host_hosts, hosts);
	else
		r = kl_dns_hosts(pod, ip, domain, hosts);
	if (r == 0)
		*which |= KL_DNS_HOSTS;
	else
		rc = r;
	return rc;
}

unsigned kl_dns_write(const char *dir, const struct cm_buf *resolv, const struct cm_buf *hosts, unsigned which,
		      int *err)
{
	struct cm_buf p = CM_BUF_INIT;
	unsigned written = 0;
	int rc;

	*err = 0;
	for (unsigned bit = KL_DNS_RESOLV; bit <= KL_DNS_HOSTS; bit <<= 1) {
		if (!(which & bit))
			continue;
		cm_buf_reset(&p);
		rc = cm_buf_printf(&p, "%s/%s", dir, bit == KL_DNS_RESOLV ? "resolv.conf" : "hosts");
		if (rc == 0)
			rc = write_file(p.data, bit == KL_DNS_RESOLV ? resolv : hosts);
		if (rc == 0)
			written |= bit;
		else if (!*err)
			*err = rc;
	}
	cm_buf_close(&p);
	return written;
}

int kl_dns_mounts(const cJSON *container, const char *dir, unsigned which, struct kl_mount mounts[2],
		  struct cm_buf paths[2])
{
	static const char *const names[2] = {"resolv.conf", "hosts"}, *const etc[2] = {"/etc/resolv.conf", "/etc/hosts"};
	int n = 0;

	for (int i = 0; i < 2; i++) {
		if (!(which & (1u << i)) || mounts_path(container, etc[i]))
			continue;
		cm_buf_reset(&paths[n]);
		if (cm_buf_printf(&paths[n], "%s/%s", dir, names[i]) < 0)
			continue;
		mounts[n].host_path = paths[n].data;
		mounts[n].path = etc[i];
		mounts[n].read_only = false;
		n++;
	}
	return n;
}
