/* test_kl_poddns.c: a pod's resolv.conf per dnsPolicy, and its hosts file. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "kubelet/poddns.h"
#include "tests/lib/check_run.h"

static const char *host_hosts = "127.0.0.1\tlocalhost\n192.0.2.1\tnode-1\n";
static const char *host_resolv = "# node\nnameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example\noptions edns0\n";
static struct cm_buf out;

static cJSON *pod(const char *text)
{
	cJSON *j = NULL;

	ck_assert_int_eq(cm_json_parse(text, strlen(text), &j, NULL), 0);
	return j;
}

static int resolv(const char *podtext, const char *cluster_dns)
{
	cJSON *p = pod(podtext);
	int rc;

	cm_buf_close(&out);
	rc = kl_dns_resolv_conf(p, cluster_dns, "cluster.local", host_resolv, &out);
	cJSON_Delete(p);
	return rc;
}

static void teardown(void)
{
	cm_buf_close(&out);
}

START_TEST(test_cluster_first_default)
{
	ck_assert_int_eq(resolv("{\"metadata\":{\"name\":\"a\",\"namespace\":\"shop\"},\"spec\":{}}", "10.244.0.1"), 0);
	ck_assert_str_eq(out.data, "nameserver 10.244.0.1\n"
				   "search shop.svc.cluster.local svc.cluster.local cluster.local corp.example\n"
				   "options ndots:5\n");
}
END_TEST

START_TEST(test_host_network_falls_back_to_default)
{
	ck_assert_int_eq(resolv("{\"metadata\":{\"name\":\"a\"},\"spec\":{\"hostNetwork\":true}}", "10.244.0.1"), 0);
	ck_assert_str_eq(out.data, "nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example\noptions edns0\n");
	ck_assert_int_eq(resolv("{\"metadata\":{\"name\":\"a\"},\"spec\":{\"hostNetwork\":true,"
				"\"dnsPolicy\":\"ClusterFirstWithHostNet\"}}",
				"10.244.0.1"),
			 0);
	ck_assert_ptr_nonnull(strstr(out.data, "nameserver 10.244.0.1\n"));
}
END_TEST

START_TEST(test_no_cluster_dns_means_default)
{
	ck_assert_int_eq(resolv("{\"metadata\":{\"name\":\"a\"},\"spec\":{}}", ""), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "nameserver 192.0.2.53\n"));
	ck_assert_ptr_null(strstr(out.data, "ndots"));
}
END_TEST

START_TEST(test_default_policy_with_dns_config)
{
	ck_assert_int_eq(resolv("{\"metadata\":{\"name\":\"a\"},\"spec\":{\"dnsPolicy\":\"Default\",\"dnsConfig\":"
				"{\"searches\":[\"x.example\"],\"options\":[{\"name\":\"ndots\",\"value\":\"2\"},"
				"{\"name\":\"rotate\"}]}}}",
				"10.244.0.1"),
			 0);
	ck_assert_str_eq(out.data, "nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example x.example\n"
				   "options edns0 ndots:2 rotate\n");
}
END_TEST

START_TEST(test_none_needs_a_nameserver)
{
	ck_assert_int_eq(resolv("{\"metadata\":{\"name\":\"a\"},\"spec\":{\"dnsPolicy\":\"None\"}}", "10.244.0.1"),
			 -EINVAL);
	ck_assert_int_eq(resolv("{\"metadata\":{\"name\":\"a\"},\"spec\":{\"dnsPolicy\":\"None\",\"dnsConfig\":"
				"{\"nameservers\":[\"1.1.1.1\"],\"searches\":[\"a.b\"]}}}",
				"10.244.0.1"),
			 0);
	ck_assert_str_eq(out.data, "nameserver 1.1.1.1\nsearch a.b\n");
	ck_assert_int_eq(resolv("{\"spec\":{\"dnsPolicy\":\"Bogus\"}}", "10.244.0.1"), -EINVAL);
}
END_TEST

START_TEST(test_hosts_file)
{
	cJSON *p = pod("{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"shop\"},\"spec\":{\"hostname\":\"w1\","
		       "\"subdomain\":\"web\",\"hostAliases\":[{\"ip\":\"192.0.2.9\",\"hostnames\":[\"db\",\"db.local\"]},"
		       "{\"ip\":\"192.0.2.10\",\"hostnames\":[\"cache\"]}]}}");

	ck_assert_int_eq(kl_dns_hosts(p, "10.244.1.5", "cluster.local", &out), 0);
	/* Kubernetes' managed file, byte for byte */
	ck_assert_str_eq(out.data, "# Kubernetes-managed hosts file.\n"
				   "127.0.0.1\tlocalhost\n"
				   "::1\tlocalhost ip6-localhost ip6-loopback\n"
				   "fe00::0\tip6-localnet\n"
				   "fe00::0\tip6-mcastprefix\n"
				   "fe00::1\tip6-allnodes\n"
				   "fe00::2\tip6-allrouters\n"
				   "10.244.1.5\tw1.web.shop.svc.cluster.local\tw1\n"
				   "\n"
				   "# Entries added by HostAliases.\n"
				   "192.0.2.9\tdb\tdb.local\n"
				   "192.0.2.10\tcache\n");
	cJSON_Delete(p);
	cm_buf_close(&out);
	/* a subdomain without hostname: the pod's name under it */
	p = pod("{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"shop\"},\"spec\":{\"subdomain\":\"web\"}}");
	ck_assert_int_eq(kl_dns_hosts(p, "10.244.1.5", "cluster.local", &out), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "\n10.244.1.5\tweb-1.web.shop.svc.cluster.local\tweb-1\n"));
	ck_assert_ptr_null(strstr(out.data, "HostAliases"));
	cJSON_Delete(p);
	cm_buf_close(&out);
	p = pod("{\"metadata\":{\"name\":\"web-1\"},\"spec\":{}}");
	ck_assert_int_eq(kl_dns_hosts(p, "10.244.1.6", "cluster.local", &out), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "10.244.1.6\tweb-1\n"));
	cJSON_Delete(p);
}
END_TEST

START_TEST(test_hostname)
{
	char host[64];
	cJSON *p = pod("{\"metadata\":{\"name\":\"web-1\"},\"spec\":{\"hostname\":\"w1\",\"subdomain\":\"web\"}}");

	kl_dns_hostname(p, host);
	ck_assert_str_eq(host, "w1");
	cJSON_Delete(p);
	p = pod("{\"metadata\":{\"name\":\"web-1\"},\"spec\":{\"hostname\":\"\"}}");
	kl_dns_hostname(p, host);
	ck_assert_str_eq(host, "web-1");
	cJSON_Delete(p);
	/* a long generated name: cut to a 63-character label that does not end in '-' */
	p = pod("{\"metadata\":{\"name\":\"a23456789-b23456789-c23456789-d23456789-e23456789-f23456789-ab-xyz\"}}");
	kl_dns_hostname(p, host);
	ck_assert_str_eq(host, "a23456789-b23456789-c23456789-d23456789-e23456789-f23456789-ab");
	cJSON_Delete(p);
}
END_TEST

START_TEST(test_host_network_hosts_file_has_the_aliases)
{
	cJSON *p = pod("{\"metadata\":{\"name\":\"a\"},\"spec\":{\"hostNetwork\":true,\"hostname\":\"h\","
		       "\"subdomain\":\"s\",\"hostAliases\":[{\"ip\":\"192.0.2.9\",\"hostnames\":[\"db\",\"db.local\"]}]}}");

	/* Kubernetes' file, byte for byte: the node's names, then the aliases; hostname and subdomain add nothing */
	ck_assert_int_eq(kl_dns_hosts_host_network(p, host_hosts, &out), 0);
	ck_assert_str_eq(out.data, "# Kubernetes-managed hosts file (host network).\n"
				   "127.0.0.1\tlocalhost\n"
				   "192.0.2.1\tnode-1\n"
				   "\n"
				   "# Entries added by HostAliases.\n"
				   "192.0.2.9\tdb\tdb.local\n");
	cm_buf_close(&out);
	/* a node without a hosts file: the header and the aliases still */
	ck_assert_int_eq(kl_dns_hosts_host_network(p, "", &out), 0);
	ck_assert_str_eq(out.data, "# Kubernetes-managed hosts file (host network).\n"
				   "\n"
				   "# Entries added by HostAliases.\n"
				   "192.0.2.9\tdb\tdb.local\n");
	cJSON_Delete(p);
}
END_TEST

static int uts(const char *podtext, const char *domain, char host[KL_DNS_UTS_MAX + 1])
{
	cJSON *p = pod(podtext);
	int rc = kl_dns_uts_hostname(p, domain, host);

	cJSON_Delete(p);
	return rc;
}

START_TEST(test_uts_hostname_as_fqdn)
{
	char host[KL_DNS_UTS_MAX + 1];

	/* setHostnameAsFQDN with a subdomain: the FQDN */
	ck_assert_int_eq(uts("{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"shop\"},\"spec\":{\"hostname\":\"w1\","
			     "\"subdomain\":\"web\",\"setHostnameAsFQDN\":true}}",
			     "cluster.local", host),
			 0);
	ck_assert_str_eq(host, "w1.web.shop.svc.cluster.local");
	/* without it, or without a subdomain or a domain to make an FQDN of: the short name */
	ck_assert_int_eq(uts("{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"shop\"},\"spec\":{\"hostname\":\"w1\","
			     "\"subdomain\":\"web\"}}",
			     "cluster.local", host),
			 0);
	ck_assert_str_eq(host, "w1");
	ck_assert_int_eq(uts("{\"metadata\":{\"name\":\"web-1\"},\"spec\":{\"setHostnameAsFQDN\":true}}", "cluster.local",
			     host),
			 0);
	ck_assert_str_eq(host, "web-1");
	ck_assert_int_eq(uts("{\"metadata\":{\"name\":\"web-1\"},\"spec\":{\"subdomain\":\"web\","
			     "\"setHostnameAsFQDN\":true}}",
			     "", host),
			 0);
	ck_assert_str_eq(host, "web-1");
	/* 64 characters fit the kernel's nodename; 65 do not, and the short name is left */
	ck_assert_int_eq(uts("{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\"},\"spec\":{\"hostname\":"
			     "\"a23456789-b23456789-c23456789-d23456789-e\",\"subdomain\":\"s\",\"setHostnameAsFQDN\":true}}",
			     "cluster.local", host),
			 0);
	ck_assert_uint_eq(strlen(host), 64);
	ck_assert_int_eq(uts("{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\"},\"spec\":{\"hostname\":"
			     "\"a23456789-b23456789-c23456789-d23456789-ef\",\"subdomain\":\"s\",\"setHostnameAsFQDN\":true}}",
			     "cluster.local", host),
			 -ENAMETOOLONG);
	ck_assert_str_eq(host, "a23456789-b23456789-c23456789-d23456789-ef");
}
END_TEST

START_TEST(test_fqdn)
{
	cJSON *p = pod("{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"shop\"},\"spec\":{\"subdomain\":\"web\"}}");

	ck_assert_int_eq(kl_dns_fqdn(p, "cluster.local", &out), 0);
	ck_assert_str_eq(out.data, "web-1.web.shop.svc.cluster.local");
	cJSON_Delete(p);
	p = pod("{\"metadata\":{\"name\":\"web-1\"},\"spec\":{}}");
	ck_assert_int_eq(kl_dns_fqdn(p, "cluster.local", &out), -ENOENT);
	cJSON_Delete(p);
}
END_TEST

START_TEST(test_texts_name_the_files_a_pod_has)
{
	struct cm_buf hosts = CM_BUF_INIT;
	unsigned which;
	cJSON *p = pod("{\"metadata\":{\"name\":\"a\"},\"spec\":{}}");

	ck_assert_int_eq(kl_dns_texts(p, "10.244.1.5", "10.96.0.10", "cluster.local", host_resolv, host_hosts, &out, &hosts,
				      &which), 0);
	ck_assert_uint_eq(which, KL_DNS_RESOLV | KL_DNS_HOSTS);
	ck_assert_ptr_nonnull(strstr(hosts.data, "10.244.1.5\ta\n"));
	cJSON_Delete(p);
	cm_buf_close(&out);
	cm_buf_close(&hosts);
	/* the host's network: the node's hosts file under Kubernetes' header, nothing of the pod's own */
	p = pod("{\"metadata\":{\"name\":\"a\"},\"spec\":{\"hostNetwork\":true}}");
	ck_assert_int_eq(kl_dns_texts(p, "10.0.0.1", "10.96.0.10", "cluster.local", host_resolv, host_hosts, &out, &hosts,
				      &which), 0);
	ck_assert_uint_eq(which, KL_DNS_RESOLV | KL_DNS_HOSTS);
	ck_assert_str_eq(hosts.data, "# Kubernetes-managed hosts file (host network).\n"
				     "127.0.0.1\tlocalhost\n192.0.2.1\tnode-1\n");
	cJSON_Delete(p);
	cm_buf_close(&out);
	cm_buf_close(&hosts);
	/* a bad dnsPolicy: no resolv.conf, hosts still */
	p = pod("{\"metadata\":{\"name\":\"a\"},\"spec\":{\"dnsPolicy\":\"Bogus\"}}");
	ck_assert_int_eq(kl_dns_texts(p, "10.244.1.5", "10.96.0.10", "cluster.local", host_resolv, host_hosts, &out, &hosts,
				      &which),
			 -EINVAL);
	ck_assert_uint_eq(which, KL_DNS_HOSTS);
	cJSON_Delete(p);
	cm_buf_close(&hosts);
}
END_TEST

START_TEST(test_write_then_mounts)
{
	char dir[] = "/tmp/test_kl_poddns-XXXXXX";
	struct cm_buf resolv = CM_BUF_INIT, hosts = CM_BUF_INIT, paths[2] = {CM_BUF_INIT, CM_BUF_INIT}, f = CM_BUF_INIT;
	struct kl_mount m[2];
	cJSON *c;
	int err;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	cm_buf_puts(&resolv, "nameserver 10.96.0.10\n");
	cm_buf_puts(&hosts, "127.0.0.1\tlocalhost\n");
	ck_assert_uint_eq(kl_dns_write(dir, &resolv, &hosts, KL_DNS_RESOLV | KL_DNS_HOSTS, &err), KL_DNS_RESOLV | KL_DNS_HOSTS);
	ck_assert_int_eq(err, 0);
	cm_buf_printf(&f, "%s/hosts", dir);
	ck_assert_int_eq(access(f.data, R_OK), 0);
	c = pod("{\"name\":\"c\"}");
	ck_assert_int_eq(kl_dns_mounts(c, dir, KL_DNS_RESOLV | KL_DNS_HOSTS, m, paths), 2);
	ck_assert_str_eq(m[0].path, "/etc/resolv.conf");
	ck_assert_str_eq(m[1].path, "/etc/hosts");
	ck_assert_str_eq(m[1].host_path, f.data);
	/* only what was written is bound */
	ck_assert_int_eq(kl_dns_mounts(c, dir, KL_DNS_HOSTS, m, paths), 1);
	ck_assert_str_eq(m[0].path, "/etc/hosts");
	cJSON_Delete(c);
	/* a container that mounts /etc/hosts itself keeps its own */
	c = pod("{\"name\":\"c\",\"volumeMounts\":[{\"name\":\"v\",\"mountPath\":\"/etc/hosts\"}]}");
	ck_assert_int_eq(kl_dns_mounts(c, dir, KL_DNS_RESOLV | KL_DNS_HOSTS, m, paths), 1);
	ck_assert_str_eq(m[0].path, "/etc/resolv.conf");
	cJSON_Delete(c);
	/* a folder that is not there: nothing written, the error said */
	ck_assert_uint_eq(kl_dns_write("/nonexistent/pod", &resolv, &hosts, KL_DNS_RESOLV, &err), 0);
	ck_assert_int_eq(err, -ENOENT);
	unlink(f.data);
	cm_buf_reset(&f);
	cm_buf_printf(&f, "%s/resolv.conf", dir);
	unlink(f.data);
	rmdir(dir);
	cm_buf_close(&f);
	cm_buf_close(&resolv);
	cm_buf_close(&hosts);
	cm_buf_close(&paths[0]);
	cm_buf_close(&paths[1]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kl_poddns");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_cluster_first_default);
	tcase_add_test(tc, test_host_network_falls_back_to_default);
	tcase_add_test(tc, test_no_cluster_dns_means_default);
	tcase_add_test(tc, test_default_policy_with_dns_config);
	tcase_add_test(tc, test_none_needs_a_nameserver);
	tcase_add_test(tc, test_hosts_file);
	tcase_add_test(tc, test_hostname);
	tcase_add_test(tc, test_host_network_hosts_file_has_the_aliases);
	tcase_add_test(tc, test_uts_hostname_as_fqdn);
	tcase_add_test(tc, test_fqdn);
	tcase_add_test(tc, test_texts_name_the_files_a_pod_has);
	tcase_add_test(tc, test_write_then_mounts);
	suite_add_tcase(s, tc);
	return check_run(s);
}
